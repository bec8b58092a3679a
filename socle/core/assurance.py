"""How a session was opened, and what that lets it do.

A session records, once, how its person signed in (``session_authenticated``): a password
alone, a password and a TOTP code, FranceConnect. Agent permissions need a session opened
with the second factor: a citizen's session that is granted a role later, or an agent who
came through FranceConnect, holds no agent permission until they sign in again with it
(``granted_paths`` reads the mark that ``SessionAssuranceMiddleware`` puts on the user of
each request). A grant never upgrades a session.

Users not read from a session (the worker, an operator's command, an API token, whose
own limits are checked where it is read) carry no mark and are not restricted here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import SESSION_KEY as SESSION_KEY_USER
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "socle_auth"
SECOND_FACTOR_METHODS = frozenset({"password+totp"})
_MARK = "_socle_second_factor"


def session_authenticated(request: HttpRequest, *, method: str) -> None:
    """Record on the freshly opened session how its person signed in."""
    request.session[SESSION_KEY] = {"method": method,
                                    "second_factor": method in SECOND_FACTOR_METHODS,
                                    "at": int(time.time())}


def session_method(request: HttpRequest) -> str:
    """How the request's session was opened ("" when it does not say: treated as weakest)."""
    record = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return str(record.get("method", "")) if isinstance(record, dict) else ""


def without_second_factor(actor: object) -> bool:
    """Whether this user object came from a session opened without the second factor."""
    return getattr(actor, _MARK, None) is False


class SessionAssuranceMiddleware:
    """Mark the signed-in user of a request with whether its session passed the second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY_USER in session:
            user = request.user
            if user.is_authenticated:
                record = session.get(SESSION_KEY)
                # Set through the lazy object: it lands on the user itself.
                setattr(user, _MARK, bool(isinstance(record, dict) and record.get("second_factor")))
        return self.get_response(request)
