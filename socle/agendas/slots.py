"""Free slots by interval arithmetic: opening hours, minus closures and holidays, minus bookings.

Everything here is pure and works on integer seconds since the epoch, sorted: the
selectors load the rows once and hand them over, so a month of a busy agenda is one
query and a few linear sweeps, whatever the number of bookings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[int, int]


@dataclass(frozen=True)
class Slot:
    start: int  # epoch seconds
    end: int
    free: int  # how many resources could take it


def french_holidays(years: Iterable[int]) -> dict[date, str]:
    """Return France's public holidays of those years, with their French names (computed)."""
    found: dict[date, str] = {}
    for year in years:
        found.update(_holidays_of(year))
    return found


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("FR", years=year, language="fr").items())


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union of intervals, sorted and without overlap."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(base: Sequence[Interval], cut: Sequence[Interval]) -> list[Interval]:
    """Return the parts of ``base`` (sorted, disjoint) outside ``cut`` (sorted, merged)."""
    result: list[Interval] = []
    j = 0
    for start, end in base:
        while j < len(cut) and cut[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(cut) and cut[k][0] < end:
            if cut[k][0] > cursor:
                result.append((cursor, cut[k][0]))
            cursor = max(cursor, cut[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def saturated(busy: Iterable[Interval], capacity: int) -> list[Interval]:
    """Return where at least ``capacity`` of the intervals overlap (all of them full)."""
    if capacity <= 1:
        return merge(busy)
    edges: list[tuple[int, int]] = []
    for start, end in busy:
        edges.append((start, 1))
        edges.append((end, -1))
    edges.sort()  # at equal times an end (-1) comes before a start (+1)
    result: list[Interval] = []
    depth = 0
    opened = 0
    for at, step in edges:
        depth += step
        if step > 0 and depth == capacity:
            opened = at
        elif step < 0 and depth == capacity - 1 and at > opened:
            result.append((opened, at))
    return merge(result)


def day_openings(
    hours: Mapping[int, Sequence[tuple[time, time]]],
    first: date,
    last: date,
    zone: ZoneInfo,
    closed_days: Iterable[date] = (),
) -> list[Interval]:
    """Return the opening intervals of every day from ``first`` to ``last`` (local hours)."""
    closed = set(closed_days)
    result: list[Interval] = []
    day = first
    while day <= last:
        if day not in closed:
            for start, end in hours.get(day.weekday(), ()):
                result.append(
                    (
                        int(datetime.combine(day, start, zone).timestamp()),
                        int(datetime.combine(day, end, zone).timestamp()),
                    )
                )
        day += timedelta(days=1)
    return merge(result)


def candidates(openings: Sequence[Interval], duration: int, step: int, window: Interval) -> list[int]:
    """Return the slot starts of a grid anchored on each opening's start, inside the window."""
    starts: list[int] = []
    low, high = window
    for start, end in openings:
        at = start
        if at < low:  # jump to the first grid point at or after the window's start
            at += -(-(low - at) // step) * step
        while at + duration <= end and at + duration <= high:
            starts.append(at)
            at += step
    return starts


def fits(starts: Sequence[int], duration: int, free: Sequence[Interval]) -> list[bool]:
    """Tell, for each start (sorted), whether [start, start + duration) lies in one free interval."""
    answer = [False] * len(starts)
    j = 0
    for index, at in enumerate(starts):
        while j < len(free) and free[j][1] < at + duration:
            j += 1
        if j < len(free) and free[j][0] <= at:
            answer[index] = True
    return answer


@dataclass
class ResourceTimes:
    capacity: int
    bookings: list[Interval]  # each widened by the agenda's buffer
    closures: list[Interval]


def slots_compute(
    *,
    openings: Sequence[Interval],
    closures: Sequence[Interval],
    resources: Mapping[int, ResourceTimes],
    duration: int,
    step: int,
    window: Interval,
) -> list[Slot]:
    """Return every slot of the grid that at least one resource can take."""
    open_free = subtract(openings, merge(closures))
    starts = candidates(openings, duration, step, window)
    counts = [0] * len(starts)
    for times in resources.values():
        busy = merge([*saturated(times.bookings, times.capacity), *times.closures])
        for index, ok in enumerate(fits(starts, duration, subtract(open_free, busy))):
            if ok:
                counts[index] += 1
    return [Slot(at, at + duration, count) for at, count in zip(starts, counts, strict=True) if count]


def slots_naive(
    *,
    openings: Sequence[Interval],
    closures: Sequence[Interval],
    resources: Mapping[int, ResourceTimes],
    duration: int,
    step: int,
    window: Interval,
) -> list[Slot]:
    """The obvious way, kept as the benchmark's baseline: test every slot against every row."""
    result = []
    for at in candidates(openings, duration, step, window):
        end = at + duration
        if any(s < end and at < e for s, e in closures):
            continue
        free = 0
        for times in resources.values():
            if any(s < end and at < e for s, e in times.closures):
                continue
            overlapping = sum(1 for s, e in times.bookings if s < end and at < e)
            if overlapping < times.capacity:
                free += 1
        if free:
            result.append(Slot(at, end, free))
    return result
