"""VéloTIC pages (stations, renting and returning a bike, incidents), the fleet page, and GBFS."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor, request_actor_or_none

from . import gbfs, selectors, velotic

agent_required = role_required(
    selectors.VIEW, title="Espace réservé au service transport",
    message="Seuls les agents du service transport gèrent la flotte VéloTIC.")


@require_GET
def stations(request: HttpRequest) -> HttpResponse:
    user = request_actor_or_none(request)
    return render(request, "mobility/velotic_stations.html", {
        "stations": selectors.stations_public(),
        "subscription": selectors.subscription_current_for(actor=user) if user else None,
        "rental": selectors.rental_current_for(actor=user) if user else None,
        "plans": velotic.PLANS, "renting": velotic.lock_configured()})


@require_http_methods(["GET", "POST"])
def station(request: HttpRequest, station_id: str) -> HttpResponse:
    place = selectors.station_public_get(station_id=station_id[:100])
    if request.method == "POST":
        actor = request_actor_or_none(request)
        if actor is None:
            return redirect(f"{reverse('core:login')}?next={request.path}")
        bike = selectors.bike_available_get(station=place, number=request.POST.get("bike", "")[:40])
        try:
            velotic.rental_start(actor=actor, bike=bike, station=place)
        except ServiceError as exc:
            return render(request, "mobility/velotic_station.html", {
                "station": place, "bikes": selectors.bikes_available_at(station=place),
                "error": exc.message, "renting": velotic.lock_configured()}, status=exc.status)
        messages.success(request, f"Le vélo {bike.number} est déverrouillé : bonne route !")
        return redirect("mobility:velotic_rental")
    return render(request, "mobility/velotic_station.html", {
        "station": place, "bikes": selectors.bikes_available_at(station=place),
        "renting": velotic.lock_configured()})


@require_http_methods(["GET", "POST"])
@login_required
def rental(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    current = selectors.rental_current_for(actor=actor)
    error = ""
    if request.method == "POST" and current is not None:
        action = request.POST.get("action", "")
        try:
            if action == "end":
                velotic.rental_end(actor=actor, rental=current)
                messages.success(request, "Location terminée. Merci d'avoir roulé avec VéloTIC.")
                return redirect("mobility:velotic_rental")
            if action == "incident":
                velotic.incident_report(actor=actor, bike=current.bike, kind=request.POST.get("kind", ""),
                                        description=request.POST.get("description", "")[:2000])
                messages.success(request, "Merci : l'incident est signalé au service transport.")
                return redirect("mobility:velotic_rental")
            error = "Action inconnue."
        except ServiceError as exc:
            error = exc.message
    return render(request, "mobility/velotic_rental.html", {
        "rental": current, "history": selectors.rentals_of(actor=actor)[:20],
        "incident_kinds": velotic.INCIDENT_KINDS, "error": error}, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def fleet(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.method == "POST":
        incident = selectors.incident_get_for(actor=actor, pk=request.POST.get("incident", "0")[:12] or 0)
        try:
            velotic.incident_resolve(actor=actor, incident=incident)
        except ServiceError as exc:
            return error_page(request, "Action refusée", exc.message, exc.status)
        messages.success(request, f"Incident sur le vélo {incident.bike.number} résolu.")
        return redirect("mobility:velotic_fleet")
    return render(request, "mobility/velotic_fleet.html", {
        "bikes": selectors.bikes_for(actor=actor)[:500],
        "incidents": selectors.incidents_for(actor=actor)[:100],
        "rentals": selectors.rentals_for(actor=actor)[:50]})


def _gbfs(request: HttpRequest, version: str, name: str) -> JsonResponse:
    system = selectors.gbfs_system(now=timezone.now().replace(microsecond=0))
    if system is None:
        raise Http404("GBFS indisponible")
    root = request.build_absolute_uri(reverse("mobility:gbfs", args=["gbfs"])).removesuffix("gbfs.json")
    files = gbfs.gbfs_files(system, version=version, root_url=root)
    if name not in files:
        raise Http404("Fichier GBFS inconnu")
    response = JsonResponse(files[name], json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={gbfs.TTL}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def gbfs_v3(request: HttpRequest, name: str) -> JsonResponse:
    return _gbfs(request, "3.0", name)


@require_GET
def gbfs_v2(request: HttpRequest, name: str) -> JsonResponse:
    return _gbfs(request, "2.3", name)
