"""In Chromium: the DCSI reads the cockpit; a Compiègne agent fixes an invalid subventions file and
publishes it; a visitor finds it and downloads it. axe-core checks every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from socle.opendata.demo import demo_load
from tests.e2e.conftest import _chromium_missing, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.e2e.test_ged_journey import agent_with_second_factor, signed_in_agent

from .conftest import GOOD, HEADER

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_chromium_missing()), reason=_chromium_missing())]


def test_the_dcsi_reads_the_cockpit_an_agent_publishes_a_fixed_file_a_visitor_downloads_it(
    audit,  # noqa: F811 - the e2e fixture, imported above
    territory,
    make_user,
    tmp_path: Path,
):
    agent, agent_totp = agent_with_second_factor(
        make_user, "donnees@compiegne.fr", [(territory["compiegne"], "opendata.steward")]
    )
    dcsi, dcsi_totp = agent_with_second_factor(
        make_user, "dcsi@arc.fr", [(territory["arc"], "opendata.reader")]
    )
    demo_load()

    page = signed_in_agent(audit, dcsi, dcsi_totp)
    page.goto("/agent/donnees/obligations/")
    audit.check(page, title="Obligations d'ouverture des données", h1="Obligations d'ouverture des données")
    expect(page.get_by_role("table", name="Armancourt")).to_contain_text("Non applicable")
    expect(page.get_by_role("table", name="Margny-lès-Compiègne")).to_contain_text("Fichier invalide")
    page.goto("/agent/tableau-de-bord/?commune=compiegne&mois=3")
    audit.check(page, title="Tableau de bord", h1="Tableau de bord — Compiègne")
    expect(page.get_by_role("img", name="Obligations d'ouverture remplies")).to_be_visible()

    page = signed_in_agent(audit, agent, agent_totp)
    page.goto("/agent/donnees/")
    audit.check(page, title="Catalogue des données", h1="Catalogue des données")
    title = "Subventions accordées aux associations — Compiègne"
    page.get_by_role("link", name=title).click()
    audit.check(page, title=f"{title} — Catalogue des données")
    broken = tmp_path / "subventions.csv"
    wrong_amount = GOOD.replace(",1500.50,", ',"1500,50",')  # a decimal comma: not a number
    broken.write_text(f"{HEADER}\n{wrong_amount}\n", encoding="utf-8")
    page.get_by_label("Fichier CSV (UTF-8, séparateur virgule)").set_input_files(str(broken))
    page.get_by_role("button", name="Contrôler le fichier").click()
    audit.check(page, title="Contrôle du fichier subventions.csv")
    expect(page.get_by_role("table", name="Erreurs, cellule par cellule")).to_contain_text("montant")
    expect(page.get_by_role("button", name="Publier ce fichier")).to_have_count(0)  # invalid: not published
    page.get_by_role("link", name=title).click()
    audit.check(page, title=f"{title} — Catalogue des données")
    broken.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    page.get_by_label("Fichier CSV (UTF-8, séparateur virgule)").set_input_files(str(broken))
    page.get_by_role("button", name="Contrôler le fichier").click()
    audit.check(page, title="Contrôle du fichier subventions.csv")
    page.get_by_role("button", name="Publier ce fichier").click()
    audit.check(page, title=f"{title} — Catalogue des données")

    visitor = audit.open(javascript=False)
    visitor.goto("/donnees/?q=Subventions")
    audit.check(visitor, title="Données ouvertes", h1="Données ouvertes de l'agglomération et des communes")
    visitor.get_by_role("link", name=title).click()
    audit.check(visitor, title=f"{title} — Données ouvertes")
    expect(visitor.get_by_role("table")).to_contain_text("Harmonie municipale")
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="CSV").click()
    saved = tmp_path / "telecharge.csv"
    download.value.save_as(saved)
    assert "Harmonie municipale" in saved.read_text(encoding="utf-8")
