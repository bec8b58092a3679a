"""Free slots by interval arithmetic: opening hours, minus closures and holidays, minus bookings.

Everything here is pure and works on integer seconds since the epoch, sorted: the
selectors load the rows once and hand them over, so a month of a busy agenda is one
query and a few linear sweeps, whatever the number of bookings.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[int, int]


class Slot(NamedTuple):
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


def saturated_edges(starts: Sequence[int], ends: Sequence[int], capacity: int) -> list[int]:
    """Return, flat (a0, b0, a1, b1...), where at least ``capacity`` intervals overlap.

    ``starts`` and ``ends`` are the intervals' two ends, each list sorted on its own: the
    depth at a moment only counts starts and ends before it, so no pair is needed, and
    no tuple is made (a month of 5,000 bookings stays a few flat lists of integers).
    """
    result: list[int] = []
    depth = 0
    j = 0
    for at in starts:
        while ends[j] <= at:  # at equal times an end comes before a start
            depth -= 1
            if depth == capacity - 1:
                result.append(ends[j])
            j += 1
        depth += 1
        if depth == capacity:
            if result and result[-1] == at:  # touches the region just closed: one region
                result.pop()
            else:
                result.append(at)
    if depth >= capacity:  # the last region closes at the end that brings the depth below
        result.append(ends[j + depth - capacity])
    return result


def saturated(busy: Iterable[Interval], capacity: int) -> list[Interval]:
    """Return where at least ``capacity`` of the intervals overlap (all of them full)."""
    listed = list(busy)
    flat = saturated_edges(sorted(s for s, _ in listed), sorted(e for _, e in listed), max(capacity, 1))
    return merge(zip(flat[0::2], flat[1::2], strict=True))


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


@dataclass
class ResourceTimes:
    """A resource's capacity, bookings (widened by the agenda's buffer) and closures.

    The bookings are two flat lists of the same length, ``starts[i]`` with ``ends[i]``.
    """

    capacity: int
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    closures: list[Interval] = field(default_factory=list)

    @classmethod
    def of(
        cls, capacity: int, bookings: Iterable[Interval], closures: Iterable[Interval] = ()
    ) -> ResourceTimes:
        listed = list(bookings)
        return cls(capacity, [s for s, _ in listed], [e for _, e in listed], list(closures))

    @property
    def bookings(self) -> list[Interval]:
        return list(zip(self.starts, self.ends, strict=True))


def _block(free: bytearray, starts: Sequence[int], duration: int, a: int, b: int) -> None:
    # The slots [at, at + duration) that meet [a, b): a - duration < at < b.
    low, high = bisect_right(starts, a - duration), bisect_left(starts, b)
    if low < high:
        free[low:high] = bytes(high - low)


def slots_compute(
    *,
    openings: Sequence[Interval],
    closures: Sequence[Interval],
    resources: Mapping[int, ResourceTimes],
    duration: int,
    step: int,
    window: Interval,
) -> list[Slot]:
    """Return every slot of the grid that at least one resource can take.

    The grid's starts are sorted: each busy region blocks one run of them, found by
    bisection and cleared in a byte mask, so the cost follows the busy regions and the
    slots, never their product; the masks of the resources add up to each slot's count.
    """
    starts = candidates(openings, duration, step, window)
    base = bytearray(b"\x01") * len(starts)
    for a, b in closures:
        _block(base, starts, duration, a, b)
    counts = [0] * len(starts)
    for times in resources.values():
        free = bytearray(base)
        edges = saturated_edges(sorted(times.starts), sorted(times.ends), max(times.capacity, 1))
        for k in range(0, len(edges), 2):
            _block(free, starts, duration, edges[k], edges[k + 1])
        for a, b in times.closures:
            _block(free, starts, duration, a, b)
        counts = [count + ok for count, ok in zip(counts, free, strict=True)]
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
            overlapping = sum(1 for s, e in zip(times.starts, times.ends, strict=True) if s < end and at < e)
            if overlapping < times.capacity:
                free += 1
        if free:
            result.append(Slot(at, end, free))
    return result
