"""The inventory's pages for software and licences (the homogenised business software view,
licences and their seats) and for telework loans (their list, return and agreement)."""

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
from .forms import LicenceForm, ReturnForm, SeatForm, SoftwareForm
from .loan_agreement import loan_agreement_pdf
from .models import Licence
from .page_support import manager_required, organisation_choices, page_of, param, viewer_required


@require_http_methods(["GET", "POST"])
@viewer_required
def software(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    managed = list(selectors.organisations_managed(actor=user).filter(parent__isnull=True))
    form = SoftwareForm(request.POST or None)
    refusal = ""
    if request.method == "POST":
        if not managed:
            raise Http404("Introuvable.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.software_save(actor=user, organisation=managed[0], name=data["name"],
                                       publisher=data["publisher"], business=data["business"],
                                       reference_version=data["reference_version"])
                messages.success(request, f"Le logiciel « {data['name']} » est enregistré.")
                return redirect("inventory:software")
            except ServiceError as error:
                refusal = error.message
    commune = param(request.GET, "commune", 80)
    lines = selectors.homogenisation_for(actor=user, organisation=commune)
    only_out = request.GET.get("ecarts") == "1"
    if only_out:
        lines = [line for line in lines if line.out_of_line]
    return render(request, "inventory/software.html", {
        "lines": lines, "form": form, "refusal": refusal, "may_manage": bool(managed),
        "commune": commune, "only_out": only_out,
        "organisations": selectors.organisations_viewing(actor=user),
    }, status=400 if refusal or form.errors else 200)


def _licence_form(user: User, data: Any = None) -> LicenceForm:
    return LicenceForm(data, organisations=organisation_choices(
        selectors.organisations_managed(actor=user)), software=[
        (str(s.pk), s.name) for s in selectors.software_for(actor=user).order_by("name")[:500]])


@require_http_methods(["GET", "POST"])
@viewer_required
def licences(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    may_manage = selectors.manages_any(actor=user)
    form = _licence_form(user, request.POST or None)
    refusal = ""
    if request.method == "POST":
        if not may_manage:
            raise Http404("Introuvable.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                organisation = selectors.organisation_managed_get(actor=user,
                                                                  slug=data["organisation"])
                titles = selectors.software_for(actor=user).filter(pk__in=data["titles"])
                licence = services.licence_save(
                    actor=user, organisation=organisation, name=data["name"],
                    seats=data["seats"], titles=titles, expires_on=data["expires_on"],
                    starts_on=data["starts_on"], reference=data["reference"], cost=data["cost"])
                messages.success(request, f"La licence « {licence.name} » est enregistrée.")
                return redirect("inventory:licence", pk=licence.pk)
            except ServiceError as error:
                refusal = error.message
    expiring = request.GET.get("echeance") == "1"
    rows, next_url = page_of(request, selectors.licences_for(actor=user, expiring=expiring)
                             .order_by("pk"))
    return render(request, "inventory/licences.html", {
        "rows": rows, "next_url": next_url, "form": form, "refusal": refusal,
        "may_manage": may_manage, "expiring": expiring,
    }, status=400 if refusal or form.errors else 200)


def _licence_context(user: User, licence: Licence, **extra: Any) -> dict[str, Any]:
    manage = selectors.may_manage(actor=user, organisation=licence.organisation)
    return {"licence": licence, "may_manage": manage,
            "titles": licence.titles.order_by("name"),
            "seats": selectors.assignments_of(actor=user, licence=licence),
            "seat_form": extra.get("seat_form") or SeatForm(organisations=organisation_choices(
                selectors.organisations_managed(actor=user))),
            "refusal": extra.get("refusal", "")}


@require_GET
@viewer_required
def licence(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.licence_get_for(actor=user, pk=pk)
    return render(request, "inventory/licence.html", _licence_context(user, found))


@require_POST
@manager_required
def licence_seat(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.licence_get_for(actor=user, pk=pk)
    form = SeatForm(request.POST, organisations=organisation_choices(
        selectors.organisations_managed(actor=user)))
    try:
        if not form.is_valid():
            raise ServiceError("Choisissez la commune dans la liste.")
        data, asset = form.cleaned_data, None
        if data["asset"]:
            if not data["organisation"]:
                raise ServiceError("Précisez la commune du matériel.")
            organisation = selectors.organisation_managed_get(actor=user,
                                                              slug=data["organisation"])
            asset = selectors.asset_by_number(actor=user, organisation=organisation,
                                              number=data["asset"])
            if asset is None:
                raise ServiceError(f"Aucun matériel « {data['asset'][:40]} » à "
                                   f"{organisation.name}.")
        services.licence_assign(actor=user, licence=found, asset=asset, person=data["person"])
    except ServiceError as error:
        return render(request, "inventory/licence.html",
                      _licence_context(user, found, seat_form=form, refusal=error.message),
                      status=error.status if error.status in (400, 403, 409) else 400)
    messages.success(request, "Le poste de licence est attribué.")
    return redirect("inventory:licence", pk=found.pk)


@require_POST
@manager_required
def licence_release(request: HttpRequest, pk: int, seat_pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.licence_get_for(actor=user, pk=pk)
    seat = selectors.assignments_of(actor=user, licence=found).filter(pk=seat_pk).first()
    if seat is None:
        raise Http404("Introuvable.")
    try:
        services.licence_release(actor=user, seat=seat)
    except ServiceError as error:
        return render(request, "inventory/licence.html",
                      _licence_context(user, found, refusal=error.message), status=error.status)
    messages.success(request, "Le poste de licence est libéré.")
    return redirect("inventory:licence", pk=found.pk)


@require_GET
@viewer_required
def loans(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    open_only = request.GET.get("en-cours") == "1"
    rows, next_url = page_of(request, selectors.loans_for(actor=user, open_only=open_only)
                             .order_by("pk"))
    return render(request, "inventory/loans.html", {
        "rows": rows, "next_url": next_url, "open_only": open_only, "return_form": ReturnForm(),
        "may_manage": selectors.manages_any(actor=user)})


@require_POST
@manager_required
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    loan = selectors.loan_get_for(actor=user, pk=pk)
    form = ReturnForm(request.POST)
    condition = form.cleaned_data["condition"] if form.is_valid() else ""
    try:
        services.loan_return(actor=user, loan=loan, condition=condition)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("inventory:loans")
    messages.success(request, f"Le retour de {loan.asset.inventory_number} est enregistré.")
    return redirect("inventory:loans")


@require_GET
@viewer_required
def loan_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    loan = selectors.loan_get_for(actor=user, pk=pk)
    response = HttpResponse(loan_agreement_pdf(loan), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="convention-pret-{loan.pk}.pdf"'
    return response


urlpatterns = [
    path("inventaire/logiciels/", software, name="software"),
    path("inventaire/licences/", licences, name="licences"),
    path("inventaire/licences/<int:pk>/", licence, name="licence"),
    path("inventaire/licences/<int:pk>/postes", licence_seat, name="licence_seat"),
    path("inventaire/licences/<int:pk>/postes/<int:seat_pk>/liberer", licence_release,
         name="licence_release"),
    path("inventaire/prets/", loans, name="loans"),
    path("inventaire/prets/<int:pk>/retour", loan_return, name="loan_return"),
    path("inventaire/prets/<int:pk>/convention.pdf", loan_pdf, name="loan_pdf"),
]
