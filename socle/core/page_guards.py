"""Who may open an app's pages: a signed-in user holding a permission somewhere, or a French 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from .access import granted_paths, roles_held
from .assurance import without_second_factor

SECOND_FACTOR_NEEDED = ("Votre session a été ouverte sans second facteur : elle ne donne pas accès "
                        "aux pages des agents. Déconnectez-vous, puis reconnectez-vous avec votre "
                        "mot de passe et le code de votre application d'authentification.")

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def error_page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    """Answer with the French error page."""
    return render(request, "core/error.html", {"title": title, "message": message}, status=status)


def role_required(permission: str, *, title: str, message: str) -> Callable[[ViewFunc], ViewFunc]:
    """Return a decorator that lets through only holders of ``permission`` on some organisation.

    A visitor is sent to sign in; anyone else gets the 403 page with ``title`` and
    ``message``. The check runs before the body is read, so an upload from someone
    without the role is never spooled.
    """

    def decorate(view: ViewFunc) -> ViewFunc:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not granted_paths(request.user, permission):
                if without_second_factor(request.user) and roles_held(request.user):
                    return error_page(request, title, SECOND_FACTOR_NEEDED, 403)
                return error_page(request, title, message, 403)
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapper)

    return decorate
