"""Pages of the portal's appointment step: book for a filed case, move an appointment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import appointment_selectors, selectors, services
from .views import _day, _start, _week


@require_GET
@login_required
def case_appointment(request: HttpRequest, case_id: int) -> HttpResponse:
    """The appointment step of a filed case: its appointment if booked, else the free slots."""
    actor = request_actor(request)
    booked = appointment_selectors.appointments_of_case(actor=actor, case_id=case_id).first()
    if booked is not None:
        return redirect("agendas:my_bookings")
    offer = appointment_selectors.appointment_offer_get(actor=actor, case_id=case_id)
    query = urlencode({"type": offer.meeting_type.slug, "dossier": offer.case_id})
    return redirect(f"{reverse('agendas:agenda', args=[offer.meeting_type.agenda_id])}?{query}")


@require_http_methods(["GET", "POST"])
@login_required
def booking_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose another slot of the same type for an appointment, confirm, and it moves."""
    actor = request_actor(request)
    booking = selectors.booking_get(actor=actor, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    start = _start(source.get("start", "")) if source.get("start") else None
    refusal, status = "", 200
    if source.get("start") and start is None:
        refusal, status = "Ce créneau est illisible : choisissez-en un dans la liste.", 400
    elif request.method == "POST" and start is not None:
        try:
            moved = services.booking_move(actor=actor, booking=booking, start=start)
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
        else:
            messages.success(
                request, f"Rendez-vous déplacé au {timezone.localtime(moved.start):%d/%m/%Y à %H:%M}."
            )
            return redirect("agendas:my_bookings")
    context: dict[str, Any] = {
        "booking": booking,
        "start": start,
        "refusal": refusal,
        "raw_start": source.get("start", "")[:40],
    }
    if booking.meeting_type is not None and (start is None or refusal):
        first = max(_day(request.GET.get("du", "")), timezone.localdate())
        context.update(
            {
                "first": first,
                "days": _week(actor, booking.agenda, booking.meeting_type, first),
                "previous": first - timedelta(days=7) if first > timezone.localdate() else None,
                "following": first + timedelta(days=7),
            }
        )
    return render(request, "agendas/move.html", context, status=status)
