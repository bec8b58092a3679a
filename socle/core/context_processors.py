"""Template context shared by every page: the platform's name and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .identity import site_identity
from .selectors import navigation_for, organisation_get_public


def _owner_name() -> str:
    # The organisation running the platform, read once a minute: it names the site.
    def read() -> str:
        root = organisation_get_public(slug=settings.PLATFORM_ROOT_SLUG)
        return root.name if root else ""

    return str(cache.get_or_set("socle:platform-owner", read, 60))


def platform(request: HttpRequest) -> dict[str, Any]:
    site = site_identity()
    return {
        "platform_name": settings.PLATFORM_NAME,
        "platform_owner": _owner_name(),
        # The site's identity; a page about one commune puts that commune's in its context.
        "identity": site,
        "site_identity": site,
        "platform_root_slug": settings.PLATFORM_ROOT_SLUG,
        "franceconnect_enabled": settings.FRANCECONNECT_ENABLED,
        "navigation": navigation_for(actor=getattr(request, "user", None)),
    }
