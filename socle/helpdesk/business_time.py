"""Business time: adding and counting minutes over a calendar's opening hours.

A minute counts only inside an opening interval of a weekday that is neither a French
public holiday (the ``holidays`` library, France) nor a closure of the calendar. Times
are read in the server's time zone (Europe/Paris): an interval "08:30-12:00" is that
wall-clock time on both sides of a change of hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

# Ten years of closed days is a calendar with no opening: stop rather than loop.
MAX_DAYS = 3660


class NoOpening(ValueError):
    """The calendar has no opening hours at all: no deadline can be computed."""


@lru_cache(maxsize=64)
def french_holidays(year: int) -> frozenset[date]:
    """Return France's public holidays of a year (metropolitan France)."""
    return frozenset(holidays.country_holidays("FR", years=year))


def _parse_time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


def hours_parse(raw: object) -> dict[int, list[tuple[time, time]]]:
    """Read opening hours ``{"0": [["08:30", "12:00"], ...]}``; raise ValueError if malformed."""
    if not isinstance(raw, dict):
        raise ValueError("Les horaires sont un objet par jour de la semaine.")
    parsed: dict[int, list[tuple[time, time]]] = {}
    for key, intervals in raw.items():
        weekday = int(key)
        if not 0 <= weekday <= 6 or not isinstance(intervals, list):
            raise ValueError(f"Jour de la semaine invalide : {key!r}.")
        day: list[tuple[time, time]] = []
        for interval in intervals:
            start, end = (_parse_time(str(value)) for value in interval)
            if end <= start or (day and start < day[-1][1]):
                raise ValueError("Les plages horaires d'un jour se suivent sans se chevaucher.")
            day.append((start, end))
        parsed[weekday] = day
    return parsed


@dataclass(frozen=True)
class Calendar:
    """A calendar as plain data: opening hours by weekday, holidays on or off, closed days."""

    hours: dict[int, list[tuple[time, time]]]
    french_holidays: bool = True
    closed: frozenset[date] = field(default_factory=frozenset)

    def is_open_day(self, day: date) -> bool:
        if not self.hours.get(day.weekday()) or day in self.closed:
            return False
        return not (self.french_holidays and day in french_holidays(day.year))

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield the opening intervals from ``start`` on, the first one clipped to it."""
        if not any(self.hours.values()):
            raise NoOpening("Le calendrier n'a aucune plage d'ouverture.")
        zone = timezone.get_current_timezone()
        local = timezone.localtime(start, zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_open_day(day):
                for opens, closes in self.hours[day.weekday()]:
                    begin = timezone.make_aware(datetime.combine(day, opens), zone)
                    finish = timezone.make_aware(datetime.combine(day, closes), zone)
                    if finish <= start:
                        continue
                    yield max(begin, start), finish
            day += timedelta(days=1)
        raise NoOpening("Aucune ouverture dans les dix ans qui suivent.")

    def add(self, start: datetime, minutes: int) -> datetime:
        """Return the moment ``minutes`` business minutes after ``start``."""
        left = timedelta(minutes=minutes)
        if left <= timedelta(0):
            return start
        for begin, finish in self.intervals(start):
            span = finish - begin
            if left <= span:
                return begin + left
            left -= span
        raise NoOpening("Aucune ouverture.")  # pragma: no cover - intervals raises first

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Return the business minutes from ``start`` to ``end`` (0 if end is before)."""
        if end <= start:
            return 0
        total = timedelta(0)
        for begin, finish in self.intervals(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return int(total.total_seconds() // 60)
