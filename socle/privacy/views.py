"""The register's pages for the DPO and the referents: registers, breaches with their clock,
requests with their due dates, impact assessments. Server-rendered, usable without
JavaScript; another structure's register or object is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.blobs import blob_open
from socle.core.downloads import attachment_disposition, file_download
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError

from . import selectors, services
from .forms import (
    ActivityForm,
    AssessmentForm,
    AssignForm,
    BreachForm,
    CloseForm,
    DecideForm,
    ExtendForm,
    LinkForm,
    NotifyForm,
    OpinionForm,
    ProcessorForm,
    RequestForm,
    StartAssessmentForm,
    TemplateForm,
    organisation_choices,
)
from .models import Activity, Assessment, Breach, SubjectRequest
from .register_csv import register_csv
from .services import RISKS

register_required = role_required(
    selectors.VIEW, title="Espace réservé à la protection des données",
    message="Seuls le délégué à la protection des données et les référents RGPD accèdent aux "
            "registres.")


def _fail(request: HttpRequest, template: str, context: dict[str, Any], exc: ServiceError,
          form: forms.Form | None = None) -> HttpResponse:
    if form is not None:
        for name, text in exc.errors.items():
            if name in form.fields:
                form.add_error(name, text)
    return render(request, template, {**context, "refusal": exc.message}, status=exc.status)


def _list_and_create(request: HttpRequest, *, template: str, form_class: type[forms.Form],
                     owners: Any, context_of: Callable[..., dict[str, Any]],
                     owner_of: Callable[[str], Any], create: Callable[..., Any],
                     done: Callable[[Any], HttpResponse]) -> HttpResponse:
    """A list page with its creation form: the list on GET; on POST, the form for one of
    ``owners``, the object created through the service, or the page again with its errors."""
    if request.method == "GET":
        return render(request, template, context_of(request))
    form = form_class(request.POST)
    organisation_choices(form, owners)
    context = context_of(request, form)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = dict(form.cleaned_data)
    organisation = owner_of(data.pop("organisation"))
    try:
        created = create(actor=request_actor(request), organisation=organisation, **data)
    except ServiceError as exc:
        return _fail(request, template, context, exc, form)
    return done(created)


def _managed(request: HttpRequest) -> Any:
    user = request_actor(request)
    return [o for o in selectors.registers_for(actor=user)
            if selectors.register_may_manage(actor=user, organisation=o)]


# ------------------------------------------------------------------------------ registers


@require_GET
@register_required
def home(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    return render(request, "privacy/home.html", {
        "registers": selectors.registers_summary(actor=user),
        "breaches": list(selectors.breaches_to_notify(actor=user)[:10]),
        "overdue": list(selectors.requests_for(actor=user, filters=selectors.RequestFilters(
            overdue=True))[:10]),
        "now": timezone.now(),
    })


def _register_context(request: HttpRequest, organisation: Any, **forms_given: Any) -> dict[str, Any]:
    user = request_actor(request)
    processors = list(selectors.processors_for(actor=user, organisation=organisation))
    activities = list(selectors.activities_for(actor=user, organisation=organisation))
    return {
        "organisation": organisation,
        "rows": [(a, selectors.activity_missing(activity=a)) for a in activities],
        "archived": list(selectors.activities_for(actor=user, organisation=organisation,
                                                  archived=True)),
        "processors": processors,
        "may_manage": selectors.register_may_manage(actor=user, organisation=organisation),
        "activity_form": forms_given.get("activity_form") or ActivityForm(
            processors=[(str(p.pk), p.name) for p in processors]),
        "processor_form": forms_given.get("processor_form") or ProcessorForm(),
    }


@require_GET
@register_required
def register(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = selectors.register_get_for(actor=request_actor(request), slug=slug)
    return render(request, "privacy/register.html", _register_context(request, organisation))


def _chosen_processors(request: HttpRequest, organisation: Any, pks: list[str]) -> list[Any]:
    known = {str(p.pk): p for p in selectors.processors_for(actor=request_actor(request),
                                                            organisation=organisation)}
    return [known[pk] for pk in pks if pk in known]


@require_GET
@register_required
def register_download(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = selectors.register_get_for(actor=request_actor(request), slug=slug)
    rows = selectors.activities_for(actor=request_actor(request), organisation=organisation
                                    ).prefetch_related("processors")
    response = HttpResponse(register_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(
        f"registre-rgpd-{organisation.slug}.csv", "text/csv")
    return response


@require_POST
@register_required
def activity_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_actor(request)
    organisation = selectors.register_get_for(actor=user, slug=slug)
    processors = [(str(p.pk), p.name) for p in selectors.processors_for(
        actor=user, organisation=organisation)]
    form = ActivityForm(request.POST, processors=processors)
    context = _register_context(request, organisation, activity_form=form)
    if not form.is_valid():
        return render(request, "privacy/register.html", context, status=400)
    data = dict(form.cleaned_data)
    chosen = _chosen_processors(request, organisation, data.pop("processors"))
    try:
        activity = services.activity_create(actor=user, organisation=organisation,
                                            processors=chosen, **data)
    except ServiceError as exc:
        return _fail(request, "privacy/register.html", context, exc, form)
    messages.success(request, f"Traitement « {activity.name} » inscrit au registre.")
    return redirect("privacy:activity", activity.pk)


@require_POST
@register_required
def processor_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_actor(request)
    organisation = selectors.register_get_for(actor=user, slug=slug)
    form = ProcessorForm(request.POST)
    context = _register_context(request, organisation, processor_form=form)
    if not form.is_valid():
        return render(request, "privacy/register.html", context, status=400)
    try:
        processor = services.processor_create(actor=user, organisation=organisation,
                                              **form.cleaned_data)
    except ServiceError as exc:
        return _fail(request, "privacy/register.html", context, exc, form)
    messages.success(request, f"Sous-traitant « {processor.name} » inscrit au registre.")
    return redirect("privacy:register", organisation.slug)


# ----------------------------------------------------------------------------- activities


def _activity_context(request: HttpRequest, activity: Activity, **given: Any) -> dict[str, Any]:
    user = request_actor(request)
    processors = [(str(p.pk), p.name) for p in selectors.processors_for(
        actor=user, organisation=activity.organisation)]
    initial = {name: getattr(activity, name) for name in services.ACTIVITY_TEXTS}
    initial.update(legal_basis=activity.legal_basis, sensitive_data=activity.sensitive_data,
                   processors=[str(p.pk) for p in selectors.activity_processors(activity=activity)])
    templates = selectors.templates_for(actor=user, organisation=activity.organisation)
    start = StartAssessmentForm()
    field = start.fields["template"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [(str(t.pk), f"{t.name} ({t.organisation.name})") for t in templates]
    return {
        "activity": activity, "missing": selectors.activity_missing(activity=activity),
        "activity_processors": list(selectors.activity_processors(activity=activity)),
        "assessments": list(selectors.assessments_of_activity(actor=user, activity=activity)),
        "may_manage": selectors.register_may_manage(actor=user, organisation=activity.organisation),
        "form": given.get("form") or ActivityForm(initial=initial, processors=processors,
                                                  platform=activity.is_platform),
        "start_form": start if templates else None,
    }


@require_http_methods(["GET", "POST"])
@register_required
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.activity_get_for(actor=user, pk=pk)
    if request.method == "GET":
        return render(request, "privacy/activity.html", _activity_context(request, found))
    processors = [(str(p.pk), p.name) for p in selectors.processors_for(
        actor=user, organisation=found.organisation)]
    form = ActivityForm(request.POST, processors=processors, platform=found.is_platform)
    context = _activity_context(request, found, form=form)
    if not form.is_valid():
        return render(request, "privacy/activity.html", context, status=400)
    data = dict(form.cleaned_data)
    chosen = _chosen_processors(request, found.organisation, data.pop("processors"))
    try:
        services.activity_update(actor=user, activity=found, processors=chosen, **data)
    except ServiceError as exc:
        return _fail(request, "privacy/activity.html", context, exc, form)
    messages.success(request, "Traitement mis à jour.")
    return redirect("privacy:activity", found.pk)


@require_POST
@register_required
def assessment_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.activity_get_for(actor=user, pk=pk)
    template = selectors.template_get_for(actor=user, organisation=found.organisation,
                                          pk=request.POST.get("template", ""))
    try:
        assessment = services.assessment_start(actor=user, activity=found, template=template)
    except ServiceError as exc:
        return _fail(request, "privacy/activity.html", _activity_context(request, found), exc)
    messages.success(request, "Analyse d'impact commencée.")
    return redirect("privacy:assessment", assessment.pk)


# ------------------------------------------------------------------------------- breaches


def _breach_context(request: HttpRequest, breach: Breach, **given: Any) -> dict[str, Any]:
    user = request_actor(request)
    return {
        "breach": breach, "clock": selectors.breach_clock_of(breach=breach),
        "may_manage": selectors.register_may_manage(actor=user, organisation=breach.organisation),
        "decide_form": given.get("decide_form") or DecideForm(initial={
            "cnil": breach.cnil_decision, "cnil_reason": breach.cnil_reason,
            "subjects": breach.subjects_decision, "subjects_reason": breach.subjects_reason}),
        "notify_form": given.get("notify_form") or NotifyForm(),
    }


def _breaches_context(request: HttpRequest, form: BreachForm | None = None) -> dict[str, Any]:
    user = request_actor(request)
    managed = _managed(request)
    if form is None:
        form = BreachForm()
        organisation_choices(form, managed)
    now = timezone.now()
    return {"rows": [(b, selectors.breach_clock_of(breach=b, now=now))
                     for b in selectors.breaches_for(actor=user)[:200]],
            "form": form if managed else None}


@require_http_methods(["GET", "POST"])
@register_required
def breaches(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)

    def done(breach: Breach) -> HttpResponse:
        messages.success(request, "Violation enregistrée : le délai de 72 heures court.")
        return redirect("privacy:breach", breach.pk)

    return _list_and_create(
        request, template="privacy/breaches.html", form_class=BreachForm,
        owners=_managed(request) if request.method == "POST" else (),
        context_of=_breaches_context, create=services.breach_create, done=done,
        owner_of=lambda slug: selectors.register_get_for(actor=user, slug=slug))


@require_GET
@register_required
def breach(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.breach_get_for(actor=request_actor(request), pk=pk)
    return render(request, "privacy/breach.html", _breach_context(request, found))


@require_POST
@register_required
def breach_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.breach_get_for(actor=user, pk=pk)
    form = DecideForm(request.POST)
    context = _breach_context(request, found, decide_form=form)
    if not form.is_valid():
        return render(request, "privacy/breach.html", context, status=400)
    try:
        services.breach_decide(actor=user, breach=found, **form.cleaned_data)
    except ServiceError as exc:
        return _fail(request, "privacy/breach.html", context, exc, form)
    messages.success(request, "Décision enregistrée.")
    return redirect("privacy:breach", found.pk)


@require_POST
@register_required
def breach_notify(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.breach_get_for(actor=user, pk=pk)
    form = NotifyForm(request.POST)
    context = _breach_context(request, found, notify_form=form)
    if not form.is_valid():
        return render(request, "privacy/breach.html", context, status=400)
    try:
        services.breach_notify(actor=user, breach=found, **form.cleaned_data)
    except ServiceError as exc:
        return _fail(request, "privacy/breach.html", context, exc, form)
    messages.success(request, "Notification enregistrée.")
    return redirect("privacy:breach", found.pk)


# ------------------------------------------------------------------------------- requests


def _requests_context(request: HttpRequest, form: RequestForm | None = None) -> dict[str, Any]:
    user = request_actor(request)
    managed = _managed(request)
    if form is None:
        form = RequestForm(initial={"received_on": timezone.localdate()})
        organisation_choices(form, managed)
    today = timezone.localdate()
    overdue_only = request.GET.get("retard") == "1"
    rows = selectors.requests_for(actor=user, filters=selectors.RequestFilters(
        overdue=overdue_only))[:200]
    return {"rows": [(r, selectors.request_is_overdue(request=r, today=today),
                      abs(selectors.request_days_left(request=r, today=today))) for r in rows],
            "overdue_only": overdue_only, "form": form if managed else None}


@require_http_methods(["GET", "POST"])
@register_required
def requests(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)

    def done(created: SubjectRequest) -> HttpResponse:
        messages.success(request, f"Demande enregistrée : réponse due au plus tard le "
                                  f"{created.due_on:%d/%m/%Y}.")
        return redirect("privacy:request", created.pk)

    return _list_and_create(
        request, template="privacy/requests.html", form_class=RequestForm,
        owners=_managed(request) if request.method == "POST" else (),
        context_of=_requests_context, create=services.request_create, done=done,
        owner_of=lambda slug: selectors.register_get_for(actor=user, slug=slug))


def _handlers(request: HttpRequest, found: SubjectRequest) -> dict[str, Any]:
    return {str(u.pk): u for u in selectors.handlers_for(actor=request_actor(request),
                                                         organisation=found.organisation)}


def _request_context(request: HttpRequest, found: SubjectRequest, **given: Any) -> dict[str, Any]:
    user = request_actor(request)
    handlers = [(pk, u.display_name) for pk, u in _handlers(request, found).items()]
    return {
        "assign_form": given.get("assign_form") or AssignForm(
            handlers=handlers, initial={"handler": str(found.handler_id or "")}),
        "item": found, "overdue": selectors.request_is_overdue(request=found),
        "days": abs(selectors.request_days_left(request=found)),
        "may_manage": selectors.register_may_manage(actor=user, organisation=found.organisation),
        "is_handler": found.handler_id == user.pk,
        "link_form": given.get("link_form") or LinkForm(initial={"email": found.requester_email}),
        "extend_form": given.get("extend_form") or ExtendForm(),
        "close_form": given.get("close_form") or CloseForm(),
    }


@require_GET
@register_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.request_get_for(actor=request_actor(request), pk=pk)
    return render(request, "privacy/request.html", _request_context(request, found))


FORM_OF_ACTION = {"attribuer": "assign", "compte": "link", "prolonger": "extend", "clore": "close"}


@require_POST
@register_required
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_actor(request)
    found = selectors.request_get_for(actor=user, pk=pk)
    form: forms.Form | None = None
    try:
        if action == "prendre":
            services.request_assign(actor=user, request=found, handler=user)
            done = "Vous traitez cette demande."
        elif action == "attribuer":
            handlers = _handlers(request, found)
            form = AssignForm(request.POST, handlers=[(pk, u.display_name)
                                                      for pk, u in handlers.items()])
            if not form.is_valid():
                return render(request, "privacy/request.html",
                              _request_context(request, found, assign_form=form), status=400)
            handler = handlers[form.cleaned_data["handler"]]
            services.request_assign(actor=user, request=found, handler=handler)
            done = f"Demande confiée à {handler.display_name}."
        elif action == "compte":
            form = LinkForm(request.POST)
            if not form.is_valid():
                return render(request, "privacy/request.html",
                              _request_context(request, found, link_form=form), status=400)
            services.request_link_subject(actor=user, request=found, subject=(
                selectors.subject_account_find(actor=user, email=form.cleaned_data["email"])))
            done = "Demande reliée au compte de la personne."
        elif action == "prolonger":
            form = ExtendForm(request.POST)
            if not form.is_valid():
                return render(request, "privacy/request.html",
                              _request_context(request, found, extend_form=form), status=400)
            services.request_extend(actor=user, request=found, reason=form.cleaned_data["reason"])
            done = "Délai prolongé de deux mois."
        elif action == "export":
            services.export_request(actor=user, request=found)
            done = "L'export est en préparation : il apparaîtra sur cette page."
        elif action == "clore":
            form = CloseForm(request.POST)
            if not form.is_valid():
                return render(request, "privacy/request.html",
                              _request_context(request, found, close_form=form), status=400)
            services.request_close(actor=user, request=found, **form.cleaned_data)
            done = "Demande close."
        else:
            raise Http404("Introuvable.")
    except ServiceError as exc:
        given = {f"{FORM_OF_ACTION[action]}_form": form} if form is not None else {}
        return _fail(request, "privacy/request.html", _request_context(request, found, **given),
                     exc, form)
    messages.success(request, done)
    return redirect("privacy:request", found.pk)


@require_GET
@register_required
def request_export(request: HttpRequest, pk: int) -> FileResponse:
    user = request_actor(request)
    found = selectors.request_export_for(actor=user, pk=pk)
    assert found.export_blob is not None
    services.export_download_record(actor=user, request=found)
    return file_download(blob_open(found.export_blob), name=f"donnees-demande-{found.pk}.zip",
                         mime_type="application/zip")


# -------------------------------------------------------------------- impact assessments


def _assessment_context(request: HttpRequest, found: Assessment, **given: Any) -> dict[str, Any]:
    user = request_actor(request)
    initial = {f"q_{k}": v for k, v in found.answers.items()}
    for key, _label in RISKS:
        for part in ("severity", "likelihood", "measures"):
            value = found.risks.get(key, {}).get(part)
            if value is not None:
                initial[f"{key}_{part}"] = str(value)
    risks = [(label, found.risks.get(key), selectors.assessment_level(
        severity=found.risks[key]["severity"], likelihood=found.risks[key]["likelihood"])
        if key in found.risks else "") for key, label in RISKS]
    return {
        "assessment": found, "risks": risks,
        "may_manage": selectors.register_may_manage(actor=user, organisation=found.organisation),
        "may_decide": selectors.assessment_may_decide(actor=user, assessment=found),
        "form": given.get("form") or AssessmentForm(initial=initial, questions=found.questions),
        "opinion_form": given.get("opinion_form") or OpinionForm(),
    }


@require_http_methods(["GET", "POST"])
@register_required
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.assessment_get_for(actor=user, pk=pk)
    if request.method == "GET":
        return render(request, "privacy/assessment.html", _assessment_context(request, found))
    form = AssessmentForm(request.POST, questions=found.questions)
    context = _assessment_context(request, found, form=form)
    if not form.is_valid():
        return render(request, "privacy/assessment.html", context, status=400)
    data = form.cleaned_data
    answers = {q["key"]: data.get(f"q_{q['key']}", "") for q in found.questions}
    risks = {key: {"severity": data[f"{key}_severity"], "likelihood": data[f"{key}_likelihood"],
                   "measures": data[f"{key}_measures"]}
             for key, _label in RISKS if data.get(f"{key}_severity") or data.get(f"{key}_likelihood")}
    try:
        services.assessment_save(actor=user, assessment=found, answers=answers, risks=risks)
    except ServiceError as exc:
        return _fail(request, "privacy/assessment.html", context, exc, form)
    messages.success(request, "Analyse d'impact enregistrée.")
    return redirect("privacy:assessment", found.pk)


@require_POST
@register_required
def assessment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.assessment_get_for(actor=user, pk=pk)
    form = OpinionForm(request.POST)
    context = _assessment_context(request, found, opinion_form=form)
    if not form.is_valid():
        return render(request, "privacy/assessment.html", context, status=400)
    try:
        services.assessment_decide(actor=user, assessment=found,
                                   validated=form.cleaned_data["decision"] == "validate",
                                   opinion=form.cleaned_data["opinion"])
    except ServiceError as exc:
        return _fail(request, "privacy/assessment.html", context, exc, form)
    messages.success(request, "Avis enregistré.")
    return redirect("privacy:assessment", found.pk)


def _templates_context(request: HttpRequest, form: TemplateForm | None = None) -> dict[str, Any]:
    user = request_actor(request)
    owners = list(selectors.template_owners_for(actor=user))
    if form is None:
        form = TemplateForm()
        organisation_choices(form, owners)
    return {"templates": list(selectors.templates_visible(actor=user)),
            "form": form if owners else None}


@require_http_methods(["GET", "POST"])
@register_required
def templates(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)

    def done(_template: Any) -> HttpResponse:
        messages.success(request, "Modèle créé : les structures en dessous peuvent l'utiliser.")
        return redirect("privacy:templates")

    return _list_and_create(
        request, template="privacy/templates.html", form_class=TemplateForm,
        owners=selectors.template_owners_for(actor=user) if request.method == "POST" else (),
        context_of=_templates_context, create=services.template_create, done=done,
        owner_of=lambda slug: selectors.template_owner_get(actor=user, slug=slug))


urlpatterns = [
    path("rgpd/", home, name="home"),
    path("rgpd/violations/", breaches, name="breaches"),
    path("rgpd/violations/<int:pk>/", breach, name="breach"),
    path("rgpd/violations/<int:pk>/decision", breach_decide, name="breach_decide"),
    path("rgpd/violations/<int:pk>/notification", breach_notify, name="breach_notify"),
    path("rgpd/demandes/", requests, name="requests"),
    path("rgpd/demandes/<int:pk>/", request_detail, name="request"),
    path("rgpd/demandes/<int:pk>/export.zip", request_export, name="request_export"),
    path("rgpd/demandes/<int:pk>/<slug:action>", request_action, name="request_action"),
    path("rgpd/traitements/<int:pk>/", activity, name="activity"),
    path("rgpd/traitements/<int:pk>/analyse", assessment_start, name="assessment_start"),
    path("rgpd/analyses/<int:pk>/", assessment, name="assessment"),
    path("rgpd/analyses/<int:pk>/avis", assessment_decide, name="assessment_decide"),
    path("rgpd/modeles/", templates, name="templates"),
    path("rgpd/registres/<slug:slug>/", register, name="register"),
    path("rgpd/registres/<slug:slug>/registre.csv", register_download, name="register_csv"),
    path("rgpd/registres/<slug:slug>/traitements", activity_create, name="activity_create"),
    path("rgpd/registres/<slug:slug>/sous-traitants", processor_create, name="processor_create"),
]
