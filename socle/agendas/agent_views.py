"""Agents' pages: resources and agendas, an agenda's bookings (day, week, list), lent rooms,
attendance of workshops, activity records and their exports."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.access import organisations_for
from socle.core.errors import ServiceError
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from . import mediation, selectors, services
from .forms import (
    WEEKDAYS,
    AgendaForm,
    AttendanceForm,
    ClosureForm,
    CounterRegistrationForm,
    EventForm,
    HoursForm,
    IcalImportForm,
    MeetingTypeForm,
    ResourceForm,
)

agent_required = role_required(
    selectors.VIEW,
    title="Espace réservé aux agents",
    message="Seuls les agents qui gèrent des agendas voient cette page.",
)
mediator_required = role_required(
    selectors.ATTENDANCE,
    title="Espace réservé aux médiateurs",
    message="Seuls les médiateurs numériques prennent les présences.",
)


def _organisation_choices(actor: Any) -> list[tuple[str, str]]:
    return [(str(o.pk), o.name) for o in organisations_for(actor, selectors.MANAGE).order_by("path")]


def _choices(form: Any, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _organisation(actor: Any, value: str) -> Any:
    return selectors.organisation_managed_get(actor=actor, pk=int(value))


@require_http_methods(["GET", "POST"])
@agent_required
def manage(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    choices = _organisation_choices(actor)
    resources = list(selectors.resources_managed(actor=actor).order_by("organisation__name", "name"))
    resource_form = ResourceForm(request.POST if request.POST.get("form") == "resource" else None, prefix="r")
    agenda_form = AgendaForm(request.POST if request.POST.get("form") == "agenda" else None, prefix="a")
    _choices(resource_form, "organisation", choices)
    _choices(agenda_form, "organisation", choices)
    _choices(agenda_form, "resources", [(str(r.pk), f"{r.name} ({r.organisation.name})") for r in resources])
    refusal, status = "", 200
    if request.method == "POST":
        try:
            if resource_form.is_bound and resource_form.is_valid():
                data = dict(resource_form.cleaned_data)
                organisation = _organisation(actor, data.pop("organisation"))
                services.resource_create(actor=actor, organisation=organisation, **data)
                messages.success(request, "Ressource créée.")
                return redirect("agendas:manage")
            if agenda_form.is_bound and agenda_form.is_valid():
                data = dict(agenda_form.cleaned_data)
                organisation = _organisation(actor, data.pop("organisation"))
                chosen = [
                    selectors.resource_usable_get(actor=actor, pk=int(pk)) for pk in data.pop("resources")
                ]
                created = services.agenda_create(
                    actor=actor, organisation=organisation, resources=chosen, **data
                )
                messages.success(request, "Agenda créé : donnez-lui ses heures d'ouverture.")
                return redirect("agendas:agenda_admin", pk=created.pk)
            status = 400
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
    return render(
        request,
        "agendas/manage.html",
        {
            "agendas": selectors.agendas_viewed(actor=actor),
            "resources": resources,
            "lent": selectors.resources_lent_by(actor=actor),
            "resource_form": resource_form,
            "agenda_form": agenda_form,
            "refusal": refusal,
            "may_manage": bool(choices),
        },
        status=status,
    )


def _period(request: HttpRequest) -> tuple[str, date, datetime, datetime]:
    view = request.GET.get("vue", "semaine")
    if view not in ("jour", "semaine", "liste"):
        view = "semaine"
    try:
        day = date.fromisoformat(request.GET.get("date", "")[:10])
    except ValueError:
        day = timezone.localdate()
    local = selectors.zone()
    if view == "jour":
        first, days = day, 1
    elif view == "semaine":
        first, days = day - timedelta(days=day.weekday()), 7
    else:
        first, days = day, 31
    start = datetime.combine(first, time.min, local)
    return view, first, start, start + timedelta(days=days)


def _hours_text(agenda: Any) -> str:
    lines: dict[int, list[str]] = {}
    for row in agenda.opening_hours.all():
        lines.setdefault(row.weekday, []).append(f"{row.start:%H:%M}-{row.end:%H:%M}")
    return "\n".join(f"{WEEKDAYS[day]} {' '.join(spans)}" for day, spans in sorted(lines.items()))


def _agenda_post(request: HttpRequest, actor: Any, agenda: Any, posted_forms: dict[str, Any]) -> str:
    """Apply the one form posted on an agenda's page; return a success message."""
    which = request.POST.get("form", "")
    form = posted_forms.get(which)
    if form is None or not form.is_valid():
        raise ServiceError("Le formulaire contient des erreurs.", code="invalid")
    data = form.cleaned_data
    if which == "hours":
        services.opening_hours_set(actor=actor, agenda=agenda, hours=data["hours"])
        return "Heures d'ouverture enregistrées."
    if which == "closure":
        services.closure_add(
            actor=actor, agenda=agenda, start=data["start"], end=data["end"], reason=data["reason"]
        )
        return "Fermeture ajoutée."
    if which == "ical":
        created = services.closures_import(actor=actor, agenda=agenda, data=data["file"].read(1_000_001))
        return f"{len(created)} fermeture(s) importée(s)."
    if which == "type":
        services.meeting_type_create(actor=actor, agenda=agenda, **data)
        return "Type de rendez-vous ajouté."
    if which == "event":
        host = selectors.commune_get(actor=actor, pk=int(data["host"])) if data["host"] else None
        services.event_create(
            actor=actor,
            agenda=agenda,
            title=data["title"],
            start=data["start"],
            end=data["end"],
            capacity=data["capacity"],
            waiting_list=data["waiting_list"],
            theme=data["theme"],
            level=data["level"],
            place=data["place"],
            host=host,
        )
        return "Séance programmée."
    raise ServiceError("Formulaire inconnu.")


@require_http_methods(["GET", "POST"])
@agent_required
def agenda_admin(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    agenda = selectors.agenda_viewed_get(actor=actor, pk=pk)
    posted = request.POST.get("form", "")

    def bound(name: str, form_class: Any) -> Any:
        if posted == name:
            return form_class(request.POST, request.FILES, prefix=name)
        return form_class(prefix=name, initial={"hours": _hours_text(agenda)} if name == "hours" else None)

    panel_forms = {
        "hours": bound("hours", HoursForm),
        "closure": bound("closure", ClosureForm),
        "ical": bound("ical", IcalImportForm),
        "type": bound("type", MeetingTypeForm),
        "event": bound("event", EventForm),
    }
    _choices(
        panel_forms["event"],
        "host",
        [("", "—")] + [(str(c.pk), c.name) for c in selectors.communes(actor=actor)],
    )
    refusal, status = "", 200
    if request.method == "POST":
        try:
            messages.success(request, _agenda_post(request, actor, agenda, panel_forms))
            return redirect("agendas:agenda_admin", pk=agenda.pk)
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
    view, first, start, end = _period(request)
    return render(
        request,
        "agendas/agenda_admin.html",
        {
            "agenda": agenda,
            "forms": panel_forms,
            "refusal": refusal,
            "view": view,
            "first": first,
            "previous": (start - (end - start)).date(),
            "following": end.date(),
            "bookings": selectors.bookings_managed(actor=actor, agenda=agenda, start=start, end=end),
            "events": selectors.events_of(actor=actor, agenda=agenda, upcoming=False).filter(
                start__lt=end, end__gt=start
            ),
            "manages": selectors.agenda_managed_by(actor=actor, agenda=agenda),
            "closures": selectors.closures_of(actor=actor, agenda=agenda)
            if selectors.agenda_managed_by(actor=actor, agenda=agenda)
            else [],
            "hours": _hours_text(agenda),
        },
        status=status,
    )


@require_GET
@agent_required
def resource_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    resource = selectors.resource_viewed_get(actor=actor, pk=pk)
    view, first, start, end = _period(request)
    return render(
        request,
        "agendas/resource.html",
        {
            "resource": resource,
            "view": view,
            "first": first,
            "previous": (start - (end - start)).date(),
            "following": end.date(),
            "bookings": selectors.bookings_of_resource(actor=actor, resource=resource, start=start, end=end),
        },
    )


@require_GET
@mediator_required
def mediation_home(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    today = timezone.localdate()
    try:
        month = date.fromisoformat(request.GET.get("mois", "")[:7] + "-01")
    except ValueError:
        month = today.replace(day=1)
    return render(
        request,
        "agendas/mediation.html",
        {
            "events": selectors.events_mediated(actor=actor).filter(
                start__gte=timezone.now() - timedelta(days=14)
            )[:100],
            "month": month,
            "by_commune": selectors.activity_by_commune(actor=actor, month=month),
            "records": selectors.activity_records_visible(actor=actor)[:30],
        },
    )


@require_http_methods(["GET", "POST"])
@mediator_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    event = selectors.event_mediated_get(actor=actor, pk=pk)
    registrations = list(selectors.registrations_of(actor=actor, event=event))
    form = AttendanceForm(request.POST if request.POST.get("form") == "attendance" else None)
    counter = CounterRegistrationForm(request.POST if request.POST.get("form") == "counter" else None)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            if form.is_bound and form.is_valid():
                present = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
                profiles = [
                    {
                        "age_band": request.POST.get(f"age_{b}", ""),
                        "status": request.POST.get(f"status_{b}", ""),
                        "commune": request.POST.get(f"commune_{b}", ""),
                    }
                    for b in present
                ]
                services.attendance_record(
                    actor=actor,
                    event=event,
                    present=present,
                    walk_ins=form.cleaned_data["walk_ins"],
                    themes=form.cleaned_data["themes"],
                    beneficiaries=profiles,
                    referral=form.cleaned_data["referral"],
                )
                messages.success(request, "Présences enregistrées : le compte rendu d'activité est écrit.")
                return redirect("agendas:attendance", pk=event.pk)
            if counter.is_bound and counter.is_valid():
                booking = services.registration_create(actor=actor, event=event, **counter.cleaned_data)
                messages.success(
                    request,
                    f"{booking.name} est inscrit"
                    + ("." if booking.status == "booked" else " sur la liste d'attente."),
                )
                return redirect("agendas:attendance", pk=event.pk)
            status = 400
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
    return render(
        request,
        "agendas/attendance.html",
        {
            "event": event,
            "registrations": registrations,
            "form": form,
            "counter": counter,
            "refusal": refusal,
            "age_bands": services.AGE_BANDS,
            "statuses": services.STATUSES,
            "record": selectors.activity_record_of(actor=actor, event=event),
        },
        status=status,
    )


@require_GET
@mediator_required
def activities_export(request: HttpRequest, fmt: str) -> HttpResponse:
    actor = request_actor(request)
    records = selectors.activity_records_visible(actor=actor)[:20000]
    if fmt == "json":
        body = json.dumps([mediation.activity_row(r) for r in records], ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(mediation.activities_csv(records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="activites-mediation.{fmt}"'
    return response
