"""The mobility module's dashboard indicators: bike rentals, on-demand trips, no-shows, alerts."""

from __future__ import annotations

from datetime import date

from socle.core.access import Actor
from socle.core.indicators import indicator_queryset, indicator_sum
from socle.core.models import Organisation

from .models import AlertStatus, AlertSubscription, BookingStatus, OnDemandBooking, Rental, RentalStatus
from .selectors import VIEW

TRAVELLED = (BookingStatus.BOOKED, BookingStatus.DONE, BookingStatus.NO_SHOW)


def bike_rentals(*, actor: Actor, start: date, end: date, organisation: Organisation | None = None) -> int:
    """Count the VéloTIC rentals started over [start, end)."""
    return indicator_queryset(Rental.objects.filter(status__in=[RentalStatus.OPEN, RentalStatus.CLOSED]),
                              actor=actor, permission=VIEW, date_field="started_at", start=start, end=end,
                              organisation=organisation).count()


def ondemand_seats(*, actor: Actor, start: date, end: date, organisation: Organisation | None = None) -> int:
    """Count the AlloTIC seats booked (not cancelled) for runs of [start, end)."""
    rows = indicator_queryset(OnDemandBooking.objects.filter(status__in=TRAVELLED), actor=actor,
                              permission=VIEW, date_field="run__day", start=start, end=end,
                              organisation=organisation, dates_are_days=True)
    return indicator_sum(rows, "seats")


def ondemand_no_shows(*, actor: Actor, start: date, end: date,
                      organisation: Organisation | None = None) -> int:
    """Count the AlloTIC bookings of [start, end) whose traveller was not at the stop."""
    return indicator_queryset(OnDemandBooking.objects.filter(status=BookingStatus.NO_SHOW), actor=actor,
                              permission=VIEW, date_field="run__day", start=start, end=end,
                              organisation=organisation, dates_are_days=True).count()


def alert_subscriptions(*, actor: Actor, start: date, end: date,
                        organisation: Organisation | None = None) -> int:
    """Count the alert subscriptions confirmed over [start, end) and still running."""
    return indicator_queryset(AlertSubscription.objects.filter(status=AlertStatus.ACTIVE), actor=actor,
                              permission=VIEW, date_field="confirmed_at", start=start, end=end,
                              organisation=organisation).count()
