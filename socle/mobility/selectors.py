"""Every read of the mobility module's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from socle.core.access import Actor, get_or_404, scope
from socle.core.models import Organisation
from socle.core.module_activation import module_enabled

from .models import Departure, FeedVersion, Route, ServiceDay, Stop

VIEW = "mobility.view"


def feed_versions_for(*, actor: Actor) -> QuerySet[FeedVersion]:
    """Return the feed versions of the organisations the actor manages timetables for."""
    return scope(FeedVersion.objects.select_related("organisation"), actor, VIEW)


def feed_version_get_for(*, actor: Actor, pk: object) -> FeedVersion:
    """Return one feed version the actor may see, or 404."""
    return get_or_404(feed_versions_for(actor=actor), pk=pk)


def _network_owner() -> Organisation | None:
    return Organisation.objects.filter(slug=settings.PLATFORM_ROOT_SLUG).first()


def feed_current() -> FeedVersion | None:
    """Return the published timetables of the network (the platform's root organisation)."""
    owner = _network_owner()
    if owner is None or not module_enabled("mobility", owner):
        return None
    return (FeedVersion.objects.filter(organisation=owner, published_at__isnull=False)
            .select_related("blob").order_by("-published_at", "-number").first())


def _current_or_404() -> FeedVersion:
    current = feed_current()
    if current is None:
        raise Http404("Aucun horaire n'est publié.")
    return current


def stops_public(*, query: str = "") -> QuerySet[Stop]:
    """Return the stops of the published timetables, optionally those whose name contains a text."""
    stops = Stop.objects.filter(version=_current_or_404())
    return stops.filter(name__icontains=query.strip()) if query.strip() else stops


def stop_public_get(*, stop_id: str) -> Stop:
    """Return one stop of the published timetables, or 404."""
    return get_or_404(Stop.objects.filter(version=_current_or_404()), stop_id=stop_id)


def routes_public() -> QuerySet[Route]:
    """Return the lines of the published timetables."""
    return Route.objects.filter(version=_current_or_404())


def route_public_get(*, route_id: str) -> Route:
    """Return one line of the published timetables, or 404."""
    return get_or_404(routes_public(), route_id=route_id)


@dataclass(frozen=True)
class NextDeparture:
    at: datetime
    route: Route
    headsign: str
    realtime: bool = False  # theoretical times only until a real-time feed is plugged in


def departures_next(*, stop: Stop, now: datetime, limit: int = 8) -> list[NextDeparture]:
    """Return the next theoretical departures from a stop after ``now`` (service days included)."""
    results: list[NextDeparture] = []
    for offset in (1, 0):  # yesterday's service runs past midnight, as GTFS times do
        day = (now - timedelta(days=offset)).date()
        services = ServiceDay.objects.filter(version=stop.version_id, day=day).values("service_id")
        start = datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)
        since = int((now - start).total_seconds())
        rows = (Departure.objects.filter(stop=stop, seconds__gte=since, service_id__in=services)
                .select_related("route").order_by("seconds")[:limit])
        results += [NextDeparture(at=start + timedelta(seconds=row.seconds), route=row.route,
                                  headsign=row.headsign) for row in rows]
    return sorted(results, key=lambda d: d.at)[:limit]


def route_stops(*, route: Route) -> QuerySet[Stop]:
    """Return the stops a line serves."""
    return Stop.objects.filter(Q(departures__route=route)).distinct().order_by("name")


def service_days_count(*, version: FeedVersion, day: date) -> int:
    """Count the services of a timetable version that run on a given day."""
    return ServiceDay.objects.filter(version=version, day=day).count()
