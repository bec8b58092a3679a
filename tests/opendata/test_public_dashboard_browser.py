"""In Chromium: a steward publishes an indicator; a visitor opens the public dashboard and sees
the chart and its table. axe-core checks every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from socle.opendata.demo import demo_load
from tests.e2e.conftest import _chromium_missing, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.e2e.test_ged_journey import agent_with_second_factor, signed_in_agent

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_chromium_missing()), reason=_chromium_missing())]


def test_a_steward_publishes_an_indicator_and_a_visitor_reads_the_public_dashboard(
    audit,  # noqa: F811 - the e2e fixture, imported above
    territory,
    make_user,
):
    steward, totp = agent_with_second_factor(
        make_user, "donnees@compiegne.fr", [(territory["compiegne"], "opendata.steward")]
    )
    demo_load()  # publishes Compiègne's files; its steward opens the dashboard's indicators

    page = signed_in_agent(audit, steward, totp)
    page.goto("/agent/tableau-de-bord/public/")
    audit.check(page, title="Tableau de bord public — choisir les indicateurs", h1="Tableau de bord public")
    expect(page.get_by_role("table", name="Indicateurs publiés")).to_contain_text(
        "Obligations d'ouverture remplies"
    )
    page.get_by_label("Indicateur").select_option("opendata.obligations_met")
    page.get_by_label("Regroupement").select_option("year")
    page.get_by_label("Seuil sous lequel un nombre est masqué").fill("0")
    page.get_by_role("button", name="Publier l'indicateur").click()
    audit.check(page, title="Tableau de bord public — choisir les indicateurs", h1="Tableau de bord public")
    expect(page.get_by_role("table", name="Indicateurs publiés")).to_contain_text("Par année")

    for javascript in (True, False):
        visitor = audit.open(javascript=javascript)
        visitor.goto("/donnees/")
        audit.check(
            visitor, title="Données ouvertes", h1="Données ouvertes de l'agglomération et des communes"
        )
        visitor.get_by_role("link", name="tableaux de bord publics").click()
        audit.check(visitor, title="Tableaux de bord publics", h1="Tableaux de bord publics")
        visitor.get_by_role("link", name="Compiègne", exact=True).click()
        audit.check(
            visitor,
            title="Tableau de bord public — Compiègne",
            h1="Tableau de bord public — Compiègne",
        )
        expect(visitor.get_by_role("img", name="Obligations d'ouverture remplies")).to_be_visible()
        table = visitor.get_by_role("table", name="Obligations d'ouverture remplies, année par année")
        expect(table).to_be_visible()
        expect(table.get_by_role("row").last).to_contain_text("4")  # four obligations met this year
        expect(
            visitor.get_by_role("heading", name="Jeux de données ouverts publiés (jeux de données)")
        ).to_be_visible()
