"""Figures the agendas module offers to dashboards, over what the viewer may see."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from socle.core.access import Actor
from socle.core.models import Organisation

from . import selectors


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def bookings_made(
    *, actor: Actor, start: date | datetime, end: date | datetime, organisation: Organisation | None = None
) -> int:
    """Confirmed bookings and registrations starting in [start, end)."""
    low = timezone.make_aware(datetime.combine(_day(start), time.min))
    high = timezone.make_aware(datetime.combine(_day(end), time.min))
    rows = selectors.bookings_visible(actor=actor).filter(status="booked", start__gte=low, start__lt=high)
    if organisation is not None:
        rows = rows.filter(organisation__path__startswith=organisation.path)
    return rows.count()


def mediation_participants(
    *, actor: Actor, start: date | datetime, end: date | datetime, organisation: Organisation | None = None
) -> int:
    """People helped by digital mediation over [start, end), from the activity records."""
    totals = selectors.activity_totals(
        actor=actor, start=_day(start), end=_day(end), organisation=organisation
    )
    return totals["participants"]
