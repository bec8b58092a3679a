"""Writes on sites, assets and their lifecycle, ticket links, telework loans and hotspots."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .. import selectors
from ..models import (
    TRANSITIONS,
    Asset,
    AssetEvent,
    AssetKind,
    AssetStatus,
    AssetTicket,
    Hotspot,
    HotspotStatus,
    Loan,
    Site,
    SiteKind,
)
from .common import MANAGE, choice, day, money, position, require, text

ASSET_FIELDS = ("inventory_number", "kind", "name", "status", "manufacturer", "model",
                "serial_number", "purchased_on", "warranty_end", "contract", "cost",
                "assigned_to", "operating_system")


def site_save(*, actor: User | None, organisation: Organisation, name: str, kind: str,
              address: str = "", latitude: Any = None, longitude: Any = None,
              site: Site | None = None) -> Site:
    """Create or change a site of an organisation (a mairie, a school...)."""
    require(actor, MANAGE, organisation)
    name = text(name, "Le nom du site", 160, required=True, field="name")
    kind = choice(kind, "Type de site", SiteKind.choices, "kind")
    address = text(address, "L'adresse", 300, field="address")
    lat, lon = position(latitude, longitude)
    with transaction.atomic():
        site = site or Site(organisation=organisation)
        if site.organisation_id != organisation.pk:
            raise ServiceError("Ce site appartient à une autre organisation.", code="invalid")
        site.name, site.kind, site.address, site.latitude, site.longitude = (
            name, kind, address, lat, lon)
        try:
            with transaction.atomic():
                site.save()
        except IntegrityError:
            raise Conflict(f"Un site « {name} » existe déjà pour {organisation.name}.",
                           code="duplicate", errors={"name": "Ce nom est déjà pris."}) from None
        audit_record(actor=actor, action="inventory.site_save", organisation=organisation,
                     target=site, data={"name": name, "kind": kind})
    return site


def asset_values(values: dict[str, Any]) -> dict[str, Any]:
    """Return an asset's fields checked and cleaned (French messages on bad values)."""
    clean: dict[str, Any] = {
        "inventory_number": text(values.get("inventory_number"), "Le numéro d'inventaire", 40,
                                 required=True, field="inventory_number"),
        "kind": choice(values.get("kind"), "Type de matériel", AssetKind.choices, "kind"),
        "name": text(values.get("name"), "Le nom", 160, required=True, field="name"),
        "status": choice(values.get("status") or AssetStatus.IN_SERVICE, "Statut",
                         AssetStatus.choices, "status"),
        "cost": money(values.get("cost")),
        "purchased_on": day(values.get("purchased_on"), "La date d'achat"),
        "warranty_end": day(values.get("warranty_end"), "La fin de garantie"),
    }
    for name, label, size in (("manufacturer", "Le fabricant", 120), ("model", "Le modèle", 120),
                              ("serial_number", "Le numéro de série", 120),
                              ("contract", "Le contrat", 200),
                              ("assigned_to", "La personne affectée", 160),
                              ("operating_system", "Le système", 160)):
        clean[name] = text(values.get(name), label, size, field=name)
    if (clean["purchased_on"] and clean["warranty_end"]
            and clean["warranty_end"] < clean["purchased_on"]):
        raise ServiceError("La fin de garantie précède la date d'achat.", code="invalid",
                           errors={"warranty_end": "Date antérieure à l'achat."})
    return clean


def _site_of(organisation: Organisation, site: Site | None) -> Site | None:
    if site is not None and site.organisation_id != organisation.pk:
        raise ServiceError("Ce site n'est pas un site de la commune du matériel.",
                           code="invalid_site", errors={"site": "Site d'une autre commune."})
    return site


def asset_create(*, actor: User | None, organisation: Organisation, values: dict[str, Any],
                 site: Site | None = None, source: str = "manual") -> Asset:
    """Add an asset to an organisation's inventory, its first lifecycle step journaled."""
    require(actor, MANAGE, organisation)
    clean = asset_values(values)
    site = _site_of(organisation, site)
    with transaction.atomic():
        asset = Asset(organisation=organisation, site=site, source=source, **clean)
        try:
            with transaction.atomic():
                asset.save()
        except IntegrityError:
            raise Conflict(f"Le numéro d'inventaire « {clean['inventory_number']} » existe déjà "
                           f"pour {organisation.name}.", code="duplicate",
                           errors={"inventory_number": "Numéro déjà pris."}) from None
        AssetEvent.objects.create(asset=asset, actor=actor, to_status=asset.status,
                                  comment="Entrée dans l'inventaire")
        audit_record(actor=actor, action="inventory.asset_create", organisation=organisation,
                     target=asset, data={"number": asset.inventory_number, "kind": asset.kind,
                                         "source": source})
    return asset


def asset_update(*, actor: User | None, asset: Asset, values: dict[str, Any],
                 site: Site | None = None) -> Asset:
    """Change an asset's description (not its status: that is ``asset_transition``)."""
    require(actor, MANAGE, asset.organisation)
    clean = asset_values({**values, "status": asset.status})
    clean.pop("status")
    site = _site_of(asset.organisation, site)
    with transaction.atomic():
        changed = sorted(k for k, v in clean.items() if getattr(asset, k) != v)
        for name, value in clean.items():
            setattr(asset, name, value)
        asset.site, asset.updated_at = site, timezone.now()
        try:
            with transaction.atomic():
                asset.save()
        except IntegrityError:
            raise Conflict("Ce numéro d'inventaire existe déjà.", code="duplicate",
                           errors={"inventory_number": "Numéro déjà pris."}) from None
        audit_record(actor=actor, action="inventory.asset_update",
                     organisation=asset.organisation, target=asset, data={"changed": changed})
    return asset


def _transition(actor: User | None, asset: Asset, to: str, comment: str) -> None:
    if to not in TRANSITIONS.get(asset.status, ()):
        raise Conflict(f"Un matériel « {asset.get_status_display()} » ne peut pas passer à "
                       f"« {AssetStatus(to).label} ».", code="invalid_transition")
    AssetEvent.objects.create(asset=asset, actor=actor, from_status=asset.status, to_status=to,
                              comment=comment)
    audit_record(actor=actor, action="inventory.asset_status", organisation=asset.organisation,
                 target=asset, data={"from": asset.status, "to": to, "comment": comment})
    asset.status, asset.updated_at = to, timezone.now()
    asset.save(update_fields=["status", "updated_at"])


def asset_transition(*, actor: User | None, asset: Asset, to: str, comment: str = "") -> Asset:
    """Move an asset along its lifecycle (ordered, in service, lent, broken, disposed)."""
    require(actor, MANAGE, asset.organisation)
    to = choice(to, "Statut", AssetStatus.choices, "to")
    comment = text(comment, "Le commentaire", 500, field="comment")
    if to == AssetStatus.LENT:
        raise ServiceError("Un prêt s'enregistre depuis « Prêter ce matériel », avec son "
                           "emprunteur.", code="use_loan")
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if asset.status == AssetStatus.LENT and to == AssetStatus.IN_SERVICE:
            raise ServiceError("Ce matériel est prêté : enregistrez son retour.", code="use_loan")
        _transition(actor, asset, to, comment)
    return asset


def asset_ticket_link(*, actor: User | None, asset: Asset, number: str) -> AssetTicket:
    """Link a helpdesk ticket (by its number, read through helpdesk's selector) to an asset."""
    require(actor, MANAGE, asset.organisation)
    number = text(number, "Le numéro du ticket", 20, required=True, field="number")
    ticket = selectors.ticket_for_link(actor=actor, number=number)
    if ticket is None or ticket.organisation_id != asset.organisation_id:
        raise ServiceError(f"Aucun ticket « {number} » de {asset.organisation.name} ne vous "
                           "est visible.", code="unknown_ticket",
                           errors={"number": "Ticket introuvable pour cette commune."})
    with transaction.atomic():
        link, created = AssetTicket.objects.get_or_create(asset=asset,
                                                          helpdesk_ticket_id=ticket.pk)
        if created:
            audit_record(actor=actor, action="inventory.asset_ticket",
                         organisation=asset.organisation, target=asset,
                         data={"ticket": ticket.number})
    return link


# --------------------------------------------------------------------------- loans


def loan_start(*, actor: User | None, asset: Asset, borrower: User, started_on: date | None = None,
               due_on: Any = None) -> Loan:
    """Lend an asset in service to an agent of its organisation for telework."""
    require(actor, MANAGE, asset.organisation)
    if not selectors.agents_of(actor=actor, organisation=asset.organisation).filter(
            pk=borrower.pk).exists():
        raise ServiceError("L'emprunteur doit être un agent de la commune du matériel.",
                           code="invalid_borrower", errors={"borrower": "Agent inconnu ici."})
    started_on = started_on or timezone.localdate()
    due = day(due_on, "La date de retour prévue")
    if due is not None and due < started_on:
        raise ServiceError("Le retour prévu précède le début du prêt.", code="invalid",
                           errors={"due_on": "Date antérieure au prêt."})
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if asset.status != AssetStatus.IN_SERVICE:
            raise Conflict(f"Seul un matériel en service se prête (celui-ci est "
                           f"« {asset.get_status_display()} »).", code="not_available")
        _transition(actor, asset, AssetStatus.LENT, f"Prêté à {borrower.display_name}")
        loan = Loan.objects.create(organisation=asset.organisation, asset=asset,
                                   borrower=borrower, started_on=started_on, due_on=due)
        audit_record(actor=actor, action="inventory.loan_start", organisation=asset.organisation,
                     target=loan, data={"asset": asset.inventory_number,
                                        "borrower": borrower.pk})
    return loan


def loan_return(*, actor: User | None, loan: Loan, condition: str = "",
                returned_on: date | None = None) -> Loan:
    """Record the return of lent equipment, which goes back in service."""
    require(actor, MANAGE, loan.organisation)
    condition = text(condition, "L'état au retour", 300, field="condition")
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        if loan.returned_on is not None:
            raise Conflict("Ce prêt est déjà rendu.", code="already_returned")
        loan.returned_on = returned_on or timezone.localdate()
        loan.return_condition = condition
        loan.save(update_fields=["returned_on", "return_condition"])
        asset = Asset.objects.select_for_update().get(pk=loan.asset_id)
        if asset.status == AssetStatus.LENT:
            _transition(actor, asset, AssetStatus.IN_SERVICE,
                        f"Rendu{' : ' + condition if condition else ''}")
        audit_record(actor=actor, action="inventory.loan_return", organisation=loan.organisation,
                     target=loan, data={"asset": asset.inventory_number})
    return loan


# ------------------------------------------------------------------------- hotspots


def hotspot_save(*, actor: User | None, organisation: Organisation, name: str, status: str,
                 latitude: Any, longitude: Any, site: Site | None = None,
                 installed_on: Any = None, hotspot: Hotspot | None = None) -> Hotspot:
    """Create or change a public wifi hotspot (status, position, site)."""
    require(actor, MANAGE, organisation)
    name = text(name, "Le nom de la borne", 160, required=True, field="name")
    status = choice(status, "Statut de la borne", HotspotStatus.choices, "status")
    lat, lon = position(latitude, longitude, required=True)
    assert lat is not None and lon is not None
    site = _site_of(organisation, site)
    installed = day(installed_on, "La date d'installation")
    with transaction.atomic():
        hotspot = hotspot or Hotspot(organisation=organisation)
        if hotspot.organisation_id != organisation.pk:
            raise ServiceError("Cette borne appartient à une autre organisation.", code="invalid")
        hotspot.name, hotspot.status, hotspot.site = name, status, site
        hotspot.latitude, hotspot.longitude, hotspot.installed_on = lat, lon, installed
        hotspot.updated_at = timezone.now()
        hotspot.save()
        audit_record(actor=actor, action="inventory.hotspot_save", organisation=organisation,
                     target=hotspot, data={"name": name, "status": status})
    return hotspot


def hotspot_status(*, actor: User | None, hotspot: Hotspot, status: str) -> Hotspot:
    """Change a hotspot's status (planned, installed, in service, out of order)."""
    require(actor, MANAGE, hotspot.organisation)
    status = choice(status, "Statut de la borne", HotspotStatus.choices, "status")
    with transaction.atomic():
        before = hotspot.status
        hotspot.status, hotspot.updated_at = status, timezone.now()
        if status != HotspotStatus.PLANNED and hotspot.installed_on is None:
            hotspot.installed_on = timezone.localdate()
        hotspot.save(update_fields=["status", "updated_at", "installed_on"])
        audit_record(actor=actor, action="inventory.hotspot_save",
                     organisation=hotspot.organisation, target=hotspot,
                     data={"name": hotspot.name, "from": before, "status": status})
    return hotspot
