"""The DCAT-AP catalogue in Turtle and JSON-LD, with content negotiation on /data/catalog."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from .dcat import catalog_graph

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"


def _render(request: HttpRequest, fmt: str, mime: str) -> HttpResponse:
    graph = catalog_graph(
        absolute=request.build_absolute_uri,
        catalogue_url=request.build_absolute_uri(reverse("opendata:catalog")),
    )
    body = graph.serialize(format=fmt)
    response = HttpResponse(body, content_type=f"{mime}; charset=utf-8")
    response["Vary"] = "Accept"
    return response


def _preferred(accept: str) -> str:
    """The first of our formats the Accept header names, by its quality; Turtle by default."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.strip().lower()))
    for _, _, media in sorted(ranked):
        if media in (TURTLE, JSONLD, RDFXML):
            return media
        if media in ("application/json",):
            return JSONLD
    return TURTLE


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    media = _preferred(request.headers.get("Accept", ""))
    fmt = {TURTLE: "turtle", JSONLD: "json-ld", RDFXML: "xml"}[media]
    return _render(request, fmt, media)


@require_GET
def catalog_turtle(request: HttpRequest) -> HttpResponse:
    return _render(request, "turtle", TURTLE)


@require_GET
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    return _render(request, "json-ld", JSONLD)
