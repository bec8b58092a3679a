"""The phishing simulations' pages: the campaigns imported from GoPhish, the import form
(CSV export or API), and one campaign's results."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import gophish, selectors, services
from .dcsi_views import VIEW_ONLY, _may_manage
from .forms import PhishingImportForm


@VIEW_ONLY
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    may_manage = _may_manage(request)
    managed = selectors.readable_organisations(actor=actor, permission=selectors.MANAGE)
    form = PhishingImportForm(request.POST or None, request.FILES or None,
                              organisations=[(o.slug, o.name) for o in managed],
                              modules=[(str(m.pk), m.title)
                                       for m in selectors.modules_managed(actor=actor)])
    refusal = ""
    if request.method == "POST" and not may_manage:
        return render(request, "core/error.html", {"title": "Import refusé",
                      "message": "Seul le RSSI de la DCSI importe des résultats."}, status=403)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = selectors.readable_organisation_get(
                actor=actor, slug=data["organisation"], permission=selectors.MANAGE)
            module = (selectors.module_managed_get(actor=actor, pk=data["module"])
                      if data["module"] else None)
            if data["file"] is not None:
                name, source, gophish_id = data["name"], "csv", None
                recipients = gophish.parse_csv(data["file"].read(gophish.MAX_BYTES + 1))
            else:
                source, gophish_id = "api", data["gophish_id"]
                name, recipients = gophish.parse_json(gophish.fetch_results(
                    base_url=data["base_url"], api_key=data["api_key"],
                    campaign_id=gophish_id))
                name = data["name"] or name
            campaign = services.phishing_import(
                actor=actor, organisation=organisation, name=name, recipients=recipients,
                source=source, module=module, gophish_id=gophish_id)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Campagne « {campaign.name} » importée.")
            return redirect("security:campaign", pk=campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "security/campaigns.html", {
        "campaigns": selectors.campaigns_for(actor=actor), "form": form, "refusal": refusal,
        "may_manage": may_manage}, status=status)


@VIEW_ONLY
@require_GET
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.campaign_get_for(actor=request_actor(request), pk=pk)
    results = list(selectors.campaign_results(campaign=found))
    return render(request, "security/campaign.html", {
        "campaign": found, "results": results,
        "clicked": sum(r.clicked for r in results),
        "submitted": sum(r.submitted for r in results),
        "reported": sum(r.reported for r in results),
        "enrolled": found.enrolments.count()})
