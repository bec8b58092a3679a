"""The agents' pages of the training service: the catalogue, a course, a session (to
register, and for its trainer to take attendance), a registration (the manager's decision),
the agent's history with certificates, the manager's requests to decide and the census.

Server-rendered, French, usable without JavaScript. A registration the actor may not see
is a 404, whatever the page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.downloads import attachment_disposition
from socle.core.errors import ServiceError
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor

from . import selectors, services
from .certificates import certificate_pdf
from .forms import CancelForm, DecisionForm, NeedForm, RegisterForm
from .models import CourseKind, RegistrationStatus

AGENTS_ONLY = "Seuls les agents et les élus des communes membres accèdent aux formations."


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through the agents of an organisation where training is offered; else a 403."""
    @wraps(view)
    def offered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.is_agent(actor=request_actor(request)):
            return error_page(request, "Espace réservé aux agents", AGENTS_ONLY, 403)
        return view(request, *args, **kwargs)

    return role_required(selectors.AGENT, title="Espace réservé aux agents",
                         message=AGENTS_ONLY)(offered)
approver_required = role_required(
    selectors.APPROVE, title="Espace réservé aux responsables",
    message="Seuls les responsables des agents donnent leur avis sur les demandes de formation.")


def _text(params: Any, name: str, length: int) -> str:
    return str(params.get(name, "")).replace("\x00", "").strip()[:length]


def _pk(value: Any) -> int:
    if not str(value).isdigit() or not 0 < int(value) < 2**63:
        raise Http404("Introuvable.")
    return int(value)


@require_GET
@agent_required
def catalogue(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    kind = _text(request.GET, "type", 10)
    q = _text(request.GET, "q", 100)
    courses = list(selectors.courses_for(actor=user, kind=kind, q=q)[:200])
    upcoming = list(selectors.sessions_for(actor=user, upcoming=True)[:30])
    return render(request, "training/catalogue.html", {
        "courses": courses, "upcoming": upcoming, "kinds": CourseKind.choices, "kind": kind,
        "q": q, "may_manage": selectors.may_manage(actor=user),
        "may_approve": bool(selectors.registrations_to_decide(actor=user).exists()),
    })


@require_GET
@agent_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    course = selectors.course_get_for(actor=user, pk=pk)
    sessions = list(selectors.sessions_for(actor=user, course=course))
    return render(request, "training/course.html", {
        "course": course, "sessions": sessions, "now": timezone.now()})


def _session_context(user: Any, session: Any) -> dict[str, Any]:
    return {
        "session": session, "course": session.course,
        "mine": selectors.active_registration(actor=user, session=session),
        "open": session.cancelled_at is None and session.start > timezone.now(),
        "seats_left": max(session.capacity - selectors.seats_taken(actor=user, session=session), 0),
        "attendees": list(selectors.attendees_of(actor=user, session=session)),
        "waiting": list(selectors.waiting_of(actor=user, session=session)),
        "may_attend": selectors.may_take_attendance(actor=user, session=session),
        "started": session.start <= timezone.now(),
        "may_cancel": (selectors.may_manage(actor=user) and session.cancelled_at is None
                       and session.start > timezone.now()),
        "cancel_form": CancelForm(),
    }


@require_http_methods(["GET", "POST"])
@agent_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    session = selectors.session_get_for(actor=user, pk=pk)
    form = RegisterForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_create(
                actor=user, session=session, motivation=form.cleaned_data["motivation"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "Demande envoyée : votre responsable va donner son avis.")
            return redirect("training:registration", registration.pk)
    context = _session_context(user, session) | {"form": form, "refusal": refusal}
    return render(request, "training/session.html", context,
                  status=400 if request.method == "POST" else 200)


@require_POST
@agent_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    session = selectors.session_get_for(actor=user, pk=pk)
    present = [_pk(value) for value in request.POST.getlist("present")[:1000]]
    try:
        count = services.attendance_record(actor=user, session=session, present=present)
    except ServiceError as exc:
        context = _session_context(user, session) | {"form": RegisterForm(),
                                                     "attendance_refusal": exc.message}
        return render(request, "training/session.html", context, status=exc.status)
    messages.success(request, f"Présences enregistrées : {count} présent(s).")
    return redirect("training:session", session.pk)


@require_http_methods(["GET", "POST"])
@agent_required
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    registration = selectors.registration_get_for(actor=user, pk=pk)
    notices_mark_read(actor=user, ref=object_ref("training.registration", registration.pk))
    may_decide = (selectors.may_decide(actor=user, registration=registration)
                  and registration.status == RegistrationStatus.PENDING)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST":
        if not may_decide:
            raise Http404("Introuvable.")
        if form.is_valid():
            try:
                services.registration_decide(
                    actor=user, registration=registration,
                    approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                refusal = exc.message
            else:
                messages.success(request, "Votre avis est enregistré ; l'agent en est averti.")
                return redirect("training:approvals")
    return render(request, "training/registration.html", {
        "registration": registration, "session": registration.session,
        "may_decide": may_decide, "form": form, "refusal": refusal,
        "own": registration.agent_id == user.pk,
        "may_cancel": registration.status in (RegistrationStatus.PENDING,
                                              RegistrationStatus.CONFIRMED,
                                              RegistrationStatus.WAITING)
        and registration.session.start > timezone.now(),
    }, status=400 if request.method == "POST" else 200)


@require_POST
@agent_required
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    registration = selectors.registration_get_for(actor=user, pk=pk)
    try:
        services.registration_cancel(actor=user, registration=registration)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Inscription annulée.")
    return redirect("training:registration", registration.pk)


@require_GET
@agent_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    registration = selectors.registration_get_for(actor=user, pk=pk)
    try:
        content = certificate_pdf(actor=user, registration=registration)
    except ServiceError:
        raise Http404("Introuvable.") from None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(
        f"attestation-formation-{registration.pk}.pdf", "application/pdf")
    return response


@require_GET
@agent_required
def history(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    year = timezone.localdate().year
    return render(request, "training/history.html", {
        "registrations": list(selectors.registrations_of(actor=user)[:300]),
        "summary": selectors.history_of(actor=user, year=year),
        "dif_hours": selectors.DIF_HOURS_PER_YEAR,
    })


@require_GET
@approver_required
def approvals(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    return render(request, "training/approvals.html", {
        "registrations": list(selectors.registrations_to_decide(actor=user)[:200])})


def _need_form(request: HttpRequest, user: Any) -> NeedForm:
    organisations = [(o.slug, o.name) for o in selectors.organisations_declaring(actor=user)]
    courses = [(str(c.pk), c.title) for c in selectors.courses_for(actor=user)[:200]]
    return NeedForm(request.POST if request.method == "POST" else None,
                    organisations=organisations, courses=courses)


@require_http_methods(["GET", "POST"])
@agent_required
def needs(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    year = timezone.localdate().year + 1
    form = _need_form(request, user)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        course = (selectors.course_get_for(actor=user, pk=_pk(data["course"]))
                  if data["course"] else None)
        try:
            services.need_declare(
                actor=user, organisation=selectors.organisation_declaring_get(
                    actor=user, slug=data["organisation"]),
                title=data["title"], description=data["description"],
                headcount=data["headcount"], course=course, year=year)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "Besoin enregistré pour le recensement.")
            return redirect("training:needs")
    return render(request, "training/needs.html", {
        "form": form, "refusal": refusal, "year": year,
        "needs": list(selectors.needs_for(actor=user)[:300]),
        "flags": selectors.helpdesk_flags(actor=user),
        "may_export": selectors.may_report(actor=user),
    }, status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("formation/", catalogue, name="catalogue"),
    path("formation/catalogue/<int:pk>/", course_detail, name="course"),
    path("formation/seances/<int:pk>/", session_detail, name="session"),
    path("formation/seances/<int:pk>/presences", attendance, name="attendance"),
    path("formation/inscriptions/<int:pk>/", registration_detail, name="registration"),
    path("formation/inscriptions/<int:pk>/annuler", registration_cancel, name="cancel"),
    path("formation/inscriptions/<int:pk>/attestation.pdf", certificate, name="certificate"),
    path("formation/mes-formations/", history, name="history"),
    path("formation/avis/", approvals, name="approvals"),
    path("formation/besoins/", needs, name="needs"),
]
