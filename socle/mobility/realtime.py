"""Every write of real-time information: delays, cancellations, disruptions, operators' feeds."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from .alerts import PROFILES, alerts_fanout_later
from .gtfs_rt import CAUSES, EFFECTS, RealtimeReport, feed_rt_check
from .models import Disruption, FeedVersion, RealtimeFetch, RealtimeSource, TripRealtime

MANAGE_REALTIME = "mobility.manage_realtime"
DELAY_MIN_MINUTES = -30
DELAY_MAX_MINUTES = 600


def _published_or_refuse() -> FeedVersion:
    current = selectors.feed_current()
    if current is None:
        raise ServiceError("Aucun horaire n'est publié : publiez d'abord les horaires du réseau.",
                           code="no_timetable")
    return current


def _check_manager(actor: User | None, organisation: Organisation) -> None:
    if actor is not None and not can(actor, MANAGE_REALTIME, organisation):
        raise Forbidden("Vous ne pouvez pas saisir l'information en temps réel de ce réseau.")


def trip_delay_set(*, actor: User | None, trip_id: str, service_day: date, delay_minutes: int = 0,
                   cancelled: bool = False) -> TripRealtime:
    """Record the delay of a trip on a service day, or that it is cancelled; shown at once."""
    current = _published_or_refuse()
    _check_manager(actor, current.organisation)
    if not DELAY_MIN_MINUTES <= delay_minutes <= DELAY_MAX_MINUTES:
        raise ServiceError(f"Le retard doit être compris entre {DELAY_MIN_MINUTES} et "
                           f"{DELAY_MAX_MINUTES} minutes.", code="invalid_delay",
                           errors={"delay_minutes": "Retard hors limites."})
    if not selectors.trip_exists(version=current, trip_id=trip_id):
        raise ServiceError("Ce voyage n'existe pas dans les horaires publiés.", code="unknown_trip",
                           errors={"trip_id": "Voyage inconnu."})
    with transaction.atomic():
        state, _ = TripRealtime.objects.update_or_create(
            organisation=current.organisation, trip_id=trip_id, service_day=service_day,
            defaults={"delay_seconds": delay_minutes * 60, "cancelled": cancelled,
                      "source": RealtimeSource.AGENT, "updated_at": timezone.now(),
                      "updated_by": actor})
        audit_record(actor=actor, action="mobility.trip_realtime", organisation=current.organisation,
                     target=state, data={"trip_id": trip_id, "day": service_day.isoformat(),
                                         "delay_minutes": delay_minutes, "cancelled": cancelled})
    return state


def disruption_create(*, actor: User | None, title: str, description: str = "",
                      cause: str = "UNKNOWN_CAUSE", effect: str = "UNKNOWN_EFFECT",
                      route_ids: list[str] | None = None, stop_ids: list[str] | None = None,
                      starts_at: datetime | None = None, ends_at: datetime | None = None,
                      audience: str = "any") -> Disruption:
    """Tell travellers of a disruption on lines or stops, from now or from a given time.

    Its subscribers (by line, stop and, unless ``audience`` is "any", profile) are mailed
    by background tasks once it is recorded.
    """
    current = _published_or_refuse()
    _check_manager(actor, current.organisation)
    routes, stops = sorted(set(route_ids or [])), sorted(set(stop_ids or []))
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Donnez un titre à la perturbation."
    if cause not in CAUSES:
        errors["cause"] = "Cause inconnue."
    if effect not in EFFECTS:
        errors["effect"] = "Effet inconnu."
    if audience not in PROFILES:
        errors["audience"] = "Public inconnu."
    if not routes and not stops:
        errors["route_ids"] = "Choisissez au moins une ligne ou un arrêt."
    unknown = selectors.unknown_ids(version=current, route_ids=routes, stop_ids=stops)
    if unknown:
        errors["route_ids"] = "Lignes ou arrêts inconnus : " + ", ".join(unknown)
    start = starts_at or timezone.now()
    if ends_at is not None and ends_at <= start:
        errors["ends_at"] = "La fin doit suivre le début."
    if errors:
        raise ServiceError(next(iter(errors.values())), code="invalid_disruption", errors=errors)
    with transaction.atomic():
        disruption = Disruption.objects.create(
            organisation=current.organisation, title=title.strip()[:200], description=description.strip(),
            cause=cause, effect=effect, route_ids=routes, stop_ids=stops, starts_at=start,
            ends_at=ends_at, source=RealtimeSource.AGENT, created_by=actor, audience=audience)
        audit_record(actor=actor, action="mobility.disruption_create", organisation=current.organisation,
                     target=disruption, data={"title": disruption.title, "routes": routes, "stops": stops,
                                              "audience": audience})
        alerts_fanout_later(disruption)
    return disruption


def disruption_end(*, actor: User | None, disruption: Disruption) -> Disruption:
    """End a disruption now: it leaves the displays and the Alerts feed."""
    _check_manager(actor, disruption.organisation)
    now = timezone.now()
    if disruption.ends_at is not None and disruption.ends_at <= now:
        return disruption
    with transaction.atomic():
        disruption.ends_at = max(now, disruption.starts_at)
        disruption.save(update_fields=["ends_at"])
        audit_record(actor=actor, action="mobility.disruption_end", organisation=disruption.organisation,
                     target=disruption, data={"title": disruption.title})
    return disruption


def _moment(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _apply(current: FeedVersion, report: RealtimeReport, kind: str, now: datetime) -> None:
    if kind == "trip_updates":
        for trip in report.trips:
            TripRealtime.objects.update_or_create(
                organisation=current.organisation, trip_id=trip.trip_id,
                service_day=trip.service_day or timezone.localdate(now),
                defaults={"delay_seconds": trip.delay_seconds, "cancelled": trip.cancelled,
                          "source": RealtimeSource.FEED, "updated_at": now, "updated_by": None})
        return
    seen = []
    for alert in report.alerts:
        seen.append(alert.external_id)
        disruption, created = Disruption.objects.update_or_create(
            organisation=current.organisation, source=RealtimeSource.FEED, external_id=alert.external_id,
            defaults={"title": alert.title, "description": alert.description, "cause": alert.cause,
                      "effect": alert.effect, "route_ids": alert.route_ids, "stop_ids": alert.stop_ids,
                      "starts_at": _moment(alert.starts_at) or now, "ends_at": _moment(alert.ends_at)})
        # An alert read again at each poll is the same disruption: its subscribers were told once.
        if created:
            alerts_fanout_later(disruption)
    # A full dataset that no longer carries an alert means the operator ended it.
    (Disruption.objects.filter(organisation=current.organisation, source=RealtimeSource.FEED)
     .exclude(external_id__in=seen).filter(ends_at__isnull=True).update(ends_at=now))


def realtime_ingest(*, data: bytes, kind: str, now: datetime | None = None) -> RealtimeFetch:
    """Check an operator's GTFS-RT message and apply what is sound; the report is kept."""
    if kind not in ("trip_updates", "alerts"):
        raise ValueError(kind)
    current = _published_or_refuse()
    moment = now or timezone.now()
    previous = (RealtimeFetch.objects.filter(organisation=current.organisation, kind=kind, usable=True)
                .values_list("header_timestamp", flat=True).first())
    report = feed_rt_check(data, network=selectors.network_ids(version=current),
                           now=int(moment.timestamp()), max_bytes=settings.MOBILITY_GTFS_RT_MAX_BYTES,
                           previous_timestamp=previous)
    with transaction.atomic():
        if report.usable:
            _apply(current, report, kind, moment)
        fetch = RealtimeFetch.objects.create(
            organisation=current.organisation, kind=kind, fetched_at=moment, usable=report.usable,
            header_timestamp=report.timestamp, report=report.as_dict())
    return fetch


@dataclass(frozen=True)
class Polled:
    kind: str
    fetch: RealtimeFetch | None
    error: str = ""


def _download(url: str, limit: int) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError("seules les adresses http(s) sont lues")
    request = urllib.request.Request(url, headers={"Accept": "application/x-protobuf"})  # noqa: S310 - scheme checked above
    with urllib.request.urlopen(request, timeout=settings.MOBILITY_GTFS_RT_TIMEOUT) as response:  # noqa: S310
        return bytes(response.read(limit + 1))


def realtime_poll() -> list[Polled]:
    """Read the operator's configured GTFS-RT URLs once each (a failed reading is reported)."""
    results = []
    for kind, url in (("trip_updates", settings.MOBILITY_GTFS_RT_TRIP_UPDATES_URL),
                      ("alerts", settings.MOBILITY_GTFS_RT_ALERTS_URL)):
        if not url:
            continue
        try:
            data = _download(url, settings.MOBILITY_GTFS_RT_MAX_BYTES)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            results.append(Polled(kind, None, f"lecture impossible : {exc}"))
            continue
        results.append(Polled(kind, realtime_ingest(data=data, kind=kind)))
    return results
