"""One view answering a small constant page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

BODY = b"<!DOCTYPE html><html lang=\"fr\"><title>socle</title><p>Bonjour.</p></html>"


def hello(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(BODY, content_type="text/html; charset=utf-8")
    # What CommonMiddleware adds to socle's pages: both answer with a length, not chunks.
    response["Content-Length"] = str(len(BODY))
    return response


urlpatterns = [path("", hello)]
