"""Gates: pages a signed-in person must pass through before any other page.

A module declares a ``Gate`` (modules.py): a callable telling where to send the person
(a charter to accept) or ``None``, and a stamp that changes when those answers may
change. The middleware asks each gate once per session and stamp: a ``None`` is kept in
the session under the stamp, so a page costs nothing more until the stamp changes (a
new version put in force), when the gate is asked again. An empty stamp means the gate
is open to everyone and nothing is asked.

Static files, the API (its tokens carry no session), signing in and out, and the
gate's own pages are never held back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY as SESSION_KEY_USER
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from . import modules

SESSION_KEY = "socle_gates"
ALWAYS_OPEN = ("/api/", "/connexion/", "/deconnexion/")


def _resolved() -> list[tuple[modules.Gate, Callable[..., Any], Callable[[], str]]]:
    if not _cache:
        _cache.extend((gate, modules.resolve(gate.func), modules.resolve(gate.stamp))
                      for gate in modules.gates())
    return _cache


_cache: list[tuple[modules.Gate, Callable[..., Any], Callable[[], str]]] = []
modules.on_discovery(_cache.clear)


def _always_open(path: str) -> bool:
    return path.startswith((*ALWAYS_OPEN, settings.STATIC_URL or "/static/"))


def gate_target(request: HttpRequest) -> str | None:
    """Return where this request must go first (with ``?next=``), or None to let it through."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY_USER not in session or _always_open(request.path):
        return None
    user = request.user
    if not user.is_authenticated:
        return None
    record = session.get(SESSION_KEY)
    if not isinstance(record, dict) or record.get("user") != user.pk:
        record = {"user": user.pk, "passed": {}}
    passed = record["passed"]
    for gate, func, stamp_of in _resolved():
        if request.path.startswith(gate.paths):
            continue
        stamp = stamp_of()
        if not stamp or passed.get(gate.name) == stamp:
            continue
        target = func(actor=user)
        if target is None:
            passed[gate.name] = stamp
            session[SESSION_KEY] = record
            continue
        if request.method in ("GET", "HEAD"):
            return f"{target}?{urlencode({'next': request.get_full_path()})}"
        return str(target)
    return None


class GateMiddleware:
    """Send a signed-in person to the page a gate names before any other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        target = gate_target(request)
        if target is not None:
            return HttpResponseRedirect(target)
        return self.get_response(request)
