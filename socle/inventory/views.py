"""The inventory's pages for assets and sites: the list, an asset's page with its lifecycle,
software, tickets and loans, adding and editing, and the import from CSV or GLPI Agent.

Server-rendered, French, usable without JavaScript. An asset of a commune the agent may
not see is a 404, whatever the page. The other pages are in licence_views.py,
school_views.py and hotspot_views.py; this module gathers every URL.
"""

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
from socle.core.upload_handlers import accepts_uploads

from . import hotspot_views, licence_views, school_views, selectors, services
from .forms import AssetForm, ImportForm, LoanForm, SiteForm, TicketLinkForm, TransitionForm
from .models import Asset, AssetKind, AssetStatus, SiteKind
from .page_support import (
    int_param,
    manager_required,
    organisation_choices,
    page_of,
    param,
    site_choices,
    viewer_required,
)


@require_GET
@viewer_required
def assets(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    kind, status = param(request.GET, "type", 20), param(request.GET, "statut", 20)
    filters = selectors.AssetFilters(
        organisation=param(request.GET, "commune", 80), site=int_param(request.GET, "site"),
        kind=kind if kind in AssetKind.values else "",
        status=status if status in AssetStatus.values else "", q=param(request.GET, "q", 100))
    rows, next_url = page_of(request, selectors.assets_for(actor=user, filters=filters))
    return render(request, "inventory/assets.html", {
        "rows": rows, "next_url": next_url, "filters": filters,
        "kinds": AssetKind.choices, "statuses": AssetStatus.choices,
        "organisations": selectors.organisations_viewing(actor=user),
        "may_manage": selectors.manages_any(actor=user),
    })


def _asset_form_kwargs(user: User) -> dict[str, Any]:
    return {"organisations": organisation_choices(selectors.organisations_managed(actor=user)),
            "sites": site_choices(selectors.sites_for(actor=user, permission=selectors.MANAGE))}


def _site_from(user: User, value: str, organisation: Any) -> Any:
    if not value:
        return None
    site = selectors.site_get_for(actor=user, pk=value, permission=selectors.MANAGE)
    if site.organisation_id != organisation.pk:
        raise ServiceError("Ce site n'est pas un site de la commune choisie.",
                           code="invalid_site", errors={"site": "Site d'une autre commune."})
    return site


@require_http_methods(["GET", "POST"])
@manager_required
def asset_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request_actor(request)
    asset = selectors.asset_get_for(actor=user, pk=pk) if pk else None
    if asset is not None and not selectors.may_manage(actor=user, organisation=asset.organisation):
        raise Http404("Introuvable.")
    initial = {}
    if asset is not None:
        initial = {
            "organisation": asset.organisation.slug, "site": asset.site_id or "",
            **{f: getattr(asset, f) or "" for f in (
                "inventory_number", "kind", "name", "status", "manufacturer", "model",
                "serial_number", "contract", "assigned_to", "operating_system")},
            "purchased_on": f"{asset.purchased_on:%d/%m/%Y}" if asset.purchased_on else "",
            "warranty_end": f"{asset.warranty_end:%d/%m/%Y}" if asset.warranty_end else "",
            "cost": str(asset.cost).replace(".", ",") if asset.cost is not None else ""}
    form = AssetForm(request.POST or None, initial=initial, **_asset_form_kwargs(user))
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = selectors.organisation_managed_get(actor=user, slug=data["organisation"])
            site = _site_from(user, data["site"], organisation)
            if asset is None:
                asset = services.asset_create(actor=user, organisation=organisation,
                                              values=data, site=site)
                messages.success(request, f"Le matériel {asset.inventory_number} est ajouté.")
            else:
                if organisation.pk != asset.organisation_id:
                    raise ServiceError("Un matériel ne change pas de commune.",
                                       errors={"organisation": "Commune d'origine attendue."})
                services.asset_update(actor=user, asset=asset, values=data, site=site)
                messages.success(request, "Le matériel est modifié.")
            return redirect("inventory:asset", pk=asset.pk)
        except ServiceError as error:
            for name, text in error.errors.items():
                if name in form.fields:
                    form.add_error(name, text)
            refusal = error.message
    return render(request, "inventory/asset_edit.html", {"form": form, "asset": asset,
                                                         "refusal": refusal},
                  status=400 if refusal or form.errors else 200)


def _detail_context(user: User, asset: Asset, **forms: Any) -> dict[str, Any]:
    manage = selectors.may_manage(actor=user, organisation=asset.organisation)
    context: dict[str, Any] = {
        "asset": asset, "may_manage": manage,
        "history": selectors.asset_history(actor=user, asset=asset),
        "installations": selectors.installations_of(actor=user, asset=asset),
        "tickets": selectors.tickets_of_asset(actor=user, asset=asset),
        "loans": selectors.loans_for(actor=user, asset=asset),
        "refusal": forms.get("refusal", ""),
    }
    if manage:
        context["transition_form"] = forms.get("transition_form") or TransitionForm(
            current=asset.status)
        context["ticket_form"] = forms.get("ticket_form") or TicketLinkForm()
        context["loan_form"] = forms.get("loan_form") or LoanForm(people=[
            (str(u.pk), f"{u.display_name} ({u.email})")
            for u in selectors.agents_of(actor=user, organisation=asset.organisation)[:500]])
    return context


@require_GET
@viewer_required
def asset(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.asset_get_for(actor=user, pk=pk)
    return render(request, "inventory/asset.html", _detail_context(user, found))


def _refused(request: HttpRequest, user: User, found: Asset, error: ServiceError,
             **forms: Any) -> HttpResponse:
    return render(request, "inventory/asset.html",
                  _detail_context(user, found, refusal=error.message, **forms),
                  status=error.status if error.status in (400, 403, 409) else 400)


@require_POST
@manager_required
def asset_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.asset_get_for(actor=user, pk=pk)
    form = TransitionForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("Choisissez un statut de la liste.")
        services.asset_transition(actor=user, asset=found, to=form.cleaned_data["to"],
                                  comment=form.cleaned_data["comment"])
    except ServiceError as error:
        return _refused(request, user, found, error, transition_form=form)
    messages.success(request, "Le cycle de vie du matériel est mis à jour.")
    return redirect("inventory:asset", pk=found.pk)


@require_POST
@manager_required
def asset_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.asset_get_for(actor=user, pk=pk)
    form = TicketLinkForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("Indiquez le numéro du ticket.")
        services.asset_ticket_link(actor=user, asset=found, number=form.cleaned_data["number"])
    except ServiceError as error:
        return _refused(request, user, found, error, ticket_form=form)
    messages.success(request, "Le ticket est relié au matériel.")
    return redirect("inventory:asset", pk=found.pk)


@require_POST
@manager_required
def asset_lend(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    found = selectors.asset_get_for(actor=user, pk=pk)
    people = selectors.agents_of(actor=user, organisation=found.organisation)
    form = LoanForm(request.POST, people=[(str(u.pk), u.email) for u in people[:500]])
    try:
        if not form.is_valid():
            raise ServiceError("Choisissez l'agent emprunteur dans la liste.")
        borrower = people.filter(pk=form.cleaned_data["borrower"]).first()
        if borrower is None:
            raise ServiceError("L'emprunteur doit être un agent de la commune du matériel.")
        loan = services.loan_start(actor=user, asset=found, borrower=borrower,
                                   due_on=form.cleaned_data["due_on"])
    except ServiceError as error:
        return _refused(request, user, found, error, loan_form=form)
    messages.success(request, "Le prêt est enregistré : imprimez la convention à faire signer.")
    return redirect("inventory:loan_pdf", pk=loan.pk) if request.POST.get("pdf") else redirect(
        "inventory:asset", pk=found.pk)


@require_http_methods(["GET", "POST"])
@viewer_required
def sites(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    managed = selectors.organisations_managed(actor=user)
    form = SiteForm(request.POST or None, organisations=organisation_choices(managed))
    refusal = ""
    if request.method == "POST":
        if not selectors.manages_any(actor=user):
            raise Http404("Introuvable.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                organisation = selectors.organisation_managed_get(actor=user,
                                                                  slug=data["organisation"])
                services.site_save(actor=user, organisation=organisation, name=data["name"],
                                   kind=data["kind"], address=data["address"],
                                   latitude=data["latitude"], longitude=data["longitude"])
                messages.success(request, f"Le site « {data['name']} » est enregistré.")
                return redirect("inventory:sites")
            except ServiceError as error:
                refusal = error.message
    rows, next_url = page_of(request, selectors.sites_for(actor=user).order_by("pk"))
    return render(request, "inventory/sites.html", {
        "rows": rows, "next_url": next_url, "form": form, "refusal": refusal,
        "may_manage": managed.exists(), "kinds": SiteKind.choices,
    }, status=400 if refusal or form.errors else 200)


@require_http_methods(["GET", "POST"])
@manager_required
@accepts_uploads
def import_assets(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = ImportForm(request.POST or None, request.FILES or None, **_asset_form_kwargs(user))
    report, refusal = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = selectors.organisation_managed_get(actor=user, slug=data["organisation"])
            content = data["file"].read()
            if data["format"] == "csv":
                report = services.assets_import_csv(actor=user, organisation=organisation,
                                                    data=content)
            else:
                report = services.assets_import_glpi(
                    actor=user, organisation=organisation, data=content,
                    site=_site_from(user, data["site"], organisation))
        except ServiceError as error:
            refusal = error.message
    failed = bool(refusal or form.errors or (report and not report.ok))
    return render(request, "inventory/import.html", {
        "form": form, "report": report, "refusal": refusal,
        "template_header": services.TEMPLATE_HEADER,
    }, status=400 if failed else 200)


@require_GET
@manager_required
def import_template(request: HttpRequest) -> HttpResponse:
    body = "\ufeff" + services.TEMPLATE_HEADER + "\r\n" + (
        "MAI-0001;Ordinateur;Poste accueil;Mairie;En service;Dell;OptiPlex 7010;ABC123;"
        "15/09/2023;15/09/2026;Maintenance DCSI;749,90;Accueil;Windows 11\r\n")
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-inventaire.csv"'
    return response


urlpatterns = [
    path("inventaire/", assets, name="assets"),
    path("inventaire/materiels/nouveau", asset_edit, name="asset_new"),
    path("inventaire/materiels/<int:pk>/", asset, name="asset"),
    path("inventaire/materiels/<int:pk>/modifier", asset_edit, name="asset_edit"),
    path("inventaire/materiels/<int:pk>/etat", asset_transition, name="asset_transition"),
    path("inventaire/materiels/<int:pk>/ticket", asset_ticket, name="asset_ticket"),
    path("inventaire/materiels/<int:pk>/preter", asset_lend, name="asset_lend"),
    path("inventaire/sites/", sites, name="sites"),
    path("inventaire/import", import_assets, name="import"),
    path("inventaire/import/modele.csv", import_template, name="import_template"),
    *licence_views.urlpatterns,
    *school_views.urlpatterns,
    *hotspot_views.urlpatterns,
]
