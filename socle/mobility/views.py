"""Mobility pages: the network, stops and their displays for everyone; timetables for agents."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.access import organisations_for
from socle.core.blobs import blob_open
from socle.core.downloads import file_download
from socle.core.errors import ServiceError
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor
from socle.core.upload_handlers import accepts_uploads

from . import selectors, services

agent_required = role_required(
    selectors.VIEW, title="Espace réservé au service transport",
    message="Seuls les agents du service transport gèrent les horaires du réseau.")

DISPLAY_REFRESH_SECONDS = 30


@require_GET
def network(request: HttpRequest) -> HttpResponse:
    current = selectors.feed_current()
    query = request.GET.get("q", "")[:100]
    context: dict[str, object] = {"current": current, "query": query}
    if current is not None:
        context["routes"] = selectors.routes_public()
        context["stops"] = selectors.stops_public(query=query)[:200]
    return render(request, "mobility/network.html", context)


@require_GET
def gtfs_zip(request: HttpRequest) -> HttpResponseBase:
    current = selectors.feed_current()
    if current is None:
        return error_page(request, "Aucun horaire publié",
                          "Le réseau n'a pas encore publié ses horaires.", 404)
    response = file_download(blob_open(current.blob), name="gtfs",
                             mime_type=current.blob.mime_type)
    response["Last-Modified"] = current.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT") \
        if current.published_at else ""
    return response


def _stop_context(request: HttpRequest, stop_id: str) -> dict[str, object]:
    stop = selectors.stop_public_get(stop_id=stop_id[:100])
    now = timezone.localtime()
    return {"stop": stop, "now": now,
            "departures": selectors.departures_next(stop=stop, now=now, limit=8),
            "disruptions": selectors.disruptions_active(now=now, stop=stop)}


@require_GET
def stop_page(request: HttpRequest, stop_id: str) -> HttpResponse:
    return render(request, "mobility/stop.html", _stop_context(request, stop_id))


@require_GET
def stop_display(request: HttpRequest, stop_id: str) -> HttpResponse:
    # A public screen refreshes itself (meta refresh, no JavaScript); a person reading it on
    # their own device may stop that (RGAA 13.1.2) with ?pause=1.
    paused = request.GET.get("pause") == "1"
    refresh = None if paused else DISPLAY_REFRESH_SECONDS
    context = {**_stop_context(request, stop_id), "refresh": refresh}
    response = render(request, "mobility/display.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def route_page(request: HttpRequest, route_id: str) -> HttpResponse:
    route = selectors.route_public_get(route_id=route_id[:100])
    return render(request, "mobility/route.html",
                  {"route": route, "stops": selectors.route_stops(route=route),
                   "disruptions": selectors.disruptions_active(now=timezone.now(), route=route)})


@require_http_methods(["GET", "POST"])
@agent_required
@accepts_uploads
def feeds(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    managed = organisations_for(actor, services.MANAGE)
    error = ""
    if request.method == "POST":
        organisation = managed.filter(slug=request.POST.get("organisation", "")[:80]).first()
        upload = request.FILES.get("feed")
        if organisation is None:
            error = "Choisissez l'organisation dont vous importez les horaires."
        elif upload is None:
            error = "Choisissez le fichier GTFS (un zip) à importer."
        else:
            try:
                version = services.gtfs_import(actor=actor, organisation=organisation,
                                               source=upload, filename=upload.name or "gtfs.zip")
            except ServiceError as exc:
                error = exc.message
            else:
                return redirect("mobility:feed", pk=version.pk)
    return render(request, "mobility/feeds.html", {
        "versions": selectors.feed_versions_for(actor=actor)[:50], "organisations": managed,
        "error": error}, status=400 if error else 200)


@require_GET
@agent_required
def feed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    version = selectors.feed_version_get_for(actor=actor, pk=pk)
    others = list(selectors.feed_versions_of(actor=actor, version=version)[:100])
    wanted = request.GET.get("avec", "")
    compared = next((o for o in others if str(o.number) == wanted), None) if wanted else \
        next((o for o in others if o.number < version.number), None)
    if wanted and compared is None:
        return error_page(request, "Version introuvable",
                          "Cette version n'existe pas pour ce réseau : choisissez-en une dans la liste.", 404)
    diff = None
    if compared is not None:
        old, new = (compared, version) if compared.number < version.number else (version, compared)
        found = selectors.feed_versions_diff(actor=actor, old=old, new=new)
        diff = [("Lignes", found["routes"]), ("Arrêts", found["stops"]), ("Voyages", found["trips"])]
    return render(request, "mobility/feed_detail.html", {
        "version": version, "report": version.report, "others": others, "compared": compared,
        "diff_old": min(version.number, compared.number) if compared else None,
        "diff_new": max(version.number, compared.number) if compared else None, "diff": diff})


@require_POST
@agent_required
def feed_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    version = selectors.feed_version_get_for(actor=actor, pk=pk)
    try:
        services.gtfs_publish(actor=actor, version=version)
    except ServiceError as exc:
        return error_page(request, "Publication refusée", exc.message, exc.status)
    messages.success(request, f"Les horaires n° {version.number} sont publiés.")
    return redirect("mobility:feed", pk=version.pk)
