"""Retention: when a document's administrative retention (DUA) starts and ends, from its rule."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any


def rule_of(node: Any) -> dict[str, Any]:
    """Return the retention rule of a node as kept on a document (a snapshot of the node)."""
    return {
        "plan": node.plan.code, "plan_version": node.plan.version, "node": node.code,
        "period": node.retention_period, "unit": node.retention_unit,
        "start_event": node.retention_start_event, "final_action": node.final_action,
    }


def add_period(start: date, period: int, unit: str) -> date:
    """Add years or months to a date; the 29th of February becomes the 28th when needed."""
    months = period * 12 if unit == "year" else period
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def retention_compute(rule: dict[str, Any], *, created_on: date, document_date: date | None,
                      closed_on: date | None) -> tuple[date | None, date | None]:
    """Return (retention_start, retention_end); both None until the start event has happened."""
    event = rule.get("start_event")
    if event == "creation":
        start: date | None = created_on
    elif event == "document_date":
        start = document_date or created_on
    else:  # "closing": the DUA runs from the closing of the file, unknown until then
        start = closed_on
    if start is None or rule.get("period") is None:
        return start, None
    return start, add_period(start, int(rule["period"]), str(rule.get("unit") or "year"))


def retention_due_kind(*, legal_hold: bool, final_action: str) -> str:
    """Return what a document past its retention waits for: ``held`` (a legal hold keeps it),
    ``destroy``, or ``transfer`` to the archives (keep or sort)."""
    if legal_hold:
        return "held"
    return "destroy" if final_action == "destroy" else "transfer"
