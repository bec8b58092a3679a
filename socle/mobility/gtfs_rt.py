"""GTFS-Realtime: reading an operator's feed within bounds, checking it, and writing socle's own.

The checks carry the rule identifiers of MobilityData's gtfs-realtime-validator (``E002``
unsorted stop_sequence, ``E003`` unknown trip_id, ``W008`` stale header...), so that an
operator reads the same codes here and in the reference tool. Errors of the whole message
(unreadable, no header timestamp, a timestamp going back) refuse it; an entity in error
(an unknown trip, unsorted stops) is left out and reported, and the sound ones are applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt

POSIX_MIN = 946_684_800  # 2000-01-01: below, a timestamp is not POSIX seconds
POSIX_MAX = 4_102_444_800  # 2100-01-01: above, most likely milliseconds
STALE_SECONDS = 65
FUTURE_TOLERANCE_SECONDS = 60
SAMPLES = 5

RULES: dict[str, tuple[str, str]] = {
    "E001": ("ERROR", "Horodatage qui n'est pas un temps POSIX en secondes"),
    "E002": ("ERROR", "stop_time_update non triés par stop_sequence croissant"),
    "E003": ("ERROR", "trip_id absent des horaires GTFS"),
    "E004": ("ERROR", "route_id absent des horaires GTFS"),
    "E011": ("ERROR", "stop_id absent des horaires GTFS"),
    "E012": ("ERROR", "Horodatage de l'en-tête antérieur à celui d'une entité"),
    "E018": ("ERROR", "Horodatage de l'en-tête en recul depuis la lecture précédente"),
    "E022": ("ERROR", "Heures de passage successives qui ne croissent pas"),
    "E025": ("ERROR", "Départ avant l'arrivée dans un stop_time_update"),
    "E036": ("ERROR", "Deux stop_time_update successifs avec le même stop_sequence"),
    "E037": ("ERROR", "Deux stop_time_update successifs avec le même stop_id"),
    "E038": ("ERROR", "Version gtfs_realtime_version invalide"),
    "E040": ("ERROR", "stop_time_update sans stop_id ni stop_sequence"),
    "E041": ("ERROR", "Voyage sans stop_time_update (ni retard, ni suppression)"),
    "E048": ("ERROR", "Horodatage de l'en-tête absent"),
    "E049": ("ERROR", "Incrémentalité de l'en-tête absente"),
    "E050": ("ERROR", "Horodatage dans le futur"),
    "W001": ("WARNING", "Horodatage absent d'une entité"),
    "W006": ("WARNING", "trip_update sans trip_id"),
    "W008": ("WARNING", "En-tête plus vieux que 65 secondes"),
    "unreadable": ("ERROR", "Message illisible : ce n'est pas un FeedMessage GTFS-RT"),
    "too_large": ("ERROR", "Message trop volumineux"),
}
# Errors that make the whole message unusable; the others concern one entity.
MESSAGE_ERRORS = {"unreadable", "too_large", "E038", "E048", "E018", "E050", "E001"}


@dataclass
class TripState:
    trip_id: str
    service_day: date | None
    delay_seconds: int
    cancelled: bool


@dataclass
class AlertState:
    external_id: str
    title: str
    description: str
    cause: str
    effect: str
    route_ids: list[str]
    stop_ids: list[str]
    starts_at: int | None
    ends_at: int | None


@dataclass
class RealtimeReport:
    timestamp: int | None = None
    notices: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    trips: list[TripState] = field(default_factory=list)
    alerts: list[AlertState] = field(default_factory=list)

    def add(self, code: str, **sample: Any) -> None:
        self.notices[code].append(sample)

    @property
    def usable(self) -> bool:
        return not (MESSAGE_ERRORS & set(self.notices))

    def as_dict(self) -> dict[str, Any]:
        notices = []
        for code, samples in sorted(self.notices.items()):
            severity, message = RULES[code]
            notices.append({"code": code, "severity": severity, "message": message,
                            "count": len(samples), "samples": samples[:SAMPLES]})
        return {"usable": self.usable, "timestamp": self.timestamp,
                "error_count": sum(n["count"] for n in notices if n["severity"] == "ERROR"),
                "warning_count": sum(n["count"] for n in notices if n["severity"] == "WARNING"),
                "trips": len(self.trips), "alerts": len(self.alerts), "notices": notices}


@dataclass(frozen=True)
class Network:
    """The identifiers of the published timetables a real-time message must refer to."""

    trips: frozenset[str]
    routes: frozenset[str]
    stops: frozenset[str]


def _translated(value: Any) -> str:
    for translation in value.translation:
        if translation.language in ("fr", ""):
            return str(translation.text)
    return str(value.translation[0].text) if value.translation else ""


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None


def _check_timestamp(report: RealtimeReport, value: int, now: int, where: str) -> None:
    if not POSIX_MIN <= value <= POSIX_MAX:
        report.add("E001", where=where, timestamp=value)
    elif value > now + FUTURE_TOLERANCE_SECONDS:
        report.add("E050", where=where, timestamp=value)


def _check_stop_time_updates(report: RealtimeReport, update: Any, network: Network,
                             entity_id: str) -> bool:
    sound = True
    previous: Any = None
    previous_time = 0
    for stu in update.stop_time_update:
        if not stu.HasField("stop_sequence") and not stu.stop_id:
            report.add("E040", entity=entity_id)
            sound = False
        if stu.stop_id and stu.stop_id not in network.stops:
            report.add("E011", entity=entity_id, stop_id=stu.stop_id)
            sound = False
        if previous is not None:
            if stu.HasField("stop_sequence") and previous.HasField("stop_sequence"):
                if stu.stop_sequence == previous.stop_sequence:
                    report.add("E036", entity=entity_id, stop_sequence=stu.stop_sequence)
                    sound = False
                elif stu.stop_sequence < previous.stop_sequence:
                    report.add("E002", entity=entity_id, stop_sequence=stu.stop_sequence)
                    sound = False
            if stu.stop_id and stu.stop_id == previous.stop_id:
                report.add("E037", entity=entity_id, stop_id=stu.stop_id)
                sound = False
        arrival = stu.arrival.time if stu.HasField("arrival") and stu.arrival.HasField("time") else 0
        departure = (stu.departure.time
                     if stu.HasField("departure") and stu.departure.HasField("time") else 0)
        if arrival and departure and departure < arrival:
            report.add("E025", entity=entity_id, stop_id=stu.stop_id)
            sound = False
        first = arrival or departure
        if first and previous_time and first < previous_time:
            report.add("E022", entity=entity_id, stop_id=stu.stop_id)
            sound = False
        previous_time = departure or arrival or previous_time
        previous = stu
    return sound


def _delay_of(update: Any) -> int:
    if update.HasField("delay"):
        return int(update.delay)
    for stu in update.stop_time_update:
        for event in (stu.departure, stu.arrival):
            if event.HasField("delay"):
                return int(event.delay)
    return 0


def _trip_update(report: RealtimeReport, entity: Any, network: Network, header_ts: int,
                 now: int) -> None:
    update = entity.trip_update
    trip = update.trip
    if not trip.trip_id:
        report.add("W006", entity=entity.id)
        return
    relationship = trip.schedule_relationship
    sound = True
    if relationship != rt.TripDescriptor.ADDED and trip.trip_id not in network.trips:
        report.add("E003", entity=entity.id, trip_id=trip.trip_id)
        sound = False
    if trip.route_id and trip.route_id not in network.routes:
        report.add("E004", entity=entity.id, route_id=trip.route_id)
        sound = False
    if update.HasField("timestamp"):
        _check_timestamp(report, update.timestamp, now, f"trip_update {entity.id}")
        if header_ts and update.timestamp > header_ts:
            report.add("E012", entity=entity.id, timestamp=update.timestamp)
    else:
        report.add("W001", entity=entity.id)
    cancelled = relationship == rt.TripDescriptor.CANCELED
    if not cancelled and not update.stop_time_update and not update.HasField("delay"):
        report.add("E041", entity=entity.id, trip_id=trip.trip_id)
        sound = False
    if not _check_stop_time_updates(report, update, network, entity.id):
        sound = False
    if sound and relationship != rt.TripDescriptor.ADDED:
        report.trips.append(TripState(trip_id=trip.trip_id, service_day=_day(trip.start_date),
                                      delay_seconds=_delay_of(update), cancelled=cancelled))


def _alert(report: RealtimeReport, entity: Any, network: Network) -> None:
    alert = entity.alert
    routes, stops = [], []
    for informed in alert.informed_entity:
        if informed.route_id:
            if informed.route_id not in network.routes:
                report.add("E004", entity=entity.id, route_id=informed.route_id)
                continue
            routes.append(informed.route_id)
        if informed.stop_id:
            if informed.stop_id not in network.stops:
                report.add("E011", entity=entity.id, stop_id=informed.stop_id)
                continue
            stops.append(informed.stop_id)
    period = alert.active_period[0] if alert.active_period else None
    report.alerts.append(AlertState(
        external_id=entity.id, title=_translated(alert.header_text)[:200] or "Perturbation",
        description=_translated(alert.description_text),
        cause=rt.Alert.Cause.Name(alert.cause), effect=rt.Alert.Effect.Name(alert.effect),
        route_ids=sorted(set(routes)), stop_ids=sorted(set(stops)),
        starts_at=int(period.start) if period is not None and period.start else None,
        ends_at=int(period.end) if period is not None and period.end else None))


def feed_rt_check(data: bytes, *, network: Network, now: int, max_bytes: int,
                  previous_timestamp: int | None = None) -> RealtimeReport:
    """Read a GTFS-RT message within ``max_bytes`` and check it against the published timetables."""
    report = RealtimeReport()
    if len(data) > max_bytes:
        report.add("too_large", size=len(data), limit=max_bytes)
        return report
    message = rt.FeedMessage()
    try:
        message.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        report.add("unreadable", detail=str(exc)[:200])
        return report
    header = message.header
    if header.gtfs_realtime_version not in ("1.0", "2.0"):
        report.add("E038", version=header.gtfs_realtime_version[:20])
    version_two = header.gtfs_realtime_version == "2.0"
    header_ts = int(header.timestamp) if header.HasField("timestamp") else 0
    if not header_ts:
        report.add("E048")
    else:
        report.timestamp = header_ts
        _check_timestamp(report, header_ts, now, "header")
        if now - header_ts > STALE_SECONDS:
            report.add("W008", timestamp=header_ts, age_seconds=now - header_ts)
        if previous_timestamp and header_ts < previous_timestamp:
            report.add("E018", timestamp=header_ts, previous=previous_timestamp)
    if version_two and not header.HasField("incrementality"):
        report.add("E049")
    for entity in message.entity:
        if entity.HasField("trip_update"):
            _trip_update(report, entity, network, header_ts, now)
        if entity.HasField("alert"):
            _alert(report, entity, network)
    return report


@dataclass(frozen=True)
class TripOut:
    trip_id: str
    route_id: str
    service_day: date
    delay_seconds: int
    cancelled: bool
    updated_at: int
    stop_ids: tuple[str, ...]  # the trip's stops in order


@dataclass(frozen=True)
class AlertOut:
    entity_id: str
    title: str
    description: str
    cause: str
    effect: str
    route_ids: tuple[str, ...]
    stop_ids: tuple[str, ...]
    starts_at: int
    ends_at: int | None


def _header(message: Any, now: int) -> None:
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    message.header.timestamp = now


def trip_updates_message(trips: Iterable[TripOut], *, now: int) -> bytes:
    """Write a TripUpdates message (full dataset) of the known delays and cancellations."""
    message = rt.FeedMessage()
    _header(message, now)
    for trip in trips:
        entity = message.entity.add()
        entity.id = f"{trip.trip_id}-{trip.service_day:%Y%m%d}"
        update = entity.trip_update
        update.trip.trip_id = trip.trip_id
        update.trip.route_id = trip.route_id
        update.trip.start_date = f"{trip.service_day:%Y%m%d}"
        update.timestamp = min(trip.updated_at, now)
        if trip.cancelled:
            update.trip.schedule_relationship = rt.TripDescriptor.CANCELED
            continue
        update.trip.schedule_relationship = rt.TripDescriptor.SCHEDULED
        update.delay = trip.delay_seconds
        for stop_id in trip.stop_ids:
            stu = update.stop_time_update.add()
            stu.stop_id = stop_id
            stu.departure.delay = trip.delay_seconds
    return message.SerializeToString()


def alerts_message(alerts: Iterable[AlertOut], *, now: int) -> bytes:
    """Write an Alerts message (full dataset) of the disruptions told to travellers."""
    message = rt.FeedMessage()
    _header(message, now)
    for item in alerts:
        entity = message.entity.add()
        entity.id = item.entity_id
        alert = entity.alert
        period = alert.active_period.add()
        period.start = item.starts_at
        if item.ends_at:
            period.end = item.ends_at
        for route_id in item.route_ids:
            alert.informed_entity.add().route_id = route_id
        for stop_id in item.stop_ids:
            alert.informed_entity.add().stop_id = stop_id
        alert.cause = rt.Alert.Cause.Value(item.cause)
        alert.effect = rt.Alert.Effect.Value(item.effect)
        for target, text in ((alert.header_text, item.title), (alert.description_text, item.description)):
            if text:
                translation = target.translation.add()
                translation.text = text
                translation.language = "fr"
    return message.SerializeToString()


CAUSES = tuple(rt.Alert.Cause.keys())
EFFECTS = tuple(rt.Alert.Effect.keys())
