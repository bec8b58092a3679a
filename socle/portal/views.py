"""The citizens' pages: catalogue, filing a procedure, my requests, a request's follow-up."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from socle.core.blobs import blob_open
from socle.core.client_address import client_ip
from socle.core.downloads import file_download
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.request_actor import request_actor, request_actor_or_none
from socle.core.selectors import communes_public, organisation_get_public
from socle.core.services import ServiceError

from . import catalogue as catalogue_browse
from . import payments, selectors, services
from .effective import EffectiveProcedure
from .form_render import error_items, form_context, parse_post, summary
from .form_steps import has_steps
from .models import Case, FeeKind
from .page_filing import case_file_from_page, case_filed
from .step_views import procedure_in_steps
from .visitor_access import ACCESS_SESSION_KEY, grant_case_access
from .workflow import TransitionRefused, workflow_of
from .workflow_cache import workflows_of_revisions


def _home_commune(request: HttpRequest) -> Organisation | None:
    user = request_actor_or_none(request)
    profile = getattr(user, "citizen", None) if user else None
    return profile.home_commune if profile else None


def _chosen_commune(request: HttpRequest) -> Organisation | None:
    slug = request.GET.get("commune", "")
    if slug:
        org = organisation_get_public(slug=slug)
        if org is None or org.kind != OrganisationKind.COMMUNE:
            raise Http404("Commune inconnue.")
        return org
    return _home_commune(request)


def catalogue(request: HttpRequest) -> HttpResponse:
    commune = _chosen_commune(request)
    offered = selectors.procedures_offered(commune=commune)
    query = request.GET.get("q", "")[:100].strip()
    found = catalogue_browse.procedures_search(offered, query)
    groups = catalogue_browse.categories(found)
    chosen = request.GET.get("categorie", "")
    shown = [g for g in groups if g.slug == chosen] if chosen else groups
    return render(request, "portal/catalogue.html", {
        "commune": commune, "offered": offered, "communes": communes_public(),
        "home_commune": _home_commune(request), "query": query,
        "categories": catalogue_browse.categories(offered), "groups": shown,
        "chosen_category": chosen, "found_count": sum(len(g.items) for g in shown),
    })


def _form_context(offered: EffectiveProcedure, data: dict[str, Any], errors: dict[str, str],
                  extra_rows: dict[str, int] | None = None, revision: Any = None) -> dict[str, Any]:
    return form_context(offered.fields(revision), data, errors, extra_rows)


def _error_list(errors: dict[str, str], offered: EffectiveProcedure,
                revision: Any = None) -> list[tuple[str, str, str]]:
    return error_items(offered.fields(revision), errors)


def _blocked(offered: EffectiveProcedure, user: User | None) -> str:
    """Return why this person cannot file yet: "account", "franceconnect", or ""."""
    if offered.procedure.requires_account and user is None:
        return "account"
    if offered.procedure.requires_franceconnect:
        profile = getattr(user, "citizen", None)
        if profile is None or profile.identity_assurance != "franceconnect":
            return "franceconnect"
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def procedure(request: HttpRequest, slug: str) -> HttpResponse:
    commune = _chosen_commune(request)
    offered = selectors.procedure_offered_get(slug=slug, commune=commune)
    if offered.procedure.is_template and commune is None:
        # A template is filed with a commune: ask which one.
        return render(request, "portal/choose_commune.html", {"offered": offered,
                                                               "communes": selectors.communes_offering(
                                                                   procedure=offered.procedure)})
    user = request_actor_or_none(request)
    blocked = _blocked(offered, user)
    if not blocked and has_steps(offered.fields(offered.revision)):
        return procedure_in_steps(request, offered=offered, commune=commune)
    draft = None
    if user is not None and request.GET.get("brouillon"):
        draft = selectors.case_draft_of_citizen(actor=user, number=request.GET["brouillon"])
    data: dict[str, Any] = dict(draft.data) if draft else {}
    errors: dict[str, str] = {}
    extra_rows: dict[str, int] = {}
    status = 200
    revision = draft.revision if draft else offered.revision
    if request.method == "POST" and not blocked:
        fields = offered.fields(revision)
        parsed = parse_post(fields, request.POST, request.FILES, data, uploader=user)
        data, errors = parsed.data, dict(parsed.errors)
        action = request.POST.get("action", "submit")
        if parsed.add_row:
            extra_rows[parsed.add_row] = 1
        elif not errors:
            try:
                if action == "draft" and user is not None:
                    draft = services.case_draft_save(actor=user, offered=offered, data=data,
                                                     case=draft)
                    messages.success(request, f"Brouillon n° {draft.number} enregistré. Vous "
                                              "pourrez le reprendre depuis « Mes demandes ».")
                    return redirect("portal:my_cases")
                case = case_file_from_page(
                    request, user=user, offered=offered, data=data, draft=draft,
                    expected_revision=_int(request.POST.get("revision")),
                    idempotency_key=request.POST.get("submission_key", ""))
            except services.CaseInvalid as exc:
                errors = exc.errors
            except ServiceError as exc:
                errors = {"": exc.message}
                status = 409 if exc.code in {"revision_changed", "already_submitted"} else exc.status
            else:
                return case_filed(request, user=user, case=case)
        if errors and status == 200:
            status = 400
    return render(request, "portal/procedure.html", {
        "offered": offered, "commune": commune, "blocked": blocked, "draft": draft,
        "revision": revision, "errors": _error_list(errors, offered, revision),
        "form_error": errors.get(""), "submission_key": get_random_string(24)
        if request.method == "GET" else request.POST.get("submission_key", ""),
        "workflow": workflow_of(revision.workflow if revision else None),
        "fee_fixed": offered.fee_kind == FeeKind.FIXED,
        **_form_context(offered, data, errors, extra_rows, revision),
    }, status=status)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def case_access(request: HttpRequest, token: str) -> HttpResponse:
    case = selectors.case_from_access_token(token=token)
    services.case_confirm_email(case=case)
    grant_case_access(request, case)
    messages.success(request, "Votre adresse électronique est confirmée.")
    return redirect("portal:case_detail", number=case.number)


def _case_for(request: HttpRequest, number: str) -> Case:
    """The case for its citizen, an agent who may see it, or a visitor holding its link."""
    return selectors.case_get_for_page(actor=request_actor_or_none(request), number=number,
                                       granted=request.session.get(ACCESS_SESSION_KEY, []))


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = selectors.case_rows_of_citizen(actor=request_actor(request))
    workflows = workflows_of_revisions({case["revision_id"]: case["revision__published_at"]
                                        for case in cases if case["revision_id"]})
    default = workflow_of(None)
    rows = [{"case": case,
             "status": workflows.get(case["revision_id"], default).citizen_status(case["status"], []),
             "date": timezone.localtime(case["submitted_at"] or case["created_at"]).strftime(
                 "%d/%m/%Y")}
            for case in cases]
    return render(request, "portal/my_cases.html", {"rows": rows})


def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for(request, number)
    user = request_actor_or_none(request)
    workflow = workflow_of(case.revision.workflow)
    # Each event with the label its citizen reads for the status it moved to.
    events = [(event, workflow.status(event.to_status).citizen_label)
              for event in selectors.case_events_shown(actor=user, case=case)]
    documents = list(selectors.case_documents_shown(actor=user, case=case))
    offered = services.offered_for_case(case)
    is_owner = user is not None and case.citizen_id == user.pk
    awaiting = is_owner and case.amount_due > 0 and payments.case_awaits_payment(case)
    # What is left to pay, not the whole amount, once a part was paid.
    outstanding = payments.case_payment_due(case) if awaiting else None
    can_pay = outstanding is not None and outstanding > 0
    return render(request, "portal/case_detail.html", {
        "case": case, "status": workflow.citizen_status(case.status, []),
        "events": events, "documents": documents,
        "summary": summary(offered.fields(case.revision), case.data),
        "can_complete": is_owner and case.status == "info_requested",
        "can_write": is_owner and case.closed_at is None and case.status != "draft",
        "can_pay": can_pay, "amount_outstanding": outstanding,
        "is_agent": user is not None and selectors.case_may_process(actor=user, case=case),
        "offered": offered,
        "acknowledgements_pending": selectors.case_acknowledgements_pending(case=case),
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_complete(request: HttpRequest, number: str) -> HttpResponse:
    actor = request_actor(request)
    case = _case_for(request, number)
    if case.citizen_id != actor.pk or case.status != "info_requested":
        raise Http404("Ce dossier n'attend pas de complément.")
    offered = services.offered_for_case(case)
    fields = offered.fields(case.revision)
    data: dict[str, Any] = dict(case.data)
    errors: dict[str, str] = {}
    extra_rows: dict[str, int] = {}
    status = 200
    if request.method == "POST":
        parsed = parse_post(fields, request.POST, request.FILES, data, uploader=actor)
        data, errors = parsed.data, dict(parsed.errors)
        if parsed.add_row:
            extra_rows[parsed.add_row] = 1
        elif not errors:
            try:
                services.case_resubmit(actor=actor, case=case, data=data)
            except services.CaseInvalid as exc:
                errors = exc.errors
            except (ServiceError, TransitionRefused) as exc:
                errors = {"": exc.message}
            else:
                messages.success(request, "Votre dossier complété a été renvoyé au service.")
                return redirect("portal:case_detail", number=case.number)
        status = 400 if errors else 200
    request_event = selectors.case_information_request(actor=actor, case=case)
    return render(request, "portal/case_complete.html", {
        "case": case, "offered": offered, "request_event": request_event,
        "errors": _error_list(errors, offered, case.revision), "form_error": errors.get(""),
        **_form_context(offered, data, errors, extra_rows, case.revision),
    }, status=status)


@login_required
@require_POST
def case_message(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for(request, number)
    try:
        services.case_message(actor=request_actor(request), case=case,
                              text=request.POST.get("text", ""))
    except (ServiceError, TransitionRefused) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Votre message a été envoyé au service.")
    return redirect("portal:case_detail", number=case.number)


def document_download(request: HttpRequest, number: str, document_id: int) -> HttpResponseBase:
    case = _case_for(request, number)
    actor = request_actor_or_none(request)
    document = selectors.case_document_shown_get(actor=actor, case=case, document_id=document_id)
    services.case_consultation_record(actor=actor, case=case, document=document,
                                      ip_address=client_ip(request))
    return file_download(blob_open(document.blob), name=document.name,
                         mime_type=document.blob.mime_type)


urlpatterns = [
    path("demarches/", catalogue, name="catalogue"),
    path("demarches/<slug:slug>/", procedure, name="procedure"),
    path("suivi/<str:token>/", case_access, name="case_access"),
    path("mes-demandes/", my_cases, name="my_cases"),
    path("mes-demandes/<str:number>/", case_detail, name="case_detail"),
    path("mes-demandes/<str:number>/completer/", case_complete, name="case_complete"),
    path("mes-demandes/<str:number>/message/", case_message, name="case_message"),
    path("mes-demandes/<str:number>/documents/<int:document_id>/", document_download,
         name="document_download"),
]
