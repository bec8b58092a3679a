"""Booking meetings and registering for sessions: each refusal is French and writes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from socle.agendas import selectors, services
from socle.agendas.models import ActivityRecord, Booking
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from tests.support.smtp_server import smtp_server  # noqa: F401

from .conftest import at


def _counts() -> tuple[int, int]:
    return Booking.objects.count(), AuditEvent.objects.count()


def _refused(kind, code, call):
    before = _counts()
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert caught.value.message and caught.value.message[0].isupper()
    assert _counts() == before  # nothing half-written
    return caught.value


def test_slots_follow_opening_hours_and_shrink_as_desks_are_booked(counter, passport, citizen, monday):
    day = selectors.slots_for(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 0), end=at(monday, 23)
    )
    assert len(day) == 12 and {s.free for s in day} == {2}
    assert datetime.fromtimestamp(day[0].start, selectors.zone()).time() == time(9)
    assert datetime.fromtimestamp(day[-1].end, selectors.zone()).time() == time(17)
    services.booking_create(actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9))
    after = selectors.slots_for(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 0), end=at(monday, 23)
    )
    assert after[0].free == 1 and len(after) == 12


def test_booking_takes_a_desk_and_journals_it(counter, passport, citizen, monday):
    booking = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9)
    )
    assert booking.status == "booked" and booking.end - booking.start == timedelta(minutes=30)
    assert booking.user == citizen and booking.email == citizen.email
    assert AuditEvent.objects.filter(action="agendas.booking_create", target_id=str(booking.pk)).exists()
    second = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9)
    )
    assert second.resource_id != booking.resource_id
    _refused(
        Conflict,
        "slot_taken",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9)
        ),
    )


@pytest.mark.parametrize(
    ("hour", "minute", "code"),
    [
        (8, 0, "outside_opening_hours"),
        (12, 0, "outside_opening_hours"),
        (11, 45, "outside_opening_hours"),
        (9, 10, "invalid_slot"),
        (18, 0, "outside_opening_hours"),
    ],
)
def test_slots_outside_hours_or_off_the_grid_are_refused(
    counter, passport, citizen, monday, hour, minute, code
):
    _refused(
        ServiceError,
        code,
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, hour, minute)
        ),
    )


def test_a_forged_start_with_seconds_is_refused(counter, passport, citizen, monday):
    _refused(
        ServiceError,
        "invalid_slot",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9) + timedelta(seconds=1)
        ),
    )


def test_past_too_far_and_naive_times_are_refused(counter, passport, citizen, monday):
    yesterday = timezone.localdate() - timedelta(days=1)
    _refused(
        ServiceError,
        "past",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(yesterday, 9)
        ),
    )
    _refused(
        ServiceError,
        "too_far",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday + timedelta(days=364), 9)
        ),
    )
    _refused(
        ServiceError,
        "naive_datetime",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=datetime.combine(monday, time(9))
        ),
    )


def test_public_holidays_and_closures_close_the_counter(counter, passport, citizen, monday):
    # Find a weekday public holiday within the booking window.
    holiday = next(
        d
        for d in sorted(selectors.french_holidays([monday.year, monday.year + 1]))
        if d > timezone.localdate() + timedelta(days=1) and d.weekday() < 5
    )
    counter.max_advance_days = 730
    counter.save()
    assert (
        selectors.slots_for(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(holiday, 0), end=at(holiday, 23)
        )
        == []
    )
    _refused(
        ServiceError,
        "closed",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(holiday, 9)
        ),
    )
    services.closure_add(
        actor=None, agenda=counter, start=at(monday, 14), end=at(monday, 17), reason="Formation"
    )
    free = selectors.slots_for(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 0), end=at(monday, 23)
    )
    assert len(free) == 6
    _refused(
        ServiceError,
        "closed",
        lambda: services.booking_create(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 15)
        ),
    )


def test_buffers_keep_time_between_bookings(compiegne, citizen, monday):
    room = services.resource_create(actor=None, organisation=compiegne, name="Salle")
    agenda = services.agenda_create(
        actor=None,
        organisation=compiegne,
        title="Salle",
        kind="meetings",
        resources=[room],
        buffer_minutes=10,
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(0, time(9), time(11))])
    hour = services.meeting_type_create(
        actor=None, agenda=agenda, slug="h", name="Heure", duration_minutes=50
    )
    starts = [
        datetime.fromtimestamp(s.start, selectors.zone()).time()
        for s in selectors.slots_for(
            actor=citizen, agenda=agenda, meeting_type=hour, start=at(monday, 0), end=at(monday, 23)
        )
    ]
    assert starts == [time(9), time(10)]
    services.booking_create(actor=citizen, agenda=agenda, meeting_type=hour, start=at(monday, 9))
    services.booking_create(actor=citizen, agenda=agenda, meeting_type=hour, start=at(monday, 10))


def test_a_shared_space_takes_as_many_bookings_as_its_capacity(compiegne, make_user, monday):
    space = services.resource_create(
        actor=None, organisation=compiegne, name="Coworking", kind="desk", capacity=2
    )
    agenda = services.agenda_create(
        actor=None, organisation=compiegne, title="Coworking", kind="meetings", resources=[space]
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(0, time(9), time(13))])
    half = services.meeting_type_create(
        actor=None, agenda=agenda, slug="d", name="Demi", duration_minutes=240
    )
    lanes = [
        services.booking_create(actor=make_user(), agenda=agenda, meeting_type=half, start=at(monday, 9)).lane
        for _ in range(2)
    ]
    assert sorted(lanes) == [0, 1]
    third = make_user()
    _refused(
        Conflict,
        "slot_taken",
        lambda: services.booking_create(actor=third, agenda=agenda, meeting_type=half, start=at(monday, 9)),
    )


def test_a_private_agenda_is_booked_by_its_agents_only(compiegne, make_user, citizen, monday):
    room = services.resource_create(actor=None, organisation=compiegne, name="Salle du conseil")
    rooms = services.agenda_create(
        actor=None, organisation=compiegne, title="Salles", kind="meetings", public=False, resources=[room]
    )
    services.opening_hours_set(actor=None, agenda=rooms, hours=[(0, time(8), time(18))])
    meeting = services.meeting_type_create(
        actor=None, agenda=rooms, slug="r", name="Réunion", duration_minutes=60
    )
    _refused(
        Forbidden,
        "forbidden",
        lambda: services.booking_create(
            actor=citizen, agenda=rooms, meeting_type=meeting, start=at(monday, 9)
        ),
    )
    agent = make_user(roles=[(compiegne, "agendas.booker")])
    assert (
        services.booking_create(actor=agent, agenda=rooms, meeting_type=meeting, start=at(monday, 9)).user
        == agent
    )


def test_an_agent_books_for_someone_reachable_by_phone(counter, passport, manager, citizen, monday):
    booking = services.booking_create(
        actor=manager,
        agenda=counter,
        meeting_type=passport,
        start=at(monday, 9),
        name="Jeanne Martin",
        phone="03 44 40 00 00",
    )
    assert booking.user is None and booking.booked_by == manager and booking.phone == "0344400000"
    _refused(
        ServiceError,
        "contact_missing",
        lambda: services.booking_create(
            actor=manager, agenda=counter, meeting_type=passport, start=at(monday, 10), name="Sans contact"
        ),
    )
    _refused(
        Forbidden,
        "forbidden",
        lambda: services.booking_create(
            actor=citizen,
            agenda=counter,
            meeting_type=passport,
            start=at(monday, 10),
            name="Un autre",
            phone="0600000000",
        ),
    )


# ---- events and waiting lists


def test_registrations_fill_places_then_the_waiting_list_then_refuse(workshop, make_user):
    statuses = [services.registration_create(actor=make_user(), event=workshop).status for _ in range(4)]
    assert statuses == ["booked", "booked", "waiting", "waiting"]
    late = make_user()
    _refused(Conflict, "full", lambda: services.registration_create(actor=late, event=workshop))


def test_one_person_registers_once(workshop, citizen):
    services.registration_create(actor=citizen, event=workshop)
    _refused(
        Conflict, "already_registered", lambda: services.registration_create(actor=citizen, event=workshop)
    )


def test_registration_after_the_deadline_or_for_a_past_session_is_refused(workshop, citizen):
    workshop.registration_deadline = timezone.now() - timedelta(hours=1)
    workshop.save()
    _refused(
        ServiceError,
        "registration_closed",
        lambda: services.registration_create(actor=citizen, event=workshop),
    )
    _refused(
        ServiceError,
        "past",
        lambda: services.registration_create(
            actor=citizen, event=workshop, now=workshop.start + timedelta(minutes=1)
        ),
    )


def test_the_creation_space_asks_a_parents_consent_under_18(workshop, citizen):
    workshop.min_age, workshop.max_age = 14, 25
    workshop.save()
    _refused(ServiceError, "age_missing", lambda: services.registration_create(actor=citizen, event=workshop))
    _refused(
        ServiceError,
        "age_out_of_range",
        lambda: services.registration_create(actor=citizen, event=workshop, age=30),
    )
    _refused(
        ServiceError,
        "consent_missing",
        lambda: services.registration_create(actor=citizen, event=workshop, age=15),
    )
    booking = services.registration_create(actor=citizen, event=workshop, age=15, guardian_consent=True)
    assert booking.guardian_consent


@pytest.mark.django_db(transaction=True)
def test_cancelling_promotes_the_first_waiting_person_and_emails_them(smtp_server, workshop, make_user):  # noqa: F811
    people = [make_user(f"p{n}@exemple.fr") for n in range(4)]
    bookings = [services.registration_create(actor=p, event=workshop) for p in people]
    call_command("worker", batch=True)
    smtp_server.messages.clear()
    services.booking_cancel(actor=people[0], booking=bookings[0], reason="Empêchement")
    call_command("worker", batch=True)
    bookings[2].refresh_from_db()
    bookings[3].refresh_from_db()
    assert bookings[2].status == "booked" and bookings[2].promoted_at is not None
    assert bookings[3].status == "waiting"
    assert selectors.waiting_position(actor=None, booking=bookings[3]) == 1
    [message] = smtp_server.to("p2@exemple.fr")
    assert message.subject == f"Une place s'est libérée : {workshop.title}"
    assert "liste d'attente aux inscrits" in message.body and "/agendas/reservations/lien/" in message.body
    assert AuditEvent.objects.filter(action="agendas.waiting_promote").count() == 1
    # Cancelling a waiting registration promotes no one.
    services.booking_cancel(actor=people[3], booking=bookings[3])
    assert Booking.objects.filter(event=workshop, status="booked").count() == 2


def test_cancelling_twice_is_refused_and_only_the_person_or_an_agent_may(
    workshop, citizen, make_user, mediator
):
    booking = services.registration_create(actor=citizen, event=workshop)
    stranger = make_user()
    _refused(Forbidden, "forbidden", lambda: services.booking_cancel(actor=stranger, booking=booking))
    services.booking_cancel(actor=mediator, booking=booking, reason="Séance déplacée")
    _refused(Conflict, "already_cancelled", lambda: services.booking_cancel(actor=citizen, booking=booking))


def test_a_workshop_blocks_its_room_for_meetings(workshops, workshop, territory, citizen, monday):
    room = workshop.resource
    meetings = services.agenda_create(
        actor=None, organisation=territory["venette"], title="Salle", kind="meetings", resources=[room]
    )
    services.opening_hours_set(actor=None, agenda=meetings, hours=[(0, time(9), time(18))])
    hour = services.meeting_type_create(
        actor=None, agenda=meetings, slug="h", name="Heure", duration_minutes=60
    )
    starts = {
        datetime.fromtimestamp(s.start, selectors.zone()).hour
        for s in selectors.slots_for(
            actor=citizen, agenda=meetings, meeting_type=hour, start=at(monday, 0), end=at(monday, 23)
        )
    }
    assert 14 not in starts and 15 not in starts and 16 in starts
    _refused(
        Conflict,
        "resource_taken",
        lambda: services.event_create(
            actor=None,
            agenda=workshops,
            title="Autre",
            start=at(monday, 15),
            end=at(monday, 17),
            capacity=5,
            resource=room,
        ),
    )


def test_attendance_writes_one_activity_record_rewritten_not_duplicated(workshop, make_user, mediator):
    bookings = [services.registration_create(actor=make_user(), event=workshop) for _ in range(2)]
    record = services.attendance_record(
        actor=mediator,
        event=workshop,
        present=[bookings[0].pk],
        walk_ins=2,
        themes=["email"],
        beneficiaries=[{"age_band": "60_70", "status": "retraite", "commune": "60665"}],
    )
    assert record.kind == "collectif" and record.participants == 3 and record.duration_minutes == 120
    assert record.commune.slug == "venette" and record.themes == ["email"]
    assert record.beneficiaries[0] == {"age_band": "60_70", "status": "retraite", "commune": "60665"}
    assert len(record.beneficiaries) == 3
    again = services.attendance_record(
        actor=mediator, event=workshop, present=[b.pk for b in bookings], themes=["email"]
    )
    assert again.pk == record.pk and again.participants == 2 and ActivityRecord.objects.count() == 1
    bookings[1].refresh_from_db()
    assert bookings[1].attended is True
    _refused(
        ServiceError,
        "invalid_theme",
        lambda: services.attendance_record(actor=mediator, event=workshop, present=[], themes=["astrologie"]),
    )


def test_attendance_is_taken_by_mediators_only(workshop, manager, make_user):
    with pytest.raises(Forbidden):
        services.attendance_record(actor=make_user(), event=workshop, present=[], themes=["email"])


def test_closures_import_from_icalendar(counter, passport, citizen, monday):
    ics = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:{monday:%Y%m%d}\r\nSUMMARY:Inventaire\r\n"
        f"END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    [closure] = services.closures_import(actor=None, agenda=counter, data=ics)
    assert closure.reason == "Inventaire"
    assert (
        selectors.slots_for(
            actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 0), end=at(monday, 23)
        )
        == []
    )
    with pytest.raises(ServiceError) as caught:
        services.closures_import(actor=None, agenda=counter, data=b"\xff pas un calendrier")
    assert caught.value.code == "invalid_ical"


@pytest.mark.django_db(transaction=True)
def test_reminders_are_emailed_once(smtp_server, counter, passport, citizen, monday):  # noqa: F811
    booking = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=passport, start=at(monday, 9)
    )
    call_command("worker", batch=True)
    smtp_server.messages.clear()
    assert services.reminders_send(now=booking.start - timedelta(hours=20)) == 1
    assert services.reminders_send(now=booking.start - timedelta(hours=19)) == 0
    call_command("worker", batch=True)
    [message] = smtp_server.to(citizen.email)
    assert message.subject.startswith("Rappel : rendez-vous le ")


@pytest.mark.django_db(transaction=True)
def test_a_person_registered_by_phone_is_told_of_the_promotion_by_text_message(workshop, make_user, mediator):
    from socle.agendas.sms import OutboxBackend

    OutboxBackend.outbox.clear()
    first, second = make_user(), make_user()
    taken = [services.registration_create(actor=p, event=workshop) for p in (first, second)]
    waiting = services.registration_create(
        actor=mediator, event=workshop, name="Monique Dubois", phone="06 12 34 56 78"
    )
    assert waiting.status == "waiting" and waiting.email == ""
    services.booking_cancel(actor=first, booking=taken[0])
    call_command("worker", batch=True)
    [(to, text)] = OutboxBackend.outbox
    assert to == "0612345678" and text.startswith("Une place s'est libérée, vous êtes inscrit :")
    assert workshop.title in text
