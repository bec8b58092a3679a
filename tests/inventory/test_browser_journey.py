"""In Chromium: a citizen finds the wifi hotspots on the public map without JavaScript; the
DCSI's manager imports a commune's CSV inventory, sees the report of a bad file, then the
business software out of line. Every page is checked by axe-core (RGAA / WCAG 2.1 AA)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from socle.core.models import Organisation, User
from socle.inventory.models import Asset
from socle.inventory.services import hotspot_save, installations_replace, site_save, software_save
from tests.e2e.accessibility import PageAudit
from tests.e2e.conftest import CHROMIUM, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.e2e.test_agent_work_journey import enrol_and_land

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason=f"Chromium est introuvable ({CHROMIUM}).")]

BAD = ("Numéro d'inventaire;Type;Nom;Site;Statut\n"
       "MAR-0001;Ordinateur;Poste accueil;Mairie;En service\n"
       "MAR-0002;Ordinateur;=HYPERLINK(\"http://exemple.invalid\");Mairie;En service\n")
GOOD = ("Numéro d'inventaire;Type;Nom;Site;Statut\n"
        "MAR-0001;Ordinateur;Poste accueil;Mairie;En service\n"
        "MAR-0002;Ordinateur;Poste état civil;Mairie;En service\n")


def test_hotspots_map_then_a_manager_imports_and_sees_the_software_out_of_line(
        audit: PageAudit, territory: dict[str, Organisation],  # noqa: F811 - the fixture
        make_user: Callable[..., User]) -> None:
    arc, margny = territory["arc"], territory["margny-les-compiegne"]
    manager = make_user("parc@dcsi.exemple.fr", roles=[(arc, "inventory.manager")])
    site_save(actor=manager, organisation=margny, name="Mairie", kind="town_hall")
    hotspot_save(actor=manager, organisation=margny, name="Place de la mairie",
                 status="in_service", latitude=49.428, longitude=2.818)
    hotspot_save(actor=manager, organisation=territory["venette"], name="Parc des Tilleuls",
                 status="out_of_order", latitude=49.414, longitude=2.801)
    software_save(actor=manager, organisation=arc, name="Mélodie État civil", business=True,
                  reference_version="7.3")

    visitor = audit.open(javascript=False)
    visitor.goto("/wifi/")
    audit.check(visitor, title="Bornes wifi publiques",
                h1="Les bornes wifi publiques du territoire")
    expect(visitor.get_by_role("img", name="Carte des bornes wifi du territoire")).to_be_visible()
    table = visitor.get_by_role("table", name="Liste des bornes wifi, par commune")
    expect(table.get_by_role("row").filter(has_text="Parc des Tilleuls")).to_contain_text(
        "Hors service")

    page = audit.open()
    enrol_and_land(audit, page, manager)
    page.goto("/inventaire/import")
    audit.check(page, title="Importer un inventaire")
    page.get_by_label("Commune dont vous importez le parc").select_option(margny.slug)
    page.get_by_label("Fichier CSV (séparateur « ; »)").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "parc.csv", "mimeType": "text/csv", "buffer": BAD.encode()})
    page.get_by_role("button", name="Contrôler et importer").click()
    audit.check(page, title="Importer un inventaire")
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été importé")
    expect(page.get_by_role("alert")).to_contain_text("Ligne 3 : Le nom ne peut pas commencer")

    page.get_by_label("Commune dont vous importez le parc").select_option(margny.slug)
    page.get_by_label("Fichier CSV (séparateur « ; »)").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "parc.csv", "mimeType": "text/csv", "buffer": GOOD.encode()})
    page.get_by_role("button", name="Contrôler et importer").click()
    audit.check(page, title="Importer un inventaire")
    expect(page.get_by_role("status").last).to_contain_text("2 matériels ajoutés")

    # The agent on each post reports its software (as a GLPI Agent import would).
    for asset, version in zip(Asset.objects.order_by("inventory_number"), ("7.3", "6.9"),
                              strict=True):
        installations_replace(actor=manager, asset=asset, catalogue=arc,
                              found=[("Mélodie État civil", version, "Logitud")])
    page.goto("/inventaire/logiciels/?ecarts=1")
    audit.check(page, title="Logiciels métier homogénéisés")
    section = page.get_by_role("region", name="Mélodie État civil")
    expect(section).to_contain_text("En écart : Margny-lès-Compiègne")
    expect(section.get_by_role("row").filter(has_text="Margny")).to_contain_text("6.9 (1)")
