"""Cybersecurity awareness's dashboard indicators: charter acceptance, modules passed, open
findings by severity. Each is a figure of today over what the viewer reads (the period
is not a window for a state that is kept, not dated)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from socle.core.access import Actor
from socle.core.models import Organisation

from . import selectors
from .models import OPEN_FINDING_STATUSES


def charter_acceptance(*, actor: Actor, start: date, end: date,
                       organisation: Organisation | None = None) -> float:
    """Return the share (%) of agents the actor reads who accepted the charter in force."""
    version = selectors.charter_in_force()
    if version is None:
        return 0.0
    rows = selectors.acceptance_register(actor=actor, version=version, organisation=organisation)
    return round(100 * sum(r.accepted_at is not None for r in rows) / len(rows), 1) if rows else 0.0


def module_completion(*, actor: Actor, start: date, end: date,
                      organisation: Organisation | None = None) -> float:
    """Return the share (%) of expected module completions that are passed."""
    rows = [r for r in selectors.progress_by_commune(actor=actor)
            if organisation is None or r.organisation.path.startswith(organisation.path)]
    expected = sum(r.expected for r in rows)
    return round(100 * sum(r.passed for r in rows) / expected, 1) if expected else 0.0


def _open_findings(level: str) -> Callable[..., int]:
    def count(*, actor: Actor, start: date, end: date,
              organisation: Organisation | None = None) -> int:
        rows = selectors.findings_for(actor=actor).filter(severity=level,
                                                          status__in=OPEN_FINDING_STATUSES)
        if organisation is not None:
            rows = rows.filter(organisation__path__startswith=organisation.path)
        return rows.count()

    count.__doc__ = f"Count the open findings of severity {level}."
    return count


open_findings_critical = _open_findings("critical")
open_findings_high = _open_findings("high")
open_findings_medium = _open_findings("medium")
open_findings_low = _open_findings("low")
