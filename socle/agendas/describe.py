"""How a booking reads for a person: what it is and where (emails, .ics, pages)."""

from __future__ import annotations

from .models import Booking


def booking_title(booking: Booking) -> str:
    """Return what was booked: the session's title, the meeting type, or the agenda."""
    if booking.event is not None:
        return booking.event.title
    if booking.meeting_type is not None:
        return booking.meeting_type.name
    return booking.agenda.title


def booking_place(booking: Booking) -> str:
    """Return where it takes place, as one line (empty when unknown)."""
    if booking.event is not None and booking.event.place:
        return booking.event.place
    if booking.resource is not None:
        return ", ".join(part for part in (booking.resource.name, booking.resource.address) if part)
    return ""
