"""Every read of the mobility module's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from socle.core.access import Actor, get_or_404, organisations_for, scope
from socle.core.models import Organisation, User
from socle.core.module_activation import module_enabled

from . import gbfs, gtfs_rt
from .models import (
    AlertDelivery,
    AlertStatus,
    AlertSubscription,
    Bike,
    BikeIncident,
    BikeStation,
    BikeStatus,
    BikeSubscription,
    Departure,
    Disruption,
    FeedVersion,
    OnDemandBooking,
    OnDemandRun,
    OnDemandZone,
    RealtimeFetch,
    Rental,
    RentalStatus,
    Route,
    ServiceDay,
    Stop,
    TripRealtime,
)

VIEW = "mobility.view"
MANAGE_REALTIME = "mobility.manage_realtime"
LATE_WINDOW_SECONDS = 3600


def feed_versions_for(*, actor: Actor) -> QuerySet[FeedVersion]:
    """Return the feed versions of the organisations the actor manages timetables for."""
    return scope(FeedVersion.objects.select_related("organisation"), actor, VIEW)


def feed_versions_of(*, actor: Actor, version: FeedVersion) -> QuerySet[FeedVersion]:
    """Return the other versions of a version's organisation the actor may see, newest first."""
    return (feed_versions_for(actor=actor).filter(organisation=version.organisation_id)
            .exclude(pk=version.pk).defer("summary", "report"))


def feed_version_get_for(*, actor: Actor, pk: object) -> FeedVersion:
    """Return one feed version the actor may see, or 404."""
    return get_or_404(feed_versions_for(actor=actor), pk=pk)


def feed_versions_diff(*, actor: Actor, old: FeedVersion, new: FeedVersion) -> dict[str, dict[str, object]]:
    """Return what changed between two versions of one organisation (cached: a version never changes)."""
    from django.core.cache import cache

    from socle.core.blobs import blob_open

    from .gtfs_diff import feeds_diff
    from .gtfs_feed import feed_read

    if old.organisation_id != new.organisation_id:
        raise Http404("Ces versions ne sont pas du même réseau.")
    for version in (old, new):
        feed_version_get_for(actor=actor, pk=version.pk)
    key = f"mobility:gtfs-diff:{old.pk}:{new.pk}"
    found = cache.get(key)
    if found is None:
        with blob_open(old.blob) as first, blob_open(new.blob) as second:
            found = feeds_diff(feed_read(first), feed_read(second))
        cache.set(key, found, 24 * 3600)
    return dict(found)


def _network_owner() -> Organisation | None:
    return Organisation.objects.filter(slug=settings.PLATFORM_ROOT_SLUG).first()


def feed_current() -> FeedVersion | None:
    """Return the published timetables of the network (the platform's root organisation)."""
    owner = _network_owner()
    if owner is None or not module_enabled("mobility", owner):
        return None
    return (
        FeedVersion.objects.filter(organisation=owner, published_at__isnull=False)
        .select_related("blob")
        .order_by("-published_at", "-number")
        .first()
    )


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


def stop_public_find(*, stop_id: str) -> Stop | None:
    """Return one stop of the published timetables, or None."""
    current = feed_current()
    if current is None:
        return None
    return Stop.objects.filter(version=current, stop_id=stop_id).first()


def routes_public() -> QuerySet[Route]:
    """Return the lines of the published timetables."""
    return Route.objects.filter(version=_current_or_404())


def route_public_get(*, route_id: str) -> Route:
    """Return one line of the published timetables, or 404."""
    return get_or_404(routes_public(), route_id=route_id)


@dataclass(frozen=True)
class NextDeparture:
    at: datetime  # expected: the aimed time plus the known delay
    route: Route
    headsign: str
    realtime: bool = False  # True when a delay (or its absence) is known for this trip now
    aimed: datetime | None = None
    delay_seconds: int = 0
    cancelled: bool = False
    trip_id: str = ""

    @property
    def delay_minutes(self) -> int:
        return round(self.delay_seconds / 60)


def _realtime_of(organisation_id: int, keys: set[tuple[str, date]]) -> dict[tuple[str, date], TripRealtime]:
    if not keys:
        return {}
    trips = {trip for trip, _ in keys}
    days = {day for _, day in keys}
    rows = TripRealtime.objects.filter(
        organisation_id=organisation_id, trip_id__in=trips, service_day__in=days
    )
    return {(row.trip_id, row.service_day): row for row in rows}


def departures_next(
    *, stop: Stop, now: datetime, limit: int = 8, until: datetime | None = None
) -> list[NextDeparture]:
    """Return the next departures from a stop after ``now``, with the delays known now.

    Trips already left by their timetable but running late are included: the lookup starts
    an hour before ``now`` and keeps what is expected from ``now`` on.
    """
    version = FeedVersion.objects.only("organisation_id").get(pk=stop.version_id)
    candidates: list[tuple[datetime, date, Departure]] = []
    for offset in (1, 0):  # yesterday's service runs past midnight, as GTFS times do
        day = (now - timedelta(days=offset)).date()
        services = ServiceDay.objects.filter(version=stop.version_id, day=day).values("service_id")
        start = datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)
        since = max(0, int((now - start).total_seconds()) - LATE_WINDOW_SECONDS)
        rows = (
            Departure.objects.filter(stop=stop, seconds__gte=since, service_id__in=services, boarding=True)
            .select_related("route")
            .order_by("seconds")[: limit * 3]
        )
        candidates += [(start + timedelta(seconds=row.seconds), day, row) for row in rows]
    known = _realtime_of(version.organisation_id, {(row.trip_id, day) for _, day, row in candidates})
    results: list[NextDeparture] = []
    for aimed, day, row in candidates:
        state = known.get((row.trip_id, day))
        delay = state.delay_seconds if state is not None else 0
        expected = aimed + timedelta(seconds=delay)
        if expected < now or (until is not None and expected > until):
            continue
        results.append(
            NextDeparture(
                at=expected,
                route=row.route,
                headsign=row.headsign,
                realtime=state is not None,
                aimed=aimed,
                delay_seconds=delay,
                cancelled=bool(state and state.cancelled),
                trip_id=row.trip_id,
            )
        )
    return sorted(results, key=lambda d: (d.at, d.trip_id))[:limit]


def disruptions_active(
    *, now: datetime, stop: Stop | None = None, route: Route | None = None
) -> list[Disruption]:
    """Return the disruptions in force now on the network, a stop (and its lines) or a line."""
    current = feed_current()
    if current is None:
        return []
    rows = Disruption.objects.filter(organisation=current.organisation, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    found = list(rows[:200])
    if stop is not None:
        lines = set(Departure.objects.filter(stop=stop).values_list("route__route_id", flat=True).distinct())
        return [d for d in found if stop.stop_id in d.stop_ids or lines & set(d.route_ids)]
    if route is not None:
        return [d for d in found if route.route_id in d.route_ids]
    return found


def trips_running(*, now: datetime, horizon: timedelta) -> list[tuple[str, date]]:
    """Return the published trips (and their service day) with a departure in the coming ``horizon``."""
    current = feed_current()
    if current is None:
        return []
    local = timezone.localtime(now)
    found: set[tuple[str, date]] = set()
    for offset in (1, 0):
        day = (local - timedelta(days=offset)).date()
        start = datetime.combine(day, datetime.min.time(), tzinfo=local.tzinfo)
        since = int((local - start).total_seconds())
        services = ServiceDay.objects.filter(version=current, day=day).values("service_id")
        trips = (
            Departure.objects.filter(
                version=current,
                service_id__in=services,
                seconds__gte=since,
                seconds__lt=since + int(horizon.total_seconds()),
            )
            .values_list("trip_id", flat=True)
            .distinct()
        )
        found |= {(trip, day) for trip in trips}
    return sorted(found)


def trip_exists(*, version: FeedVersion, trip_id: str) -> bool:
    """Tell whether a trip is in a timetable version."""
    return Departure.objects.filter(version=version, trip_id=trip_id).exists()


def unknown_ids(*, version: FeedVersion, route_ids: list[str], stop_ids: list[str]) -> list[str]:
    """Return the line and stop identifiers that a timetable version does not hold."""
    routes = set(
        Route.objects.filter(version=version, route_id__in=route_ids).values_list("route_id", flat=True)
    )
    stops = set(Stop.objects.filter(version=version, stop_id__in=stop_ids).values_list("stop_id", flat=True))
    return sorted((set(route_ids) - routes) | (set(stop_ids) - stops))


def network_ids(*, version: FeedVersion) -> gtfs_rt.Network:
    """Return the trip, line and stop identifiers real-time messages may refer to."""
    return gtfs_rt.Network(
        trips=frozenset(
            Departure.objects.filter(version=version).values_list("trip_id", flat=True).distinct()
        ),
        routes=frozenset(Route.objects.filter(version=version).values_list("route_id", flat=True)),
        stops=frozenset(Stop.objects.filter(version=version).values_list("stop_id", flat=True)),
    )


def trip_updates_out(*, now: datetime) -> list[gtfs_rt.TripOut]:
    """Return the delays and cancellations of yesterday's and today's service, for GTFS-RT."""
    current = feed_current()
    if current is None:
        return []
    today = timezone.localdate(now)
    states = list(
        TripRealtime.objects.filter(
            organisation=current.organisation, service_day__in=[today - timedelta(days=1), today]
        ).order_by("service_day", "trip_id")[:5000]
    )
    trips = {state.trip_id for state in states}
    stops: dict[str, list[str]] = {}
    route_of: dict[str, str] = {}
    for trip_id, stop_id, route_id in (
        Departure.objects.filter(version=current, trip_id__in=trips)
        .order_by("trip_id", "seconds")
        .values_list("trip_id", "stop__stop_id", "route__route_id")
    ):
        stops.setdefault(trip_id, []).append(stop_id)
        route_of[trip_id] = route_id
    return [
        gtfs_rt.TripOut(
            trip_id=s.trip_id,
            route_id=route_of.get(s.trip_id, ""),
            service_day=s.service_day,
            delay_seconds=s.delay_seconds,
            cancelled=s.cancelled,
            updated_at=int(s.updated_at.timestamp()),
            stop_ids=tuple(stops.get(s.trip_id, ())),
        )
        for s in states
        if s.trip_id in route_of
    ]


def alerts_out(*, now: datetime) -> list[gtfs_rt.AlertOut]:
    """Return the disruptions in force now or announced, for GTFS-RT Alerts."""
    current = feed_current()
    if current is None:
        return []
    rows = (
        Disruption.objects.filter(organisation=current.organisation)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("pk")[:1000]
    )
    return [
        gtfs_rt.AlertOut(
            entity_id=f"socle-{d.pk}",
            title=d.title,
            description=d.description,
            cause=d.cause,
            effect=d.effect,
            route_ids=tuple(d.route_ids),
            stop_ids=tuple(d.stop_ids),
            starts_at=int(d.starts_at.timestamp()),
            ends_at=int(d.ends_at.timestamp()) if d.ends_at else None,
        )
        for d in rows
    ]


def realtime_managed_for(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose real-time information the actor may enter."""
    return organisations_for(actor, MANAGE_REALTIME)


def trips_realtime_for(*, actor: Actor, day: date) -> QuerySet[TripRealtime]:
    """Return the delays and cancellations of a service day the actor may see."""
    return scope(TripRealtime.objects.filter(service_day=day), actor, VIEW).order_by("trip_id")


def disruptions_for(*, actor: Actor) -> QuerySet[Disruption]:
    """Return the disruptions the actor may see, newest first."""
    return scope(Disruption.objects.all(), actor, VIEW)


def disruption_get_for(*, actor: Actor, pk: object) -> Disruption:
    """Return one disruption the actor may see, or 404."""
    return get_or_404(disruptions_for(actor=actor), pk=pk)


def realtime_fetches_for(*, actor: Actor) -> QuerySet[RealtimeFetch]:
    """Return the readings of operators' real-time feeds the actor may see, newest first."""
    return scope(RealtimeFetch.objects.all(), actor, VIEW)


def route_stops(*, route: Route) -> QuerySet[Stop]:
    """Return the stops a line serves."""
    return Stop.objects.filter(Q(departures__route=route)).distinct().order_by("name")


def service_days_count(*, version: FeedVersion, day: date) -> int:
    """Count the services of a timetable version that run on a given day."""
    return ServiceDay.objects.filter(version=version, day=day).count()


# ---- Alerts to travellers


def _names(version_id: int, route_ids: list[str], stop_ids: list[str]) -> list[str]:
    routes = Route.objects.filter(version=version_id, route_id__in=route_ids).order_by("short_name")
    stops = Stop.objects.filter(version=version_id, stop_id__in=stop_ids).order_by("name")
    return ([f"ligne {r.short_name or r.route_id}" for r in routes]
            + [f"arrêt {s.name}" for s in stops])


def alert_choices_label(*, version: FeedVersion, route_ids: list[str], stop_ids: list[str]) -> str:
    """Say in French what a subscription covers: its lines and stops, or the whole network."""
    names = _names(version.pk, route_ids, stop_ids)
    return ", ".join(names) if names else "tout le réseau"


def alert_places_label(*, disruption: Disruption) -> str:
    """Say in French which lines and stops a disruption concerns."""
    current = feed_current()
    names = _names(current.pk, disruption.route_ids, disruption.stop_ids) if current else []
    return ", ".join(names[:6]) + ("…" if len(names) > 6 else "") if names else "le réseau"


def alert_subscriptions_count_for(*, actor: Actor) -> int:
    """Count the confirmed alert subscriptions of the networks the actor may see."""
    return scope(AlertSubscription.objects.filter(status=AlertStatus.ACTIVE), actor, VIEW).count()


def alert_deliveries_sent(*, disruption_ids: list[int]) -> dict[int, int]:
    """Count, per disruption, the alert mails that left."""
    rows = (AlertDelivery.objects.filter(disruption_id__in=disruption_ids, sent_at__isnull=False)
            .values("disruption_id").annotate(n=Count("pk")))
    return {row["disruption_id"]: row["n"] for row in rows}


# ---- AlloTIC (on-demand transport)


def ondemand_runs_open(*, now: datetime, days: int = 14) -> QuerySet[OnDemandRun]:
    """Return the coming runs of the network's zones, with their zone, soonest first."""
    owner = _network_owner()
    if owner is None or not module_enabled("mobility", owner):
        return OnDemandRun.objects.none()
    today = timezone.localtime(now).date()
    return (OnDemandRun.objects.filter(organisation=owner, day__gte=today,
                                       day__lte=today + timedelta(days=days))
            .select_related("zone").order_by("day", "window_start", "pk"))


def ondemand_run_open_get(*, pk: object, now: datetime) -> OnDemandRun:
    """Return one coming run, or 404."""
    return get_or_404(ondemand_runs_open(now=now), pk=pk)


def stop_names(*, stop_ids: list[str]) -> dict[str, str]:
    """Return the names of stops of the published timetables, by stop_id."""
    current = feed_current()
    if current is None:
        return {}
    return dict(Stop.objects.filter(version=current, stop_id__in=stop_ids).values_list("stop_id", "name"))


def bookings_of(*, actor: User) -> QuerySet[OnDemandBooking]:
    """Return a traveller's own AlloTIC bookings, newest first."""
    return OnDemandBooking.objects.filter(user=actor).select_related("run", "run__zone")


def booking_of_get(*, actor: User, reference: str) -> OnDemandBooking:
    """Return one of a traveller's own bookings by its reference, or 404."""
    return get_or_404(bookings_of(actor=actor), reference=reference)


def ondemand_zones_for(*, actor: Actor) -> QuerySet[OnDemandZone]:
    """Return the AlloTIC zones the actor may see."""
    return scope(OnDemandZone.objects.all(), actor, VIEW)


def ondemand_runs_for(*, actor: Actor, since: date) -> QuerySet[OnDemandRun]:
    """Return the runs from a day on that the actor may see."""
    return scope(OnDemandRun.objects.filter(day__gte=since), actor, VIEW).select_related("zone")


def bookings_for(*, actor: Actor, since: date | None = None,
                 penalties: bool = False) -> QuerySet[OnDemandBooking]:
    """Return the bookings the actor may see (agents of the network): from a day, or with a penalty."""
    rows = scope(OnDemandBooking.objects.all(), actor, VIEW).select_related("run", "run__zone", "user")
    if since is not None:
        rows = rows.filter(run__day__gte=since).order_by("run__day", "run__window_start", "pk")
    return rows.exclude(penalty_reason="") if penalties else rows


def booking_get_for(*, actor: Actor, pk: object) -> OnDemandBooking:
    """Return one booking the actor may see, or 404."""
    return get_or_404(bookings_for(actor=actor), pk=pk)


def zone_get_for(*, actor: Actor, pk: object) -> OnDemandZone:
    """Return one zone the actor may see, or 404."""
    return get_or_404(ondemand_zones_for(actor=actor), pk=pk)


@dataclass(frozen=True)
class PenaltyState:
    label: str  # French
    paid: bool = False
    case_number: str = ""


def penalty_state(*, booking: OnDemandBooking) -> PenaltyState | None:
    """Say where a booking's penalty stands, reading its portal case (by number) when filed."""
    if not booking.penalty_reason:
        return None
    if not booking.penalty_case:
        return PenaltyState("À payer : pénalité de " + f"{booking.penalty_amount:.2f}".replace(".",
                                                                                               ",") + " €")
    from socle.portal.selectors import case_payments, cases_of_citizen

    case = cases_of_citizen(actor=booking.user).filter(number=booking.penalty_case).first()
    if case is None:
        return PenaltyState("Démarche de paiement introuvable", case_number=booking.penalty_case)
    if any(p.status == "paid" for p in case_payments(case=case)):
        return PenaltyState("Payée", paid=True, case_number=case.number)
    labels = {"draft": "Démarche de paiement à déposer", "awaiting_payment": "À payer en ligne"}
    return PenaltyState(labels.get(case.status, "Démarche déposée, en cours de traitement"),
                        case_number=case.number)


# ---- VéloTIC


def _bike_owner() -> Organisation | None:
    owner = _network_owner()
    return owner if owner is not None and module_enabled("mobility", owner) else None


@dataclass(frozen=True)
class StationNow:
    station: BikeStation
    available: dict[str, int]  # bike kind -> bikes a traveller may take now
    docks_free: int  # places where a bike can be returned now

    @property
    def classic(self) -> int:
        return self.available.get("classic", 0)

    @property
    def electric(self) -> int:
        return self.available.get("electric", 0)


def stations_public() -> list[StationNow]:
    """Return the active stations with the bikes available now at each, by kind, and free docks."""
    owner = _bike_owner()
    if owner is None:
        return []
    stations = list(BikeStation.objects.filter(organisation=owner, active=True).order_by("name"))
    available: dict[int, dict[str, int]] = {}
    docked: dict[int, int] = {}
    for station_id, kind, status, number in (
        Bike.objects.filter(organisation=owner, station__isnull=False)
        .values_list("station_id", "kind", "status")
        .annotate(n=Count("pk"))
    ):
        docked[station_id] = docked.get(station_id, 0) + number
        if status == BikeStatus.AVAILABLE:
            available.setdefault(station_id, {})[kind] = number
    return [
        StationNow(
            station=station,
            available=available.get(station.pk, {}),
            docks_free=max(0, station.capacity - docked.get(station.pk, 0)),
        )
        for station in stations
    ]


def station_public_get(*, station_id: str) -> BikeStation:
    """Return one active station, or 404."""
    owner = _bike_owner()
    if owner is None:
        raise Http404("Aucune station")
    return get_or_404(BikeStation.objects.filter(organisation=owner, active=True), station_id=station_id)


def bikes_available_at(*, station: BikeStation) -> QuerySet[Bike]:
    """Return the bikes a traveller may take at a station now."""
    return Bike.objects.filter(station=station, status=BikeStatus.AVAILABLE).order_by("kind", "number")


def bike_available_get(*, station: BikeStation, number: str) -> Bike:
    """Return one bike available at a station, or 404."""
    return get_or_404(bikes_available_at(station=station), number=number)


def subscription_current_for(*, actor: User) -> BikeSubscription | None:
    """Return the traveller's subscription running today, if any."""
    today = timezone.localdate()
    return (
        BikeSubscription.objects.filter(user=actor, starts_on__lte=today, ends_on__gte=today)
        .order_by("-ends_on")
        .first()
    )


def rental_current_for(*, actor: User) -> Rental | None:
    """Return the traveller's rental in progress, if any."""
    return (
        Rental.objects.filter(subscription__user=actor,
                              status__in=[RentalStatus.UNLOCKING, RentalStatus.OPEN])
        .select_related("bike", "start_station")
        .first()
    )


def rentals_of(*, actor: User) -> QuerySet[Rental]:
    """Return the traveller's rentals, newest first."""
    return Rental.objects.filter(subscription__user=actor).select_related(
        "bike", "start_station", "end_station"
    )


def rental_get_of(*, actor: User, pk: object) -> Rental:
    """Return one of the traveller's own rentals, or 404."""
    return get_or_404(rentals_of(actor=actor), pk=pk)


def bikes_for(*, actor: Actor) -> QuerySet[Bike]:
    """Return the bikes of the organisations whose fleet the actor may see."""
    return scope(Bike.objects.select_related("station"), actor, VIEW)


def incidents_for(*, actor: Actor) -> QuerySet[BikeIncident]:
    """Return the bike incidents the actor may see, open ones first."""
    return scope(BikeIncident.objects.select_related("bike"), actor, VIEW).order_by(
        "resolved_at", "-created_at"
    )


def incident_get_for(*, actor: Actor, pk: object) -> BikeIncident:
    """Return one incident the actor may see, or 404."""
    return get_or_404(incidents_for(actor=actor), pk=pk)


def rentals_for(*, actor: Actor) -> QuerySet[Rental]:
    """Return the rentals of the fleets the actor may see, newest first."""
    return scope(Rental.objects.select_related("bike", "start_station", "end_station"), actor, VIEW)


def gbfs_system(*, now: datetime) -> gbfs.System | None:
    """Return what the GBFS feeds publish now; bikes in a rental are left out."""
    owner = _bike_owner()
    if owner is None:
        return None
    from .velotic import PLANS

    stations = [
        gbfs.StationRow(
            station_id=n.station.station_id,
            name=n.station.name,
            address=n.station.address,
            lat=n.station.lat,
            lon=n.station.lon,
            capacity=n.station.capacity,
            active=n.station.active,
            available=n.available,
            docks_free=n.docks_free,
        )
        for n in stations_public()
    ]
    bikes = [
        gbfs.BikeRow(
            number=b.number,
            kind=b.kind,
            station_id=b.station.station_id if b.station else "",
            disabled=b.status == BikeStatus.MAINTENANCE,
            battery_percent=b.battery_percent,
        )
        for b in Bike.objects.filter(organisation=owner, station__isnull=False, station__active=True)
        .exclude(status=BikeStatus.RENTED)
        .select_related("station")
        .order_by("number")
    ]
    plans = [
        gbfs.PlanRow(plan_id=key, name=label, price=float(price), days=days)
        for key, (label, days, price) in PLANS.items()
    ]
    return gbfs.System(
        name="VéloTIC",
        operator=owner.name,
        email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        url=f"{settings.BASE_URL}/mobilite/velos/",
        timezone=settings.TIME_ZONE,
        now=now,
        stations=stations,
        bikes=bikes,
        plans=plans,
    )
