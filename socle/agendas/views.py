"""Pages of the agendas module: public agendas, slot picker, booking, my bookings, .ics and feeds."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor, request_actor_or_none

from . import appointment_selectors, ical, mediation, selectors, services
from .forms import BookingForm, CancelForm, CitizenBookingForm, RegistrationForm
from .models import Agenda, MeetingType

DAYS_SHOWN = 7


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value[:10]) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@require_GET
def agenda_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor_or_none(request)
    return render(request, "agendas/list.html", {"agendas": selectors.agendas_visible(actor=actor)})


@require_GET
def events_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor_or_none(request)
    return render(request, "agendas/events.html", {"events": selectors.events_upcoming(actor=actor)[:200]})


def _week(
    actor: Any, agenda: Agenda, meeting_type: MeetingType, first: date
) -> OrderedDict[date, list[datetime]]:
    local = selectors.zone()
    start = datetime.combine(first, time.min, local)
    free = selectors.slots_for(
        actor=actor,
        agenda=agenda,
        meeting_type=meeting_type,
        start=start,
        end=start + timedelta(days=DAYS_SHOWN),
    )
    days: OrderedDict[date, list[datetime]] = OrderedDict(
        (first + timedelta(days=n), []) for n in range(DAYS_SHOWN)
    )
    for slot in free:
        moment = datetime.fromtimestamp(slot.start, local)
        days.setdefault(moment.date(), []).append(moment)
    return days


@require_GET
def agenda_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor_or_none(request)
    agenda = selectors.agenda_get(actor=actor, pk=pk)
    context: dict[str, Any] = {
        "agenda": agenda,
        "may_book": selectors.agenda_may_book(actor=actor, agenda=agenda),
    }
    if agenda.kind == "events":
        context["events"] = selectors.events_of(actor=actor, agenda=agenda)
        return render(request, "agendas/agenda_events.html", context)
    types = list(agenda.meeting_types.all())
    context["types"] = types
    chosen = request.GET.get("type", "")
    if chosen or len(types) == 1:
        try:
            meeting_type = selectors.meeting_type_find(
                actor=actor, agenda=agenda, key=chosen or types[0].slug
            )
        except ServiceError as exc:
            context["error"] = exc.message
            return render(request, "agendas/agenda_meetings.html", context, status=400)
        first = max(_day(request.GET.get("du", "")), timezone.localdate())
        context.update(
            {
                "case_id": request.GET.get("dossier", "")[:20]
                if request.GET.get("dossier", "").isdigit()
                else "",
                "meeting_type": meeting_type,
                "first": first,
                "days": _week(actor, agenda, meeting_type, first),
                "previous": first - timedelta(days=DAYS_SHOWN) if first > timezone.localdate() else None,
                "following": first + timedelta(days=DAYS_SHOWN),
            }
        )
    return render(request, "agendas/agenda_meetings.html", context)


def _start(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


@require_http_methods(["GET", "POST"])
@login_required
def book(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    agenda = selectors.agenda_get(actor=actor, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    refusal = ""
    try:
        meeting_type = selectors.meeting_type_find(actor=actor, agenda=agenda, key=source.get("type", ""))
    except ServiceError as exc:
        return render(
            request,
            "core/error.html",
            {"title": "Type de rendez-vous inconnu", "message": exc.message},
            status=400,
        )
    start = _start(source.get("start", ""))
    case_text = source.get("dossier", "")[:20]
    case_id = int(case_text) if case_text.isdigit() else None
    companies = selectors.companies_booking(actor=actor, agenda=agenda)
    chosen = source.get("entreprise", "")
    company = next((c for c in companies if str(c.pk) == chosen), None)
    on_behalf = selectors.may_book_for_others(actor=actor, agenda=agenda)
    form_class = BookingForm if on_behalf else CitizenBookingForm
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if start is None:
        refusal, status = "Ce créneau est illisible : choisissez-en un dans la liste.", 400
    elif chosen and company is None:
        refusal, status = "Vous ne réservez pas ces salles au nom de cette entreprise.", 400
    elif request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(
                actor=actor,
                agenda=agenda,
                meeting_type=meeting_type,
                start=start,
                name=form.cleaned_data.get("name") or "",
                email=form.cleaned_data.get("email") or "",
                phone=form.cleaned_data.get("phone") or "",
                note=form.cleaned_data.get("note") or "",
                portal_case_id=case_id,
                company=company,
            )
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
        else:
            if booking.status == "to_pay":
                return redirect("agendas:booking_pay", pk=booking.pk)
            messages.success(
                request, f"Rendez-vous confirmé le {timezone.localtime(booking.start):%d/%m/%Y à %H:%M}."
            )
            return redirect("agendas:my_bookings")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "agendas/book.html",
        {
            "agenda": agenda,
            "meeting_type": meeting_type,
            "start": start,
            "form": form,
            "refusal": refusal,
            "raw_start": source.get("start", "")[:40],
            "case_id": case_id,
            "companies": companies,
            "company": company,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def event_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor_or_none(request)
    event = selectors.event_get(actor=actor, pk=pk)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    refusal, status = "", 200
    if request.method == "POST":
        if actor is None:
            return redirect(f"{reverse('core:login')}?next={request.path}")
        if form.is_valid():
            try:
                booking = services.registration_create(
                    actor=actor,
                    event=event,
                    age=form.cleaned_data["age"],
                    guardian_consent=form.cleaned_data["guardian_consent"],
                )
            except ServiceError as exc:
                refusal, status = exc.message, exc.status
            else:
                if booking.status == "booked":
                    messages.success(request, f"Vous êtes inscrit à « {event.title} ».")
                else:
                    position = selectors.waiting_position(actor=actor, booking=booking)
                    messages.success(
                        request,
                        f"La séance est complète : vous êtes n° {position} sur la "
                        "liste d'attente. Vous serez prévenu par courriel.",
                    )
                return redirect("agendas:my_bookings")
        else:
            status = 400
    return render(
        request,
        "agendas/event.html",
        {"event": event, "form": form, "refusal": refusal, "signed_in": actor is not None},
        status=status,
    )


@require_GET
@login_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    now = timezone.now()
    rows = list(selectors.bookings_of(actor=actor).exclude(status="cancelled").filter(end__gt=now))
    positions = {b.pk: selectors.waiting_position(actor=actor, booking=b) for b in rows}
    past = selectors.bookings_of(actor=actor).filter(end__lte=now).order_by("-start")[:20]
    return render(
        request,
        "agendas/my_bookings.html",
        {
            "bookings": [(b, positions[b.pk]) for b in rows],
            "past": past,
            "form": CancelForm(),
            "offers": appointment_selectors.appointment_offers(actor=actor),
            "companies": selectors.companies_of(actor=actor),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    booking = selectors.booking_get(actor=actor, pk=pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    refusal, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(actor=actor, booking=booking, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
        else:
            messages.success(request, "Réservation annulée.")
            back = request.POST.get("next", "")
            return redirect(back if back.startswith("/agent/agendas/") else reverse("agendas:my_bookings"))
    return render(
        request,
        "agendas/cancel.html",
        {"booking": booking, "form": form, "refusal": refusal, "next": request.GET.get("next", "")[:200]},
        status=status,
    )


@require_GET
@login_required
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get(actor=request_actor(request), pk=pk)
    return _ics(ical.booking_ics(booking), f"rendez-vous-{booking.pk}.ics")


@require_GET
def booking_ics_secret(request: HttpRequest, secret: str) -> HttpResponse:
    booking = selectors.booking_by_secret(actor=request_actor_or_none(request), secret=secret)
    return _ics(ical.booking_ics(booking), f"rendez-vous-{booking.pk}.ics")


@require_GET
def feed(request: HttpRequest, pk: int) -> HttpResponse:
    """The public feed of a public agenda: sessions, and booked times without names."""
    agenda = selectors.agenda_get(actor=None, pk=pk)
    bookings, events = selectors.feed_rows(
        actor=None, agenda=agenda, start=timezone.now() - timedelta(days=30)
    )
    return _ics(ical.agenda_feed(agenda, bookings, events, private=False), f"agenda-{agenda.pk}.ics")


@require_GET
def feed_secret(request: HttpRequest, secret: str) -> HttpResponse:
    """The private feed: whoever has the address sees who booked (it is given to agents only)."""
    agenda = selectors.agenda_by_secret(actor=None, secret=secret[:64])
    bookings, events = selectors.feed_rows(
        actor=None, agenda=agenda, start=timezone.now() - timedelta(days=30)
    )
    return _ics(ical.agenda_feed(agenda, bookings, events, private=True), f"agenda-{agenda.pk}.ics")


@require_GET
def places(request: HttpRequest) -> HttpResponse:
    return render(request, "agendas/places.html", {"places": selectors.mediation_places_public()})


@require_GET
def places_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        mediation.places_csv(selectors.mediation_places_public()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="lieux-mediation-numerique.csv"'
    return response
