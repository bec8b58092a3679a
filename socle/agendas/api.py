"""The agendas API: agendas, free slots, bookings and registrations, sessions, mediation exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from socle.core.api_auth import token_auth
from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.errors import ServiceError
from socle.core.models import User
from socle.core.notifications import absolute_url
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, page_by_position, page_of_list, position_of
from socle.core.request_actor import NotSignedIn, request_actor, request_actor_or_none

from . import mediation, selectors, services
from .models import Agenda, Booking, Event

router = Router(tags=["agendas"])


class AgendaMeetingTypeOut(Schema):
    id: int
    slug: str
    name: str
    duration_minutes: int


class AgendaOut(Schema):
    id: int
    kind: str = Field(description="« meetings » (rendez-vous, créneaux) ou « events » (séances).")
    organisation: str = Field(description="Identifiant (slug) de l'organisation.")
    title: str
    description: str
    public: bool
    types: list[AgendaMeetingTypeOut]
    ical_url: str | None = Field(description="Flux iCalendar public ; null pour un agenda privé.")


class AgendaPageOut(Schema):
    items: list[AgendaOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class AgendaSlotOut(Schema):
    start: datetime
    end: datetime
    free: int = Field(description="Nombre de ressources libres sur ce créneau.")


class AgendaSlotPageOut(Schema):
    items: list[AgendaSlotOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class AgendaBookingIn(Schema):
    start: datetime | None = Field(None, description="Début du créneau (agenda de rendez-vous).")
    type: str | int | None = Field(None, description="Type de rendez-vous : identifiant ou slug.")
    event: int | None = Field(None, description="Séance (agenda d'ateliers).")
    name: Text = Field("", max_length=200, description="Agents : nom de la personne pour qui réserver.")
    email: Text = Field("", max_length=254)
    phone: Text = Field("", max_length=30)
    note: Text = Field("", max_length=500)
    age: int | None = Field(
        None, ge=0, le=120, description="Âge, pour une séance réservée à une tranche d'âge."
    )
    guardian_consent: bool = Field(False, description="Accord d'un parent, avant 18 ans.")


class AgendaBookingOut(Schema):
    id: int
    status: str = Field(description="« booked », « waiting », « to_pay » (à payer) ou « cancelled ».")
    agenda: int
    start: datetime
    end: datetime
    type: str | None
    event: int | None
    resource: str | None
    waiting_position: int | None
    ics_url: str


class AgendaBookingPageOut(Schema):
    items: list[AgendaBookingOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class AgendaEventOut(Schema):
    id: int
    agenda: int
    title: str
    theme: str
    level: str
    start: datetime
    end: datetime
    place: str
    host: str | None
    capacity: int
    booked: int
    waiting: int
    waiting_list: int
    registration_deadline: datetime | None
    cancelled: bool


class AgendaEventPageOut(Schema):
    items: list[AgendaEventOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class AgendaRegistrationOut(Schema):
    id: int
    status: str
    name: str
    email: str
    phone: str
    created_at: datetime
    attended: bool | None


class AgendaRegistrationPageOut(Schema):
    items: list[AgendaRegistrationOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class MediationActivityOut(Schema):
    id: int
    type: str
    date: str
    duree_minutes: int
    type_lieu: str
    commune_insee: str
    commune: str
    thematiques: list[str]
    niveau_atelier: str
    autonomie: str
    orientation: str
    titre_atelier: str
    participants: int
    beneficiaires: list[dict[str, str]]
    structure: str
    mediateur: str


class MediationActivityPageOut(Schema):
    items: list[MediationActivityOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class MediationPlacePageOut(Schema):
    items: list[dict[str, Any]]
    next: str | None = Field(description=NEXT_DESCRIPTION)


def _caller(request: HttpRequest) -> User | None:
    # Public reads: a visitor sees the public agendas; a bearer token or a session adds the
    # caller's private ones.
    if request.headers.get("Authorization", "").startswith("Bearer "):
        user = token_auth(request)
        if isinstance(user, User):
            return user
        raise NotSignedIn("Jeton invalide ou expiré.")
    return request_actor_or_none(request)


def _agenda_out(agenda: Agenda) -> dict[str, Any]:
    return {
        "id": agenda.pk,
        "kind": agenda.kind,
        "organisation": agenda.organisation.slug,
        "title": agenda.title,
        "description": agenda.description,
        "public": agenda.public,
        "types": [
            {"id": t.pk, "slug": t.slug, "name": t.name, "duration_minutes": t.duration_minutes}
            for t in agenda.meeting_types.all()
        ],
        "ical_url": absolute_url(reverse("agendas:feed", args=[agenda.pk])) if agenda.public else None,
    }


def _booking_out(actor: User | None, booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "status": booking.status,
        "agenda": booking.agenda_id,
        "start": booking.start,
        "end": booking.end,
        "type": booking.meeting_type.slug if booking.meeting_type is not None else None,
        "event": booking.event_id,
        "resource": booking.resource.name if booking.resource is not None else None,
        "waiting_position": selectors.waiting_position(actor=actor, booking=booking),
        "ics_url": absolute_url(reverse("agendas:booking_ics_secret", args=[booking.secret])),
    }


def _event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "agenda": event.agenda_id,
        "title": event.title,
        "theme": event.theme,
        "level": event.level,
        "start": event.start,
        "end": event.end,
        "place": event.place,
        "host": event.host.slug if event.host is not None else None,
        "capacity": event.capacity,
        "booked": getattr(event, "booked_count", 0),
        "waiting": getattr(event, "waiting_count", 0),
        "waiting_list": event.waiting_list,
        "registration_deadline": event.registration_deadline,
        "cancelled": event.cancelled_at is not None,
    }


def _page(rows: Any, page: PageIn) -> tuple[list[Any], str | None]:
    start = position_of(page)
    return page_by_position(list(rows[start : start + page.limit + 1]), page, start)


READ = {200: AgendaPageOut, 400: InvalidOut, 401: ErrorOut}


@router.get("/agendas", response=READ, auth=None, summary="Agendas (rendez-vous et ateliers)")
def agendas(request: HttpRequest, page: Query[PageIn]) -> Any:
    """List the public agendas, and the private ones the caller may book."""
    items, next_cursor = _page(selectors.agendas_visible(actor=_caller(request)), page)
    return {"items": [_agenda_out(a) for a in items], "next": next_cursor}


@router.get(
    "/agendas/{agenda_id}",
    response={200: AgendaOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="Un agenda",
)
def agenda(request: HttpRequest, agenda_id: int) -> Any:
    """One agenda, with its meeting types."""
    return _agenda_out(selectors.agenda_get(actor=_caller(request), pk=agenda_id))


class SlotQuery(Schema):
    start: datetime = Field(alias="from", description="Début de la période (ISO 8601 avec fuseau).")
    end: datetime = Field(alias="to", description="Fin de la période (62 jours au plus).")
    type: Text = Field(max_length=60, description="Type de rendez-vous : identifiant ou slug.")


@router.get(
    "/agendas/{agenda_id}/slots",
    response={200: AgendaSlotPageOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="Créneaux libres d'un agenda de rendez-vous",
)
def slots(request: HttpRequest, agenda_id: int, query: Query[SlotQuery], page: Query[PageIn]) -> Any:
    """The free slots of one meeting type between `from` and `to`, in the booking window."""
    actor = _caller(request)
    found = selectors.agenda_get(actor=actor, pk=agenda_id)
    if found.kind != "meetings":
        raise ServiceError("Cet agenda propose des séances : voyez ses « events ».", code="wrong_kind")
    for moment, name in ((query.start, "from"), (query.end, "to")):
        services._aware(moment, name)
    meeting_type = selectors.meeting_type_find(actor=actor, agenda=found, key=query.type)
    free = selectors.slots_for(
        actor=actor, agenda=found, meeting_type=meeting_type, start=query.start, end=query.end
    )
    rows = [
        {
            "start": datetime.fromtimestamp(s.start, selectors.zone()),
            "end": datetime.fromtimestamp(s.end, selectors.zone()),
            "free": s.free,
        }
        for s in free
    ]
    return page_of_list(rows, page)


WRITE = {201: AgendaBookingOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post("/agendas/{agenda_id}/bookings", response=WRITE, summary="Réserver un créneau ou s'inscrire")
def booking_create(request: HttpRequest, agenda_id: int, body: AgendaBookingIn) -> Any:
    """Book a slot (`start` and `type`) or register for a session (`event`): 201 booked or waiting."""
    actor = request_actor(request)
    found = selectors.agenda_get(actor=actor, pk=agenda_id)
    if found.kind == "events":
        if body.event is None:
            raise ServiceError(
                "Indiquez la séance (« event »).", code="invalid", errors={"event": "Séance manquante."}
            )
        event = selectors.event_get(actor=actor, pk=body.event)
        if event.agenda_id != found.pk:
            raise ServiceError("Cette séance n'est pas dans cet agenda.", errors={"event": "Autre agenda."})
        booking = services.registration_create(
            actor=actor,
            event=event,
            age=body.age,
            guardian_consent=body.guardian_consent,
            name=body.name,
            email=body.email,
            phone=body.phone,
        )
    else:
        if body.start is None or body.type is None:
            raise ServiceError(
                "Indiquez le début du créneau (« start ») et le type de rendez-vous (« type »).",
                code="invalid",
                errors={"start": "Obligatoire.", "type": "Obligatoire."},
            )
        meeting_type = selectors.meeting_type_find(actor=actor, agenda=found, key=body.type)
        booking = services.booking_create(
            actor=actor,
            agenda=found,
            meeting_type=meeting_type,
            start=body.start,
            note=body.note,
            name=body.name,
            email=body.email,
            phone=body.phone,
        )
    return Status(201, _booking_out(actor, booking))


@router.get(
    "/bookings",
    response={200: AgendaBookingPageOut, 400: InvalidOut, 401: ErrorOut},
    summary="Mes réservations et inscriptions",
)
def bookings(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The caller's own bookings and registrations, soonest first."""
    actor = request_actor(request)
    items, next_cursor = _page(selectors.bookings_of(actor=actor), page)
    return {"items": [_booking_out(actor, b) for b in items], "next": next_cursor}


@router.get(
    "/bookings/{booking_id}",
    response={200: AgendaBookingOut, 401: ErrorOut, 404: ErrorOut},
    summary="Une réservation",
)
def booking(request: HttpRequest, booking_id: int) -> Any:
    """One booking of the caller, or of an organisation whose agendas the caller views."""
    actor = request_actor(request)
    return _booking_out(actor, selectors.booking_get(actor=actor, pk=booking_id))


@router.delete(
    "/bookings/{booking_id}",
    response={
        200: AgendaBookingOut,
        400: InvalidOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    summary="Annuler une réservation ou une inscription",
)
def booking_cancel(request: HttpRequest, booking_id: int, reason: str = "") -> Any:
    """Cancel; a freed place of a session goes to the first person waiting."""
    actor = request_actor(request)
    found = selectors.booking_get(actor=actor, pk=booking_id)
    return _booking_out(actor, services.booking_cancel(actor=actor, booking=found, reason=reason[:300]))


@router.get(
    "/agendas/{agenda_id}/events",
    response={200: AgendaEventPageOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="Séances à venir d'un agenda d'ateliers",
)
def events(request: HttpRequest, agenda_id: int, page: Query[PageIn]) -> Any:
    """The coming sessions of an agenda, with their places taken and waiting."""
    actor = _caller(request)
    found = selectors.agenda_get(actor=actor, pk=agenda_id)
    items, next_cursor = _page(selectors.events_of(actor=actor, agenda=found), page)
    return {"items": [_event_out(e) for e in items], "next": next_cursor}


@router.get(
    "/events/{event_id}",
    response={200: AgendaEventOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="Une séance",
)
def event(request: HttpRequest, event_id: int) -> Any:
    """One session with its places taken and waiting."""
    return _event_out(selectors.event_get(actor=_caller(request), pk=event_id))


@router.get(
    "/events/{event_id}/registrations",
    response={200: AgendaRegistrationPageOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
    summary="Inscrits et liste d'attente d'une séance",
)
def registrations(request: HttpRequest, event_id: int, page: Query[PageIn]) -> Any:
    """Registrations of a session (agents of its organisation): booked first, then the waiting list."""
    actor = request_actor(request)
    found = selectors.event_get(actor=actor, pk=event_id)
    items, next_cursor = _page(selectors.registrations_of(actor=actor, event=found), page)
    return {
        "items": [
            {
                "id": b.pk,
                "status": b.status,
                "name": b.name,
                "email": b.email,
                "phone": b.phone,
                "created_at": b.created_at,
                "attended": b.attended,
            }
            for b in items
        ],
        "next": next_cursor,
    }


@router.get(
    "/mediation/activities",
    response={200: MediationActivityPageOut, 400: InvalidOut, 401: ErrorOut},
    summary="Comptes rendus d'activité de médiation numérique",
)
def activities(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The activity records the caller may read (anonymous profiles), newest first."""
    items, next_cursor = _page(selectors.activity_records_visible(actor=request_actor(request)), page)
    return {"items": [mediation.activity_row(r) for r in items], "next": next_cursor}


@router.get(
    "/mediation/places",
    response={200: MediationPlacePageOut, 400: InvalidOut},
    auth=None,
    summary="Lieux de médiation numérique (standard national)",
)
def places(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The directory of mediation places, one row per place in the national standard's fields."""
    items, next_cursor = _page(selectors.mediation_places_public(), page)
    return {"items": [mediation.place_row(p) for p in items], "next": next_cursor}
