"""The GDPR's two clocks, as plain functions: a month for a request, 72 hours for a breach.

A request is answered "within one month of receipt", extended "by two further months
where necessary" (art. 12-3). Periods of the Regulation are counted as Regulation (EEC,
Euratom) No 1182/71 says, as the EDPB's guidelines 01/2022 on the right of access
recall: a period in months ends on the same date of the last month, or on that month's
last day when it has no such date, and a period ending on a Saturday, a Sunday or a
public holiday ends on the next working day (French public holidays here). A breach is
notified "not later than 72 hours after having become aware of it" (art. 33-1): that
one runs in hours, weekends included.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays

BREACH_HOURS = 72
REQUEST_MONTHS = 1
EXTENSION_MONTHS = 2


def add_months(day: date, months: int) -> date:
    """Return the same date ``months`` later, or that month's last day if it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=[year, year + 1])


def next_working_day(day: date) -> date:
    """Return the day itself if it is a working day, else the next one (1182/71 art. 3-4)."""
    closed = _french_holidays(day.year)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def request_due_on(received_on: date) -> date:
    """Return the last day to answer a request received that day."""
    return next_working_day(add_months(received_on, REQUEST_MONTHS))


def request_extended_due_on(received_on: date) -> date:
    """Return the last day once extended by two further months (three from receipt)."""
    return next_working_day(add_months(received_on, REQUEST_MONTHS + EXTENSION_MONTHS))


def breach_deadline(aware_at: datetime) -> datetime:
    """Return the moment the 72 hours to notify the supervisory authority run out."""
    return aware_at + timedelta(hours=BREACH_HOURS)


def duration_text(delta: timedelta) -> str:
    """Say a duration in French, in days, hours and minutes ("1 j 5 h 03 min")."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = f"{hours} h {minutes:02d} min"
    return f"{days} j {text}" if days else text


@dataclass(frozen=True)
class BreachClock:
    """Where a breach stands against its 72 hours, said for a person."""

    deadline: datetime
    state: str  # "running", "overdue", "notified", "notified_late", "not_required"
    remaining: timedelta  # negative once overdue
    text: str


def breach_clock(*, aware_at: datetime, notified_at: datetime | None, decision: str,
                 now: datetime) -> BreachClock:
    """Tell where a breach stands: time left, overdue, notified in time or late, not required."""
    deadline = breach_deadline(aware_at)
    if notified_at is not None:
        late = notified_at - deadline
        if late > timedelta(0):
            return BreachClock(deadline, "notified_late", -late,
                               f"Notifiée à la CNIL avec {duration_text(late)} de retard.")
        return BreachClock(deadline, "notified", deadline - notified_at,
                           "Notifiée à la CNIL dans le délai de 72 heures.")
    if decision == "not_required":
        return BreachClock(deadline, "not_required", deadline - now,
                           "Pas de notification à la CNIL : violation documentée dans le "
                           "registre (art. 33-5).")
    remaining = deadline - now
    if remaining <= timedelta(0):
        return BreachClock(deadline, "overdue", remaining,
                           f"Délai de 72 heures dépassé de {duration_text(remaining)} : "
                           "notifiez sans attendre et motivez le retard.")
    return BreachClock(deadline, "running", remaining,
                       f"Il reste {duration_text(remaining)} pour notifier la CNIL.")
