"""The public dashboard: only what an organisation opened, aggregated as declared, no sign-in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from socle.core.errors import Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.opendata.models import OpenIndicator
from socle.opendata.public_dashboards import periods
from socle.opendata.services import indicator_open
from tests.support.clients import signed_in


@pytest.fixture
def steward(territory, make_user):
    compiegne = territory["compiegne"]
    return make_user(
        "donnees.public@compiegne.fr",
        roles=[(compiegne, "opendata.steward"), (compiegne, "portal.caseworker")],
    )


def _page(client, slug: str = "compiegne") -> str:
    response = client.get(reverse("opendata:public_dashboard", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_sees_only_the_open_indicators_as_svg_and_table(client, territory, steward):
    indicator_open(
        actor=steward,
        organisation=territory["compiegne"],
        indicator="opendata.obligations_met",
        granularity="month",
        min_count=0,
    )
    response = client.get(reverse("opendata:public_dashboard", args=["compiegne"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Obligations d&#x27;ouverture remplies" in page and "<svg" in page and "<caption>" in page
    assert "mois par mois" in page
    for hidden in (
        "Jeux de données ouverts publiés",
        "Subventions accordées",
        "Dossiers déposés",
        "Courriers",
        "Tickets",
    ):
        assert hidden not in page
    # cache friendly: the same page for every visitor, no cookie set
    assert response["Cache-Control"].startswith("public, max-age=") and not response.cookies
    assert "Set-Cookie" not in response
    event = AuditEvent.objects.filter(action="opendata.indicator_open").get()
    assert event.actor_id == steward.pk


def test_an_indicator_not_declared_open_is_refused_and_never_shown(client, territory, steward):
    with pytest.raises(ServiceError) as refused:
        indicator_open(actor=steward, organisation=territory["compiegne"], indicator="portal.cases_filed")
    assert refused.value.code == "indicator_not_open"
    # even written to the table by other means, it is not on the page
    OpenIndicator.objects.create(
        organisation=territory["compiegne"], indicator="portal.cases_filed", opened_by=steward, min_count=0
    )
    page = _page(client)
    assert "Dossiers déposés" not in page and "<svg" not in page
    assert "ne publie encore aucun indicateur" in page


def test_only_a_steward_who_may_read_the_indicator_opens_it(territory, steward, make_user):
    reader = make_user("elu@compiegne.fr", roles=[(territory["compiegne"], "opendata.reader")])
    margny = make_user("donnees@margny.fr", roles=[(territory["margny-les-compiegne"], "opendata.steward")])
    with pytest.raises(Forbidden):
        indicator_open(
            actor=reader, organisation=territory["compiegne"], indicator="opendata.obligations_met"
        )
    with pytest.raises(Forbidden):
        indicator_open(
            actor=margny, organisation=territory["compiegne"], indicator="opendata.obligations_met"
        )
    with pytest.raises(Forbidden):  # a steward without the portal's role does not see the grant cases
        indicator_open(
            actor=margny, organisation=territory["margny-les-compiegne"], indicator="opendata.grants_awarded"
        )
    with pytest.raises(ServiceError) as low:  # a count of cases keeps a threshold of 3 at least
        indicator_open(
            actor=steward,
            organisation=territory["compiegne"],
            indicator="opendata.grants_awarded",
            min_count=1,
        )
    assert "min_count" in low.value.errors
    assert not OpenIndicator.objects.exists()


def test_a_count_of_cases_is_aggregated_as_declared_and_small_counts_hidden(client, accepted_grants):
    steward = accepted_grants["steward"]
    compiegne = accepted_grants["dataset"].organisation
    # three grants accepted today: by quarter, the current quarter says 3, never one case per month
    indicator_open(
        actor=steward,
        organisation=compiegne,
        indicator="opendata.grants_awarded",
        granularity="quarter",
        min_count=3,
    )
    page = _page(client)
    today = timezone.localdate()
    quarter = f"T{(today.month - 1) // 3 + 1} {today.year}"
    assert re.search(rf"<th scope=\"row\">{quarter}</th><td>3</td>", page)
    assert "trimestre par trimestre" in page
    assert "janv." not in page and "févr." not in page  # no month of the period
    # with a threshold above the count, the figure is hidden everywhere, the text alternative included
    indicator_open(
        actor=steward,
        organisation=compiegne,
        indicator="opendata.grants_awarded",
        granularity="year",
        min_count=5,
    )
    page = _page(client)
    assert re.search(rf"<th scope=\"row\">{today.year}</th><td>moins de 5</td>", page)
    assert f"{today.year} : moins de 5 subventions" in page
    assert ">3<" not in page and ": 3 subventions" not in page
    exported = client.get(reverse("opendata:public_dashboard", args=["compiegne"]) + "?format=csv")
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("organisation,indicateur,") and len(lines) == 1 + 3  # three years
    assert (
        "compiegne,opendata.grants_awarded,Subventions accordées (démarches en ligne),"
        f"subventions,year,{today.year}," in lines[-1]
    )
    assert lines[-1].endswith(",,moins de 5") and exported["Cache-Control"].startswith("public")


def test_a_steward_who_lost_the_role_no_longer_feeds_the_public_page(client, territory, steward):
    indicator_open(actor=steward, organisation=territory["compiegne"], indicator="opendata.obligations_met")
    steward.memberships.update(revoked_at=timezone.now())
    assert "<svg" not in _page(client)


def test_the_agents_page_opens_and_closes_and_another_communes_opening_is_a_404(
    territory, steward, make_user
):
    client = signed_in(steward)
    url = reverse("opendata:open_indicators")
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "organisation": "compiegne",
            "indicator": "opendata.obligations_met",
            "granularity": "month",
            "min_count": "=1+1",
        },
    )
    assert bad.status_code == 400 and "Le seuil doit être un nombre entier" in bad.content.decode()
    other = client.post(
        url,
        {
            "organisation": "margny-les-compiegne",
            "indicator": "opendata.obligations_met",
            "granularity": "month",
            "min_count": "0",
        },
    )
    assert other.status_code == 400 and not OpenIndicator.objects.exists()
    done = client.post(
        url,
        {
            "organisation": "compiegne",
            "indicator": "opendata.obligations_met",
            "granularity": "month",
            "min_count": "0",
        },
    )
    assert done.status_code == 302
    opening = OpenIndicator.objects.get()
    margny = signed_in(
        make_user("donnees@margny.fr", roles=[(territory["margny-les-compiegne"], "opendata.steward")])
    )
    assert margny.post(url, {"action": "close", "opening": str(opening.pk)}).status_code == 404
    assert OpenIndicator.objects.exists()
    assert client.post(url, {"action": "close", "opening": str(opening.pk)}).status_code == 302
    assert not OpenIndicator.objects.exists()
    assert AuditEvent.objects.filter(action="opendata.indicator_close").exists()


def test_a_visitor_cannot_reach_the_agents_page_and_an_unknown_organisation_is_a_404(client, territory):
    assert client.get(reverse("opendata:open_indicators")).status_code in (302, 403)
    assert client.get(reverse("opendata:public_dashboard", args=["nulle-part"])).status_code == 404
    assert client.get(reverse("opendata:public_index")).status_code == 200


def test_quarters_cross_the_year():
    from datetime import date

    labels = [label for label, _, _ in periods("quarter", date(2026, 2, 10))]
    assert labels == ["T2 2025", "T3 2025", "T4 2025", "T1 2026"]
    assert periods("quarter", date(2026, 11, 3))[-1][1:] == (date(2026, 10, 1), date(2027, 1, 1))


def test_the_public_dashboard_of_an_organisation_whose_module_is_off_is_a_404(client, territory, steward):
    from socle.core.module_activation import module_disable

    indicator_open(actor=steward, organisation=territory["compiegne"], indicator="opendata.obligations_met")
    module_disable(actor=None, module="opendata", organisation=territory["compiegne"])
    assert client.get(reverse("opendata:public_dashboard", args=["compiegne"])).status_code == 404
    assert "Compiègne" not in client.get(reverse("opendata:public_index")).content.decode().split("<h1")[1]
