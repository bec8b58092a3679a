"""What the agendas show on other modules' objects (see ``Panel`` in core.modules)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from socle.core.access import Actor
from socle.core.modules import PanelContent, PanelLink, object_ref_parse

from . import selectors
from .describe import booking_place, booking_title


def appointment_on_case(*, actor: Actor, ref: str) -> PanelContent | None:
    """Show on a portal case the appointments booked for it that the actor may see."""
    pk = object_ref_parse(ref, "portal.case")
    bookings = list(selectors.bookings_for_case(actor=actor, case_id=pk)[:10]) if pk is not None else []
    if not bookings:
        return None
    links = tuple(
        PanelLink(
            text=f"{booking_title(booking)}, le {timezone.localtime(booking.start):%d/%m/%Y à %H:%M}",
            url=reverse("agendas:booking_ics_secret", args=[booking.secret]),
            detail=f"{booking.get_status_display()}"
            + (f" — {booking_place(booking)}" if booking_place(booking) else ""),
        )
        for booking in bookings
    )
    return PanelContent(title="Rendez-vous", links=links)
