"""Tenancy: a Margny manager never sees nor decides a Compiègne agent's registration, on
any page, any API operation or any selector; a trainer sees only their own sessions'
attendees; the report and the census keep to the communes one reports on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from socle.training import selectors, services
from socle.training.indicators import attendance_rate, training_hours
from tests.support.clients import signed_in

from .conftest import passed

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_communes(agent, compiegne_agent, session):
    """A registration of a Margny agent and one of a Compiègne agent, both pending."""
    ours = services.registration_create(actor=agent, session=session)
    theirs = services.registration_create(actor=compiegne_agent, session=session)
    return ours, theirs


def test_managers_see_and_decide_their_communes_registrations_only(
        two_communes, manager, compiegne_manager, admin):
    ours, theirs = two_communes
    assert list(selectors.registrations_to_decide(actor=manager)) == [ours]
    assert list(selectors.registrations_to_decide(actor=compiegne_manager)) == [theirs]
    assert set(selectors.registrations_visible(actor=manager)) == {ours}
    assert set(selectors.registrations_visible(actor=admin)) == {ours, theirs}
    assert not selectors.may_decide(actor=manager, registration=theirs)


def test_an_agent_sees_their_own_registration_only(two_communes, agent, colleague):
    ours, _theirs = two_communes
    assert set(selectors.registrations_visible(actor=agent)) == {ours}
    assert set(selectors.registrations_visible(actor=colleague)) == set()


def test_another_communes_registration_is_a_404_on_every_page(two_communes, manager):
    _, theirs = two_communes
    client = signed_in(manager)
    for name in ("training:registration", "training:certificate"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    decided = client.post(reverse("training:registration", args=[theirs.pk]),
                          {"decision": "approve"})
    assert decided.status_code == 404
    assert client.post(reverse("training:cancel", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending"
    assert "Nadia" not in client.get(reverse("training:approvals")).content.decode()


def test_another_communes_registration_is_a_404_in_the_api(two_communes, manager, api_client):
    ours, theirs = two_communes
    client = api_client(manager)
    assert client.get(f"/api/v1/training/registrations/{theirs.pk}").status_code == 404
    decided = client.post(f"/api/v1/training/registrations/{theirs.pk}/decision",
                          {"approve": True}, content_type="application/json")
    assert decided.status_code == 404
    cancelled = client.post(f"/api/v1/training/registrations/{theirs.pk}/cancel")
    assert cancelled.status_code == 404
    listed = client.get("/api/v1/training/registrations").json()
    assert [item["id"] for item in listed["items"]] == [ours.pk]
    to_decide = client.get("/api/v1/training/registrations?to_decide=true").json()
    assert [item["id"] for item in to_decide["items"]] == [ours.pk]


def test_a_trainer_sees_the_attendees_of_their_own_sessions_only(
        two_communes, trainer, make_user, arc, session, make_session, manager, api_client):
    other = make_user("autre-formateur@arc.exemple.fr", roles=[(arc, "training.trainer")])
    ours, _theirs = two_communes
    services.registration_decide(actor=manager, registration=ours, approve=True)
    assert [r.agent for r in selectors.attendees_of(actor=trainer, session=session)] == [
        ours.agent]
    assert list(selectors.attendees_of(actor=other, session=session)) == []
    assert set(selectors.registrations_visible(actor=other)) == set()
    passed(session)
    page = signed_in(other).post(reverse("training:attendance", args=[session.pk]),
                                 {"present": [ours.pk]})
    assert page.status_code == 403
    assert api_client(other).get(f"/api/v1/training/registrations/{ours.pk}").status_code == 404


def test_the_report_and_the_census_keep_to_ones_communes(
        two_communes, manager, compiegne_manager, trainer, admin, session, margny, compiegne,
        agent, compiegne_agent):
    ours, theirs = two_communes
    services.registration_decide(actor=manager, registration=ours, approve=True)
    services.registration_decide(actor=compiegne_manager, registration=theirs, approve=True)
    passed(session)
    services.attendance_record(actor=trainer, session=session, present=[ours.pk, theirs.pk])
    year = session.start.year
    _, per_commune, total = selectors.plan_report(actor=manager, year=year)
    assert [r.label for r in per_commune] == ["Margny-lès-Compiègne"] and total.attended == 1
    _, per_commune, total = selectors.plan_report(actor=admin, year=year)
    assert total.attended == 2
    client = signed_in(manager)
    assert client.get(reverse("training:plan") + "?commune=compiegne").status_code == 404
    services.need_declare(actor=agent, organisation=margny, title="BESOIN-MARGNY")
    services.need_declare(actor=compiegne_agent, organisation=compiegne, title="BESOIN-COMPIEGNE")
    assert [n.title for n in selectors.needs_for(actor=manager)] == ["BESOIN-MARGNY"]
    page = client.get(reverse("training:needs")).content.decode()
    assert "BESOIN-MARGNY" in page and "BESOIN-COMPIEGNE" not in page
    refused = client.post(reverse("training:needs"), {"organisation": "compiegne",
                                                      "title": "Intrus", "headcount": 1})
    assert refused.status_code == 400


def test_the_indicators_count_what_the_viewer_reports_on(two_communes, manager, compiegne_manager,
                                                         trainer, session):
    ours, theirs = two_communes
    services.registration_decide(actor=manager, registration=ours, approve=True)
    services.registration_decide(actor=compiegne_manager, registration=theirs, approve=True)
    passed(session)
    services.attendance_record(actor=trainer, session=session, present=[ours.pk])
    day = timezone.localtime(session.start).date()  # the indicators count local days
    period = {"start": day - timedelta(days=1), "end": day + timedelta(days=1)}
    assert training_hours(actor=manager, **period) == 3.5
    assert training_hours(actor=compiegne_manager, **period) == 0
    assert attendance_rate(actor=manager, **period) == 100.0
    assert attendance_rate(actor=compiegne_manager, **period) == 0.0
    assert training_hours(actor=trainer, **period) == 0


def test_a_commune_without_the_module_sees_no_training(agent, margny, session, api_client):
    from socle.core.module_activation import module_disable

    module_disable(actor=None, module="training", organisation=margny)
    assert not selectors.is_agent(actor=agent)
    assert signed_in(agent).get(reverse("training:catalogue")).status_code == 403
    assert api_client(agent).get("/api/v1/training/courses").status_code == 403
    with pytest.raises(services.Forbidden):
        services.registration_create(actor=agent, session=session)
    with pytest.raises(services.Forbidden):
        services.need_declare(actor=agent, organisation=margny, title="Tableur")
