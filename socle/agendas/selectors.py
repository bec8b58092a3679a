"""Every read of agendas, bookings and mediation records, scoped to the actor.

A public agenda is seen by anyone; a private one only by the agents who may book it.
A booking is seen by the person it is for and by the agents of its organisation (or
of the organisation that lends the resource): anything else is a 404.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Aggregate, BigIntegerField, Count, Func, Prefetch, Q, QuerySet, TextField
from django.http import Http404
from django.utils import timezone

import socle.portal.selectors as portal_selectors
from socle.core.access import Actor, can, get_or_404, organisations_for, scope
from socle.core.errors import Conflict, ServiceError
from socle.core.models import Organisation

from .models import (
    ActivityRecord,
    Agenda,
    AgendaKind,
    Booking,
    BookingStatus,
    Closure,
    Company,
    Event,
    MediationPlace,
    MeetingType,
    Resource,
)
from .slots import ResourceTimes, Slot, candidates, day_openings, french_holidays, slots_compute

VIEW = "agendas.view"
MANAGE = "agendas.manage"
BOOK = "agendas.book"
ATTENDANCE = "agendas.attendance"
RECORDS = "agendas.records"
MAX_RANGE_DAYS = 62


def zone() -> ZoneInfo:
    """The territory's time zone, in which opening hours are written."""
    return ZoneInfo(settings.TIME_ZONE)


# ---- agendas


def agendas_visible(*, actor: Actor) -> QuerySet[Agenda]:
    """Return the public agendas, and the private ones the actor may book or manage."""
    private = Q(pk__in=scope(Agenda.objects.filter(public=False), actor, BOOK).values("pk"))
    if actor is not None and actor.is_authenticated:  # the rooms of the person's companies
        private |= Q(pk__in=Agenda.objects.filter(companies__members__user_id=actor.pk).values("pk"))
    return (
        Agenda.objects.filter(Q(public=True) | private)
        .select_related("organisation")
        .prefetch_related("meeting_types")
        .order_by("title", "pk")
    )


def agenda_get(*, actor: Actor, pk: int) -> Agenda:
    """Return one agenda the actor may see, or 404."""
    return get_or_404(agendas_visible(actor=actor), pk=pk)


def agenda_by_secret(*, actor: Actor, secret: str) -> Agenda:
    """Return the agenda whose secret feed address this is, or 404 (the address is the key)."""
    return get_or_404(Agenda.objects.select_related("organisation"), ical_secret=secret)


def agendas_managed(*, actor: Actor) -> QuerySet[Agenda]:
    """Return the agendas of the organisations where the actor manages agendas."""
    return scope(Agenda.objects.select_related("organisation"), actor, MANAGE).order_by("title", "pk")


def agenda_managed_get(*, actor: Actor, pk: int) -> Agenda:
    """Return one agenda the actor manages, or 404."""
    return get_or_404(agendas_managed(actor=actor), pk=pk)


def agenda_may_book(*, actor: Actor, agenda: Agenda) -> bool:
    """Whether the actor may book this agenda at all (anyone signed in for a public one)."""
    if actor is None or not actor.is_authenticated:
        return False
    return (
        agenda.public
        or can(actor, BOOK, agenda.organisation)
        or bool(companies_booking(actor=actor, agenda=agenda))
    )


def companies_booking(*, actor: Actor, agenda: Agenda) -> list[Company]:
    """Return the companies of the actor whose members may book this agenda (the park's rooms)."""
    if actor is None or not actor.is_authenticated:
        return []
    return list(Company.objects.filter(members__user_id=actor.pk, agendas=agenda).order_by("name", "pk"))


def companies_of(*, actor: Actor) -> QuerySet[Company]:
    """Return the companies the actor is a member of."""
    if actor is None or not actor.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(members__user_id=actor.pk).order_by("name", "pk")


def company_get(*, actor: Actor, pk: int) -> Company:
    """Return a company to one of its members or to an agent who manages its organisation; else 404."""
    if actor is None or not actor.is_authenticated:
        raise Http404("Introuvable.")
    managed = Q(organisation__in=organisations_for(actor, MANAGE))
    return get_or_404(Company.objects.filter(Q(members__user_id=actor.pk) | managed).distinct(), pk=pk)


def company_may_manage(*, actor: Actor, company: Company) -> bool:
    """Whether the actor adds and removes the company's members (its manager, or an agent)."""
    if actor is None or not actor.is_authenticated:
        return False
    return (
        can(actor, MANAGE, company.organisation)
        or company.members.filter(user_id=actor.pk, manager=True).exists()
    )


def company_bookings(*, actor: Actor, company: Company) -> QuerySet[Booking]:
    """Return the coming bookings of a company the actor may see (company_get first)."""
    return (
        _booking_rows()
        .filter(company=company, end__gt=timezone.now())
        .exclude(status=BookingStatus.CANCELLED)
    )


def may_book_for_others(*, actor: Actor, agenda: Agenda) -> bool:
    """Whether the actor is an agent who may book this agenda on someone else's behalf."""
    return can(actor, BOOK, agenda.organisation)


def meeting_type_find(*, actor: Actor, agenda: Agenda, key: str | int) -> MeetingType:
    """Return the agenda's meeting type by id or slug, or raise a French refusal."""
    types = MeetingType.objects.filter(agenda=agenda)
    text = str(key).strip()
    found = types.filter(pk=int(text)).first() if text.isdigit() else types.filter(slug=text[:60]).first()
    if found is None:
        names = ", ".join(f"« {t.slug} »" for t in types) or "aucun"
        raise ServiceError(
            f"Type de rendez-vous inconnu pour cet agenda (types proposés : {names}).",
            code="unknown_type",
            errors={"type": "Type de rendez-vous inconnu."},
        )
    return found


def agendas_viewed(*, actor: Actor) -> QuerySet[Agenda]:
    """Return the agendas of the organisations whose agendas the actor views (agents)."""
    return scope(Agenda.objects.select_related("organisation"), actor, VIEW).order_by("title", "pk")


def agenda_viewed_get(*, actor: Actor, pk: int) -> Agenda:
    """Return one agenda of the actor's organisations, or 404."""
    return get_or_404(agendas_viewed(actor=actor), pk=pk)


def agenda_managed_by(*, actor: Actor, agenda: Agenda) -> bool:
    """Whether the actor manages this agenda (hours, closures, types, sessions)."""
    return can(actor, MANAGE, agenda.organisation)


def organisation_managed_get(*, actor: Actor, pk: int) -> Organisation:
    """Return one organisation where the actor manages agendas, or 404."""
    return get_or_404(organisations_for(actor, MANAGE), pk=pk)


def communes(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the communes of the territory (hosts of roving workshops)."""
    return Organisation.objects.filter(kind="commune").order_by("name")


def commune_get(*, actor: Actor, pk: int) -> Organisation:
    """Return one commune of the territory, or 404."""
    return get_or_404(communes(actor=actor), pk=pk)


def resource_usable_get(*, actor: Actor, pk: int) -> Resource:
    """Return a resource the actor may put in an agenda: managed, or lent to an organisation managed."""
    organisations = organisations_for(actor, MANAGE)
    return get_or_404(
        Resource.objects.filter(Q(organisation__in=organisations) | Q(lent_to__in=organisations)).distinct(),
        pk=pk,
    )


def resource_viewed_get(*, actor: Actor, pk: int) -> Resource:
    """Return a resource of the actor's organisations (who booked it, whoever's agenda), or 404."""
    return get_or_404(scope(Resource.objects.select_related("organisation"), actor, VIEW), pk=pk)


def resources_managed(*, actor: Actor) -> QuerySet[Resource]:
    """Return the resources of the organisations where the actor manages agendas."""
    return scope(Resource.objects.select_related("organisation"), actor, MANAGE)


def resource_managed_get(*, actor: Actor, pk: int) -> Resource:
    """Return one resource the actor manages, or 404."""
    return get_or_404(resources_managed(actor=actor), pk=pk)


def resources_lent_by(*, actor: Actor) -> QuerySet[Resource]:
    """Return the resources of the actor's organisations that are lent to others."""
    return (
        scope(Resource.objects.filter(lent_to__isnull=False), actor, VIEW)
        .distinct()
        .prefetch_related("lent_to")
    )


# ---- slots


@dataclass(frozen=True)
class AgendaTimes:
    """What the slot computation needs of an agenda, read once."""

    hours: dict[int, list[tuple[time, time]]]
    closures: list[tuple[int, int]]
    resources: dict[int, ResourceTimes]
    holidays: set[date]


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


class Epoch(Func):
    """Seconds since the epoch of a datetime column, computed by the database.

    Turning 5,000 stored datetimes into Python datetimes and back cost most of a month's
    slot computation: the sweep wants integers, so the database gives integers.
    """

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # unixepoch() (SQLite 3.38) reads the text a third faster than strftime('%s').
        template = (
            "unixepoch(%(expressions)s)"
            if sqlite3.sqlite_version_info >= (3, 38)
            else "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)", **extra
        )


class EpochPairs(Aggregate):
    """Every row's two epochs joined into one text per group: ``"s0,e0,s1,e1..."``.

    A month of 5,000 bookings then comes back as one row per resource: no 5,000 row tuples
    made and dropped at each call (whose garbage collections, now and then a full one of the
    whole process, were what the 99th percentile measured), and split into flat integers.
    """

    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="group_concat(%(expressions)s, ',')",
            arg_joiner=" || ',' || ",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="string_agg(concat_ws(',', %(expressions)s), ',')", **extra
        )


def _holding(now: datetime) -> Q:
    """The bookings that hold their slot: confirmed, or awaiting a payment not yet overdue."""
    return Q(status=BookingStatus.BOOKED) | Q(status=BookingStatus.TO_PAY, payment_due_by__gt=now)


def agenda_times(
    *, actor: Actor, agenda: Agenda, start: datetime, end: datetime, resources: list[Resource] | None = None
) -> AgendaTimes:
    """Read the opening hours, closures, holidays and bookings of an agenda over a period."""
    hours: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in agenda.opening_hours.values_list("weekday", "start", "end"):
        hours[weekday].append((opens, closes))
    if resources is None:
        resources = list(agenda.resources.filter(active=True).order_by("pk"))
    buffer = agenda.buffer_minutes * 60
    times = {r.pk: ResourceTimes(capacity=r.capacity) for r in resources}
    margin = timedelta(minutes=agenda.buffer_minutes)
    rows = Booking.objects.filter(
        _holding(timezone.now()),
        resource_id__in=list(times),
        start__lt=end + margin,
        end__gt=start - margin,
    )
    joined = (
        rows.order_by()
        .values("resource_id")
        .annotate(pairs=EpochPairs(Epoch("start"), Epoch("end")))
        .values_list("resource_id", "pairs")
    )
    for resource_id, pairs in joined:
        flat = list(map(int, pairs.split(",")))
        held = times[resource_id]
        held.starts = [at - buffer for at in flat[0::2]] if buffer else flat[0::2]
        held.ends = [at + buffer for at in flat[1::2]] if buffer else flat[1::2]
    agenda_closures: list[tuple[int, int]] = []
    for resource_id, begins, ends in (
        Closure.objects.filter(start__lt=end, end__gt=start)
        .filter(Q(agenda=agenda) | Q(resource_id__in=list(times)))
        .values_list("resource_id", "start", "end")
    ):
        target = times[resource_id].closures if resource_id in times else agenda_closures
        target.append((_ts(begins), _ts(ends)))
    # A workshop held in a room takes the whole room.
    for resource_id, begins, ends in Event.objects.filter(
        resource_id__in=list(times), cancelled_at__isnull=True, start__lt=end, end__gt=start
    ).values_list("resource_id", "start", "end"):
        times[resource_id].closures.append((_ts(begins), _ts(ends)))
    local_first = start.astimezone(zone()).date()
    local_last = end.astimezone(zone()).date()
    off = (
        set(french_holidays(range(local_first.year, local_last.year + 1)))
        if agenda.closed_on_public_holidays
        else set()
    )
    return AgendaTimes(hours=dict(hours), closures=agenda_closures, resources=times, holidays=off)


def slots_for(
    *,
    actor: Actor,
    agenda: Agenda,
    meeting_type: MeetingType,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[Slot]:
    """Return the free slots of one meeting type between two moments, within the booking window."""
    if end <= start:
        raise ServiceError("La fin de la période doit suivre son début.", code="invalid_range")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ServiceError(
            f"Demandez au plus {MAX_RANGE_DAYS} jours de créneaux à la fois.", code="range_too_long"
        )
    now = now or timezone.now()
    low = max(start, now + timedelta(minutes=agenda.min_notice_minutes))
    high = min(end, now + timedelta(days=agenda.max_advance_days))
    if high <= low:
        return []
    times = agenda_times(actor=actor, agenda=agenda, start=low, end=high)
    local = zone()
    openings = day_openings(
        times.hours, low.astimezone(local).date(), high.astimezone(local).date(), local, times.holidays
    )
    duration = meeting_type.duration_minutes * 60
    return slots_compute(
        openings=openings,
        closures=times.closures,
        resources=times.resources,
        duration=duration,
        step=duration + agenda.buffer_minutes * 60,
        window=(_ts(low), _ts(high)),
    )


def slot_resource(
    *, actor: Actor, agenda: Agenda, meeting_type: MeetingType, start: datetime, resources: list[Resource]
) -> tuple[Resource, int]:
    """Return the resource and lane that can take this slot, or raise why none can."""
    local = zone()
    day = start.astimezone(local).date()
    duration = meeting_type.duration_minutes * 60
    low, high = _ts(start), _ts(start) + duration
    end = start + timedelta(seconds=duration)
    times = agenda_times(actor=actor, agenda=agenda, start=start, end=end, resources=resources)
    openings = day_openings(times.hours, day, day, local)
    if not any(opens <= low and high <= closes for opens, closes in openings):
        raise ServiceError(
            "Ce créneau est en dehors des heures d'ouverture.",
            code="outside_opening_hours",
            errors={"start": "En dehors des heures d'ouverture."},
        )
    if day in times.holidays:
        name = french_holidays([day.year]).get(day, "jour férié")
        raise ServiceError(f"Fermé ce jour-là ({name}).", code="closed", errors={"start": "Jour férié."})
    if any(opens < high and low < closes for opens, closes in times.closures):
        raise ServiceError(
            "L'accueil est fermé à ce moment-là.",
            code="closed",
            errors={"start": "Fermeture exceptionnelle."},
        )
    if low not in candidates(openings, duration, duration + agenda.buffer_minutes * 60, (low, high)):
        raise ServiceError(
            "Ce créneau ne fait pas partie de ceux proposés : choisissez-en un dans la liste.",
            code="invalid_slot",
            errors={"start": "Créneau non proposé."},
        )
    margin = timedelta(minutes=agenda.buffer_minutes)
    for resource in resources:
        held = times.resources[resource.pk]
        if any(opens < high and low < closes for opens, closes in held.closures):
            continue
        used = set(
            Booking.objects.filter(
                _holding(timezone.now()), resource=resource, start__lt=end + margin, end__gt=start - margin
            ).values_list("lane", flat=True)
        )
        free = [lane for lane in range(resource.capacity) if lane not in used]
        if free:
            return resource, free[0]
    raise Conflict(
        "Ce créneau vient d'être pris : choisissez-en un autre.",
        code="slot_taken",
        errors={"start": "Créneau déjà pris."},
    )


# ---- events


def events_of(*, actor: Actor, agenda: Agenda, upcoming: bool = True) -> QuerySet[Event]:
    """Return the sessions of an agenda the actor sees, with their counts of places taken."""
    events = Event.objects.filter(agenda=agenda).select_related("host", "resource", "mediator")
    if upcoming:
        events = events.filter(end__gt=timezone.now())
    return events.annotate(
        booked_count=Count("registrations", filter=Q(registrations__status=BookingStatus.BOOKED)),
        waiting_count=Count("registrations", filter=Q(registrations__status=BookingStatus.WAITING)),
    ).order_by("start", "pk")


def events_upcoming(*, actor: Actor, kind_theme: str = "") -> QuerySet[Event]:
    """Return the coming sessions of every agenda the actor sees."""
    visible = agendas_visible(actor=actor).filter(kind=AgendaKind.EVENTS)
    events = Event.objects.filter(agenda__in=visible, end__gt=timezone.now(), cancelled_at__isnull=True)
    if kind_theme:
        events = events.filter(theme=kind_theme[:100])
    return (
        events.select_related("agenda", "host")
        .annotate(
            booked_count=Count("registrations", filter=Q(registrations__status=BookingStatus.BOOKED)),
            waiting_count=Count("registrations", filter=Q(registrations__status=BookingStatus.WAITING)),
        )
        .order_by("start", "pk")
    )


def event_get(*, actor: Actor, pk: int) -> Event:
    """Return one session of an agenda the actor sees, or 404."""
    visible = agendas_visible(actor=actor)
    return get_or_404(
        Event.objects.filter(agenda__in=visible)
        .select_related("agenda", "agenda__organisation", "host", "resource", "mediator")
        .annotate(
            booked_count=Count("registrations", filter=Q(registrations__status=BookingStatus.BOOKED)),
            waiting_count=Count("registrations", filter=Q(registrations__status=BookingStatus.WAITING)),
        ),
        pk=pk,
    )


def events_mediated(*, actor: Actor) -> QuerySet[Event]:
    """Return the sessions where the actor may take attendance."""
    return (
        Event.objects.filter(agenda__organisation__in=organisations_for(actor, ATTENDANCE))
        .select_related("agenda", "host", "mediator")
        .annotate(
            booked_count=Count("registrations", filter=Q(registrations__status=BookingStatus.BOOKED)),
            waiting_count=Count("registrations", filter=Q(registrations__status=BookingStatus.WAITING)),
        )
        .order_by("start", "pk")
    )


def event_mediated_get(*, actor: Actor, pk: int) -> Event:
    """Return one session where the actor takes attendance, or 404."""
    return get_or_404(events_mediated(actor=actor), pk=pk)


def registrations_of(*, actor: Actor, event: Event) -> QuerySet[Booking]:
    """Return the registrations of a session (booked, then the waiting list in its order)."""
    if not (can(actor, ATTENDANCE, event.agenda.organisation) or can(actor, VIEW, event.agenda.organisation)):
        raise Http404("Introuvable.")
    return (
        Booking.objects.filter(event=event)
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("status", "created_at", "pk")
    )  # "booked" sorts before "waiting"


def waiting_position(*, actor: Actor, booking: Booking) -> int | None:
    """Return the rank of a waiting registration on its list (1 for the next one promoted)."""
    if booking.status != BookingStatus.WAITING or booking.event_id is None:
        return None
    ahead = Booking.objects.filter(event_id=booking.event_id, status=BookingStatus.WAITING).filter(
        Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk)
    )
    return ahead.count() + 1


# ---- bookings


def _booking_rows() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "agenda", "agenda__organisation", "meeting_type", "resource", "event", "event__host"
    )


def bookings_of(*, actor: Actor) -> QuerySet[Booking]:
    """Return the bookings and registrations of the person themself, soonest first."""
    if actor is None or not actor.is_authenticated:
        return Booking.objects.none()
    return _booking_rows().filter(user=actor).order_by("start", "pk")


def case_linkable(*, actor: Actor, case_id: int) -> bool:
    """Whether the actor may tie a booking to that portal case: their own, or one they see."""
    if actor is None or not actor.is_authenticated or not 0 < case_id < 2**63:
        return False
    if portal_selectors.case_number_of(actor=actor, pk=case_id) is not None:
        return True
    return portal_selectors.cases_of_citizen(actor=actor).filter(pk=case_id).exclude(status="draft").exists()


def case_has_bookings(*, case_id: int) -> bool:
    """Tell whether any booking is tied to a portal case (says nothing of who may see it)."""
    return Booking.objects.filter(portal_case_id=case_id).exists()


def bookings_for_case(*, actor: Actor, case_id: int) -> QuerySet[Booking]:
    """Return the bookings tied to a portal case that the actor may see, soonest first."""
    return bookings_visible(actor=actor).filter(portal_case_id=case_id).order_by("start", "pk")


def bookings_of_case_to_cancel(*, actor: Actor, case_id: int, after: datetime) -> QuerySet[Booking]:
    """Return the coming, not cancelled bookings tied to a portal case (to cancel when it closes)."""
    return (
        _booking_rows()
        .filter(portal_case_id=case_id, start__gt=after)
        .exclude(status=BookingStatus.CANCELLED)
    )


def bookings_visible(*, actor: Actor) -> QuerySet[Booking]:
    """Return the person's own bookings and those of the organisations (or lent resources) they view."""
    if actor is None or not actor.is_authenticated:
        return Booking.objects.none()
    organisations = organisations_for(actor, VIEW)
    # The visible ids in a subquery, the rows and their joins outside it: DISTINCT over
    # the ten joined tables cost PostgreSQL 7 ms of planning for a handful of rows.
    visible = Booking.objects.filter(
        Q(user=actor)
        | Q(company__members__user_id=actor.pk)
        | Q(organisation__in=organisations)
        | Q(resource__organisation__in=organisations)
        | Q(event__resource__organisation__in=organisations)
    ).values("pk")
    return _booking_rows().filter(pk__in=visible)


def booking_get(*, actor: Actor, pk: int) -> Booking:
    """Return one booking the actor may see, or 404."""
    return get_or_404(bookings_visible(actor=actor), pk=pk)


def booking_by_secret(*, actor: Actor, secret: str) -> Booking:
    """Return the booking whose private link this is (sent by email), or 404."""
    return get_or_404(_booking_rows(), secret=secret[:64])


def bookings_managed(*, actor: Actor, agenda: Agenda, start: datetime, end: datetime) -> QuerySet[Booking]:
    """Return the bookings of an agenda over a period, for the agents who view it."""
    if not can(actor, VIEW, agenda.organisation):
        raise Http404("Introuvable.")
    return (
        _booking_rows()
        .filter(agenda=agenda, start__lt=end, end__gt=start)
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("start", "pk")
    )


def bookings_of_resource(
    *, actor: Actor, resource: Resource, start: datetime, end: datetime
) -> QuerySet[Booking]:
    """Return who booked a resource of the actor's organisation, whoever's agenda it was."""
    if not can(actor, VIEW, resource.organisation):
        raise Http404("Introuvable.")
    return (
        _booking_rows()
        .filter(Q(resource=resource) | Q(event__resource=resource), start__lt=end, end__gt=start)
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("start", "pk")
    )


def bookings_to_remind(*, actor: Actor, start: datetime, end: datetime) -> QuerySet[Booking]:
    """Return the confirmed bookings starting in the period whose person was not reminded yet."""
    return (
        _booking_rows()
        .filter(status=BookingStatus.BOOKED, start__gte=start, start__lt=end, reminded_at__isnull=True)
        .exclude(email="", phone="")
    )


def feed_rows(*, actor: Actor, agenda: Agenda, start: datetime) -> tuple[list[Booking], list[Event]]:
    """Return what an agenda's iCalendar feed shows from a moment on (bookings, sessions)."""
    bookings = list(
        _booking_rows()
        .filter(agenda=agenda, status=BookingStatus.BOOKED, end__gt=start)
        .order_by("start", "pk")[:5000]
    )
    events = list(
        Event.objects.filter(agenda=agenda, end__gt=start, cancelled_at__isnull=True)
        .select_related("host")
        .order_by("start", "pk")[:2000]
    )
    return bookings, events


def closures_of(*, actor: Actor, agenda: Agenda) -> QuerySet[Closure]:
    """Return the closures of an agenda, for the agents who manage it."""
    if not can(actor, MANAGE, agenda.organisation):
        raise Http404("Introuvable.")
    return Closure.objects.filter(agenda=agenda).select_related("resource").order_by("start")


# ---- digital mediation


def activity_records_visible(*, actor: Actor) -> QuerySet[ActivityRecord]:
    """Return the activity records of the organisations where the actor reads them."""
    return scope(
        ActivityRecord.objects.select_related("organisation", "commune", "mediator", "event"), actor, RECORDS
    ).order_by("-date", "-pk")


def activity_totals(
    *, actor: Actor, start: date, end: date, organisation: Organisation | None = None
) -> dict[str, int]:
    """Return, over [start, end), the sessions, people helped and hours of mediation the actor sees."""
    rows = activity_records_visible(actor=actor).filter(date__gte=start, date__lt=end)
    if organisation is not None:
        rows = rows.filter(
            Q(organisation__path__startswith=organisation.path)
            | Q(commune__path__startswith=organisation.path)
        )
    records = participants = minutes = 0
    for count, duration in rows.values_list("participants", "duration_minutes"):
        records += 1
        participants += count
        minutes += duration
    return {"records": records, "participants": participants, "minutes": minutes}


def activity_by_commune(*, actor: Actor, month: date) -> list[dict[str, object]]:
    """Return one line per commune of the month's activity the actor sees."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    rows = (
        activity_records_visible(actor=actor)
        .filter(date__gte=first, date__lt=following)
        .values("commune__name")
        .annotate(records=Count("pk"))
        .order_by("commune__name")
    )
    totals: dict[str, dict[str, object]] = {}
    for row in rows:
        totals[row["commune__name"] or "—"] = {
            "commune": row["commune__name"] or "—",
            "records": row["records"],
            "participants": 0,
        }
    for name, count in (
        activity_records_visible(actor=actor)
        .filter(date__gte=first, date__lt=following)
        .values_list("commune__name", "participants")
    ):
        line = totals.setdefault(name or "—", {"commune": name or "—", "records": 0, "participants": 0})
        line["participants"] = int(str(line["participants"])) + count
    return list(totals.values())


def activity_record_of(*, actor: Actor, event: Event) -> ActivityRecord | None:
    """Return the activity record written for a session, if the actor may read it."""
    return activity_records_visible(actor=actor).filter(event=event).first()


def mediation_places_public() -> QuerySet[MediationPlace]:
    """Return every place of digital mediation, published as open data."""
    return MediationPlace.objects.select_related("organisation").order_by("city", "name", "pk")


def mediation_places_managed(*, actor: Actor) -> QuerySet[MediationPlace]:
    """Return the places of the organisations where the actor manages agendas."""
    return scope(MediationPlace.objects.all(), actor, MANAGE)


def event_queue(*, actor: Actor, event: Event) -> QuerySet[Booking]:
    """Return the waiting list of a session in the order it is promoted."""
    return Booking.objects.filter(event=event, status=BookingStatus.WAITING).order_by("created_at", "pk")


def prefetch_types() -> Prefetch:
    """Prefetch of an agenda's meeting types, ordered."""
    return Prefetch("meeting_types", queryset=MeetingType.objects.order_by("name", "pk"))


def booking_by_payment_reference(*, actor: Actor, reference: str) -> Booking:
    """Return the booking a payment reference stands for (the provider's answer); 404 otherwise."""
    if not reference.startswith("AGD") or not reference[3:].isdigit():
        raise Http404("Référence de paiement inconnue.")
    return get_or_404(_booking_rows().exclude(amount=0), payment_reference=reference[:30])


def resources_with_overdue_holds(*, actor: Actor, now: datetime) -> list[int]:
    """Return the resources where a slot is still held for a payment now overdue."""
    return sorted(
        set(
            Booking.objects.filter(
                status=BookingStatus.TO_PAY, payment_due_by__lte=now, resource__isnull=False
            ).values_list("resource_id", flat=True)
        )
    )


def portal_procedure_checked(*, agenda: Agenda, slug: str) -> int | None:
    """Return the key of the procedure the portal offers under that slug where the agenda is."""
    slug = slug.strip()
    if not slug:
        return None
    offered = portal_selectors.procedure_offered_in(organisation=agenda.organisation, slug=slug[:100])
    if offered is None:
        raise ServiceError(
            f"La démarche « {slug[:100]} » n'est pas proposée là où se trouve cet agenda.",
            code="unknown_procedure",
            errors={"portal_procedure": "Démarche inconnue."},
        )
    return int(offered.procedure.pk)
