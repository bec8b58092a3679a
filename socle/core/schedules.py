"""When a declared job is due: the schedule strings of ``Job.schedule``, read in server time.

Four forms, all in the server's time zone (``TIME_ZONE``)::

    "every 15m"          every 15 minutes, on multiples of 15 since midnight ("every 2h" too)
    "hourly"             at the top of every hour
    "daily 06:00"        every day at 06:00
    "weekly sun 03:00"   every Sunday at 03:00 (mon tue wed thu fri sat sun)

A schedule gives the *slots* a job is due at. The worker runs the latest slot that has come
and was not run yet: a slot missed while no worker ran is caught up once, never several times.
A wall-clock time that a daylight-saving change skips (02:15 on the last Sunday of March)
runs an hour later by the clock (03:15), the same instant as 02:15 winter time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_EVERY = re.compile(r"^every (\d+)([mh])$")
_DAILY = re.compile(r"^daily ([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY = re.compile(r"^weekly (mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """A schedule string that none of the four forms reads."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: a period in minutes (for "every"), or a time of day and maybe a weekday."""

    text: str
    every_minutes: int = 0
    at: time | None = None
    weekday: int | None = None  # 0 = Monday

    @property
    def period(self) -> timedelta:
        """The nominal time between two slots."""
        if self.every_minutes:
            return timedelta(minutes=self.every_minutes)
        return timedelta(days=7 if self.weekday is not None else 1)

    def label(self) -> str:
        """The schedule in French, for `socle jobs` and the DCSI's page."""
        if self.every_minutes:
            if self.every_minutes == 60:
                return "toutes les heures"
            if self.every_minutes % 60 == 0:
                return f"toutes les {self.every_minutes // 60} heures"
            return "toutes les minutes" if self.every_minutes == 1 else \
                f"toutes les {self.every_minutes} minutes"
        assert self.at is not None
        # French style, unbreakable: "6 h", "2 h 15"
        hour = f"{self.at.hour}\u00a0h" + (f"\u00a0{self.at.minute:02d}" if self.at.minute else "")
        if self.weekday is not None:
            return f"chaque {WEEKDAY_LABELS[self.weekday]} à {hour}"
        return f"chaque jour à {hour}"

    def latest_slot(self, now: datetime) -> datetime:
        """The latest slot at or before ``now`` (an aware datetime; returned in UTC)."""
        local = now.astimezone(_zone())
        if self.every_minutes:
            midnight = datetime.combine(local.date(), time(0), tzinfo=_zone())
            elapsed = int((local - midnight).total_seconds() // 60)
            slot = midnight + timedelta(minutes=elapsed - elapsed % self.every_minutes)
            return slot.astimezone(ZoneInfo("UTC"))
        day = local.date()
        for _ in range(9):
            if self.weekday is None or day.weekday() == self.weekday:
                slot = self._at(day)
                if slot <= now:
                    return slot
            day -= timedelta(days=1)
        raise AssertionError("unreachable: a slot exists in every eight days")  # pragma: no cover

    def next_slot(self, now: datetime) -> datetime:
        """The first slot strictly after ``now`` (in UTC)."""
        local = now.astimezone(_zone())
        if self.every_minutes:
            return self.latest_slot(now) + timedelta(minutes=self.every_minutes)
        day = local.date()
        for _ in range(9):
            if self.weekday is None or day.weekday() == self.weekday:
                slot = self._at(day)
                if slot > now:
                    return slot
            day += timedelta(days=1)
        raise AssertionError("unreachable: a slot exists in every eight days")  # pragma: no cover

    def _at(self, day: date) -> datetime:
        assert self.at is not None
        local = datetime.combine(day, self.at, tzinfo=_zone())
        # A wall-clock time skipped by a DST change does not round-trip: take the first
        # instant after the gap (the same local time read with the offset before it, normalised).
        return local.astimezone(ZoneInfo("UTC"))


def schedule_parse(text: str) -> Schedule:
    """Read a schedule string, or raise ``ScheduleError`` saying which forms are accepted."""
    if text == "hourly":
        return Schedule(text, every_minutes=60)
    if match := _EVERY.match(text):
        count, unit = int(match[1]), match[2]
        minutes = count * (60 if unit == "h" else 1)
        if not 1 <= minutes <= 24 * 60 or (24 * 60) % minutes:
            raise ScheduleError(f"« {text} » : la période doit diviser la journée "
                                "(1 à 1440 minutes, par exemple every 15m ou every 2h).")
        return Schedule(text, every_minutes=minutes)
    if match := _DAILY.match(text):
        return Schedule(text, at=time(int(match[1]), int(match[2])))
    if match := _WEEKLY.match(text):
        return Schedule(text, at=time(int(match[2]), int(match[3])),
                        weekday=WEEKDAYS.index(match[1]))
    raise ScheduleError(f"« {text} » n'est pas un horaire : écrivez « every 15m », « every 2h », "
                        "« hourly », « daily 06:00 » ou « weekly sun 03:00 ».")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)
