"""Interval arithmetic of slots: pure functions, and the fast sweep against the naive baseline."""

from __future__ import annotations

import random
from datetime import date, time
from zoneinfo import ZoneInfo

from socle.agendas.slots import (
    ResourceTimes,
    candidates,
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


def test_saturated_regions_are_where_the_depth_reaches_capacity_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        busy = []
        for _ in range(rng.randrange(0, 12)):
            start = rng.randrange(0, 60)
            busy.append((start, start + rng.randrange(1, 15)))
        capacity = rng.randrange(1, 4)
        depth = [sum(1 for s, e in busy if s <= t < e) for t in range(80)]
        expected = {t for t in range(80) if depth[t] >= capacity}
        found = {t for s, e in saturated(busy, capacity) for t in range(s, e)}
        assert found == expected


def test_slots_read_from_the_database_match_the_naive_method(counter, monday):
    """The joined read (buffer, pairs of each resource) gives what the naive method finds."""
    from datetime import datetime, time, timedelta

    from socle.agendas import selectors
    from socle.agendas.models import Booking

    counter.buffer_minutes = 5
    counter.save(update_fields=["buffer_minutes"])
    desks = list(counter.resources.order_by("pk"))
    kind = counter.meeting_types.get()
    rng = random.Random(3)
    zone = selectors.zone()
    rows, taken = [], set()
    for n in range(120):
        desk = rng.choice(desks)
        start = datetime.combine(monday + timedelta(days=rng.randrange(5)), time(9), zone) + timedelta(
            minutes=5 * rng.randrange(90)
        )
        if (desk.pk, start) in taken:
            continue
        taken.add((desk.pk, start))
        rows.append(
            Booking(
                organisation=counter.organisation,
                agenda=counter,
                meeting_type=kind,
                resource=desk,
                start=start,
                end=start + timedelta(minutes=rng.choice((10, 20, 45))),
                status="booked",
                name=f"P{n}",
            )
        )
    Booking.objects.bulk_create(rows)
    begin = datetime.combine(monday, time.min, zone)
    end = begin + timedelta(days=7)
    now = begin - timedelta(hours=1)
    fast = selectors.slots_for(actor=None, agenda=counter, meeting_type=kind, start=begin, end=end, now=now)
    loaded = selectors.agenda_times(actor=None, agenda=counter, start=begin, end=end)
    assert sum(len(t.starts) for t in loaded.resources.values()) == len(rows)
    assert all(len(t.starts) == len(t.ends) for t in loaded.resources.values())
    openings = day_openings(loaded.hours, monday, monday + timedelta(days=7), zone, loaded.holidays)
    slow = slots_naive(
        openings=openings,
        closures=loaded.closures,
        resources=loaded.resources,
        duration=1800,
        step=1800 + 300,
        window=(int(begin.timestamp()), int(end.timestamp())),
    )
    assert fast == slow and 0 < len(fast) < len(candidates(openings, 1800, 2100, (0, 2**40)))
