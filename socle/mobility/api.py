"""The mobility API: validating a GTFS feed, the published network's lines, stops and departures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from socle.core.api_schemas import ErrorOut
from socle.core.client_address import client_ip
from socle.core.pagination import (
    NEXT_DESCRIPTION,
    PageIn,
    cursor_decode,
    cursor_encode,
    page_by_position,
    page_of_list,
    position_of,
)
from socle.core.request_actor import request_actor
from socle.core.upload_handlers import UploadRefused, upload_refused_response

from . import alerts, selectors, services, velotic
from .api_ondemand import register as ondemand_register

router = Router(tags=["mobilité"])
ondemand_register(router)

_FEED_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "Flux GTFS (zip de fichiers .txt)."}},
    }}},
}


class NoticeOut(Schema):
    code: str
    severity: str
    count: int
    message: str
    samples: list[dict[str, Any]]


class GtfsReportOut(Schema):
    valid: bool
    error_count: int
    warning_count: int
    info_count: int
    service_start: str | None
    service_end: str | None
    notices: list[NoticeOut]


class RouteOut(Schema):
    route_id: str
    short_name: str
    long_name: str
    route_type: int


class StopOut(Schema):
    stop_id: str
    name: str
    lat: float | None
    lon: float | None


class RoutePageOut(Schema):
    items: list[RouteOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class StopPageOut(Schema):
    items: list[StopOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class DepartureOut(Schema):
    at: str
    route_id: str
    route_short_name: str
    headsign: str
    realtime: bool


@router.post("/mobility/gtfs/validations", summary="Contrôler un flux GTFS",
             response={200: GtfsReportOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut},
             openapi_extra={"requestBody": _FEED_BODY})
def gtfs_validate(request: HttpRequest) -> Any:
    """Validate a GTFS feed with MobilityData's notice codes; nothing is stored."""
    try:
        files = request.FILES.getlist("file")
    except UploadRefused as refusal:
        return upload_refused_response(request, refusal)
    if len(files) != 1:
        return Status(400, ErrorOut(code="missing_file",
                                    message="Envoyez un flux GTFS, et un seul, dans le champ « file »."))
    checked = services.gtfs_check(source=files[0])
    if checked.report.get("unreadable"):
        return Status(400, ErrorOut(code=str(checked.report["notices"][0]["code"]),
                                    message=str(checked.report["message"])))
    return checked.report


def _keyset_page(rows: Any, key: str, page: PageIn) -> tuple[list[Any], str | None]:
    """One page of rows ordered by a unique text key, seeking after the cursor's key."""
    if page.cursor:
        (after,) = cursor_decode(page.cursor, str)
        rows = rows.filter(**{f"{key}__gt": after})
    found = list(rows.order_by(key)[: page.limit + 1])
    items = found[: page.limit]
    more = len(found) > page.limit
    return items, cursor_encode(getattr(items[-1], key)) if more else None


@router.get("/mobility/routes", response={200: RoutePageOut, 400: ErrorOut, 404: ErrorOut},
            auth=None, summary="Lignes du réseau publié")
def routes(request: HttpRequest, page: Query[PageIn]) -> Any:
    """List the lines of the published timetables, by line identifier."""
    items, next_cursor = _keyset_page(selectors.routes_public(), "route_id", page)
    return {"items": items, "next": next_cursor}


@router.get("/mobility/stops", response={200: StopPageOut, 400: ErrorOut, 404: ErrorOut},
            auth=None, summary="Arrêts du réseau publié")
def stops(request: HttpRequest, page: Query[PageIn], q: str = "") -> Any:
    """List the stops of the published timetables, by stop identifier (`q` filters by name)."""
    items, next_cursor = _keyset_page(selectors.stops_public(query=q[:100]), "stop_id", page)
    return {"items": items, "next": next_cursor}


class DeparturePageOut(Schema):
    items: list[DepartureOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


@router.get("/mobility/stops/{stop_id}/departures",
            response={200: DeparturePageOut, 400: ErrorOut, 404: ErrorOut},
            auth=None, summary="Prochains départs d'un arrêt")
def departures(request: HttpRequest, stop_id: str, page: Query[PageIn]) -> Any:
    """The next departures from a stop, by expected time (timetable plus known delay), paged
    like every list: the cursor holds the last departure's time and trip, the next page starts
    after it (two departures at the same minute are told apart by their trip)."""
    stop = selectors.stop_public_get(stop_id=stop_id[:100])
    now = timezone.localtime()
    after: tuple[datetime, str] | None = None
    if page.cursor:
        at, trip = cursor_decode(page.cursor, datetime, str)
        after = (at, trip)
        now = max(now, at)
    # Enough to skip what the previous page already gave at the cursor's very minute.
    upcoming = selectors.departures_next(stop=stop, now=now, limit=2 * page.limit + 1)
    if after is not None:
        upcoming = [d for d in upcoming if (d.at, d.trip_id) > after]
    items = upcoming[: page.limit]
    more = len(upcoming) > page.limit
    return {"items": [{"at": d.at.isoformat(), "route_id": d.route.route_id,
                       "route_short_name": d.route.short_name, "headsign": d.headsign,
                       "realtime": d.realtime} for d in items],
            "next": cursor_encode(items[-1].at, items[-1].trip_id) if more else None}


class StationNowOut(Schema):
    station_id: str
    name: str
    lat: float
    lon: float
    capacity: int
    classic_available: int
    electric_available: int
    docks_free: int


class StationPageOut(Schema):
    items: list[StationNowOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class RentalIn(Schema):
    station: str = Field(max_length=100, description="Identifiant de la station (station_id).")
    bike: str = Field(max_length=40, description="Numéro du vélo.")


class RentalOut(Schema):
    id: int
    bike: str
    start_station: str
    end_station: str | None
    status: str
    unlock_code: str
    started_at: str | None
    ended_at: str | None


class RentalPageOut(Schema):
    items: list[RentalOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


def _rental_out(rental: Any) -> dict[str, Any]:
    return {"id": rental.pk, "bike": rental.bike.number, "start_station": rental.start_station.station_id,
            "end_station": rental.end_station.station_id if rental.end_station else None,
            "status": rental.status, "unlock_code": rental.unlock_code,
            "started_at": rental.started_at.isoformat() if rental.started_at else None,
            "ended_at": rental.ended_at.isoformat() if rental.ended_at else None}


@router.get("/mobility/bike-stations", response={200: StationPageOut, 400: ErrorOut}, auth=None,
            summary="Stations VéloTIC et vélos disponibles")
def bike_stations(request: HttpRequest, page: Query[PageIn]) -> Any:
    """List the VéloTIC stations with the bikes available now (GBFS says the same)."""
    rows = [{"station_id": n.station.station_id, "name": n.station.name, "lat": n.station.lat,
             "lon": n.station.lon, "capacity": n.station.capacity, "classic_available": n.classic,
             "electric_available": n.electric, "docks_free": n.docks_free}
            for n in selectors.stations_public()]
    return page_of_list(rows, page)


@router.post("/mobility/rentals", response={201: RentalOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                            404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
             summary="Louer un vélo (déverrouille son cadenas)")
def rental_start(request: HttpRequest, body: RentalIn) -> Any:
    """Rent a bike at a station with the caller's running subscription; its lock is unlocked."""
    station = selectors.station_public_get(station_id=body.station)
    bike = selectors.bike_available_get(station=station, number=body.bike)
    rental = velotic.rental_start(actor=request_actor(request), bike=bike, station=station)
    return Status(201, _rental_out(rental))


@router.get("/mobility/rentals", response={200: RentalPageOut, 400: ErrorOut, 401: ErrorOut},
            summary="Mes locations de vélo")
def rentals_mine(request: HttpRequest, page: Query[PageIn]) -> Any:
    """List the caller's own rentals, newest first."""
    start = position_of(page)
    rows = list(selectors.rentals_of(actor=request_actor(request))[start: start + page.limit + 1])
    items, next_cursor = page_by_position(rows, page, start)
    return {"items": [_rental_out(r) for r in items], "next": next_cursor}


@router.post("/mobility/rentals/{rental_id}/end", response={200: RentalOut, 401: ErrorOut, 404: ErrorOut,
                                                            409: ErrorOut, 503: ErrorOut},
             summary="Terminer une location (le vélo est verrouillé à une station)")
def rental_end(request: HttpRequest, rental_id: int) -> Any:
    """Close the caller's rental once the bike's lock reports it docked at a station."""
    actor = request_actor(request)
    rental = selectors.rental_get_of(actor=actor, pk=rental_id)
    return _rental_out(velotic.rental_end(actor=actor, rental=rental))


class AlertSubscriptionIn(Schema):
    email: str = Field(max_length=254)
    profile: str = Field("any", description="« any » (tout public), « student » ou « worker ».")
    route_ids: list[str] = Field(default_factory=list, max_length=alerts.MAX_CHOICES)
    stop_ids: list[str] = Field(default_factory=list, max_length=alerts.MAX_CHOICES)


class AlertSubscriptionAcceptedOut(Schema):
    status: str = Field(description="Toujours « pending » : l'abonnement attend sa confirmation.")
    message: str


@router.post("/mobility/alert-subscriptions", auth=None,
             response={202: AlertSubscriptionAcceptedOut, 400: ErrorOut, 429: ErrorOut},
             summary="Demander les alertes du réseau par courriel (double confirmation)")
def alert_subscription_create(request: HttpRequest, body: AlertSubscriptionIn) -> Any:
    """Ask for disruption alerts by email; a confirmation link is mailed, nothing is sent before.

    The answer is the same whether or not the address already has subscriptions.
    """
    alerts.alert_subscribe(email=body.email, profile=body.profile,
                           route_ids=[r[:100] for r in body.route_ids],
                           stop_ids=[s[:100] for s in body.stop_ids], client=client_ip(request))
    return Status(202, {"status": "pending",
                        "message": "Un courriel de confirmation a été envoyé à cette adresse "
                                   "si elle est valide."})
