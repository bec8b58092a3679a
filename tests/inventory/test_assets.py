"""Sites and assets: the lifecycle and its history, the checks on values, and the link to
helpdesk tickets kept by key (decision 0017) and read through helpdesk's selectors."""

from __future__ import annotations

import pytest

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.core.services import membership_grant
from socle.helpdesk.services import ticket_open
from socle.inventory import selectors
from socle.inventory.models import AssetTicket
from socle.inventory.panels import assets_on_ticket
from socle.inventory.services import (
    asset_ticket_link,
    asset_transition,
    asset_update,
    site_save,
)
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db


def test_the_lifecycle_is_journaled_step_by_step(manager, make_asset):
    asset = make_asset(status="ordered")
    asset_transition(actor=manager, asset=asset, to="in_service", comment="Livré")
    asset_transition(actor=manager, asset=asset, to="broken", comment="Écran cassé")
    asset_transition(actor=manager, asset=asset, to="disposed")
    history = list(selectors.asset_history(actor=manager, asset=asset))
    assert [(e.from_status, e.to_status) for e in history] == [
        ("", "ordered"), ("ordered", "in_service"), ("in_service", "broken"),
        ("broken", "disposed")]
    assert history[2].comment == "Écran cassé" and history[2].actor == manager
    assert AuditEvent.objects.filter(action="inventory.asset_status").count() == 3
    with pytest.raises(Conflict, match="Réformé » ne peut pas passer"):
        asset_transition(actor=manager, asset=asset, to="in_service")


def test_lending_goes_through_a_loan_and_a_viewer_changes_nothing(manager, viewer, make_asset):
    asset = make_asset()
    with pytest.raises(ServiceError, match="Prêter ce matériel"):
        asset_transition(actor=manager, asset=asset, to="lent")
    with pytest.raises(Forbidden):
        asset_transition(actor=viewer, asset=asset, to="broken")
    with pytest.raises(ServiceError, match="Statut inconnu"):
        asset_transition(actor=manager, asset=asset, to="stolen")
    asset.refresh_from_db()
    assert asset.status == "in_service"


def test_values_are_checked_and_numbers_are_unique_per_commune(manager, make_asset, venette,
                                                               venette_site):
    make_asset(inventory_number="PC-1")
    make_asset(inventory_number="PC-1", organisation=venette, site=venette_site)
    with pytest.raises(Conflict, match="existe déjà"):
        make_asset(inventory_number="PC-1")
    with pytest.raises(ServiceError, match="pas un site de la commune"):
        make_asset(site=venette_site)
    with pytest.raises(ServiceError, match="montant positif"):
        make_asset(cost="-3")
    with pytest.raises(ServiceError, match="montant positif"):
        make_asset(cost="NaN")
    with pytest.raises(ServiceError, match="160 caractères"):
        make_asset(name="x" * 161)


def test_an_update_keeps_the_status_and_journals_what_changed(manager, make_asset):
    asset = make_asset(name="Poste", status="broken")
    asset_update(actor=manager, asset=asset, values={
        "inventory_number": asset.inventory_number, "kind": "laptop", "name": "Portable",
        "status": "in_service", "cost": "1 020,50"})
    asset.refresh_from_db()
    assert (asset.kind, asset.name, asset.status, str(asset.cost)) == (
        "laptop", "Portable", "broken", "1020.50")
    event = AuditEvent.objects.filter(action="inventory.asset_update").get()
    assert event.data["changed"] == ["cost", "kind", "name"]


def test_a_site_has_a_position_on_the_globe_and_a_unique_name(manager, margny, town_hall):
    assert (town_hall.latitude, town_hall.longitude) == (49.428, 2.818)
    with pytest.raises(Conflict, match="existe déjà"):
        site_save(actor=manager, organisation=margny, name="Mairie", kind="town_hall")
    with pytest.raises(ServiceError, match="hors du globe"):
        site_save(actor=manager, organisation=margny, name="Lune", kind="other",
                  latitude="91", longitude="0")
    with pytest.raises(ServiceError, match="hors du globe"):
        site_save(actor=manager, organisation=margny, name="Nulle part", kind="other",
                  latitude="nan", longitude="inf")


@pytest.fixture
def helpdesk_ticket(territory, margny, make_user, manager):
    membership_grant(actor=None, user=manager, organisation=territory["arc"],
                     role="helpdesk.technician")
    requester = make_user("demandeur@margny.exemple.fr", roles=[(margny, "helpdesk.requester")])
    return ticket_open(actor=requester, organisation=margny, title="Le poste de l'accueil "
                       "ne démarre plus", description="Écran noir.", category="hardware")


def test_a_ticket_is_linked_by_its_number_and_kept_by_its_key(manager, make_asset,
                                                              helpdesk_ticket):
    asset = make_asset()
    link = asset_ticket_link(actor=manager, asset=asset, number=helpdesk_ticket.number)
    assert link.helpdesk_ticket_id == helpdesk_ticket.pk
    asset_ticket_link(actor=manager, asset=asset, number=helpdesk_ticket.number)
    assert AssetTicket.objects.count() == 1
    [line] = selectors.tickets_of_asset(actor=manager, asset=asset)
    assert (line.number, line.url) == (helpdesk_ticket.number,
                                       f"/assistance/tickets/{helpdesk_ticket.pk}/")
    panel = assets_on_ticket(actor=manager, ref=f"helpdesk.ticket:{helpdesk_ticket.pk}")
    assert panel is not None and asset.inventory_number in panel.links[0].text
    # The ticket's page shows it to whoever may see both.
    page = signed_in(manager).get(f"/assistance/tickets/{helpdesk_ticket.pk}/").content.decode()
    assert "Matériels concernés" in page and asset.inventory_number in page


def test_a_ticket_of_another_commune_or_unseen_is_neither_linked_nor_shown(
        manager, viewer, make_asset, helpdesk_ticket, venette, venette_site):
    foreign = make_asset(organisation=venette, site=venette_site)
    with pytest.raises(ServiceError, match="Aucun ticket"):
        asset_ticket_link(actor=manager, asset=foreign, number=helpdesk_ticket.number)
    with pytest.raises(ServiceError, match="Aucun ticket"):
        asset_ticket_link(actor=manager, asset=foreign, number="2026-99999")
    ours = make_asset()
    asset_ticket_link(actor=manager, asset=ours, number=helpdesk_ticket.number)
    # The Margny viewer has no helpdesk role: the asset's page shows no ticket to them.
    assert selectors.tickets_of_asset(actor=viewer, asset=ours) == []
    assert assets_on_ticket(actor=viewer, ref="portal.case:1") is None
