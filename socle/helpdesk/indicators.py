"""The helpdesk's dashboard indicators: tickets per commune and category, SLA compliance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from socle.core.access import Actor
from socle.core.indicators import indicator_queryset
from socle.core.models import Organisation

from .models import Category, Ticket
from .selectors import REPORT, VIEW


def tickets_opened(*, actor: Actor, start: date, end: date,
                   organisation: Organisation | None = None) -> int:
    """Count the tickets opened over [start, end) that the actor may see."""
    return indicator_queryset(Ticket.objects.all(), actor=actor, permission=VIEW,
                              date_field="opened_at", start=start, end=end,
                              organisation=organisation).count()


def sla_compliance(*, actor: Actor, start: date, end: date,
                   organisation: Organisation | None = None) -> float:
    """Return the share (%) of tickets solved over [start, end) within their resolve deadline."""
    solved = indicator_queryset(Ticket.objects.filter(resolve_met__isnull=False), actor=actor,
                                permission=REPORT, date_field="solved_at", start=start, end=end,
                                organisation=organisation)
    judged = solved.count()
    return round(100 * solved.filter(resolve_met=True).count() / judged, 1) if judged else 0.0


def _per_category(category: str) -> Callable[..., int]:
    def count(*, actor: Actor, start: date, end: date,
              organisation: Organisation | None = None) -> int:
        return indicator_queryset(Ticket.objects.filter(category=category), actor=actor,
                                  permission=VIEW, date_field="opened_at", start=start, end=end,
                                  organisation=organisation).count()

    count.__doc__ = f"Count the tickets of category {category} opened over [start, end)."
    return count


tickets_hardware = _per_category(Category.HARDWARE)
tickets_software = _per_category(Category.SOFTWARE)
tickets_network = _per_category(Category.NETWORK)
tickets_account = _per_category(Category.ACCOUNT)
tickets_messaging = _per_category(Category.MESSAGING)
tickets_printing = _per_category(Category.PRINTING)
tickets_telephony = _per_category(Category.TELEPHONY)
tickets_security = _per_category(Category.SECURITY)
tickets_other = _per_category(Category.OTHER)
