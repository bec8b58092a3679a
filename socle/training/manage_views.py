"""The training service's management pages: adding a course and a session (the DCSI), and
the annual plan with its report per course and per commune (the DCSI and the managers,
each over the communes they report on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.downloads import attachment_disposition
from socle.core.errors import ServiceError
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from . import selectors, services
from .census_export import needs_csv
from .forms import CancelForm, CourseForm, PlanForm, SessionForm

manager_required = role_required(
    selectors.MANAGE, title="Espace réservé au service de formation",
    message="Seul le service de formation de la DCSI gère le catalogue et les sessions.")
report_required = role_required(
    selectors.REPORT, title="Espace réservé aux responsables",
    message="Seuls les responsables et le service de formation consultent le bilan du plan.")


@require_http_methods(["GET", "POST"])
@manager_required
def course_create(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = CourseForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = selectors.home_organisation(actor=user)
        try:
            assert owner is not None
            course = services.course_save(
                actor=user, organisation=owner, code=data["code"], title=data["title"],
                kind=data["kind"], audience=data["audience"],
                duration_hours=data["duration_hours"], objectives=data["objectives"],
                description=data["description"], awareness=data["awareness"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Formation « {course.title} » ajoutée au catalogue.")
            return redirect("training:course", course.pk)
    return render(request, "training/course_form.html", {"form": form, "refusal": refusal},
                  status=400 if request.method == "POST" else 200)


def _session_form(request: HttpRequest, user: Any) -> SessionForm:
    return SessionForm(
        request.POST if request.method == "POST" else None,
        courses=[(str(c.pk), f"{c.title} ({c.code})")
                 for c in selectors.courses_for(actor=user)[:300]],
        trainers=[(str(t.pk), t.display_name) for t in selectors.trainers_for(actor=user)[:300]],
        plans=[(str(p.pk), p.title) for p in selectors.plans_for(actor=user)[:50]])


@require_http_methods(["GET", "POST"])
@manager_required
def session_create(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = _session_form(request, user)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        course = selectors.course_get_for(actor=user, pk=data["course"])
        trainer = (selectors.trainers_for(actor=user).filter(pk=data["trainer"]).first()
                   if data["trainer"] else None)
        plan = selectors.plan_get_for(actor=user, pk=data["plan"]) if data["plan"] else None
        tz = timezone.get_current_timezone()
        try:
            session = services.session_create(
                actor=user, course=course, plan=plan, trainer=trainer,
                start=datetime.combine(data["date"], data["start"], tzinfo=tz),
                end=datetime.combine(data["date"], data["end"], tzinfo=tz),
                capacity=data["capacity"], place=data["place"], remote=data["remote"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "Session programmée.")
            return redirect("training:session", session.pk)
    return render(request, "training/session_form.html", {"form": form, "refusal": refusal},
                  status=400 if request.method == "POST" else 200)


@require_GET
@report_required
def plan(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    this_year = timezone.localdate().year
    raw = str(request.GET.get("annee", ""))
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else this_year
    slug = str(request.GET.get("commune", ""))[:80]
    organisation = selectors.organisation_reporting_get(actor=user, slug=slug) if slug else None
    per_course, per_commune, total = selectors.plan_report(actor=user, year=year,
                                                           organisation=organisation)
    return render(request, "training/plan.html", {
        "year": year, "years": range(this_year - 2, this_year + 2),
        "plans": [p for p in selectors.plans_for(actor=user) if p.year == year],
        "sessions": list(selectors.sessions_for(actor=user, year=year)[:300]),
        "per_course": per_course, "per_commune": per_commune, "total": total,
        "organisations": list(selectors.organisations_reporting(actor=user)),
        "organisation": organisation, "may_manage": selectors.may_manage(actor=user),
        "plan_form": PlanForm(initial={"title": f"Plan de formation {year} de la DCSI"}),
    })


@require_POST
@manager_required
def plan_save(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    raw = str(request.POST.get("annee", ""))
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else 0
    form = PlanForm(request.POST)
    owner = selectors.home_organisation(actor=user)
    if form.is_valid() and owner is not None:
        try:
            services.plan_save(actor=user, organisation=owner, year=year,
                               title=form.cleaned_data["title"], notes=form.cleaned_data["notes"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Plan de formation enregistré.")
    else:
        messages.error(request, "Le plan n'a pas été enregistré : son intitulé est obligatoire "
                                "(200 caractères au plus).")
    return redirect(f"{reverse('training:plan')}?annee={year or timezone.localdate().year}")


@require_POST
@manager_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    session = selectors.session_get_for(actor=user, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez le motif de l'annulation : les inscrits le reçoivent.")
        return redirect("training:session", session.pk)
    try:
        services.session_cancel(actor=user, session=session, reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Session annulée ; les inscrits en sont avertis.")
    return redirect("training:session", session.pk)


@require_GET
@report_required
def needs_export(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    response = HttpResponse(needs_csv(selectors.needs_for(actor=user)[:20000]),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(
        f"besoins-de-formation-{timezone.localdate():%Y-%m-%d}.csv", "text/csv")
    return response


urlpatterns = [
    path("formation/catalogue/nouvelle", course_create, name="course_create"),
    path("formation/seances/nouvelle", session_create, name="session_create"),
    path("formation/plan/", plan, name="plan"),
    path("formation/plan/enregistrer", plan_save, name="plan_save"),
    path("formation/besoins/export.csv", needs_export, name="needs_export"),
    path("formation/seances/<int:pk>/annuler", session_cancel, name="session_cancel"),
]
