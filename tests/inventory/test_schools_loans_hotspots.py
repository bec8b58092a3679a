"""Schools (request → inspector's opinion → order, training needs), telework loans with their
agreement as PDF, and wifi hotspots with their public map and open dataset."""

from __future__ import annotations

import csv
import io
import json

import pypdfium2
import pytest
from django.test import Client
from django.urls import reverse

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.module_activation import module_disable
from socle.inventory import selectors
from socle.inventory.loan_agreement import loan_agreement_pdf
from socle.inventory.services import (
    hotspot_save,
    loan_return,
    loan_start,
    request_opinion,
    request_order,
    request_submit,
    training_need_record,
)

pytestmark = pytest.mark.django_db


def test_a_request_goes_from_the_school_to_the_inspector_then_to_the_order(
        viewer, inspector, manager, school):
    request = request_submit(actor=viewer, site=school, kind="whiteboard", quantity=2,
                             reason="Deux classes de CP sans écran.")
    assert request.status == "submitted"
    with pytest.raises(Conflict, match="avis favorable"):
        request_order(actor=manager, request=request, order_reference="BC-1")
    with pytest.raises(Forbidden):
        request_opinion(actor=manager, request=request, favourable=True, comment="")
    request = request_opinion(actor=inspector, request=request, favourable=True, comment="")
    assert (request.status, request.opinion_by) == ("favourable", inspector)
    with pytest.raises(Conflict, match="déjà donné"):
        request_opinion(actor=inspector, request=request, favourable=False, comment="Non")
    with pytest.raises(Forbidden):
        request_order(actor=viewer, request=request, order_reference="BC-1")
    request = request_order(actor=manager, request=request, order_reference="BC-2026-0117")
    assert request.status == "ordered" and request.order_reference == "BC-2026-0117"


def test_an_unfavourable_opinion_needs_its_reasons_and_cannot_be_ordered(
        viewer, inspector, manager, school):
    request = request_submit(actor=viewer, site=school, kind="laptop", quantity=30,
                             reason="Un portable par élève.")
    with pytest.raises(ServiceError, match="commentaire de l'inspection est obligatoire"):
        request_opinion(actor=inspector, request=request, favourable=False, comment=" ")
    request = request_opinion(actor=inspector, request=request, favourable=False,
                              comment="Une classe mobile suffit.")
    with pytest.raises(Conflict):
        request_order(actor=manager, request=request, order_reference="BC-3")


def test_only_schools_get_requests_and_needs_and_only_from_their_commune(
        viewer, outsider, town_hall, school):
    with pytest.raises(ServiceError, match="pas une école"):
        request_submit(actor=viewer, site=town_hall, kind="tablet", quantity=1, reason="x")
    with pytest.raises(Forbidden):
        request_submit(actor=outsider, site=school, kind="tablet", quantity=1, reason="x")
    with pytest.raises(ServiceError, match="1 à 1 000"):
        training_need_record(actor=viewer, site=school, topic="TBI", teachers=0)
    training_need_record(actor=viewer, site=school, topic="Prise en main des TBI", teachers=6)
    assert [n.topic for n in selectors.training_needs_for(actor=viewer)] == [
        "Prise en main des TBI"]
    assert not selectors.training_needs_for(actor=outsider).exists()


def test_the_schools_equipment_is_counted_per_school(viewer, inspector, school, make_asset):
    make_asset(kind="whiteboard", site=school)
    make_asset(kind="whiteboard", site=school)
    make_asset(kind="tablet", site=school, status="disposed")
    [(site, counts)] = selectors.school_equipment_for(actor=inspector)
    assert site == school and counts == {"Tableau blanc interactif": 2}


def test_a_loan_lends_then_returns_the_equipment_with_its_agreement(manager, viewer, margny,
                                                                   make_asset, outsider):
    laptop = make_asset(kind="laptop", name="Portable télétravail", serial_number="PF3ABC")
    with pytest.raises(ServiceError, match="agent de la commune"):
        loan_start(actor=manager, asset=laptop, borrower=outsider)
    loan = loan_start(actor=manager, asset=laptop, borrower=viewer, due_on="31/12/2027")
    laptop.refresh_from_db()
    assert laptop.status == "lent"
    with pytest.raises(Conflict, match="Seul un matériel en service"):
        loan_start(actor=manager, asset=laptop, borrower=viewer)
    pdf = loan_agreement_pdf(loan)
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Convention de prêt de matériel pour le télétravail" in text
    assert "PF3ABC" in text and "31/12/2027" in text and "Mairie de Margny" in text
    loan_return(actor=manager, loan=loan, condition="Bon état")
    laptop.refresh_from_db()
    assert laptop.status == "in_service"
    with pytest.raises(Conflict, match="déjà rendu"):
        loan_return(actor=manager, loan=loan)
    assert [e.to_status for e in laptop.events.all()] == ["in_service", "lent", "in_service"]


@pytest.fixture
def hotspots(manager, margny, venette, town_hall):
    return [
        hotspot_save(actor=manager, organisation=margny, name="Place de la mairie",
                     status="in_service", latitude="49,4281", longitude="2,8190", site=town_hall,
                     installed_on="01/06/2026"),
        hotspot_save(actor=manager, organisation=venette, name="Parc des Tilleuls",
                     status="planned", latitude=49.414, longitude=2.801),
    ]


def test_a_hotspot_needs_a_position_on_the_globe(manager, margny):
    with pytest.raises(ServiceError, match="obligatoire"):
        hotspot_save(actor=manager, organisation=margny, name="Sans position", status="planned",
                     latitude="", longitude="")
    with pytest.raises(ServiceError, match="Statut de la borne inconnu"):
        hotspot_save(actor=manager, organisation=margny, name="B", status="broken",
                     latitude=1, longitude=1)


def test_the_public_map_works_without_javascript_and_lists_every_hotspot(hotspots):
    response = Client().get(reverse("inventory:hotspots_public"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and 'role="img"' in page and "<script" not in page.split("<main")[-1]
    assert "<caption>Liste des bornes wifi, par commune</caption>" in page
    assert "Place de la mairie" in page and "Margny-lès-Compiègne" in page and "Venette" in page
    assert page.count("<title>Place de la mairie") == 1  # its marker on the map


def test_the_open_dataset_is_usable_in_csv_and_json(hotspots):
    response = Client().get(reverse("inventory:hotspots_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode()), delimiter=";"))
    assert [r["nom"] for r in rows] == ["Place de la mairie", "Parc des Tilleuls"]
    assert rows[0]["code_insee"] == "60382" and rows[0]["latitude"] == "49.4281"
    assert rows[0]["statut"] == "En service" and rows[0]["date_installation"] == "2026-06-01"
    body = json.loads(Client().get(reverse("inventory:hotspots_json")).content)
    assert body["licence"] == "Licence Ouverte 2.0" and len(body["bornes"]) == 2


def test_a_commune_where_the_module_is_off_shows_no_hotspot(hotspots, venette):
    module_disable(actor=None, module="inventory", organisation=venette)
    assert [h.name for h in selectors.hotspots_public()] == ["Place de la mairie"]


def test_a_manager_changes_a_hotspots_status_from_the_page(hotspots, manager, viewer,
                                                          make_user, margny):
    from socle.inventory.models import Hotspot
    from tests.support.clients import signed_in

    planned = hotspots[1]
    url = reverse("inventory:hotspot_status", args=[planned.pk])
    assert signed_in(viewer).post(url, {"status": "in_service"}).status_code == 403
    local = make_user(roles=[(margny, "inventory.manager")])
    assert signed_in(local).post(url, {"status": "in_service"}).status_code == 404
    assert signed_in(manager).post(url, {"status": "broken"}).status_code == 302
    assert Hotspot.objects.get(pk=planned.pk).status == "planned"
    assert signed_in(manager).post(url, {"status": "in_service"}).status_code == 302
    planned.refresh_from_db()
    assert planned.status == "in_service" and planned.installed_on is not None
