"""The waiting list of a session: a freed place goes to the first person waiting, in order."""

from __future__ import annotations

from datetime import datetime

from socle.core.journal import audit_record
from socle.core.models import User

from .booking_messages import _tell
from .models import Booking, BookingStatus, Event


def _promote(event: Event, actor: User | None, now: datetime) -> Booking | None:
    """Give the freed place to the first person waiting (the caller holds the event's lock)."""
    if event.start <= now:
        return None
    first = (
        Booking.objects.select_for_update()
        .filter(event=event, status=BookingStatus.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if first is None:
        return None
    first.status = BookingStatus.BOOKED
    first.promoted_at = now
    first.save(update_fields=["status", "promoted_at"])
    audit_record(
        actor=actor,
        action="agendas.waiting_promote",
        organisation=first.organisation,
        target=first,
        data={"event": event.pk},
    )
    _tell(
        first,
        f"Une place s'est libérée : {event.title}",
        "Une place s'est libérée : vous passez de la liste d'attente aux inscrits. "
        "Si vous ne pouvez plus venir, annulez pour la laisser à quelqu'un d'autre.",
        short="Une place s'est libérée, vous êtes inscrit :",
    )
    return first
