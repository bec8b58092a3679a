"""The schools' pages: equipment per school, procurement requests with the Education
inspector's opinion then the order, and the teachers' training needs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.errors import ServiceError
from socle.core.models import User
from socle.core.request_actor import request_actor

from . import selectors, services
from .forms import OpinionForm, OrderForm, RequestForm, TrainingNeedForm
from .models import ProcurementRequest, RequestStatus
from .page_support import page_of, param, schools_required, site_choices


def _schools_requestable(user: User) -> list[tuple[str, str]]:
    return site_choices(selectors.sites_for(actor=user, kind="school",
                                            permission=selectors.REQUEST))


def _school_of(user: User, value: str) -> Any:
    if not value.isdigit():
        raise ServiceError("Choisissez une école de la liste.", errors={"site": "École requise."})
    return selectors.site_get_for(actor=user, pk=value, permission=selectors.REQUEST)


@require_http_methods(["GET", "POST"])
@schools_required
def requests(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    choices = _schools_requestable(user)
    action = request.POST.get("action", "")
    request_form = RequestForm(request.POST if action == "request" else None, sites=choices)
    need_form = TrainingNeedForm(request.POST if action == "need" else None, sites=choices)
    refusal = ""
    if request.method == "POST":
        if not choices:
            raise Http404("Introuvable.")
        form = request_form if action == "request" else need_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                site = _school_of(user, data["site"])
                if action == "request":
                    services.request_submit(actor=user, site=site, kind=data["kind"],
                                            quantity=data["quantity"], reason=data["reason"])
                    messages.success(request, "La demande est transmise à l'inspection.")
                else:
                    services.training_need_record(actor=user, site=site, topic=data["topic"],
                                                  teachers=data["teachers"])
                    messages.success(request, "Le besoin de formation est enregistré.")
                return redirect("inventory:requests")
            except ServiceError as error:
                refusal = error.message
        else:
            refusal = "Le formulaire contient des erreurs : vérifiez chaque champ."
    status = param(request.GET, "statut", 20)
    rows, next_url = page_of(request, selectors.requests_for(
        actor=user, status=status if status in RequestStatus.values else "").order_by("pk"))
    return render(request, "inventory/requests.html", {
        "rows": rows, "next_url": next_url, "statuses": RequestStatus.choices, "status": status,
        "request_form": request_form, "need_form": need_form, "may_request": bool(choices),
        "refusal": refusal, "schools": selectors.school_equipment_for(actor=user),
        "needs": selectors.training_needs_for(actor=user)[:100],
    }, status=400 if refusal else 200)


def _request_context(user: User, found: ProcurementRequest, **extra: Any) -> dict[str, Any]:
    return {"item": found, "may_opine": selectors.may_opine(actor=user, request=found),
            "may_manage": selectors.may_manage(actor=user, organisation=found.organisation),
            "opinion_form": extra.get("opinion_form") or OpinionForm(),
            "order_form": extra.get("order_form") or OrderForm(),
            "refusal": extra.get("refusal", "")}


@require_GET
@schools_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.request_get_for(actor=user, pk=pk)
    return render(request, "inventory/request.html", _request_context(user, found))


@require_POST
@schools_required
def request_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.request_get_for(actor=user, pk=pk)
    form = OpinionForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("Choisissez un avis favorable ou défavorable.")
        services.request_opinion(actor=user, request=found,
                                 favourable=form.cleaned_data["opinion"] == "favourable",
                                 comment=form.cleaned_data["comment"])
    except ServiceError as error:
        return render(request, "inventory/request.html",
                      _request_context(user, found, opinion_form=form, refusal=error.message),
                      status=error.status if error.status in (400, 403, 409) else 400)
    messages.success(request, "L'avis de l'inspection est enregistré.")
    return redirect("inventory:request", pk=found.pk)


@require_POST
@schools_required
def request_order(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.request_get_for(actor=user, pk=pk)
    form = OrderForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("Indiquez le numéro du bon de commande.")
        services.request_order(actor=user, request=found,
                               order_reference=form.cleaned_data["order_reference"])
    except ServiceError as error:
        return render(request, "inventory/request.html",
                      _request_context(user, found, order_form=form, refusal=error.message),
                      status=error.status if error.status in (400, 403, 409) else 400)
    messages.success(request, "La commande est enregistrée.")
    return redirect("inventory:request", pk=found.pk)


urlpatterns = [
    path("inventaire/ecoles/", requests, name="requests"),
    path("inventaire/ecoles/demandes/<int:pk>/", request_detail, name="request"),
    path("inventaire/ecoles/demandes/<int:pk>/avis", request_opinion, name="request_opinion"),
    path("inventaire/ecoles/demandes/<int:pk>/commande", request_order, name="request_order"),
]
