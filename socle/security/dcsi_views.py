"""The pages of the DCSI's officer and the communes' security leads: the acceptance register
and its CSV, the charter's versions, the modules' catalogue and their progress by commune."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.models import Organisation
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.roles import all_roles

from . import selectors, services
from .forms import AssignForm, CharterForm, ModuleForm, parse_questions
from .models import CharterVersion
from .spreadsheet import csv_response

VIEW_ONLY = role_required(selectors.VIEW, title="Pilotage de la sécurité",
                          message="Ces pages sont réservées à la DCSI et aux référents sécurité "
                                  "des communes.")
MANAGE_ONLY = role_required(selectors.MANAGE, title="Pilotage de la sécurité",
                            message="Cette page est réservée au RSSI de la DCSI.")


def _may_manage(request: HttpRequest) -> bool:
    return selectors.readable_organisations(actor=request_actor(request),
                                            permission=selectors.MANAGE).exists()


@VIEW_ONLY
def overview(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    version = selectors.charter_in_force()
    rows = selectors.acceptance_register(actor=actor, version=version) if version else []
    accepted = sum(r.accepted_at is not None for r in rows)
    return render(request, "security/overview.html", {
        "version": version, "agents": len(rows), "accepted": accepted,
        "may_manage": _may_manage(request)})


def _scope(request: HttpRequest) -> Organisation | None:
    slug = request.GET.get("organisation", "")
    if not slug:
        return None
    return selectors.readable_organisation_get(actor=request_actor(request), slug=slug)


def _version(request: HttpRequest) -> CharterVersion | None:
    pk = request.GET.get("version", "")
    if pk:
        return selectors.charter_version_get_for(actor=request_actor(request), pk=pk)
    return selectors.charter_in_force()


@VIEW_ONLY
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisation, version = _scope(request), _version(request)
    rows = (selectors.acceptance_register(actor=actor, version=version, organisation=organisation)
            if version else [])
    return render(request, "security/register.html", {
        "version": version, "rows": rows, "organisation": organisation,
        "accepted": sum(r.accepted_at is not None for r in rows),
        "organisations": selectors.readable_organisations(actor=actor),
        "versions": selectors.charter_versions_for(actor=actor)})


@VIEW_ONLY
@require_GET
def register_csv(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisation, version = _scope(request), _version(request)
    rows = (selectors.acceptance_register(actor=actor, version=version, organisation=organisation)
            if version else [])
    lines = [[version.number if version else "", r.organisation.name, r.user.last_name,
              r.user.first_name, r.user.email,
              timezone.localtime(r.accepted_at).strftime("%d/%m/%Y %H:%M") if r.accepted_at
              else "non acceptée"] for r in rows]
    header = ["version", "organisation", "nom", "prénom", "adresse électronique",
              "acceptée le"]
    return csv_response("registre-charte-informatique.csv", header, lines)


@VIEW_ONLY
@require_http_methods(["GET", "POST"])
def versions(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    may_manage = _may_manage(request)
    form = CharterForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and may_manage and form.is_valid():
        publisher = selectors.readable_organisations(actor=actor,
                                                     permission=selectors.MANAGE).first()
        try:
            assert publisher is not None
            version = services.charter_publish(
                actor=actor, organisation=publisher, number=form.cleaned_data["number"],
                title=form.cleaned_data["title"], text_body=form.cleaned_data["text"],
                in_force_from=form.cleaned_data["in_force_from"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Version {version.number} publiée : chaque agent "
                                      "l'acceptera à sa prochaine page.")
            return redirect("security:versions")
    elif request.method == "POST" and not may_manage:
        return render(request, "core/error.html", {"title": "Publication refusée",
                      "message": "Seul le RSSI de la DCSI publie la charte."}, status=403)
    status = 400 if request.method == "POST" else 200
    return render(request, "security/versions.html", {
        "versions": selectors.charter_versions_for(actor=actor), "form": form,
        "refusal": refusal, "may_manage": may_manage,
        "current": selectors.charter_in_force()}, status=status)


@VIEW_ONLY
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    return render(request, "security/progress.html", {
        "rows": selectors.progress_by_commune(actor=request_actor(request))})


@MANAGE_ONLY
@require_http_methods(["GET", "POST"])
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = ModuleForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        publisher = selectors.readable_organisations(actor=actor,
                                                     permission=selectors.MANAGE).first()
        try:
            assert publisher is not None
            created = services.module_save(
                actor=actor, organisation=publisher, title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                questions=parse_questions(form.cleaned_data["questions"]),
                pass_mark=form.cleaned_data["pass_mark"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "Module enregistré : assignez-le à un groupe.")
            return redirect("security:catalogue_module", pk=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "security/catalogue.html", {
        "modules": selectors.modules_managed(actor=actor), "form": form, "refusal": refusal},
        status=status)


@MANAGE_ONLY
@require_http_methods(["GET", "POST"])
def catalogue_module(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    module = selectors.module_managed_get(actor=actor, pk=pk)
    organisations = selectors.readable_organisations(actor=actor, permission=selectors.MANAGE)
    form = AssignForm(request.POST or None,
                      organisations=[(o.slug, o.name) for o in organisations],
                      roles=sorted((r.name, f"{r.label} ({r.name})")
                                   for r in all_roles().values()))
    refusal = ""
    if request.method == "POST" and form.is_valid():
        organisation = selectors.readable_organisation_get(
            actor=actor, slug=form.cleaned_data["organisation"], permission=selectors.MANAGE)
        try:
            services.assignment_add(actor=actor, module=module, organisation=organisation,
                                    role=form.cleaned_data["role"],
                                    due_on=form.cleaned_data["due_on"])
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Module assigné aux agents de {organisation.name}.")
            return redirect("security:catalogue_module", pk=module.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "security/catalogue_module.html", {
        "module": module, "assignments": module.assignments.select_related("organisation"),
        "form": form, "refusal": refusal}, status=status)
