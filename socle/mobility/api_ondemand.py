"""AlloTIC in the API: the coming runs, and a traveller's own bookings (book, list, cancel)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from socle.core.api_schemas import ErrorOut
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, page_by_position, page_of_list, position_of
from socle.core.request_actor import request_actor

from . import ondemand, selectors


class OnDemandStopOut(Schema):
    stop_id: str
    name: str


class OnDemandRunOut(Schema):
    id: int
    zone: str
    zone_name: str
    day: str
    window_start: str
    window_end: str
    seats_free: int
    stops: list[OnDemandStopOut]


class OnDemandRunPageOut(Schema):
    items: list[OnDemandRunOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class BookingIn(Schema):
    run: int = Field(description="Identifiant de la course (voir /mobility/ondemand-runs).")
    pickup_stop_id: str = Field(max_length=100)
    dropoff_stop_id: str = Field(max_length=100)
    seats: int = Field(1, ge=1, le=ondemand.SEATS_MAX)


class BookingOut(Schema):
    reference: str
    run: int
    day: str
    window_start: str
    window_end: str
    pickup_stop_id: str
    dropoff_stop_id: str
    seats: int
    status: str
    penalty_amount: str | None = Field(description="Pénalité due (euros), ou null.")


class BookingPageOut(Schema):
    items: list[BookingOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


def _booking_out(booking: Any) -> dict[str, Any]:
    return {"reference": booking.reference, "run": booking.run_id, "day": booking.run.day.isoformat(),
            "window_start": booking.run.window_start.isoformat("minutes"),
            "window_end": booking.run.window_end.isoformat("minutes"),
            "pickup_stop_id": booking.pickup_stop_id, "dropoff_stop_id": booking.dropoff_stop_id,
            "seats": booking.seats, "status": booking.status,
            "penalty_amount": str(booking.penalty_amount) if booking.penalty_reason else None}


def register(router: Router) -> None:
    """Add the AlloTIC operations to the module's router (one router: unique schema names checked)."""

    @router.get("/mobility/ondemand-runs", response={200: OnDemandRunPageOut, 400: ErrorOut}, auth=None,
                summary="Créneaux AlloTIC des quatorze prochains jours")
    def ondemand_runs(request: HttpRequest, page: Query[PageIn]) -> Any:
        """List the coming on-demand runs with their free seats and the stops of their zone."""
        runs = list(selectors.ondemand_runs_open(now=timezone.now())[:500])
        names = selectors.stop_names(stop_ids=sorted({s for run in runs for s in run.zone.stop_ids}))
        rows = [{"id": r.pk, "zone": r.zone.zone_id, "zone_name": r.zone.name, "day": r.day.isoformat(),
                 "window_start": r.window_start.isoformat("minutes"),
                 "window_end": r.window_end.isoformat("minutes"),
                 "seats_free": r.capacity - r.seats_booked,
                 "stops": [{"stop_id": s, "name": names.get(s, s)} for s in r.zone.stop_ids]} for r in runs]
        return page_of_list(rows, page)


    @router.post("/mobility/bookings", response={201: BookingOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut,
                                                 409: ErrorOut},
                 summary="Réserver un trajet AlloTIC")
    def booking_create(request: HttpRequest, body: BookingIn) -> Any:
        """Book seats on a run, from a stop of its zone to another; a full run is a 409."""
        run = selectors.ondemand_run_open_get(pk=body.run, now=timezone.now())
        booking = ondemand.booking_create(actor=request_actor(request), run=run,
                                          pickup_stop_id=body.pickup_stop_id,
                                          dropoff_stop_id=body.dropoff_stop_id, seats=body.seats)
        return Status(201, _booking_out(booking))


    @router.get("/mobility/bookings", response={200: BookingPageOut, 400: ErrorOut, 401: ErrorOut},
                summary="Mes réservations AlloTIC")
    def bookings_mine(request: HttpRequest, page: Query[PageIn]) -> Any:
        """List the caller's own bookings, newest first."""
        start = position_of(page)
        rows = list(selectors.bookings_of(actor=request_actor(request))[start: start + page.limit + 1])
        items, next_cursor = page_by_position(rows, page, start)
        return {"items": [_booking_out(b) for b in items], "next": next_cursor}


    @router.post("/mobility/bookings/{reference}/cancel", response={200: BookingOut, 401: ErrorOut,
                                                                    404: ErrorOut,
                                                                     409: ErrorOut},
                 summary="Annuler une réservation AlloTIC (pénalité moins de deux heures avant)")
    def booking_cancel(request: HttpRequest, reference: str) -> Any:
        """Cancel the caller's booking; less than two hours before its window, a penalty becomes due."""
        actor = request_actor(request)
        booking = selectors.booking_of_get(actor=actor, reference=reference[:20])
        return _booking_out(ondemand.booking_cancel(actor=actor, booking=booking))
