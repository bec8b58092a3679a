"""The inventory's API: assets, licences and wifi hotspots; list, read, and create for the
DCSI's managers.

An object of a commune the caller may not see is a 404, never a 403. Lists follow the
API's one pagination (decision 0012): ``limit``, ``cursor``, ``{"items", "next"}``.
Errors keep the API's one shape ``{"code", "message"}``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core.access import granted_paths
from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.errors import ServiceError
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor

from . import selectors, services
from .models import Asset, AssetKind, AssetStatus, Hotspot, HotspotStatus, Licence

router = Router(tags=["Inventaire et licences"])

KIND_HELP = "Type : " + ", ".join(f"{k.value} ({k.label})" for k in AssetKind) + "."
STATUS_HELP = "Statut : " + ", ".join(f"{s.value} ({s.label})" for s in AssetStatus) + "."
HOTSPOT_HELP = "Statut : " + ", ".join(f"{s.value} ({s.label})" for s in HotspotStatus) + "."


class InventoryAssetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = SchemaField(max_length=80, description="Commune (slug).")
    inventory_number: Text = SchemaField(max_length=40)
    kind: Text = SchemaField(max_length=20, description=KIND_HELP)
    name: Text = SchemaField(max_length=160)
    status: Text = SchemaField("in_service", max_length=20, description=STATUS_HELP)
    site: int | None = SchemaField(None, ge=1, lt=2**63, description="Site de la commune.")
    manufacturer: Text = SchemaField("", max_length=120)
    model: Text = SchemaField("", max_length=120)
    serial_number: Text = SchemaField("", max_length=120)
    purchased_on: date | None = None
    warranty_end: date | None = None
    contract: Text = SchemaField("", max_length=200)
    cost: Decimal | None = SchemaField(None, ge=0, lt=100000000, decimal_places=2)
    assigned_to: Text = SchemaField("", max_length=160)


class InventoryAssetOut(Schema):
    id: int
    organisation: str
    site: str | None
    inventory_number: str
    kind: str
    name: str
    status: str
    manufacturer: str
    model: str
    serial_number: str
    purchased_on: date | None
    warranty_end: date | None
    contract: str
    cost: Decimal | None
    assigned_to: str
    updated_at: datetime


class InventoryAssetPageOut(Schema):
    items: list[InventoryAssetOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class InventoryAssetFiltersIn(PageIn):
    organisation: Text = SchemaField("", max_length=80)
    kind: Text = SchemaField("", max_length=20)
    status: Text = SchemaField("", max_length=20)


class InventoryLicenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = SchemaField(max_length=80, description="Titulaire (slug).")
    name: Text = SchemaField(max_length=200)
    seats: int = SchemaField(ge=1, le=100000)
    titles: list[int] = SchemaField(min_length=1, max_length=50,
                                    description="Identifiants des logiciels couverts.")
    reference: Text = SchemaField("", max_length=120)
    starts_on: date | None = None
    expires_on: date | None = None
    cost: Decimal | None = SchemaField(None, ge=0, lt=100000000, decimal_places=2)


class InventoryLicenceOut(Schema):
    id: int
    organisation: str
    name: str
    reference: str
    seats: int
    used: int
    titles: list[str]
    starts_on: date | None
    expires_on: date | None


class InventoryLicencePageOut(Schema):
    items: list[InventoryLicenceOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class InventoryLicenceFiltersIn(PageIn):
    expiring: bool = SchemaField(False, description="Seulement celles qui arrivent à échéance "
                                                    "dans les 60 jours.")


class InventoryHotspotIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = SchemaField(max_length=80, description="Commune (slug).")
    name: Text = SchemaField(max_length=160)
    status: Text = SchemaField("planned", max_length=20, description=HOTSPOT_HELP)
    latitude: float = SchemaField(ge=-90, le=90)
    longitude: float = SchemaField(ge=-180, le=180)
    site: int | None = SchemaField(None, ge=1, lt=2**63)
    installed_on: date | None = None


class InventoryHotspotOut(Schema):
    id: int
    organisation: str
    site: str | None
    name: str
    status: str
    latitude: float
    longitude: float
    installed_on: date | None


class InventoryHotspotPageOut(Schema):
    items: list[InventoryHotspotOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


def _forbidden(what: str) -> Status:
    return Status(403, ErrorOut(code="forbidden", message=f"Votre rôle ne permet pas {what}."))


def _not_found() -> Status:
    return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))


def _page(rows: QuerySet[Any], page: PageIn) -> tuple[list[Any], str | None]:
    if page.cursor:
        [after] = cursor_decode(page.cursor, int)
        rows = rows.filter(pk__gt=after)
    shown = list(rows.order_by("pk")[: page.limit + 1])
    if len(shown) > page.limit:
        shown = shown[: page.limit]
        return shown, cursor_encode(shown[-1].pk)
    return shown, None


def _asset_out(asset: Asset) -> dict[str, Any]:
    return {"id": asset.pk, "organisation": asset.organisation.slug,
            "site": asset.site.name if asset.site else None,
            **{name: getattr(asset, name) for name in (
                "inventory_number", "kind", "name", "status", "manufacturer", "model",
                "serial_number", "purchased_on", "warranty_end", "contract", "cost",
                "assigned_to", "updated_at")}}


def _licence_out(licence: Licence) -> dict[str, Any]:
    return {"id": licence.pk, "organisation": licence.organisation.slug, "name": licence.name,
            "reference": licence.reference, "seats": licence.seats,
            "used": getattr(licence, "used", 0),
            "titles": sorted(t.name for t in licence.titles.all()),
            "starts_on": licence.starts_on, "expires_on": licence.expires_on}


def _hotspot_out(hotspot: Hotspot) -> dict[str, Any]:
    return {"id": hotspot.pk, "organisation": hotspot.organisation.slug,
            "site": hotspot.site.name if hotspot.site else None, "name": hotspot.name,
            "status": hotspot.status, "latitude": hotspot.latitude,
            "longitude": hotspot.longitude, "installed_on": hotspot.installed_on}


def _site(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    return selectors.site_get_for(actor=request_actor(request), pk=pk,
                                  permission=selectors.MANAGE)


ERRORS = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut}


@router.get("/inventory/assets", response={200: InventoryAssetPageOut, **ERRORS},
            summary="Lister les matériels")
def asset_list(request: HttpRequest, filters: Query[InventoryAssetFiltersIn]) -> Any:
    """The assets you may see (your commune's; every commune for the DCSI), oldest first."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("de consulter l'inventaire")
    rows, next_cursor = _page(selectors.assets_for(actor=user, filters=selectors.AssetFilters(
        organisation=filters.organisation, kind=filters.kind, status=filters.status)), filters)
    return {"items": [_asset_out(a) for a in rows], "next": next_cursor}


@router.get("/inventory/assets/{asset_id}",
            response={200: InventoryAssetOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Consulter un matériel")
def asset_detail(request: HttpRequest, asset_id: int) -> Any:
    """One asset; 404 when it belongs to a commune you may not see."""
    if not 0 < asset_id < 2**63:
        return _not_found()
    return _asset_out(selectors.asset_get_for(actor=request_actor(request), pk=asset_id))


@router.post("/inventory/assets",
             response={201: InventoryAssetOut, **ERRORS, 404: ErrorOut, 409: ErrorOut},
             summary="Ajouter un matériel")
def asset_create(request: HttpRequest, payload: InventoryAssetIn) -> Any:
    """Add an asset to a commune's inventory (DCSI managers). 409 `duplicate` for a known
    inventory number; 404 for a commune or site you do not manage."""
    user = request_actor(request)
    if not granted_paths(user, selectors.MANAGE):
        return _forbidden("de modifier l'inventaire")
    organisation = selectors.organisation_managed_get(actor=user, slug=payload.organisation)
    values = payload.dict(exclude={"organisation", "site"})
    asset = services.asset_create(actor=user, organisation=organisation, values=values,
                                  site=_site(request, payload.site), source="api")
    return Status(201, _asset_out(asset))


@router.get("/inventory/licences", response={200: InventoryLicencePageOut, **ERRORS},
            summary="Lister les licences")
def licence_list(request: HttpRequest, filters: Query[InventoryLicenceFiltersIn]) -> Any:
    """The licences you may see, with their seats used and the titles they cover."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("de consulter les licences")
    rows, next_cursor = _page(selectors.licences_for(actor=user, expiring=filters.expiring),
                              filters)
    return {"items": [_licence_out(licence) for licence in rows], "next": next_cursor}


@router.get("/inventory/licences/{licence_id}",
            response={200: InventoryLicenceOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Consulter une licence")
def licence_detail(request: HttpRequest, licence_id: int) -> Any:
    """One licence; 404 when it belongs to an organisation you may not see."""
    if not 0 < licence_id < 2**63:
        return _not_found()
    return _licence_out(selectors.licence_get_for(actor=request_actor(request), pk=licence_id))


@router.post("/inventory/licences",
             response={201: InventoryLicenceOut, **ERRORS, 404: ErrorOut, 409: ErrorOut},
             summary="Enregistrer une licence")
def licence_create(request: HttpRequest, payload: InventoryLicenceIn) -> Any:
    """Record a licence covering one or several titles of the catalogue (DCSI managers)."""
    user = request_actor(request)
    if not granted_paths(user, selectors.MANAGE):
        return _forbidden("d'enregistrer une licence")
    organisation = selectors.organisation_managed_get(actor=user, slug=payload.organisation)
    titles = list(selectors.software_for(actor=user).filter(pk__in=payload.titles))
    if len(titles) != len(set(payload.titles)):
        raise ServiceError("Logiciel inconnu dans « titles ».", code="invalid",
                           errors={"titles": "Inconnu."})
    licence = services.licence_save(
        actor=user, organisation=organisation, name=payload.name, seats=payload.seats,
        titles=titles, expires_on=payload.expires_on, starts_on=payload.starts_on,
        reference=payload.reference, cost=payload.cost)
    return Status(201, _licence_out(selectors.licence_get_for(actor=user, pk=licence.pk)))


@router.get("/inventory/hotspots", response={200: InventoryHotspotPageOut, **ERRORS},
            summary="Lister les bornes wifi")
def hotspot_list(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The wifi hotspots you may see (the public list is the open dataset `/wifi/bornes.json`)."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("de consulter les bornes")
    rows, next_cursor = _page(selectors.hotspots_for(actor=user), page)
    return {"items": [_hotspot_out(h) for h in rows], "next": next_cursor}


@router.get("/inventory/hotspots/{hotspot_id}",
            response={200: InventoryHotspotOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Consulter une borne wifi")
def hotspot_detail(request: HttpRequest, hotspot_id: int) -> Any:
    """One hotspot; 404 when it belongs to a commune you may not see."""
    if not 0 < hotspot_id < 2**63:
        return _not_found()
    return _hotspot_out(selectors.hotspot_get_for(actor=request_actor(request), pk=hotspot_id))


@router.post("/inventory/hotspots",
             response={201: InventoryHotspotOut, **ERRORS, 404: ErrorOut},
             summary="Enregistrer une borne wifi")
def hotspot_create(request: HttpRequest, payload: InventoryHotspotIn) -> Any:
    """Record a wifi hotspot with its position and status (DCSI managers)."""
    user = request_actor(request)
    if not granted_paths(user, selectors.MANAGE):
        return _forbidden("d'enregistrer une borne")
    organisation = selectors.organisation_managed_get(actor=user, slug=payload.organisation)
    hotspot = services.hotspot_save(
        actor=user, organisation=organisation, name=payload.name, status=payload.status,
        latitude=payload.latitude, longitude=payload.longitude,
        site=_site(request, payload.site), installed_on=payload.installed_on)
    return Status(201, _hotspot_out(hotspot))
