"""The penetration-test findings' pages: the dashboard per commune with the list, the
recording form, and one finding with its status and retest."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import selectors, services
from .dcsi_views import VIEW_ONLY
from .forms import FindingForm, FindingStatusForm, RetestForm
from .models import FindingStatus, Severity

PAGE_SIZE = 100


def _managed(request: HttpRequest) -> list[tuple[str, str]]:
    return [(o.slug, o.name) for o in selectors.readable_organisations(
        actor=request_actor(request), permission=selectors.MANAGE)]


@VIEW_ONLY
@require_http_methods(["GET", "POST"])
def findings(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    managed = _managed(request)
    form = FindingForm(request.POST or None, organisations=managed)
    refusal = ""
    if request.method == "POST" and not managed:
        return render(request, "core/error.html", {"title": "Enregistrement refusé",
                      "message": "Seul le RSSI de la DCSI enregistre les vulnérabilités."},
                      status=403)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = selectors.readable_organisation_get(
                actor=actor, slug=data["organisation"], permission=selectors.MANAGE)
            created = services.finding_create(
                actor=actor, organisation=organisation, title=data["title"], asset=data["asset"],
                cvss_vector=data["cvss_vector"], recommendation=data["recommendation"],
                owner=data["owner"], due_on=data["due_on"])
        except ServiceError as exc:
            refusal = exc.message
            for field, message in (exc.errors or {}).items():
                if field in form.fields:
                    form.add_error(field, message)
        else:
            messages.success(request, f"Vulnérabilité enregistrée ({created.cvss_score}, "
                                      f"{created.get_severity_display().lower()}).")
            return redirect("security:finding", pk=created.pk)
    filters = selectors.FindingFilters(
        organisation=request.GET.get("organisation", "")[:80],
        status=request.GET.get("status", "active")[:20],
        overdue=request.GET.get("overdue") == "1")
    status = 400 if request.method == "POST" else 200
    return render(request, "security/findings.html", {
        "dashboard": selectors.findings_dashboard(actor=actor),
        "severities": Severity.choices[1:][::-1], "statuses": FindingStatus.choices,
        "findings": selectors.findings_for(actor=actor, filters=filters)[:PAGE_SIZE],
        "filters": filters, "today": timezone.localdate(), "form": form, "refusal": refusal,
        "may_manage": bool(managed)}, status=status)


@VIEW_ONLY
@require_http_methods(["GET", "POST"])
def finding(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    found = selectors.finding_get_for(actor=actor, pk=pk)
    may_manage = selectors.readable_organisations(actor=actor, permission=selectors.MANAGE
                                                  ).filter(pk=found.organisation_id).exists()
    status_form = FindingStatusForm(initial={"status": found.status})
    retest_form = RetestForm()
    refusal = ""
    if request.method == "POST":
        if not may_manage:
            return render(request, "core/error.html", {"title": "Modification refusée",
                          "message": "Seul le RSSI de la DCSI modifie une vulnérabilité."},
                          status=403)
        try:
            if request.POST.get("action") == "retest":
                retest_form = RetestForm(request.POST)
                if retest_form.is_valid():
                    services.finding_retest(actor=actor, finding=found,
                                            passed=retest_form.cleaned_data["result"] == "passed")
                    messages.success(request, "Revérification enregistrée.")
                    return redirect("security:finding", pk=found.pk)
            else:
                status_form = FindingStatusForm(request.POST)
                if status_form.is_valid():
                    services.finding_status_set(actor=actor, finding=found,
                                                status=status_form.cleaned_data["status"])
                    messages.success(request, "Statut enregistré.")
                    return redirect("security:finding", pk=found.pk)
        except ServiceError as exc:
            refusal = exc.message
    status = 400 if request.method == "POST" else 200
    return render(request, "security/finding.html", {
        "finding": found, "may_manage": may_manage, "status_form": status_form,
        "retest_form": retest_form, "refusal": refusal, "overdue": found.overdue},
        status=status)
