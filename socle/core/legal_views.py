"""The legal pages every French public site owes: legal notice, personal data, contact."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from . import modules, selectors


def _owner() -> object | None:
    return selectors.organisation_get_public(slug=settings.PLATFORM_ROOT_SLUG)


def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "core/legal_notice.html", {
        "owner": _owner(),
        "publication_director": settings.PUBLICATION_DIRECTOR,
        "hosting_provider": settings.HOSTING_PROVIDER,
        "hosting_address": settings.HOSTING_ADDRESS,
    })


def personal_data(request: HttpRequest) -> HttpResponse:
    activities = [{"module": module.label, "activity": activity}
                  for module, activity in modules.processing_activities()]
    return render(request, "core/personal_data.html", {
        "owner": _owner(), "activities": activities,
        "dpo": {"name": settings.DPO_NAME, "email": settings.DPO_EMAIL,
                "address": settings.DPO_ADDRESS},
    })


def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "core/contact.html", {
        "owner": _owner(), "communes": selectors.communes_public(),
    })


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico whatever the page says.
    return HttpResponsePermanentRedirect(static("socle/favicon.ico"))
