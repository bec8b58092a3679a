"""Every write of the mobility module: importing, validating and publishing GTFS feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

import polars as pl
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from socle.core.access import can
from socle.core.blobs import BlobRefused, blob_open, blob_put
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .gtfs_feed import FeedRefused, GtfsFeed, feed_read, time_to_seconds
from .gtfs_validation import ValidationReport, feed_validate
from .models import Departure, FeedVersion, Route, ServiceDay, Stop

MANAGE = "mobility.manage_feeds"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class Checked:
    feed: GtfsFeed | None
    report: dict[str, Any]  # the JSON report of gtfs_validation, as stored and served


def gtfs_check(*, source: IO[bytes], today: date | None = None) -> Checked:
    """Read and validate a feed without storing anything; a file that is no feed is a KO report."""
    try:
        feed = feed_read(source)
    except FeedRefused as refusal:
        report = ValidationReport()
        report.add(refusal.code, "ERROR", samples=[{"message": refusal.message}])
        return Checked(feed=None, report={**report.as_dict(), "unreadable": True,
                                          "message": refusal.message})
    return Checked(feed=feed, report=feed_validate(feed, today=today).as_dict())


def _summary(feed: GtfsFeed) -> dict[str, object]:
    def ids(name: str, column: str) -> list[str]:
        table = feed.table(name)
        if table is None or column not in table.columns:
            return []
        return sorted(table[column].unique().to_list())

    return {"routes": ids("routes.txt", "route_id"), "stops": ids("stops.txt", "stop_id"),
            "trips": ids("trips.txt", "trip_id")}


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def gtfs_import(*, actor: User | None, organisation: Organisation, source: IO[bytes],
                filename: str) -> FeedVersion:
    """Store a feed as a new version of the organisation's timetables, with its report."""
    if actor is not None and not can(actor, MANAGE, organisation):
        raise Forbidden("Vous ne pouvez pas importer les horaires de cette organisation.")
    checked = gtfs_check(source=source)
    if checked.feed is None:
        raise ServiceError(str(checked.report["message"]), code="invalid_feed")
    source.seek(0)
    try:
        stored = blob_put(stream=source, allowed_types={"application/zip"})
    except BlobRefused as refusal:
        raise ServiceError(str(refusal), code="invalid_feed") from refusal
    report = checked.report
    with transaction.atomic():
        number = (FeedVersion.objects.select_for_update().filter(organisation=organisation)
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        version = FeedVersion.objects.create(
            organisation=organisation, number=number, blob=stored.blob, filename=filename[:255],
            imported_by=actor if actor is not None and actor.pk else None, valid=bool(report["valid"]),
            report=report, summary=_summary(checked.feed),
            service_start=_day(report["service_start"]), service_end=_day(report["service_end"]))
        audit_record(actor=actor, action="mobility.feed_import", organisation=organisation,
                     target=version, data={"number": number, "valid": version.valid,
                                           "errors": report["error_count"], "sha256": stored.blob.sha256})
    return version


def _service_days(feed: GtfsFeed) -> set[tuple[str, date]]:
    days: set[tuple[str, date]] = set()
    calendar = feed.table("calendar.txt")
    if calendar is not None and calendar.height:
        for row in calendar.iter_rows(named=True):
            start = date(int(row["start_date"][:4]), int(row["start_date"][4:6]), int(row["start_date"][6:]))
            end = date(int(row["end_date"][:4]), int(row["end_date"][4:6]), int(row["end_date"][6:]))
            running = {index for index, name in enumerate(WEEKDAYS) if row.get(name) == "1"}
            day = start
            while day <= end:
                if day.weekday() in running:
                    days.add((row["service_id"], day))
                day += timedelta(days=1)
    dates = feed.table("calendar_dates.txt")
    if dates is not None and dates.height:
        for row in dates.iter_rows(named=True):
            value = row["date"]
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            if row["exception_type"] == "1":
                days.add((row["service_id"], day))
            else:
                days.discard((row["service_id"], day))
    return days


def _load_tables(version: FeedVersion, feed: GtfsFeed) -> None:
    routes_table = feed.table("routes.txt")
    stops_table = feed.table("stops.txt")
    assert routes_table is not None and stops_table is not None

    def value(row: dict[str, str], key: str) -> str:
        return row.get(key) or ""

    routes = {row["route_id"]: Route(version=version, route_id=row["route_id"],
                                     short_name=value(row, "route_short_name")[:100],
                                     long_name=value(row, "route_long_name")[:255],
                                     route_type=int(value(row, "route_type") or 3),
                                     color=value(row, "route_color")[:6],
                                     text_color=value(row, "route_text_color")[:6])
              for row in routes_table.iter_rows(named=True)}
    Route.objects.bulk_create(routes.values(), batch_size=2000)
    stops = {row["stop_id"]: Stop(version=version, stop_id=row["stop_id"], name=value(row, "stop_name")[:255],
                                  lat=float(row["stop_lat"]) if value(row, "stop_lat") else None,
                                  lon=float(row["stop_lon"]) if value(row, "stop_lon") else None)
             for row in stops_table.iter_rows(named=True)}
    Stop.objects.bulk_create(stops.values(), batch_size=2000)
    trips = feed.table("trips.txt")
    times = feed.table("stop_times.txt")
    assert trips is not None and times is not None
    headsign = pl.col("trip_headsign") if "trip_headsign" in trips.columns else pl.lit("")
    sequence = pl.col("stop_sequence").cast(pl.Int64, strict=False)
    no_pickup = (pl.col("pickup_type") == "1") if "pickup_type" in times.columns else pl.lit(False)
    boarding = ~(no_pickup.fill_null(False) | (sequence == sequence.max().over("trip_id")).fill_null(False))
    rows = (times.filter(pl.col("departure_time") != "")
            .select("trip_id", "stop_id", time_to_seconds(pl.col("departure_time")).alias("seconds"),
                    boarding.alias("boarding"))
            .join(trips.select("trip_id", "route_id", "service_id", headsign.alias("headsign")),
                  on="trip_id"))
    Departure.objects.bulk_create(
        (Departure(version=version, stop=stops[row["stop_id"]], route=routes[row["route_id"]],
                   trip_id=row["trip_id"], service_id=row["service_id"], headsign=row["headsign"][:255],
                   seconds=row["seconds"], boarding=row["boarding"])
         for row in rows.iter_rows(named=True) if row["stop_id"] in stops and row["route_id"] in routes),
        batch_size=5000)
    ServiceDay.objects.bulk_create(
        (ServiceDay(version=version, service_id=service, day=day) for service, day in _service_days(feed)),
        batch_size=5000)


def gtfs_publish(*, actor: User | None, version: FeedVersion) -> FeedVersion:
    """Publish a valid version: it becomes the feed served at /mobilite/gtfs.zip and on stop pages."""
    if actor is not None and not can(actor, MANAGE, version.organisation):
        raise Forbidden("Vous ne pouvez pas publier les horaires de cette organisation.")
    if not version.valid:
        raise Conflict("Ce flux comporte des erreurs : corrigez-les et importez-le de nouveau avant de "
                       "le publier.", code="feed_invalid")
    if version.published_at is not None:
        return version
    with blob_open(version.blob) as handle:
        feed = feed_read(handle)
    with transaction.atomic():
        _load_tables(version, feed)
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
        audit_record(actor=actor, action="mobility.feed_publish", organisation=version.organisation,
                     target=version, data={"number": version.number})
    return version
