"""Alert pages: subscribing, confirming from the mail, unsubscribing in one click (RFC 8058)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from socle.core.client_address import client_ip
from socle.core.errors import ServiceError

from . import alerts, selectors

STOPS_LISTED_MAX = 150


def _choices(request: HttpRequest) -> tuple[list[str], list[str]]:
    source = request.POST if request.method == "POST" else request.GET
    routes = [value[:100] for value in source.getlist("ligne")][:alerts.MAX_CHOICES + 1]
    stops = [value[:100] for value in source.getlist("arret")][:alerts.MAX_CHOICES + 1]
    return routes, stops


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    current = selectors.feed_current()
    routes, stops = _choices(request)
    email = request.POST.get("email", "")[:254] if request.method == "POST" else ""
    profile = request.POST.get("profile", "any")[:20] if request.method == "POST" else "any"
    errors: dict[str, str] = {}
    if request.method == "POST" and current is not None:
        try:
            alerts.alert_subscribe(email=email, profile=profile, route_ids=routes, stop_ids=stops,
                                   client=client_ip(request))
        except ServiceError as exc:
            errors = exc.errors or {"form": exc.message}
        else:
            return render(request, "mobility/alerts_sent.html", {"email": email.strip()})
    all_stops = list(selectors.stops_public()) if current else []
    listed = all_stops if len(all_stops) <= STOPS_LISTED_MAX else [s for s in all_stops if s.stop_id in stops]
    return render(request, "mobility/alerts.html", {
        "current": current, "routes": selectors.routes_public() if current else [], "stops": listed,
        "chosen_routes": set(routes), "chosen_stops": set(stops), "email": email, "profile": profile,
        "profiles": alerts.PROFILES, "errors": errors}, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, secret: str) -> HttpResponse:
    # Opening the link shows a button: mail scanners that follow links do not confirm.
    try:
        if request.method == "POST":
            alerts.alert_confirm(secret=secret)
            return render(request, "mobility/alerts_done.html", {
                "title": "Abonnement confirmé",
                "text": "Vous recevrez par courriel les perturbations que vous avez choisies. "
                        "Chaque message contient un lien pour vous désabonner en un clic."})
        subscription = alerts.alert_confirm_check(secret=secret)
    except ServiceError as exc:
        return render(request, "mobility/alerts_done.html", {"title": "Lien non valide", "text": exc.message},
                      status=400)
    current = selectors.feed_current()
    label = selectors.alert_choices_label(version=current, route_ids=subscription.route_ids,
                                          stop_ids=subscription.stop_ids) if current else ""
    return render(request, "mobility/alerts_confirm.html", {
        "subscription": subscription, "label": label, "profile": alerts.PROFILES.get(subscription.profile)})


@csrf_exempt  # RFC 8058: the mail reader's POST has no session nor CSRF token; the signed token is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            alerts.alert_unsubscribe(token=token)
            return render(request, "mobility/alerts_done.html", {
                "title": "Vous êtes désabonné",
                "text": "Vous ne recevrez plus ces alertes. Votre adresse n'est plus conservée."})
        subscription = alerts.subscription_from_token(token)
    except ServiceError as exc:
        return render(request, "mobility/alerts_done.html", {"title": "Lien non valide", "text": exc.message},
                      status=400)
    return render(request, "mobility/alerts_unsubscribe.html", {"subscription": subscription})
