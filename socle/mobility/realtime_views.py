"""Real-time pages and feeds: GTFS-RT, SIRI Lite, and the agents' page to enter delays and disruptions."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from socle.core.errors import ServiceError
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor

from . import gtfs_rt, realtime, selectors, siri_lite
from .alerts import PROFILES

agent_required = role_required(
    selectors.VIEW, title="Espace réservé au service transport",
    message="Seuls les agents du service transport saisissent l'information en temps réel.")

FEED_MAX_AGE_SECONDS = 15


def _feed_response(request: HttpRequest, payload: bytes) -> HttpResponse:
    if request.GET.get("format") == "json":
        message = gtfs_realtime_pb2.FeedMessage()
        message.ParseFromString(payload)
        response: HttpResponse = JsonResponse(json_format.MessageToDict(message))
    else:
        response = HttpResponse(payload, content_type="application/x-protobuf")
    response["Cache-Control"] = f"public, max-age={FEED_MAX_AGE_SECONDS}"
    return response


@require_GET
def trip_updates(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    trips = selectors.trip_updates_out(now=now)
    return _feed_response(request, gtfs_rt.trip_updates_message(trips, now=int(now.timestamp())))


@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return _feed_response(request, gtfs_rt.alerts_message(selectors.alerts_out(now=now),
                                                          now=int(now.timestamp())))


def _siri_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@require_GET
def stop_monitoring(request: HttpRequest) -> JsonResponse:
    stop_id = request.GET.get("MonitoringRef", "")[:100]
    if not stop_id:
        return _siri_error(400, "missing_monitoring_ref",
                           "Indiquez l'arrêt dans « MonitoringRef » (son stop_id).")
    preview = siri_lite.preview_parse(request.GET.get("PreviewInterval", ""))
    if preview is None:
        return _siri_error(400, "invalid_preview_interval",
                           "« PreviewInterval » doit être une durée ISO 8601, par exemple PT1H.")
    raw_max = request.GET.get("MaximumStopVisits", str(siri_lite.VISITS_DEFAULT))
    if not raw_max.isdigit() or not 1 <= int(raw_max) <= siri_lite.VISITS_MAX:
        return _siri_error(400, "invalid_maximum_stop_visits",
                           f"« MaximumStopVisits » doit être un entier de 1 à {siri_lite.VISITS_MAX}.")
    stop = selectors.stop_public_find(stop_id=stop_id)
    if stop is None:
        return _siri_error(404, "unknown_stop", "Cet arrêt n'existe pas dans les horaires publiés.")
    now = timezone.localtime()
    visits = selectors.departures_next(stop=stop, now=now, limit=int(raw_max), until=now + preview)
    response = JsonResponse(siri_lite.stop_monitoring(stop_id=stop.stop_id, stop_name=stop.name,
                                                      visits=visits, now=now, producer="socle"))
    response["Cache-Control"] = f"public, max-age={FEED_MAX_AGE_SECONDS}"
    return response


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _post_delay(request: HttpRequest) -> str:
    day = _day(request.POST.get("service_day", ""))
    raw = request.POST.get("delay_minutes", "0").strip() or "0"
    if day is None:
        return "Indiquez le jour de service (AAAA-MM-JJ)."
    if not raw.lstrip("-").isdigit():
        return "Le retard est un nombre entier de minutes."
    realtime.trip_delay_set(actor=request_actor(request), trip_id=request.POST.get("trip_id", "")[:100],
                            service_day=day, delay_minutes=int(raw),
                            cancelled=request.POST.get("cancelled") == "on")
    return ""


def _post_disruption(request: HttpRequest) -> str:
    ends = request.POST.get("ends_at", "")
    ends_at = _moment(ends) if ends else None
    if ends and ends_at is None:
        return "La fin se saisit comme une date et une heure (AAAA-MM-JJ HH:MM)."
    stops = [part.strip()[:100] for part in request.POST.get("stop_ids", "").split(",") if part.strip()]
    realtime.disruption_create(
        actor=request_actor(request), title=request.POST.get("title", "")[:200],
        description=request.POST.get("description", "")[:4000],
        cause=request.POST.get("cause", "UNKNOWN_CAUSE"), effect=request.POST.get("effect", "UNKNOWN_EFFECT"),
        route_ids=[r[:100] for r in request.POST.getlist("route_ids")][:200], stop_ids=stops[:200],
        ends_at=ends_at, audience=request.POST.get("audience", "any")[:20])
    return ""


@require_http_methods(["GET", "POST"])
@agent_required
def realtime_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    error = ""
    if request.method == "POST":
        handler = {"delay": _post_delay, "disruption": _post_disruption}.get(request.POST.get("action", ""))
        try:
            error = handler(request) if handler else "Action inconnue."
        except ServiceError as exc:
            error = exc.message
        if not error:
            messages.success(request, "L'information est publiée sur les afficheurs et dans les flux.")
            return redirect("mobility:realtime")
    today = timezone.localdate()
    now = timezone.now()
    current = selectors.feed_current()
    listed = list(selectors.disruptions_for(actor=actor)[:50])
    sent = selectors.alert_deliveries_sent(disruption_ids=[d.pk for d in listed])
    return render(request, "mobility/realtime.html", {
        "today": today, "current": current,
        "can_manage": selectors.realtime_managed_for(actor=actor).exists(),
        "trips": selectors.trips_realtime_for(actor=actor, day=today)[:200],
        "disruptions": [(d, d.ends_at is None or d.ends_at > now, sent.get(d.pk, 0)) for d in listed],
        "subscribers": selectors.alert_subscriptions_count_for(actor=actor), "profiles": PROFILES,
        "fetches": selectors.realtime_fetches_for(actor=actor)[:10],
        "routes": selectors.routes_public() if current else [],
        "causes": gtfs_rt.CAUSES, "effects": gtfs_rt.EFFECTS,
        "error": error}, status=400 if error else 200)


@require_POST
@agent_required
def disruption_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    disruption = selectors.disruption_get_for(actor=actor, pk=pk)
    try:
        realtime.disruption_end(actor=actor, disruption=disruption)
    except ServiceError as exc:
        return error_page(request, "Action refusée", exc.message, exc.status)
    messages.success(request, f"La perturbation « {disruption.title} » est terminée.")
    return redirect("mobility:realtime")
