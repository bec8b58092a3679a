"""The inventory's dashboard indicators: ageing assets and licences coming to their end."""

from __future__ import annotations

from datetime import date, timedelta

from socle.core.access import Actor
from socle.core.models import Organisation

from . import selectors


def ageing_assets(*, actor: Actor, start: date, end: date,
                  organisation: Organisation | None = None) -> int:
    """Count the assets in service at the end of the period that are over five years old."""
    return selectors.ageing_count(actor=actor, on=end - timedelta(days=1),
                                  organisation=organisation)


def licences_expiring(*, actor: Actor, start: date, end: date,
                      organisation: Organisation | None = None) -> int:
    """Count the licences expiring over the period or the 60 days after it."""
    return selectors.expiring_count(actor=actor, start=start, end=end, organisation=organisation)
