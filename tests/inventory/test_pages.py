"""The inventory's pages: what each role sees and does, French refusals, and tenancy on
every page (another commune's object is a 404, a page without the role a 403)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from socle.inventory.models import Asset, Licence
from socle.inventory.services import (
    licence_assign,
    licence_save,
    loan_start,
    request_submit,
    software_save,
)
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(manager, viewer, outsider, arc, margny, venette, venette_site, school, make_asset):
    """Margny's asset, licence, loan and school request; Venette's asset and licence."""
    ours = make_asset(name="Poste accueil Margny", kind="laptop")
    theirs = make_asset(organisation=venette, site=venette_site, name="Poste Venette")
    title = software_save(actor=manager, organisation=arc, name="Mélodie", business=True,
                          reference_version="7.3")
    soon = timezone.localdate() + timedelta(days=10)
    our_licence = licence_save(actor=manager, organisation=margny, name="Licence Margny",
                               seats=3, titles=[title], expires_on=soon)
    their_licence = licence_save(actor=manager, organisation=venette, name="Licence Venette",
                                 seats=3, titles=[title])
    seat = licence_assign(actor=manager, licence=their_licence, asset=theirs)
    their_loan_asset = make_asset(organisation=venette, site=venette_site, kind="vpn_token")
    their_loan = loan_start(actor=manager, asset=their_loan_asset, borrower=outsider)
    our_request = request_submit(actor=viewer, site=school, kind="tablet", quantity=4,
                                 reason="Classe mobile.")
    return {"ours": ours, "theirs": theirs, "our_licence": our_licence,
            "their_licence": their_licence, "seat": seat, "their_loan": their_loan,
            "our_request": our_request}


PAGES = ["inventory:assets", "inventory:sites", "inventory:software", "inventory:licences",
         "inventory:loans", "inventory:requests", "inventory:hotspots"]


@pytest.mark.parametrize("name", PAGES)
def test_each_list_page_shows_the_viewer_their_commune_only(world, viewer, name):
    response = signed_in(viewer).get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Venette" not in page.replace("Venette</option>", "")
    assert page.count("<h1>") == 1


@pytest.mark.parametrize("name", [*PAGES, "inventory:import", "inventory:asset_new"])
def test_someone_without_an_inventory_role_gets_the_403_page(world, make_user, margny, name):
    clerk = make_user(roles=[(margny, "mail.clerk")])
    response = signed_in(clerk).get(reverse(name))
    assert response.status_code == 403
    assert "Espace réservé" in response.content.decode()


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("inventory:assets"))
    assert response.status_code == 302


@pytest.mark.parametrize(("name", "key"), [
    ("inventory:asset", "theirs"), ("inventory:licence", "their_licence"),
    ("inventory:loan_pdf", "their_loan"),
])
def test_another_communes_object_is_a_404_on_every_page(world, viewer, name, key):
    response = signed_in(viewer).get(reverse(name, args=[world[key].pk]))
    assert response.status_code == 404


def test_another_communes_school_request_is_a_404(world, outsider):
    url = reverse("inventory:request", args=[world["our_request"].pk])
    assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(outsider).post(reverse("inventory:request_opinion", args=[
        world["our_request"].pk]), {"opinion": "favourable"}).status_code == 404


@pytest.mark.parametrize(("name", "data"), [
    ("inventory:asset_transition", {"to": "broken"}),
    ("inventory:asset_ticket", {"number": "2026-00001"}),
    ("inventory:asset_lend", {"borrower": "1"}),
])
def test_a_viewer_may_not_act_on_an_asset(world, viewer, name, data):
    response = signed_in(viewer).post(reverse(name, args=[world["ours"].pk]), data)
    assert response.status_code == 403
    world["ours"].refresh_from_db()
    assert world["ours"].status == "in_service"


def test_the_asset_page_shows_the_lifecycle_and_the_managers_forms(world, manager, viewer):
    url = reverse("inventory:asset", args=[world["ours"].pk])
    page = signed_in(manager).get(url).content.decode()
    assert "Cycle de vie" in page and "Entrée dans l&#x27;inventaire" in page
    assert "Changer le statut" in page and "Prêter ce matériel" in page
    assert "Changer le statut" not in signed_in(viewer).get(url).content.decode()


def test_a_manager_moves_an_asset_and_a_refused_move_is_explained_in_french(world, manager):
    client = signed_in(manager)
    url = reverse("inventory:asset_transition", args=[world["ours"].pk])
    assert client.post(url, {"to": "disposed", "comment": "Hors d'usage"}).status_code == 302
    response = client.post(url, {"to": "in_service"})
    assert response.status_code == 409
    assert "ne peut pas passer" in response.content.decode()


def test_a_manager_adds_an_asset_and_a_bad_one_gets_the_error_summary(world, manager, margny):
    client = signed_in(manager)
    data = {"organisation": margny.slug, "inventory_number": "MAR-NEW", "kind": "phone",
            "name": "Téléphone DGS", "status": "in_service", "cost": "329,00",
            "purchased_on": "01/02/2026"}
    response = client.post(reverse("inventory:asset_new"), data)
    assert response.status_code == 302
    asset = Asset.objects.get(inventory_number="MAR-NEW")
    assert str(asset.cost) == "329.00" and asset.purchased_on.month == 2
    response = client.post(reverse("inventory:asset_new"), {**data, "warranty_end": "01/01/2020"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "Date antérieure à l&#x27;achat" in page
    response = client.get(reverse("inventory:asset_edit", args=[asset.pk]))
    assert 'value="01/02/2026"' in response.content.decode()


def test_the_import_page_reports_each_bad_line_and_imports_nothing(world, manager, margny):
    client = signed_in(manager)
    upload = SimpleUploadedFile("parc.csv", (
        "Numéro d'inventaire;Type;Nom\r\nMAR-1;Ordinateur;Poste\r\nMAR-2;Frigo;Cuisine\r\n"
    ).encode(), content_type="text/csv")
    response = client.post(reverse("inventory:import"), {"organisation": margny.slug,
                                                         "format": "csv", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rien n'a été importé" in page and "Ligne 3 : Type de matériel inconnu" in page
    assert not Asset.objects.filter(inventory_number="MAR-1").exists()
    upload = SimpleUploadedFile("parc.csv", (
        "Numéro d'inventaire;Type;Nom\r\nMAR-1;Ordinateur;Poste\r\n").encode())
    response = client.post(reverse("inventory:import"), {"organisation": margny.slug,
                                                         "format": "csv", "file": upload})
    assert response.status_code == 200 and "1 matériel ajouté" in response.content.decode()
    template = client.get(reverse("inventory:import_template"))
    assert template.content.decode("utf-8-sig").startswith("Numéro d'inventaire;Type;Nom")


def test_a_manager_may_not_import_into_a_commune_he_does_not_manage(world, make_user, margny,
                                                                     venette):
    local = make_user(roles=[(margny, "inventory.manager")])
    upload = SimpleUploadedFile("parc.csv", b"Num\xc3\xa9ro d'inventaire;Type;Nom\r\nV;Serveur;S\r\n")
    response = signed_in(local).post(reverse("inventory:import"), {
        "organisation": venette.slug, "format": "csv", "file": upload})
    assert response.status_code == 400  # venette is not a choice of the form
    assert not Asset.objects.filter(inventory_number="V").exists()


def test_the_licence_page_gives_seats_within_the_limit(world, manager, margny):
    client = signed_in(manager)
    licence = world["our_licence"]
    url = reverse("inventory:licence_seat", args=[licence.pk])
    assert client.post(url, {"person": "M. Martin"}).status_code == 302
    response = client.post(url, {"asset": "INCONNU", "organisation": margny.slug})
    assert response.status_code == 400 and "Aucun matériel" in response.content.decode()
    assert Licence.objects.get(pk=licence.pk).assignments.count() == 1


def test_the_software_view_filters_the_out_of_line(world, manager):
    response = signed_in(manager).get(reverse("inventory:software") + "?ecarts=1")
    assert response.status_code == 200
    assert "Aucun logiciel métier relevé en écart" in response.content.decode()


def test_the_inspector_gives_an_opinion_from_the_request_page(world, inspector):
    client = signed_in(inspector)
    url = reverse("inventory:request", args=[world["our_request"].pk])
    assert "Donner l'avis de l'inspection" in client.get(url).content.decode()
    response = client.post(reverse("inventory:request_opinion", args=[world["our_request"].pk]),
                           {"opinion": "unfavourable", "comment": ""})
    assert response.status_code == 400
    assert "obligatoire" in response.content.decode()
    response = client.post(reverse("inventory:request_opinion", args=[world["our_request"].pk]),
                           {"opinion": "unfavourable", "comment": "À revoir."})
    assert response.status_code == 302
    assert signed_in(inspector).get(reverse("inventory:assets")).status_code == 403


def test_the_loan_agreement_is_a_pdf(world, manager):
    response = signed_in(manager).get(reverse("inventory:loan_pdf", args=[
        world["their_loan"].pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_glpi_agent_import_from_the_page_files_the_computer_on_its_site(
        world, manager, margny, town_hall):
    from pathlib import Path

    sample = (Path(__file__).parent / "data" / "glpi-agent-PC-MAIRIE-012.json").read_bytes()
    response = signed_in(manager).post(reverse("inventory:import"), {
        "organisation": margny.slug, "format": "glpi", "site": str(town_hall.pk),
        "file": SimpleUploadedFile("PC-MAIRIE-012.json", sample)})
    assert response.status_code == 200
    asset = Asset.objects.get(serial_number="7XK2QF3")
    assert asset.site == town_hall and asset.installations.count() == 6


def test_a_file_over_the_limit_is_refused_in_french_from_the_page(world, manager, margny):
    upload = SimpleUploadedFile("parc.csv", b"a" * (2 * 1024 * 1024 + 10))
    response = signed_in(manager).post(reverse("inventory:import"), {
        "organisation": margny.slug, "format": "csv", "file": upload})
    assert response.status_code == 400
    assert "Le fichier dépasse 2 Mo" in response.content.decode()


def test_a_site_of_another_commune_is_refused_for_an_import(world, manager, margny,
                                                            venette_site):
    response = signed_in(manager).post(reverse("inventory:import"), {
        "organisation": margny.slug, "format": "glpi", "site": str(venette_site.pk),
        "file": SimpleUploadedFile("x.json", b"{}")})
    assert response.status_code == 400
    assert "pas un site de la commune choisie" in response.content.decode()


def test_the_asset_list_costs_the_same_queries_whatever_its_length(
        world, manager, make_asset, django_assert_max_num_queries):
    client = signed_in(manager)
    client.get(reverse("inventory:assets"))
    for _ in range(30):
        make_asset()
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inventory:assets"))
    assert response.content.decode().count('href="/inventaire/materiels/') >= 30


@pytest.mark.parametrize(("name", "data"), [
    ("inventory:sites", {"organisation": "margny-les-compiegne", "name": "Pirate",
                         "kind": "other"}),
    ("inventory:software", {"name": "Pirate"}),
    ("inventory:licences", {"organisation": "margny-les-compiegne", "name": "Pirate",
                            "seats": "1"}),
    ("inventory:hotspots", {"organisation": "margny-les-compiegne", "name": "Pirate",
                            "status": "planned", "latitude": "49", "longitude": "2"}),
])
def test_a_viewer_cannot_write_through_the_list_pages(world, viewer, name, data):
    response = signed_in(viewer).post(reverse(name), data)
    assert response.status_code == 404
    assert "Pirate" not in signed_in(viewer).get(reverse(name)).content.decode()


def test_seats_and_returns_of_another_commune_are_404_and_a_viewers_are_403(
        world, viewer, make_user, margny):
    local = make_user(roles=[(margny, "inventory.manager")])
    their_licence, seat = world["their_licence"], world["seat"]
    for user, expected in ((local, 404), (viewer, 403)):
        client = signed_in(user)
        assert client.post(reverse("inventory:licence_seat", args=[their_licence.pk]), {
            "person": "X"}).status_code == expected
        assert client.post(reverse("inventory:licence_release", args=[
            their_licence.pk, seat.pk])).status_code == expected
        assert client.post(reverse("inventory:loan_return", args=[
            world["their_loan"].pk])).status_code == expected
    assert their_licence.assignments.count() == 1
    world["their_loan"].refresh_from_db()
    assert world["their_loan"].returned_on is None


def test_a_school_request_of_a_commune_is_not_seen_elsewhere(world, outsider, viewer):
    assert "Demande du" not in signed_in(outsider).get(reverse("inventory:requests")).content.decode()
    assert "Demande du" in signed_in(viewer).get(reverse("inventory:requests")).content.decode()
