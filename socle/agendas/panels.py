"""What the agendas show on other modules' objects (see ``Panel`` in core.modules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from socle.core.access import Actor
from socle.core.modules import PanelContent, PanelLink, object_ref_parse

from . import appointment_selectors, selectors
from .describe import booking_place, booking_title
from .models import BookingStatus

SLOTS_OFFERED = 3  # the first free slots shown on the case, the others one click away


def _offer_links(actor: Actor, case_id: int) -> tuple[list[PanelLink], str]:
    """The appointment step of the citizen's case: « Prendre rendez-vous » and the first free slots."""
    try:
        offer = appointment_selectors.appointment_offer_get(actor=actor, case_id=case_id)
    except Http404:
        return [], ""
    meeting_type, agenda = offer.meeting_type, offer.meeting_type.agenda
    now = timezone.now()
    free = selectors.slots_for(
        actor=actor, agenda=agenda, meeting_type=meeting_type, start=now, end=now + timedelta(days=31)
    )[:SLOTS_OFFERED]
    book = reverse("agendas:book", args=[agenda.pk])
    local = selectors.zone()
    links = [
        PanelLink(
            text="Prendre rendez-vous",
            url=reverse("agendas:case_appointment", args=[case_id]),
            detail=f"{meeting_type.name} — {agenda.title}",
        )
    ]
    for slot in free:
        moment = datetime.fromtimestamp(slot.start, local)
        query = urlencode({"type": meeting_type.slug, "start": moment.isoformat(), "dossier": case_id})
        links.append(
            PanelLink(text=f"Le {moment:%d/%m/%Y à %H:%M}", url=f"{book}?{query}", detail="Créneau libre")
        )
    line = (
        "Cette démarche se poursuit par un rendez-vous : choisissez un créneau."
        if free
        else "Cette démarche se poursuit par un rendez-vous : aucun créneau libre ce mois-ci, "
        "voyez les suivants."
    )
    return links, line


def appointment_on_case(*, actor: Actor, ref: str) -> PanelContent | None:
    """Show on a portal case its appointments the actor may see, or offer its citizen to book one."""
    pk = object_ref_parse(ref, "portal.case")
    if pk is None:
        return None
    now = timezone.now()
    links: list[PanelLink] = []
    coming = False
    # Most cases have no appointment: one light query spares them the bookings' wide read.
    bookings = (selectors.bookings_for_case(actor=actor, case_id=pk)[:10]
                if selectors.case_has_bookings(case_id=pk) else [])
    for booking in bookings:
        links.append(
            PanelLink(
                text=f"{booking_title(booking)}, le {timezone.localtime(booking.start):%d/%m/%Y à %H:%M}",
                url=reverse("agendas:booking_ics_secret", args=[booking.secret]),
                detail=f"{booking.get_status_display()}"
                + (f" — {booking_place(booking)}" if booking_place(booking) else "")
                + " (ajouter à mon agenda, .ics)",
            )
        )
        if booking.status == BookingStatus.BOOKED and booking.end > now:
            coming = True
            if actor is not None and booking.user_id == actor.pk and booking.start > now:
                for text, name in (("Déplacer", "booking_move"), ("Annuler", "booking_cancel")):
                    url = reverse(f"agendas:{name}", args=[booking.pk])
                    links.append(PanelLink(f"{text} ce rendez-vous", url))
    lines: tuple[str, ...] = ()
    if not coming:
        offered, line = _offer_links(actor, pk)
        links = offered + links
        lines = (line,) if line else ()
    if not links:
        return None
    return PanelContent(title="Rendez-vous", links=tuple(links), lines=lines)
