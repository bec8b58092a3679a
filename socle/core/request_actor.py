"""The one typed way to get the acting person from a request."""

from __future__ import annotations

from django.http import HttpRequest

from .errors import ServiceError
from .models import User


class NotSignedIn(ServiceError):
    """A view that needs a signed-in person was reached without one (HTTP 401)."""

    status = 401
    code = "unauthenticated"


def request_actor(request: HttpRequest) -> User:
    """Return the signed-in person of a request whose view or router requires authentication."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotSignedIn("Connectez-vous pour continuer.")
    return user


def request_actor_or_none(request: HttpRequest) -> User | None:
    """Return the signed-in person of a request, or None for a visitor."""
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None
