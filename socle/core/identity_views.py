"""Pages of an organisation's identity: its logo (public) and the form that changes it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .access import get_or_404, organisations_for
from .errors import ServiceError
from .identity import DEFAULT_COLOR, MANAGE_IDENTITY, identity_of, identity_set, logo_bytes
from .page_guards import role_required
from .request_actor import request_actor
from .selectors import organisation_get_public
from .upload_handlers import accepts_uploads

GUARD = {"title": "Identité de l'organisation",
         "message": "Votre rôle ne permet pas de modifier l'identité d'une organisation."}


@require_GET
def logo(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's logo: published by nature, like its name."""
    organisation = organisation_get_public(slug=slug)
    content = logo_bytes(organisation) if organisation else None
    if organisation is None or content is None or organisation.logo is None:
        raise Http404("Introuvable.")
    response = HttpResponse(content, content_type=organisation.logo.mime_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
def colors_css(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's colour as the site's brand variables (a stylesheet: the CSP allows
    no inline style)."""
    organisation = organisation_get_public(slug=slug)
    if organisation is None:
        raise Http404("Introuvable.")
    color = organisation.brand_color or DEFAULT_COLOR
    response = HttpResponse(f":root {{ --brand: {color}; --brand-dark: {color}; }}\n",
                            content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@role_required(MANAGE_IDENTITY, **GUARD)
@require_GET
def identity_list(request: HttpRequest) -> HttpResponse:
    organisations = organisations_for(request_actor(request), MANAGE_IDENTITY).order_by("path")
    return render(request, "core/identity_list.html", {"organisations": organisations})


@role_required(MANAGE_IDENTITY, **GUARD)
@accepts_uploads
@require_http_methods(["GET", "POST"])
def identity_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request_actor(request)
    organisation = get_or_404(organisations_for(actor, MANAGE_IDENTITY), slug=slug)
    error: ServiceError | None = None
    color = organisation.brand_color
    if request.method == "POST":
        color = request.POST.get("brand_color", "")
        try:
            identity_set(actor=actor, organisation=organisation, brand_color=color,
                         logo=request.FILES.get("logo"),
                         remove_logo=request.POST.get("remove_logo") == "1")
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, "L'identité de l'organisation est enregistrée.")
            return redirect("core:identity_edit", slug=organisation.slug)
    return render(request, "core/identity_edit.html", {
        "organisation": organisation, "color": color, "default_color": DEFAULT_COLOR,
        "identity": identity_of(organisation),
        "error": error, "errors": error.errors if error else {}}, status=400 if error else 200)
