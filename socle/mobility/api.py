"""The mobility API: validating a GTFS feed, the published network's lines, stops and departures."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from socle.core.api_schemas import ErrorOut
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.upload_handlers import UploadRefused, upload_refused_response

from . import selectors, services

router = Router(tags=["mobilité"])

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
        return Status(400, ErrorOut(code=str(checked.report["notices"][0]["code"]),  # type: ignore[index]
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


@router.get("/mobility/stops/{stop_id}/departures", response={200: list[DepartureOut], 404: ErrorOut},
            auth=None, summary="Prochains départs d'un arrêt")
def departures(request: HttpRequest, stop_id: str) -> Any:
    """The next theoretical departures from a stop."""
    stop = selectors.stop_public_get(stop_id=stop_id[:100])
    upcoming = selectors.departures_next(stop=stop, now=timezone.localtime(), limit=20)
    return [{"at": d.at.isoformat(), "route_id": d.route.route_id,
             "route_short_name": d.route.short_name, "headsign": d.headsign,
             "realtime": d.realtime} for d in upcoming]
