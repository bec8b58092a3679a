"""The "sort final" pages: due lists of an organisation, legal holds, destruction requests and
their certificates. Server-rendered forms; every write goes through disposal.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from socle.core.access import can
from socle.core.request_actor import request_actor

from . import disposal, selectors
from .services import DocumentRefused
from .views import agent_required


@require_GET
@agent_required
def sort_final_index(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "documents/sort_final_index.html", {
        "organisations": selectors.organisations_visible(actor=actor)})


@require_GET
@agent_required
def sort_final(request: HttpRequest, organisation: str) -> HttpResponse:
    actor = request_actor(request)
    org = selectors.organisation_for(actor=actor, slug=organisation)
    due = selectors.retention_due(actor=actor, organisation=org, on=timezone.localdate())
    return render(request, "documents/sort_final.html", {
        "organisation": org, "due": due,
        "requests": selectors.destruction_requests_for(actor=actor, organisation=org)[:50],
        "can_request": can(actor, selectors.EDIT, org),
        "can_approve": can(actor, disposal.APPROVE, org)})


def _back(org_slug: str) -> HttpResponseBase:
    return redirect("documents:sort_final", organisation=org_slug)


@require_POST
@agent_required
def legal_hold(request: HttpRequest, document_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    service = disposal.legal_hold_set if request.POST.get("hold") == "1" else disposal.legal_hold_clear
    try:
        service(actor=actor, document=document,
                reason=request.POST.get("reason", ""))
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Gel juridique posé." if document.legal_hold else "Gel juridique levé.")
    return _back(document.organisation.slug)


@require_POST
@agent_required
def destruction_request(request: HttpRequest, organisation: str) -> HttpResponseBase:
    actor = request_actor(request)
    org = selectors.organisation_for(actor=actor, slug=organisation)
    try:
        ids = [int(value) for value in request.POST.getlist("document") if value.isdigit()]
        created = disposal.destruction_request(actor=actor, organisation=org,
                                               document_ids=ids, comment=request.POST.get("comment", ""))
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Demande de destruction n° {created.pk} enregistrée : elle attend "
                                  "l'approbation d'un archiviste.")
    return _back(org.slug)


@require_POST
@agent_required
def destruction_decide(request: HttpRequest, request_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    wanted = selectors.destruction_request_get_for(actor=actor, request_id=request_id)
    action = request.POST.get("action", "")
    try:
        if action == "approve":
            disposal.destruction_approve(actor=actor, request=wanted)
            messages.success(request, "Destruction approuvée.")
        elif action == "reject":
            disposal.destruction_reject(actor=actor, request=wanted,
                                        reason=request.POST.get("reason", ""))
            messages.success(request, "Demande de destruction refusée.")
        elif action == "execute":
            disposal.destruction_execute(actor=actor, request=wanted)
            messages.success(request, "Destruction exécutée : le certificat figure au journal.")
            return redirect("documents:destruction_certificate", request_id=wanted.pk)
        else:
            messages.error(request, "Action inconnue.")
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
    return _back(wanted.organisation.slug)


@require_GET
@agent_required
def destruction_certificate(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = request_actor(request)
    wanted = selectors.destruction_request_get_for(actor=actor, request_id=request_id)
    certificate = selectors.destruction_certificate(request=wanted)
    if certificate is None:
        raise Http404
    return render(request, "documents/certificate.html", {
        "destruction": wanted, "certificate": certificate, "data": certificate.data})


urlpatterns = [
    path("documents/sort-final/", sort_final_index, name="sort_final_index"),
    path("documents/sort-final/<slug:organisation>/", sort_final, name="sort_final"),
    path("documents/sort-final/<slug:organisation>/destruction", destruction_request,
         name="destruction_request"),
    path("documents/<int:document_id>/gel", legal_hold, name="legal_hold"),
    path("documents/destructions/<int:request_id>/decision", destruction_decide,
         name="destruction_decide"),
    path("documents/destructions/<int:request_id>/certificat", destruction_certificate,
         name="destruction_certificate"),
]
