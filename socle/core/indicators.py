"""How a module computes an indicator: over what its viewer may see, never more."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TypeVar

from django.db import models
from django.db.models import Sum
from django.utils import timezone

from .access import Actor, scope
from .models import Organisation

M = TypeVar("M", bound=models.Model)


def _bound(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def indicator_queryset(
    queryset: models.QuerySet[M], *, actor: Actor, permission: str, date_field: str,
    start: date, end: date, organisation: Organisation | None = None,
    field: str = "organisation", dates_are_days: bool = False,
) -> models.QuerySet[M]:
    """Restrict rows to the actor's organisations, the period [start, end) and one subtree."""
    rows = scope(queryset, actor, permission, field=field)
    if dates_are_days:
        rows = rows.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
    else:
        rows = rows.filter(**{f"{date_field}__gte": _bound(start), f"{date_field}__lt": _bound(end)})
    if organisation is not None:
        rows = rows.filter(**{f"{field}__path__startswith": organisation.path})
    return rows


def indicator_sum(queryset: models.QuerySet[M], column: str) -> int:
    """Return the sum of a column over rows already restricted (0 when there are none)."""
    return int(queryset.aggregate(total=Sum(column))["total"] or 0)
