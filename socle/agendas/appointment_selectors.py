"""The reads of the portal's appointment step: which filed cases offer an appointment (decision 0021).

A case is read through the portal's selectors only: the
citizen's own cases (``cases_of_citizen``), never another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

import socle.portal.selectors as portal_selectors
from socle.core.access import Actor

from . import selectors
from .models import AgendaKind, Booking, BookingStatus, MeetingType


@dataclass(frozen=True)
class AppointmentOffer:
    """A filed, open case of the citizen whose procedure offers an appointment of that type."""

    case_id: int
    case_number: str
    procedure_title: str
    meeting_type: MeetingType


def _open_cases(actor: Actor, case_ids: list[int] | None = None) -> list[dict[str, Any]]:
    # The citizen's own filed cases still open, read through the portal's selector.
    if actor is None or not actor.is_authenticated:
        return []
    cases = portal_selectors.cases_of_citizen(actor=actor).exclude(status="draft")
    cases = cases.filter(closed_at__isnull=True)
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    fields = ("pk", "number", "procedure_id", "procedure__title", "organisation__path")
    return [dict(row) for row in cases.values(*fields)[:50]]


def _offers(cases: list[dict[str, Any]]) -> list[AppointmentOffer]:
    types = list(
        MeetingType.objects.filter(
            portal_procedure_id__in={c["procedure_id"] for c in cases},
            agenda__kind=AgendaKind.MEETINGS,
            agenda__public=True,
        )
        .select_related("agenda", "agenda__organisation")
        .order_by("pk")
    )
    offers = []
    for case in cases:
        # The agenda of the case's organisation, else of the nearest one above it.
        near = [
            t
            for t in types
            if t.portal_procedure_id == case["procedure_id"]
            and case["organisation__path"].startswith(t.agenda.organisation.path)
        ]
        if near:
            chosen = max(near, key=lambda t: len(t.agenda.organisation.path))
            offers.append(AppointmentOffer(case["pk"], case["number"], case["procedure__title"], chosen))
    return offers


def appointment_offers(*, actor: Actor) -> list[AppointmentOffer]:
    """Return the citizen's open cases whose procedure offers an appointment not booked yet."""
    offers = _offers(_open_cases(actor))
    if not offers or actor is None or actor.pk is None:
        return []
    booked = set(
        Booking.objects.filter(
            portal_case_id__in=[o.case_id for o in offers],
            user_id=actor.pk,
            status=BookingStatus.BOOKED,
            end__gt=timezone.now(),
        ).values_list("portal_case_id", flat=True)
    )
    return [o for o in offers if o.case_id not in booked]


def appointment_offer_get(*, actor: Actor, case_id: int) -> AppointmentOffer:
    """Return the appointment step of one of the citizen's open cases; 404 for anything else."""
    found = _offers(_open_cases(actor, [case_id])) if 0 < case_id < 2**63 else []
    if not found:
        raise Http404("Aucun rendez-vous n'est proposé pour ce dossier.")
    return found[0]


def appointments_of_case(*, actor: Actor, case_id: int) -> QuerySet[Booking]:
    """Return the coming confirmed appointments of a case that the actor may see."""
    return selectors.bookings_for_case(actor=actor, case_id=case_id).filter(
        status=BookingStatus.BOOKED, end__gt=timezone.now()
    )


def bookings_tied_to_cases(*, actor: Actor, after: datetime) -> QuerySet[Booking]:
    """Return the coming, not cancelled bookings tied to a case, with the person they are for."""
    return (
        Booking.objects.filter(portal_case_id__isnull=False, user__isnull=False, start__gt=after)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("user")
    )


def cases_closed_among(*, person: Any, case_ids: list[int]) -> set[int]:
    """Return which of those cases of the person are closed, read through the portal's selector."""
    return set(
        portal_selectors.cases_of_citizen(actor=person)
        .filter(pk__in=case_ids, closed_at__isnull=False)
        .values_list("pk", flat=True)
    )
