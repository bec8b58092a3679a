"""The DCSI's page: which modules each organisation is offered."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .access import organisations_for
from .errors import ServiceError
from .module_activation import activations_table, module_disable, module_enable
from .modules import modules
from .page_guards import role_required
from .request_actor import request_actor

MANAGE = "core.manage_modules"


@require_http_methods(["GET", "POST"])
@role_required(MANAGE, title="Modules des organisations",
               message="Seule la DCSI choisit les modules offerts à chaque organisation.")
def modules_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    allowed = {org.slug: org for org in organisations_for(actor, MANAGE)}
    switchable = [module for module in modules() if module.switchable]
    if request.method == "POST":
        organisation = allowed.get(request.POST.get("organisation", ""))
        if organisation is None:
            return render(request, "core/error.html", {
                "title": "Organisation introuvable",
                "message": "Cette organisation n'existe pas ou ne dépend pas de vous."}, status=404)
        wanted = set(request.POST.getlist("modules"))
        try:
            for module in switchable:
                service = module_enable if module.name in wanted else module_disable
                service(actor=actor, module=module.name, organisation=organisation)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Modules de {organisation.name} enregistrés.")
        return redirect(f"{request.path}#org-{organisation.slug}")
    rows = [(organisation, [(module, states[module.name]) for module in switchable])
            for organisation, states in activations_table() if organisation.slug in allowed]
    return render(request, "core/modules.html", {"rows": rows, "modules": switchable})
