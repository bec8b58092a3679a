"""A short-lived cache of public pages for visitors without a session.

A request that carries no session cookie can only get what every visitor gets:
the home page, the territory, the catalogue. Such a response, if it sets no
cookie (no session, no CSRF token issued), is kept a few seconds in the process's
memory and served again without running the view. Signed-in people, and anyone
holding a session or messages cookie, always get a fresh page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

_SKIP_COOKIES = ("sessionid", "messages")


def _cache_key(request: HttpRequest) -> str | None:
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    if request.path not in settings.PUBLIC_CACHE_PATHS:
        return None
    cookies = request.COOKIES
    if any(name in cookies for name in (settings.SESSION_COOKIE_NAME, *_SKIP_COOKIES)):
        return None
    return f"public-page:{request.path}"


def _cacheable(response: HttpResponse) -> bool:
    return (response.status_code == 200 and not response.streaming and not response.cookies
            and not response.has_header("Set-Cookie"))


class PublicPageCacheMiddleware:
    """Serve again, for a few seconds, the public pages of visitors without a session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.cache = caches["public"]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _cache_key(request) if settings.PUBLIC_CACHE_SECONDS else None
        if key is None:
            return self.get_response(request)
        cached = self.cache.get(key)
        if cached is not None:
            status, headers, content = cached
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        if _cacheable(response):
            headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
            self.cache.set(key, (response.status_code, headers, response.content),
                           settings.PUBLIC_CACHE_SECONDS)
        return response
