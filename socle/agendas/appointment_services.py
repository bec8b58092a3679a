"""The writes of the portal's appointment step: move an appointment, cancel those of closed cases.

Re-exported by ``services``: the portal would call ``bookings_cancel_for_case`` when it
closes a case; until it does, the ``agendas.closed_cases`` job finds the closed cases through
the portal's selectors and cancels their coming appointments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import User

from . import appointment_selectors, selectors
from ._checks import _aware, _local, _slot_time_checked
from .booking_messages import _tell
from .booking_payments import _holds_expire
from .models import Booking, BookingStatus, Event, Resource
from .waiting_list import _promote

MANAGE = selectors.MANAGE


def booking_move(*, actor: User, booking: Booking, start: datetime, now: datetime | None = None) -> Booking:
    """Move an appointment to another free slot of its type: the old one is freed, all or nothing."""
    if booking.meeting_type_id is None or booking.event_id is not None:
        raise ServiceError("Seul un rendez-vous se déplace ; une inscription s'annule.", code="wrong_kind")
    own = booking.user_id == actor.pk
    if not (own or can(actor, MANAGE, booking.organisation)):
        raise Forbidden("Seuls la personne et les agents de l'organisation déplacent ce rendez-vous.")
    start = _aware(start, "start")
    now = now or timezone.now()
    agenda, meeting_type = booking.agenda, booking.meeting_type
    assert meeting_type is not None  # checked above
    _slot_time_checked(agenda, start, now)
    try:
        with transaction.atomic():
            resources = list(
                Resource.objects.select_for_update().filter(agendas=agenda, active=True).order_by("pk")
            )
            _holds_expire(resources, now)
            held = Booking.objects.select_for_update().get(pk=booking.pk)
            if held.status != BookingStatus.BOOKED:
                raise Conflict("Ce rendez-vous est annulé : il ne se déplace plus.", code="already_cancelled")
            if held.start <= now:
                raise ServiceError("Ce rendez-vous a déjà commencé : il ne se déplace plus.", code="past")
            if held.start == start:
                raise ServiceError(
                    "C'est l'heure de votre rendez-vous : choisissez-en une autre.",
                    code="same_slot",
                    errors={"start": "Même créneau."},
                )
            # Freed first, so that a slot next to the old one (or overlapping it) can be taken.
            held.status, held.cancelled_at, held.cancel_reason = BookingStatus.CANCELLED, now, "Déplacé"
            held.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            resource, lane = selectors.slot_resource(
                actor=actor, agenda=agenda, meeting_type=meeting_type, start=start, resources=resources
            )
            moved = Booking.objects.create(
                organisation=held.organisation,
                agenda=agenda,
                meeting_type=meeting_type,
                resource=resource,
                lane=lane,
                start=start,
                end=start + timedelta(minutes=meeting_type.duration_minutes),
                status=BookingStatus.BOOKED,
                user=held.user,
                booked_by=held.booked_by,
                name=held.name,
                email=held.email,
                phone=held.phone,
                note=held.note,
                guardian_consent=held.guardian_consent,
                portal_case_id=held.portal_case_id,
            )
            audit_record(
                actor=actor,
                action="agendas.booking_move",
                organisation=held.organisation,
                target=moved,
                data={"from": held.pk, "was": held.start.isoformat(), "start": start.isoformat()},
            )
            _tell(
                moved,
                f"Rendez-vous déplacé au {_local(start)}",
                f"Votre rendez-vous du {_local(held.start)} est déplacé.",
                short="Rendez-vous déplacé :",
            )
    except IntegrityError:
        raise Conflict("Ce créneau vient d'être pris : choisissez-en un autre.", code="slot_taken") from None
    return moved


def bookings_cancel_for_case(*, actor: User | None, case_id: int, reason: str = "Dossier clos") -> int:
    """Cancel the coming appointments of a portal case that was closed; return how many.

    Called by the portal when it closes a case: the person is told, and a freed place of a
    session goes to the first person waiting, as with any cancellation.
    """
    now = timezone.now()
    count = 0
    for booking in selectors.bookings_of_case_to_cancel(actor=actor, case_id=case_id, after=now):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=booking.event_id) if booking.event_id else None
            held = Booking.objects.select_for_update().get(pk=booking.pk)
            if held.status == BookingStatus.CANCELLED:
                continue
            was = held.status
            held.status, held.cancelled_at, held.cancel_reason = BookingStatus.CANCELLED, now, reason[:300]
            held.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            audit_record(
                actor=actor,
                action="agendas.booking_cancel",
                organisation=held.organisation,
                target=held,
                data={"was": was, "reason": held.cancel_reason, "portal_case": case_id},
            )
            _tell(
                held,
                f"Rendez-vous annulé : le {_local(held.start)}",
                "Votre dossier est clos : le rendez-vous qui lui était lié est annulé "
                f"({held.cancel_reason}).",
                short="Dossier clos, rendez-vous annulé :",
            )
            if event is not None and was == BookingStatus.BOOKED:
                _promote(event, actor, now)
            count += 1
    return count


def bookings_cancel_for_closed_cases(*, now: datetime | None = None) -> int:
    """Cancel the coming appointments of every portal case closed since; return how many."""
    now = now or timezone.now()
    by_person: dict[int, tuple[User, set[int]]] = {}
    for booking in appointment_selectors.bookings_tied_to_cases(actor=None, after=now):
        if booking.user is None or booking.portal_case_id is None:
            continue
        by_person.setdefault(booking.user.pk, (booking.user, set()))[1].add(booking.portal_case_id)
    cancelled = 0
    for person, case_ids in by_person.values():
        for case_id in sorted(
            appointment_selectors.cases_closed_among(person=person, case_ids=sorted(case_ids))
        ):
            cancelled += bookings_cancel_for_case(actor=None, case_id=case_id)
    return cancelled
