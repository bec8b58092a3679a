"""Dashboard figures and the reminders job count only what the viewer may see."""

from __future__ import annotations

from datetime import timedelta

from socle.agendas import indicators, services
from socle.agendas.jobs import reminders


def test_indicators_count_what_the_viewer_sees(
    workshop, mediator, make_user, territory, counter, citizen, manager, monday
):
    from .conftest import at

    services.booking_create(
        actor=citizen, agenda=counter, meeting_type=counter.meeting_types.get(), start=at(monday, 9)
    )
    booking = services.registration_create(actor=make_user(), event=workshop)
    services.attendance_record(
        actor=mediator, event=workshop, present=[booking.pk], walk_ins=3, themes=["email"]
    )
    start, end = monday - timedelta(days=1), monday + timedelta(days=1)
    assert indicators.bookings_made(actor=manager, start=start, end=end) == 1  # Compiègne's counter only
    # A role held on the ARC applies to the communes below it.
    assert indicators.bookings_made(actor=mediator, start=start, end=end) == 2
    lender = make_user(roles=[(territory["venette"], "agendas.manager")])
    assert indicators.bookings_made(actor=lender, start=start, end=end) == 1  # the workshop in its room
    assert indicators.mediation_participants(actor=mediator, start=start, end=end) == 4
    assert (
        indicators.mediation_participants(
            actor=mediator, start=start, end=end, organisation=territory["venette"]
        )
        == 4
    )
    assert (
        indicators.mediation_participants(
            actor=mediator, start=start, end=end, organisation=territory["jaux"]
        )
        == 0
    )
    assert indicators.mediation_participants(actor=manager, start=start, end=end) == 0


def test_the_reminders_job_reports_in_french(counter, citizen):
    assert reminders() == "0 rappel(s) de rendez-vous envoyé(s)."
