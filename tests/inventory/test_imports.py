"""Importing assets: a CSV with French headers and `;`, all or nothing with a French report
per line, formulas refused, limits on size and rows; GLPI Agent's JSON inventory (a sample
generated following GLPI's published format: the agent cannot be installed here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socle.core.errors import Forbidden, ServiceError, TooLarge
from socle.core.models import AuditEvent
from socle.inventory.models import Asset, AssetEvent, Installation, Software
from socle.inventory.services import assets_import_csv, assets_import_glpi
from socle.inventory.services.csv_import import MAX_ROWS, TEMPLATE_HEADER

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "glpi-agent-PC-MAIRIE-012.json"
HEADER = "Numéro d'inventaire;Type;Nom;Site;Statut;Date d'achat;Fin de garantie;Coût;Affecté à"


def csv_of(*lines: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")


def test_a_good_csv_creates_the_assets_with_their_first_lifecycle_step(manager, margny, town_hall):
    data = csv_of("MAR-0001;Ordinateur;Poste accueil;Mairie;En service;15/09/2023;15/09/2026;"
                  "749,90;Accueil",
                  "MAR-0002;Vidéoprojecteur;Projecteur salle du conseil;mairie;;;;;",
                  "MAR-0003;laptop;Portable du DGS;;Commandé;;;1 090,00;")
    report = assets_import_csv(actor=manager, organisation=margny, data=data)
    assert report.ok and (report.created, report.updated) == (3, 0)
    first = Asset.objects.get(inventory_number="MAR-0001")
    assert (first.kind, first.site, str(first.cost), first.warranty_end.year) == (
        "computer", town_hall, "749.90", 2026)
    assert Asset.objects.get(inventory_number="MAR-0002").site == town_hall  # case-insensitive
    assert Asset.objects.get(inventory_number="MAR-0003").status == "ordered"
    assert AssetEvent.objects.filter(asset__organisation=margny).count() == 3
    event = AuditEvent.objects.filter(action="inventory.import").get()
    assert event.data["created"] == 3


def test_a_known_inventory_number_updates_its_asset_and_journals_the_status_change(
        manager, margny, make_asset):
    asset = make_asset(inventory_number="MAR-0001", name="Ancien nom")
    report = assets_import_csv(actor=manager, organisation=margny, data=csv_of(
        "MAR-0001;Ordinateur;Nouveau nom;Mairie;En panne;;;;"))
    assert report.ok and (report.created, report.updated) == (0, 1)
    asset.refresh_from_db()
    assert (asset.name, asset.status) == ("Nouveau nom", "broken")
    assert list(asset.events.values_list("to_status", flat=True)) == ["in_service", "broken"]


def test_one_bad_line_imports_nothing_and_the_report_names_every_line_in_french(
        manager, margny, town_hall):
    data = csv_of("MAR-0001;Ordinateur;Bon poste;Mairie;;;;;",
                  "MAR-0002;Grille-pain;Inconnu;Mairie;;;;;",
                  "MAR-0003;Ordinateur;Poste;Mairie;;32/13/2024;;;",
                  "MAR-0004;Ordinateur;Poste;Mairie;;01/01/2024;01/01/2023;;",
                  "MAR-0001;Ordinateur;Doublon;Mairie;;;;;",
                  "MAR-0005;Ordinateur;Poste;Gymnase;;;;;",
                  "MAR-0006;Ordinateur;;Mairie;;;;;",
                  "MAR-0007;Ordinateur;Poste;Mairie;;;;-12;",
                  "MAR-0008;Ordinateur;trop;de;colonnes;;;;;;;")
    report = assets_import_csv(actor=manager, organisation=margny, data=data)
    assert not report.ok
    assert not Asset.objects.exists() and not AuditEvent.objects.filter(
        action="inventory.import").exists()
    messages = dict(report.errors)
    assert set(messages) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "Type de matériel inconnu : « Grille-pain »" in messages[3]
    assert "n'est pas une date JJ/MM/AAAA" in messages[4]
    assert "La fin de garantie précède la date d'achat" in messages[5]
    assert "figure déjà ligne 2" in messages[6]
    assert "Site inconnu pour Margny-lès-Compiègne : « Gymnase »" in messages[7]
    assert "Le nom est obligatoire" in messages[8]
    assert "montant positif" in messages[9]
    assert "colonnes au lieu de" in messages[10]


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1:A2)", "  =1+1", "|calc"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_refused(manager, margny, cell):
    report = assets_import_csv(actor=manager, organisation=margny, data=csv_of(
        f"MAR-0001;Ordinateur;{cell};;;;;;"))
    assert not report.ok and "formule de tableur refusée" in report.errors[0][1]
    assert not Asset.objects.exists()


def test_a_negative_looking_number_is_not_a_formula_but_is_still_a_refused_cost(manager, margny):
    report = assets_import_csv(actor=manager, organisation=margny, data=csv_of(
        "MAR-0001;Ordinateur;Poste;;;;;-5;"))
    assert "montant positif" in report.errors[0][1]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "vide"),
    (HEADER.replace(";", ",").encode(), "points-virgules"),
    (b"Nom;Type\r\nPoste;Ordinateur\r\n", "colonnes manquantes : « numéro d'inventaire »"),
    ((HEADER + ";Mot de passe\r\n").encode(), "colonnes inconnues : « mot de passe »"),
    ((HEADER + "\r\n").encode(), "aucune ligne"),
    (b"\x00\x01\x02" * 10, "caractères nuls"),
    ((HEADER + '\r\n"MAR-1;Ordinateur;Poste\r\n').encode(), "mal formé"),
])
def test_a_file_that_is_not_a_usable_csv_is_refused_with_a_clear_message(
        manager, margny, data, message):
    with pytest.raises(ServiceError, match=message):
        assets_import_csv(actor=manager, organisation=margny, data=data)
    assert not Asset.objects.exists()


def test_a_windows_1252_file_from_excel_is_read(manager, margny):
    report = assets_import_csv(actor=manager, organisation=margny, data=csv_of(
        "MAR-0001;Tableau blanc interactif;TBI salle d'activités;;;;;;").decode().encode(
        "cp1252"))
    assert report.ok and Asset.objects.get().name == "TBI salle d'activités"


def test_oversized_files_and_too_many_rows_are_refused_before_any_write(manager, margny):
    huge = csv_of(*(f"MAR-{n};Ordinateur;Poste;;;;;;" for n in range(MAX_ROWS + 1)))
    with pytest.raises(TooLarge, match="5000 lignes"):
        assets_import_csv(actor=manager, organisation=margny, data=huge)
    with pytest.raises(TooLarge, match="2 Mo"):
        assets_import_csv(actor=manager, organisation=margny, data=b"x" * (2 * 1024 * 1024 + 1))
    assert not Asset.objects.exists()


def test_the_template_header_is_accepted_and_a_viewer_may_not_import(manager, viewer, margny):
    report = assets_import_csv(actor=manager, organisation=margny, data=csv_of(
        "MAR-1;Serveur;NAS;;;;;;;;;;;", header=TEMPLATE_HEADER))
    assert report.ok
    with pytest.raises(Forbidden):
        assets_import_csv(actor=viewer, organisation=margny, data=csv_of("X;Ordinateur;P;;;;;;"))


# ------------------------------------------------------------------------- GLPI Agent


def test_a_glpi_agent_inventory_creates_the_computer_and_its_installed_software(
        manager, margny, arc, town_hall):
    report = assets_import_glpi(actor=manager, organisation=margny, data=SAMPLE.read_bytes(),
                                site=town_hall)
    assert report.ok and report.created == 1
    asset = Asset.objects.get()
    assert (asset.name, asset.serial_number, asset.kind, asset.manufacturer, asset.model,
            asset.site, asset.source) == ("PC-MAIRIE-012", "7XK2QF3", "computer", "Dell Inc.",
                                          "OptiPlex 7010", town_hall, "glpi")
    assert asset.operating_system == "Microsoft Windows 11 Professionnel"
    versions = dict(Installation.objects.filter(asset=asset).values_list("software__name",
                                                                         "version"))
    assert versions["e.magnus Gestion financière"] == "2023.4"
    assert len(versions) == 6
    assert set(Software.objects.values_list("organisation", flat=True)) == {arc.pk}


def test_the_same_computer_inventoried_again_is_updated_not_duplicated(manager, margny):
    assets_import_glpi(actor=manager, organisation=margny, data=SAMPLE.read_bytes())
    later = json.loads(SAMPLE.read_text())
    later["content"]["softwares"] = [{"name": "e.magnus Gestion financière",
                                      "version": "2024.2"}]
    later["content"]["hardware"]["chassis_type"] = "Notebook"
    report = assets_import_glpi(actor=manager, organisation=margny,
                                data=json.dumps([later]).encode())
    assert (report.created, report.updated) == (0, 1)
    asset = Asset.objects.get()
    assert asset.kind == "laptop"
    assert list(asset.installations.values_list("version", flat=True)) == ["2024.2"]


@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", "pas un inventaire JSON"),
    (b'{"deviceid": "x", "content": {"versionclient": "v", "hardware": {"name": NaN}}}',
     "pas un inventaire JSON"),
    (b"[" * 100000 + b"]" * 100000, "pas un inventaire JSON"),
    (b"[]", "aucun inventaire"),
])
def test_unreadable_inventories_are_refused(manager, margny, data, message):
    with pytest.raises(ServiceError, match=message):
        assets_import_glpi(actor=manager, organisation=margny, data=data)


def test_a_device_that_breaks_the_format_imports_nothing_and_is_named(manager, margny):
    good = json.loads(SAMPLE.read_text())
    printer = {**good, "itemtype": "Printer"}
    nameless = json.loads(SAMPLE.read_text())
    del nameless["content"]["hardware"]["name"]
    hostile = json.loads(SAMPLE.read_text())
    hostile["content"]["softwares"][0]["name"] = "=WEBSERVICE(\"http://evil\")"
    report = assets_import_glpi(actor=manager, organisation=margny, data=json.dumps(
        [good, printer, nameless, {"content": "x"}, hostile]).encode())
    assert not report.ok and not Asset.objects.exists()
    messages = [message for _, message in report.errors]
    assert "Inventaire n° 2 : type « Printer » non pris en charge" in messages[0]
    assert "hardware.name" in messages[1]
    assert "« content » manquant" in messages[2]
    assert "formule de tableur refusée" in messages[3]


def test_oversized_inventories_are_refused(manager, margny):
    with pytest.raises(TooLarge):
        assets_import_glpi(actor=manager, organisation=margny, data=b" " * (5 * 1024 * 1024 + 1))
    crowded = json.loads(SAMPLE.read_text())
    crowded["content"]["softwares"] = [{"name": f"Logiciel {n}"} for n in range(5001)]
    report = assets_import_glpi(actor=manager, organisation=margny,
                                data=json.dumps(crowded).encode())
    assert "Plus de 5000 logiciels sur un seul poste" in report.errors[0][1]
    with pytest.raises(TooLarge, match="500 inventaires"):
        assets_import_glpi(actor=manager, organisation=margny,
                           data=json.dumps([{}] * 501).encode())
