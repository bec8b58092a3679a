"""Request-level guards shared by every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

TOO_LARGE_MESSAGE = "Le fichier envoyé dépasse la taille maximale autorisée ({limit})."


def human_size(size: int) -> str:
    """Return a size in French units (Go, Mo, ko)."""
    if size >= 1024**3 and size % 1024**3 == 0:
        return f"{size // 1024**3} Go"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} Mo"
    if size >= 1024:
        return f"{size / 1024:.0f} ko"
    return f"{size} octets"


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    """Answer 413 in JSON for the API and as a French page for people."""
    message = TOO_LARGE_MESSAGE.format(limit=human_size(limit))
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "payload_too_large", "message": message}, status=413)
    html = render_to_string("core/error.html", {"title": "Fichier trop volumineux",
                                                 "message": message}, request=request)
    return HttpResponse(html, status=413)


# What a multipart body adds around its file (boundaries, other fields).
FORM_OVERHEAD = 1024 * 1024


def upload_limit_for(path: str) -> int:
    """Return the largest file a request to this path may send (SOCLE_BLOB_MAX_SIZE by default).

    A few endpoints receive larger files by design (archival transfer packages): their
    exact paths are listed in ``settings.UPLOAD_LIMITS``.
    """
    return int(settings.UPLOAD_LIMITS.get(path, settings.BLOB_MAX_SIZE))


def request_limit_for(path: str) -> int:
    """Return the largest body a request to this path may declare."""
    limit = upload_limit_for(path)
    if path in settings.UPLOAD_LIMITS:
        return limit + FORM_OVERHEAD
    return int(settings.REQUEST_MAX_SIZE)


class RequestSizeLimitMiddleware:
    """Refuse, before reading it, a request whose declared body exceeds the cap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > request_limit_for(request.path):
            return too_large_response(request, upload_limit_for(request.path))
        return self.get_response(request)
