"""iCalendar (RFC 5545): an agenda's feed, one booking's .ics, and closures read from a file."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import icalendar
from django.conf import settings
from django.utils import timezone

from socle.core.errors import ServiceError

from .describe import booking_place, booking_title
from .models import Agenda, Booking, Event

PRODID = "-//socle//agendas//FR"
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_EVENTS = 2000


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _domain() -> str:
    return str(settings.EMAIL_MESSAGE_ID_DOMAIN)


def _booking_event(booking: Booking, *, with_person: bool) -> icalendar.Event:
    entry = icalendar.Event()
    entry.add("uid", f"booking-{booking.pk}@{_domain()}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", booking.start)
    entry.add("dtend", booking.end)
    title = booking_title(booking)
    place = booking_place(booking)
    entry.add("summary", f"{title} — {booking.name}" if with_person else title)
    if place:
        entry.add("location", place)
    entry.add("status", "CONFIRMED" if booking.status == "booked" else "TENTATIVE")
    entry.add("description", booking.agenda.title)
    return entry


def _session_event(event: Event, booked: int | None = None) -> icalendar.Event:
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.pk}@{_domain()}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.start)
    entry.add("dtend", event.end)
    entry.add("summary", event.title)
    if event.place:
        entry.add("location", event.place)
    details = [event.description] if event.description else []
    if event.host is not None:
        details.append(f"Commune d'accueil : {event.host.name}")
    details.append(f"{event.capacity} places")
    entry.add("description", "\n".join(details))
    return entry


def agenda_feed(agenda: Agenda, bookings: list[Booking], events: list[Event], *, private: bool) -> bytes:
    """Return the agenda's feed: its sessions, and its bookings (names only in the private feed)."""
    calendar = _calendar(agenda.title)
    for event in events:
        calendar.add_component(_session_event(event))
    for booking in bookings:
        if booking.event_id:
            continue  # a registration is the session, shown once
        if private:
            calendar.add_component(_booking_event(booking, with_person=True))
        else:
            busy = icalendar.Event()
            busy.add("uid", f"booking-{booking.pk}@{_domain()}")
            busy.add("dtstamp", timezone.now())
            busy.add("dtstart", booking.start)
            busy.add("dtend", booking.end)
            busy.add("summary", "Occupé")
            busy.add("transp", "OPAQUE")
            calendar.add_component(busy)
    return bytes(calendar.to_ical())


def booking_ics(booking: Booking) -> bytes:
    """Return one booking as an .ics file to add to a calendar."""
    calendar = _calendar(booking.agenda.title)
    calendar.add("method", "PUBLISH")
    calendar.add_component(_booking_event(booking, with_person=False))
    return bytes(calendar.to_ical())


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def closures_read(data: bytes) -> list[tuple[datetime, datetime, str]]:
    """Read the VEVENTs of an iCalendar file as closed periods; a bad file is a French refusal."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ServiceError("Le fichier iCalendar dépasse 1 Mo.", code="too_large")
    try:
        calendar = icalendar.Calendar.from_ical(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, IndexError, KeyError) as exc:
        raise ServiceError(
            "Ce fichier n'est pas un calendrier iCalendar lisible (RFC 5545).", code="invalid_ical"
        ) from exc
    periods: list[tuple[datetime, datetime, str]] = []
    for component in calendar.walk("VEVENT"):
        if len(periods) >= MAX_IMPORT_EVENTS:
            raise ServiceError(f"Au plus {MAX_IMPORT_EVENTS} fermetures par fichier.", code="too_many")
        start_prop = component.get("dtstart")
        if start_prop is None:
            raise ServiceError("Un événement du fichier n'a pas de début (DTSTART).", code="invalid_ical")
        start_value = start_prop.dt
        end_prop = component.get("dtend")
        if end_prop is not None:
            end_value = end_prop.dt
        elif isinstance(start_value, datetime):
            end_value = start_value + timedelta(hours=1)
        else:
            end_value = start_value + timedelta(days=1)  # an all-day event lasts the day
        start, end = _moment(start_value), _moment(end_value)
        if end <= start:
            raise ServiceError("Un événement du fichier finit avant de commencer.", code="invalid_ical")
        periods.append((start, end, str(component.get("summary", "Fermeture"))))
    return periods
