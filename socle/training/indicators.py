"""The training service's dashboard indicators: hours attended and attendance rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from socle.core.access import Actor
from socle.core.indicators import indicator_queryset
from socle.core.models import Organisation

from .models import Registration, RegistrationStatus
from .selectors import REPORT


def _confirmed(actor: Actor, start: date, end: date,
               organisation: Organisation | None) -> QuerySet[Registration]:
    return indicator_queryset(
        Registration.objects.filter(status=RegistrationStatus.CONFIRMED,
                                    session__cancelled_at__isnull=True),
        actor=actor, permission=REPORT, date_field="session__start", start=start, end=end,
        organisation=organisation)


def training_hours(*, actor: Actor, start: date, end: date,
                   organisation: Organisation | None = None) -> float:
    """Sum the hours of training attended in sessions over [start, end), by the agents' commune."""
    total = _confirmed(actor, start, end, organisation).filter(attended=True).aggregate(
        total=Sum("session__course__duration_hours"))["total"]
    return float(Decimal(total or 0))


def attendance_rate(*, actor: Actor, start: date, end: date,
                    organisation: Organisation | None = None) -> float:
    """Return the share (%) of confirmed places taken by someone present, attendance taken."""
    taken = _confirmed(actor, start, end, organisation).filter(attended__isnull=False)
    counted = taken.count()
    return round(100 * taken.filter(attended=True).count() / counted, 1) if counted else 0.0
