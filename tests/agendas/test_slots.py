"""Interval arithmetic of slots: pure functions, and the fast sweep against the naive baseline."""

from __future__ import annotations

import random
from datetime import date, time
from zoneinfo import ZoneInfo

from socle.agendas.slots import (
    ResourceTimes,
    day_openings,
    french_holidays,
    merge,
    saturated,
    slots_compute,
    slots_naive,
)


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge([(5, 7), (1, 3), (2, 4), (7, 9), (11, 12)]) == [(1, 4), (5, 9), (11, 12)]


def test_saturated_is_where_capacity_is_reached():
    busy = [(0, 10), (5, 15), (12, 20)]
    assert saturated(busy, 1) == [(0, 20)]
    assert saturated(busy, 2) == [(5, 10), (12, 15)]
    assert saturated(busy, 3) == []
    # Back-to-back bookings do not overlap.
    assert saturated([(0, 10), (10, 20)], 2) == []


def test_french_holidays_are_computed_with_french_names():
    days = french_holidays([2026])
    assert days[date(2026, 7, 14)] == "Fête nationale"
    assert date(2026, 5, 14) in days  # Ascension, moves with Easter
    assert date(2027, 5, 6) in french_holidays([2027])


def test_openings_skip_closed_days_and_follow_daylight_saving():
    paris = ZoneInfo("Europe/Paris")
    hours = {6: [(time(9), time(12))]}  # Sundays
    # 2026-03-29 is the Sunday clocks go forward: three real hours all the same.
    openings = day_openings(hours, date(2026, 3, 22), date(2026, 3, 29), paris)
    assert [end - start for start, end in openings] == [3 * 3600, 3 * 3600]
    assert day_openings(hours, date(2026, 3, 29), date(2026, 3, 29), paris, {date(2026, 3, 29)}) == []


def _random_case(seed: int) -> dict:
    rng = random.Random(seed)
    openings = [(day * 86400 + 9 * 3600, day * 86400 + 17 * 3600) for day in range(10)]
    resources = {}
    for rid in range(4):
        bookings = []
        for _ in range(30):
            start = rng.randrange(10) * 86400 + 9 * 3600 + rng.randrange(16) * 1800
            bookings.append((start, start + rng.choice((1800, 3600))))
        closures = [(3 * 86400 + 12 * 3600, 3 * 86400 + 14 * 3600)] if rid == 0 else []
        resources[rid] = ResourceTimes.of(1, bookings, closures)
    return {
        "openings": openings,
        "closures": [(5 * 86400, 6 * 86400)],
        "resources": resources,
        "duration": 1800,
        "step": 1800,
        "window": (0, 10 * 86400),
    }


def test_the_sweep_finds_exactly_the_slots_of_the_naive_method():
    for seed in range(20):
        case = _random_case(seed)
        fast = slots_compute(**case)
        assert fast == slots_naive(**case)
        assert fast and all(slot.free >= 1 for slot in fast)


def test_a_slot_free_on_no_resource_is_not_offered():
    resources = {1: ResourceTimes.of(1, [(0, 3600)])}
    found = slots_compute(
        openings=[(0, 7200)], closures=[], resources=resources, duration=1800, step=1800, window=(0, 7200)
    )
    assert [(s.start, s.end) for s in found] == [(3600, 5400), (5400, 7200)]


def test_window_start_keeps_the_grid_anchored_on_opening():
    resources = {1: ResourceTimes(capacity=1)}
    found = slots_compute(
        openings=[(0, 7200)], closures=[], resources=resources, duration=1800, step=1800, window=(100, 7200)
    )
    assert [s.start for s in found] == [1800, 3600, 5400]
