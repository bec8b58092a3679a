"""Every write of the agendas module: resources, agendas, bookings, waiting lists, attendance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from ._checks import _aware, _local, _require, _slot_time_checked
from .booking_messages import _tell
from .booking_payments import (
    _holds_expire,
    booking_payment_settle,
    booking_payment_start,
    bookings_expire_unpaid,
)
from .models import (
    Agenda,
    AgendaKind,
    Booking,
    BookingStatus,
    Closure,
    Company,
    Event,
    Level,
    MeetingType,
    OpeningHours,
    Resource,
    ResourceKind,
)
from .payment_backend import hold_terms, payment_backend
from .waiting_list import _promote

MANAGE = selectors.MANAGE
BOOK = selectors.BOOK
ATTENDANCE = selectors.ATTENDANCE
RECORDS = selectors.RECORDS


# ---- resources and agendas


def resource_create(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    kind: str = ResourceKind.ROOM,
    capacity: int = 1,
    seats: int | None = None,
    equipment: str = "",
    accessible: bool = False,
    address: str = "",
    lent_to: Sequence[Organisation] = (),
) -> Resource:
    """Create a resource (room, desk, counter, machine) of an organisation, lent to others if given."""
    _require(actor, MANAGE, organisation, "Vous ne gérez pas les ressources de cette organisation.")
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "Donnez un nom à la ressource."
    if kind not in ResourceKind.values:
        errors["kind"] = "Type de ressource inconnu."
    if capacity < 1 or capacity > 500:
        errors["capacity"] = "La capacité va de 1 à 500 réservations simultanées."
    if errors:
        raise ServiceError("La ressource n'a pas été créée : " + " ".join(errors.values()), errors=errors)
    with transaction.atomic():
        resource = Resource.objects.create(
            organisation=organisation,
            name=name[:200],
            kind=kind,
            capacity=capacity,
            seats=seats,
            equipment=equipment[:300],
            accessible=accessible,
            address=address[:300],
        )
        if lent_to:
            resource.lent_to.set(lent_to)
        audit_record(
            actor=actor,
            action="agendas.resource_create",
            organisation=organisation,
            target=resource,
            data={
                "name": resource.name,
                "kind": kind,
                "capacity": capacity,
                "lent_to": [o.slug for o in lent_to],
            },
        )
    return resource


def agenda_create(
    *,
    actor: User | None,
    organisation: Organisation,
    title: str,
    kind: str,
    public: bool = True,
    description: str = "",
    resources: Sequence[Resource] = (),
    buffer_minutes: int = 0,
    min_notice_minutes: int = 0,
    max_advance_days: int = 90,
    closed_on_public_holidays: bool = True,
) -> Agenda:
    """Create an agenda of meetings or of events for an organisation."""
    _require(actor, MANAGE, organisation, "Vous ne gérez pas les agendas de cette organisation.")
    title = title.strip()
    if not title:
        raise ServiceError("Donnez un titre à l'agenda.", errors={"title": "Titre manquant."})
    if kind not in AgendaKind.values:
        raise ServiceError(
            "Un agenda est de rendez-vous (« meetings ») ou d'ateliers (« events »).",
            errors={"kind": "Type d'agenda inconnu."},
        )
    foreign = [
        r.name
        for r in resources
        if r.organisation_id != organisation.pk and not r.lent_to.filter(pk=organisation.pk).exists()
    ]
    if foreign:
        raise ServiceError(
            f"Ces ressources ne sont ni à l'organisation ni prêtées à elle : {', '.join(foreign)}.",
            errors={"resources": "Ressource d'une autre organisation."},
        )
    if not 0 <= buffer_minutes <= 240 or not 0 <= max_advance_days <= 730:
        raise ServiceError(
            "Le battement entre réservations va de 0 à 240 minutes, l'ouverture des "
            "réservations de 0 à 730 jours.",
            code="invalid_window",
        )
    with transaction.atomic():
        agenda = Agenda.objects.create(
            organisation=organisation,
            title=title[:200],
            kind=kind,
            public=public,
            description=description[:4000],
            buffer_minutes=buffer_minutes,
            min_notice_minutes=min_notice_minutes,
            max_advance_days=max_advance_days,
            closed_on_public_holidays=closed_on_public_holidays,
        )
        agenda.resources.set(resources)
        audit_record(
            actor=actor,
            action="agendas.agenda_create",
            organisation=organisation,
            target=agenda,
            data={
                "title": agenda.title,
                "kind": kind,
                "public": public,
                "resources": [r.pk for r in resources],
            },
        )
    return agenda


def opening_hours_set(
    *, actor: User | None, agenda: Agenda, hours: Iterable[tuple[int, time, time]]
) -> list[OpeningHours]:
    """Replace the weekly opening hours of an agenda (weekday 0 = Monday, local times)."""
    _require(actor, MANAGE, agenda.organisation, "Vous ne gérez pas cet agenda.")
    rows = sorted(hours)
    for weekday, start, end in rows:
        if not 0 <= weekday <= 6 or end <= start:
            raise ServiceError(
                "Chaque plage d'ouverture a un jour (lundi à dimanche) et finit après son début.",
                code="invalid_hours",
            )
    for (day_a, _, end_a), (day_b, start_b, _) in pairwise(rows):
        if day_a == day_b and start_b < end_a:
            raise ServiceError("Deux plages d'ouverture du même jour se chevauchent.", code="invalid_hours")
    with transaction.atomic():
        OpeningHours.objects.filter(agenda=agenda).delete()
        created = OpeningHours.objects.bulk_create(
            OpeningHours(agenda=agenda, weekday=w, start=s, end=e) for w, s, e in rows
        )
        audit_record(
            actor=actor,
            action="agendas.opening_hours_set",
            organisation=agenda.organisation,
            target=agenda,
            data={"hours": [[w, s.isoformat(), e.isoformat()] for w, s, e in rows]},
        )
    return created


def closure_add(
    *,
    actor: User | None,
    agenda: Agenda,
    start: datetime,
    end: datetime,
    reason: str = "",
    resource: Resource | None = None,
) -> Closure:
    """Close an agenda (or one of its resources) for a period: no slot is offered in it."""
    _require(actor, MANAGE, agenda.organisation, "Vous ne gérez pas cet agenda.")
    _aware(start, "start")
    _aware(end, "end")
    if end <= start:
        raise ServiceError("La fermeture doit finir après son début.", code="invalid_range")
    if resource is not None and not agenda.resources.filter(pk=resource.pk).exists():
        raise ServiceError("Cette ressource n'appartient pas à l'agenda.", errors={"resource": "Inconnue."})
    with transaction.atomic():
        closure = Closure.objects.create(
            agenda=agenda, resource=resource, start=start, end=end, reason=reason.strip()[:200]
        )
        audit_record(
            actor=actor,
            action="agendas.closure_add",
            organisation=agenda.organisation,
            target=closure,
            data={
                "agenda": agenda.pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "reason": closure.reason,
            },
        )
    return closure


def closures_import(*, actor: User | None, agenda: Agenda, data: bytes) -> list[Closure]:
    """Add the events of an iCalendar file (RFC 5545) as closures of the agenda, all or none."""
    from .ical import closures_read

    _require(actor, MANAGE, agenda.organisation, "Vous ne gérez pas cet agenda.")
    periods = closures_read(data)
    with transaction.atomic():
        created = Closure.objects.bulk_create(
            Closure(agenda=agenda, start=s, end=e, reason=r[:200]) for s, e, r in periods
        )
        audit_record(
            actor=actor,
            action="agendas.closures_import",
            organisation=agenda.organisation,
            target=agenda,
            data={"count": len(created)},
        )
    return created


def meeting_type_create(
    *,
    actor: User | None,
    agenda: Agenda,
    slug: str,
    name: str,
    duration_minutes: int,
    portal_procedure: str = "",
    price: Decimal = Decimal("0.00"),
) -> MeetingType:
    """Add a meeting type (its duration) to a meetings agenda; the appointment step of a procedure."""
    _require(actor, MANAGE, agenda.organisation, "Vous ne gérez pas cet agenda.")
    if agenda.kind != AgendaKind.MEETINGS:
        raise ServiceError("Seul un agenda de rendez-vous a des types de rendez-vous.", code="wrong_kind")
    if not 5 <= duration_minutes <= 1440:
        raise ServiceError(
            "Un rendez-vous dure de 5 minutes à 24 heures.",
            errors={"duration_minutes": "Durée hors limites."},
        )
    if not Decimal("0") <= price <= Decimal("9999.99") or price != price.quantize(Decimal("0.01")):
        raise ServiceError(
            "Le prix va de 0 à 9 999,99 €, au centime près.", errors={"price": "Prix invalide."}
        )
    procedure_id = selectors.portal_procedure_checked(agenda=agenda, slug=portal_procedure)
    with transaction.atomic():
        if MeetingType.objects.filter(agenda=agenda, slug=slug).exists():
            raise Conflict(f"Le type « {slug} » existe déjà dans cet agenda.", code="duplicate_type")
        created = MeetingType.objects.create(
            agenda=agenda,
            slug=slug[:60],
            name=name.strip()[:200],
            duration_minutes=duration_minutes,
            portal_procedure_id=procedure_id,
            price=price,
        )
        audit_record(
            actor=actor,
            action="agendas.meeting_type_create",
            organisation=agenda.organisation,
            target=created,
            data={
                "slug": slug,
                "duration_minutes": duration_minutes,
                "portal_procedure": procedure_id,
                "price": str(price),
            },
        )
    return created


def event_create(
    *,
    actor: User | None,
    agenda: Agenda,
    title: str,
    start: datetime,
    end: datetime,
    capacity: int,
    waiting_list: int = 10,
    place: str = "",
    resource: Resource | None = None,
    host: Organisation | None = None,
    mediator: User | None = None,
    theme: str = "",
    level: str = "",
    description: str = "",
    registration_deadline: datetime | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
) -> Event:
    """Schedule a session (a workshop) in an events agenda; its room must be free then."""
    _require(actor, MANAGE, agenda.organisation, "Vous ne gérez pas cet agenda.")
    if agenda.kind != AgendaKind.EVENTS:
        raise ServiceError("Seul un agenda d'ateliers accueille des séances.", code="wrong_kind")
    _aware(start, "start")
    _aware(end, "end")
    if end <= start:
        raise ServiceError("La séance doit finir après son début.", code="invalid_range")
    if capacity < 1 or waiting_list < 0:
        raise ServiceError("Une séance a au moins une place.", errors={"capacity": "Capacité invalide."})
    if level and level not in Level.values:
        raise ServiceError("Niveau inconnu.", errors={"level": "Débutant, intermédiaire ou avancé."})
    if (
        resource is not None
        and resource.organisation_id != agenda.organisation_id
        and not (resource.lent_to.filter(pk=agenda.organisation_id).exists())
    ):
        raise ServiceError(
            "Cette salle n'est pas prêtée à l'organisation de l'agenda.",
            errors={"resource": "Salle non prêtée."},
        )
    with transaction.atomic():
        if resource is not None:
            Resource.objects.select_for_update().get(pk=resource.pk)
            taken = (
                Booking.objects.filter(
                    resource=resource, status=BookingStatus.BOOKED, start__lt=end, end__gt=start
                ).exists()
                or Event.objects.filter(
                    resource=resource, cancelled_at__isnull=True, start__lt=end, end__gt=start
                ).exists()
            )
            if taken:
                raise Conflict(
                    f"La salle « {resource.name} » est déjà réservée à ce moment-là.", code="resource_taken"
                )
        event = Event.objects.create(
            agenda=agenda,
            title=title.strip()[:200],
            start=start,
            end=end,
            capacity=capacity,
            waiting_list=waiting_list,
            place=place[:300] or (resource.address if resource else ""),
            resource=resource,
            host=host,
            mediator=mediator,
            theme=theme[:100],
            level=level,
            description=description[:4000],
            registration_deadline=registration_deadline,
            min_age=min_age,
            max_age=max_age,
        )
        audit_record(
            actor=actor,
            action="agendas.event_create",
            organisation=agenda.organisation,
            target=event,
            data={
                "title": event.title,
                "start": start.isoformat(),
                "capacity": capacity,
                "host": host.slug if host else None,
            },
        )
    return event


# ---- who a booking is for


def _person(
    actor: User, organisation: Organisation, permission: str, *, name: str, email: str, phone: str
) -> dict[str, Any]:
    """The booking's person: the actor, or someone an agent books for (name and a way to reach them)."""
    name, email, phone = name.strip(), email.strip().lower(), "".join(phone.split())
    if not name:
        return {
            "user": actor,
            "booked_by": actor,
            "name": actor.display_name[:200],
            "email": actor.email,
            "phone": "",
        }
    if not can(actor, permission, organisation):
        raise Forbidden("Seul un agent de l'organisation réserve pour une autre personne.", code="forbidden")
    if not email and not phone:
        raise ServiceError(
            "Donnez une adresse électronique ou un numéro de téléphone pour prévenir la personne.",
            code="contact_missing",
            errors={"email": "Adresse ou téléphone nécessaire."},
        )
    if phone and not (phone.lstrip("+").isdigit() and 8 <= len(phone) <= 16):
        raise ServiceError("Numéro de téléphone invalide.", errors={"phone": "Chiffres seulement."})
    return {"user": None, "booked_by": actor, "name": name[:200], "email": email[:254], "phone": phone}


# ---- meetings


def booking_create(
    *,
    actor: User,
    agenda: Agenda,
    meeting_type: MeetingType,
    start: datetime,
    name: str = "",
    email: str = "",
    phone: str = "",
    note: str = "",
    portal_case_id: int | None = None,
    company: Company | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a slot of a meetings agenda, for the actor or (an agent) for someone else, or a company."""
    if agenda.kind != AgendaKind.MEETINGS:
        raise ServiceError(
            "Cet agenda propose des ateliers : inscrivez-vous à une séance.", code="wrong_kind"
        )
    if meeting_type.agenda_id != agenda.pk:
        raise ServiceError("Ce type de rendez-vous n'est pas celui de cet agenda.", code="unknown_type")
    if not selectors.agenda_may_book(actor=actor, agenda=agenda):
        raise Forbidden("Cet agenda est réservé aux agents de son organisation.")
    person = _person(actor, agenda.organisation, BOOK, name=name, email=email, phone=phone)
    if portal_case_id is not None and not selectors.case_linkable(actor=actor, case_id=portal_case_id):
        raise ServiceError(
            "Ce dossier est introuvable : le rendez-vous n'a pas été pris.",
            code="unknown_case",
            errors={"case": "Dossier introuvable."},
        )
    if company is not None and company not in selectors.companies_booking(actor=actor, agenda=agenda):
        raise ServiceError(
            "Vous ne réservez pas ces salles au nom de cette entreprise.",
            code="unknown_company",
            errors={"company": "Entreprise introuvable."},
        )
    start = _aware(start, "start")
    now = now or timezone.now()
    _slot_time_checked(agenda, start, now)
    if meeting_type.price > 0 and payment_backend() is None:
        raise ServiceError(
            "Le paiement en ligne n'est pas encore ouvert pour ce créneau payant : "
            "réservez auprès de l'accueil.",
            code="payment_unavailable",
        )
    end = start + timedelta(minutes=meeting_type.duration_minutes)
    terms = hold_terms(meeting_type, now)
    try:
        with transaction.atomic():
            # Holding the agenda's resources serialises every writer of the same slot.
            resources = list(
                Resource.objects.select_for_update().filter(agendas=agenda, active=True).order_by("pk")
            )
            _holds_expire(resources, now)
            resource, lane = selectors.slot_resource(
                actor=actor, agenda=agenda, meeting_type=meeting_type, start=start, resources=resources
            )
            booking = Booking.objects.create(
                organisation=agenda.organisation,
                agenda=agenda,
                meeting_type=meeting_type,
                resource=resource,
                lane=lane,
                start=start,
                end=end,
                note=note.strip()[:500],
                portal_case_id=portal_case_id,
                company=company,
                **terms,
                **person,
            )
            if booking.status == BookingStatus.TO_PAY:
                booking.payment_reference = f"AGD{booking.pk:012d}"
                booking.save(update_fields=["payment_reference"])
            audit_record(
                actor=actor,
                action="agendas.booking_create",
                organisation=agenda.organisation,
                target=booking,
                data={
                    "agenda": agenda.pk,
                    "type": meeting_type.slug,
                    "start": start.isoformat(),
                    "resource": resource.pk,
                    "amount": str(booking.amount),
                },
            )
            if booking.status == BookingStatus.BOOKED:
                _tell(booking, f"Rendez-vous confirmé le {_local(start)}", "Votre rendez-vous est confirmé.")
    except IntegrityError:
        raise Conflict("Ce créneau vient d'être pris : choisissez-en un autre.", code="slot_taken") from None
    return booking


# ---- events


def _age_checked(event: Event, age: int | None, guardian_consent: bool) -> None:
    if event.min_age is None and event.max_age is None:
        return
    if age is None:
        raise ServiceError(
            "Cet atelier est ouvert à une tranche d'âge : indiquez l'âge de la personne inscrite.",
            code="age_missing",
            errors={"age": "Âge manquant."},
        )
    if (event.min_age is not None and age < event.min_age) or (
        event.max_age is not None and age > event.max_age
    ):
        raise ServiceError(
            f"Cet atelier est ouvert de {event.min_age or 0} à {event.max_age or 120} ans.",
            code="age_out_of_range",
            errors={"age": "Hors de la tranche d'âge."},
        )
    if age < 18 and not guardian_consent:
        raise ServiceError(
            "Avant 18 ans, l'inscription demande l'accord d'un parent ou du responsable légal.",
            code="consent_missing",
            errors={"guardian_consent": "Accord parental manquant."},
        )


def registration_create(
    *,
    actor: User,
    event: Event,
    name: str = "",
    email: str = "",
    phone: str = "",
    age: int | None = None,
    guardian_consent: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Register for a session: a place if one is left, else the waiting list, else a refusal."""
    agenda = event.agenda
    if not selectors.agenda_may_book(actor=actor, agenda=agenda):
        raise Forbidden("Cet agenda est réservé aux agents de son organisation.")
    now = now or timezone.now()
    if event.cancelled_at is not None:
        raise Conflict("Cette séance est annulée.", code="event_cancelled")
    if event.start <= now:
        raise ServiceError("Cette séance a déjà commencé ou est passée.", code="past")
    if event.registration_deadline is not None and now > event.registration_deadline:
        raise ServiceError(
            f"Les inscriptions sont closes depuis le {_local(event.registration_deadline)}.",
            code="registration_closed",
        )
    person = _person(actor, agenda.organisation, ATTENDANCE, name=name, email=email, phone=phone)
    _age_checked(event, age, guardian_consent)
    try:
        with transaction.atomic():
            held = Event.objects.select_for_update().get(pk=event.pk)
            if (
                person["user"] is not None
                and Booking.objects.filter(
                    event=held, user=person["user"], status__in=[BookingStatus.BOOKED, BookingStatus.WAITING]
                ).exists()
            ):
                raise Conflict("Vous êtes déjà inscrit à cette séance.", code="already_registered")
            booked = Booking.objects.filter(event=held, status=BookingStatus.BOOKED).count()
            waiting = Booking.objects.filter(event=held, status=BookingStatus.WAITING).count()
            if booked < held.capacity:
                status = BookingStatus.BOOKED
            elif waiting < held.waiting_list:
                status = BookingStatus.WAITING
            else:
                raise Conflict("Cette séance est complète, liste d'attente comprise.", code="full")
            booking = Booking.objects.create(
                organisation=agenda.organisation,
                agenda=agenda,
                event=held,
                start=held.start,
                end=held.end,
                status=status,
                guardian_consent=guardian_consent,
                **person,
            )
            audit_record(
                actor=actor,
                action="agendas.registration_create",
                organisation=agenda.organisation,
                target=booking,
                data={"event": held.pk, "status": status},
            )
            if status == BookingStatus.BOOKED:
                _tell(booking, f"Inscription confirmée : {held.title}", "Votre inscription est confirmée.")
            else:
                _tell(
                    booking,
                    f"Liste d'attente : {held.title}",
                    f"La séance est complète : vous êtes n° {waiting + 1} sur la liste d'attente. "
                    "Nous vous écrirons dès qu'une place se libère.",
                )
    except IntegrityError:
        raise Conflict("Vous êtes déjà inscrit à cette séance.", code="already_registered") from None
    return booking


def booking_cancel(
    *, actor: User, booking: Booking, reason: str = "", now: datetime | None = None
) -> Booking:
    """Cancel a booking or a registration; a freed place goes to the first person waiting, at once."""
    own = booking.user_id == actor.pk
    manager = can(actor, MANAGE, booking.organisation) or (
        booking.event_id is not None and can(actor, ATTENDANCE, booking.organisation)
    )
    if not (own or manager):
        raise Forbidden("Seuls la personne et les agents de l'organisation annulent cette réservation.")
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=booking.event_id) if booking.event_id else None
        held = Booking.objects.select_for_update().get(pk=booking.pk)
        if held.status == BookingStatus.CANCELLED:
            raise Conflict("Cette réservation est déjà annulée.", code="already_cancelled")
        if held.start <= now and not manager:
            raise ServiceError("Ce rendez-vous a déjà commencé : il ne s'annule plus en ligne.", code="past")
        was = held.status
        held.status = BookingStatus.CANCELLED
        held.cancelled_at = now
        held.cancel_reason = reason.strip()[:300]
        held.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=actor,
            action="agendas.booking_cancel",
            organisation=held.organisation,
            target=held,
            data={"was": was, "reason": held.cancel_reason, "by_owner": own},
        )
        if not own:
            _tell(
                held,
                f"Réservation annulée : le {_local(held.start)}",
                "Votre réservation a été annulée par l'organisation"
                + (f" ({held.cancel_reason})." if held.cancel_reason else "."),
                short="Annulé par l'organisation :",
            )
        if event is not None and was == BookingStatus.BOOKED:
            _promote(event, actor, now)
    return held


def reminders_send(*, now: datetime | None = None) -> int:
    """Email a reminder to everyone booked in the next 24 hours who was not reminded yet."""
    now = now or timezone.now()
    sent = 0
    for booking in selectors.bookings_to_remind(actor=None, start=now, end=now + timedelta(hours=24)):
        with transaction.atomic():
            held = Booking.objects.select_for_update().get(pk=booking.pk)
            if held.reminded_at is not None or held.status != BookingStatus.BOOKED:
                continue
            held.reminded_at = now
            held.save(update_fields=["reminded_at"])
            _tell(
                booking,
                f"Rappel : rendez-vous le {_local(booking.start)}",
                "Un petit rappel :",
                short="Rappel :",
            )
            sent += 1
    return sent


# The writes of digital mediation (attendance, activity records, places) live in their own
# module; they are part of this module's services.
from .appointment_services import (  # noqa: E402
    booking_move,
    bookings_cancel_for_case,
    bookings_cancel_for_closed_cases,
)
from .company_services import company_create, company_member_add, company_member_remove  # noqa: E402
from .mediation_services import (  # noqa: E402
    AGE_BANDS,
    AUTONOMY,
    STATUSES,
    THEMES,
    activity_record_create,
    attendance_record,
    mediation_place_create,
)

__all__ = [
    "AGE_BANDS",
    "AUTONOMY",
    "STATUSES",
    "THEMES",
    "activity_record_create",
    "attendance_record",
    "booking_move",
    "booking_payment_settle",
    "booking_payment_start",
    "bookings_cancel_for_case",
    "bookings_cancel_for_closed_cases",
    "bookings_expire_unpaid",
    "company_create",
    "company_member_add",
    "company_member_remove",
    "mediation_place_create",
]
