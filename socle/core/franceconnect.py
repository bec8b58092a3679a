"""FranceConnect sign-in (OpenID Connect). Placeholder until the flow lands."""

from __future__ import annotations

from django.http import HttpRequest


def logout_url(request: HttpRequest) -> str | None:
    """Return the provider's logout URL when the session came from FranceConnect."""
    return None
