"""The two legal clocks: one month (art. 12-3, counted as Regulation 1182/71 says), 72 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from socle.privacy.deadlines import (
    add_months,
    breach_clock,
    request_due_on,
    request_extended_due_on,
)

AWARE = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)  # a Friday evening


def test_a_month_ends_on_the_same_date_of_the_next_month():
    assert request_due_on(date(2026, 3, 10)) == date(2026, 4, 10)


def test_a_month_from_the_31st_ends_on_the_last_day_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_a_period_ending_on_a_weekend_ends_on_the_next_working_day():
    # 2026-02-07 + 1 month = Saturday 7 March -> Monday 9 March.
    assert request_due_on(date(2026, 2, 7)) == date(2026, 3, 9)


def test_a_period_ending_on_a_public_holiday_ends_on_the_next_working_day():
    # 14 July 2026 is a Tuesday and a public holiday in France.
    assert request_due_on(date(2026, 6, 14)) == date(2026, 7, 15)
    # 1 May 2026 (Friday, holiday) -> Monday 4 May.
    assert request_due_on(date(2026, 4, 1)) == date(2026, 5, 4)


def test_the_extension_gives_three_months_from_receipt():
    assert request_extended_due_on(date(2026, 3, 10)) == date(2026, 6, 10)
    assert request_extended_due_on(date(2026, 11, 30)) == date(2027, 3, 1)  # 28 Feb is a Sunday


def test_the_breach_clock_runs_72_hours_through_the_weekend():
    clock = breach_clock(aware_at=AWARE, notified_at=None, decision="pending",
                         now=AWARE + timedelta(hours=30, minutes=15))
    assert clock.deadline == datetime(2026, 3, 9, 17, 30, tzinfo=UTC)
    assert clock.state == "running"
    assert clock.text == "Il reste 1 j 17 h 45 min pour notifier la CNIL."


def test_the_breach_clock_says_how_late_once_overdue():
    clock = breach_clock(aware_at=AWARE, notified_at=None, decision="notify",
                         now=AWARE + timedelta(hours=75, minutes=5))
    assert clock.state == "overdue"
    assert "dépassé de 3 h 05 min" in clock.text


def test_a_notification_in_time_and_a_late_one():
    in_time = breach_clock(aware_at=AWARE, notified_at=AWARE + timedelta(hours=71),
                           decision="notify", now=AWARE + timedelta(days=9))
    late = breach_clock(aware_at=AWARE, notified_at=AWARE + timedelta(hours=80),
                        decision="notify", now=AWARE + timedelta(days=9))
    assert in_time.state == "notified" and "dans le délai" in in_time.text
    assert late.state == "notified_late" and "8 h 00 min de retard" in late.text


def test_a_breach_not_to_notify_stops_the_clock():
    clock = breach_clock(aware_at=AWARE, notified_at=None, decision="not_required",
                         now=AWARE + timedelta(days=9))
    assert clock.state == "not_required"
