"""AlloTIC pages: travellers book and cancel on-demand trips and pay penalties; agents run the service."""

from __future__ import annotations

from datetime import date, time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from socle.core.errors import ServiceError
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor, request_actor_or_none

from . import ondemand, selectors

agent_required = role_required(
    selectors.VIEW, title="Espace réservé au service transport",
    message="Seuls les agents du service transport gèrent le transport à la demande.")


def _int(text: str, default: int = 0) -> int:
    return int(text) if text.strip().isdigit() else default


def _book(request: HttpRequest) -> None:
    actor = request_actor(request)
    run = selectors.ondemand_run_open_get(pk=_int(request.POST.get("run", "")), now=timezone.now())
    booking = ondemand.booking_create(actor=actor, run=run, pickup_stop_id=request.POST.get("pickup",
                                                                                            "")[:100],
                                      dropoff_stop_id=request.POST.get("dropoff", "")[:100],
                                      seats=_int(request.POST.get("seats", "1"), 1))
    messages.success(request, f"Trajet réservé : votre numéro de réservation est {booking.reference}.")


def _cancel(request: HttpRequest) -> None:
    actor = request_actor(request)
    booking = selectors.booking_of_get(actor=actor, reference=request.POST.get("reference", "")[:20])
    booking = ondemand.booking_cancel(actor=actor, booking=booking)
    messages.success(request, "Réservation annulée." if not booking.penalty_reason else
                     "Réservation annulée moins de deux heures avant le trajet : une pénalité est due.")


@require_http_methods(["GET", "POST"])
def booking_page(request: HttpRequest) -> HttpResponseBase:
    user = request_actor_or_none(request)
    error = ""
    if request.method == "POST":
        if user is None:
            return redirect(reverse("core:login") + "?next=" + reverse("mobility:allotic"))
        handler = {"book": _book, "cancel": _cancel}.get(request.POST.get("action", ""))
        try:
            if handler is None:
                raise ServiceError("Action inconnue.")
            handler(request)
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("mobility:allotic")
    now = timezone.now()
    runs = list(selectors.ondemand_runs_open(now=now)[:100])
    stop_ids = sorted({s for run in runs for s in run.zone.stop_ids})
    bookings = list(selectors.bookings_of(actor=user)[:50]) if user else []
    names = selectors.stop_names(stop_ids=stop_ids + [b.pickup_stop_id for b in bookings]
                                 + [b.dropoff_stop_id for b in bookings])
    return render(request, "mobility/allotic.html", {
        "user": user, "error": error,
        "runs": [(run, run.capacity - run.seats_booked, [(s, names.get(s, s)) for s in run.zone.stop_ids])
                 for run in runs],
        "bookings": [(b, selectors.penalty_state(booking=b), names.get(b.pickup_stop_id, b.pickup_stop_id),
                      names.get(b.dropoff_stop_id, b.dropoff_stop_id)) for b in bookings]},
        status=400 if error else 200)


@require_POST
def penalty_pay(request: HttpRequest, reference: str) -> HttpResponseBase:
    if request_actor_or_none(request) is None:
        return redirect(reverse("core:login") + "?next=" + reverse("mobility:allotic"))
    actor = request_actor(request)
    booking = selectors.booking_of_get(actor=actor, reference=reference[:20])
    try:
        number = ondemand.penalty_pay_start(actor=actor, booking=booking)
    except ServiceError as exc:
        return error_page(request, "Paiement impossible", exc.message, exc.status)
    # The portal's own page: the traveller checks the draft, files it, then pays once the amount is set.
    return redirect(reverse("portal:procedure", args=[ondemand.PENALTY_PROCEDURE]) + f"?brouillon={number}")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _create_run(request: HttpRequest) -> str:
    actor = request_actor(request)
    zone = selectors.zone_get_for(actor=actor, pk=_int(request.POST.get("zone", "")))
    day, start, end = (_day(request.POST.get("day", "")), _time(request.POST.get("window_start", "")),
                       _time(request.POST.get("window_end", "")))
    if day is None or start is None or end is None:
        return "Indiquez le jour (JJ/MM/AAAA) et les heures de début et de fin du créneau."
    ondemand.run_create(actor=actor, zone=zone, day=day, window_start=start, window_end=end,
                        vehicle=request.POST.get("vehicle", "")[:60],
                        capacity=_int(request.POST.get("capacity", ""), 0))
    return ""


def _no_show(request: HttpRequest) -> str:
    actor = request_actor(request)
    booking = selectors.booking_get_for(actor=actor, pk=_int(request.POST.get("booking", "")))
    ondemand.booking_no_show(actor=actor, booking=booking)
    return ""


@require_http_methods(["GET", "POST"])
@agent_required
def service_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    error = ""
    if request.method == "POST":
        handler = {"run": _create_run, "no_show": _no_show}.get(request.POST.get("action", ""))
        try:
            error = handler(request) if handler else "Action inconnue."
        except ServiceError as exc:
            error = exc.message
        if not error:
            messages.success(request, "Enregistré.")
            return redirect("mobility:allotic_service")
    today = timezone.localdate()
    bookings = list(selectors.bookings_for(actor=actor, since=today)[:200])
    penalties = list(selectors.bookings_for(actor=actor, penalties=True)[:100])
    return render(request, "mobility/allotic_service.html", {
        "zones": selectors.ondemand_zones_for(actor=actor),
        "runs": selectors.ondemand_runs_for(actor=actor, since=today)[:100],
        "bookings": bookings, "penalties": [(b, selectors.penalty_state(booking=b)) for b in penalties],
        "today": today, "error": error}, status=400 if error else 200)
