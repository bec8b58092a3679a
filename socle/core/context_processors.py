"""Template context shared by every page: the platform's name and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .selectors import navigation_for


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "platform_name": settings.PLATFORM_NAME,
        "franceconnect_enabled": settings.FRANCECONNECT_ENABLED,
        "navigation": navigation_for(getattr(request, "user", None)),
    }
