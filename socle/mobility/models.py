"""Timetables (GTFS) of a transport network: imported versions and the published one's tables."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation, User


class FeedVersion(models.Model):
    """One GTFS feed imported for an organisation, with its validation report."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    valid = models.BooleanField(default=False)
    report = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)  # counts and the ids of routes, stops and trips
    service_start = models.DateField(null=True, blank=True)
    service_end = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "number"], name="feedversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"GTFS {self.organisation.slug} n° {self.number}"


class Route(models.Model):
    version = models.ForeignKey(FeedVersion, on_delete=models.CASCADE, related_name="routes")
    route_id = models.CharField(max_length=100)
    short_name = models.CharField(max_length=100, blank=True, default="")
    long_name = models.CharField(max_length=255, blank=True, default="")
    route_type = models.IntegerField(default=3)
    color = models.CharField(max_length=6, blank=True, default="")
    text_color = models.CharField(max_length=6, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["short_name", "route_id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "route_id"], name="route_unique_in_version"),
        ]

    def __str__(self) -> str:
        return f"Ligne {self.short_name or self.route_id}"


class Stop(models.Model):
    version = models.ForeignKey(FeedVersion, on_delete=models.CASCADE, related_name="stops")
    stop_id = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    lat = models.FloatField(null=True)
    lon = models.FloatField(null=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "stop_id"], name="stop_unique_in_version"),
        ]

    def __str__(self) -> str:
        return self.name


class Departure(models.Model):
    """A theoretical departure of a trip from a stop, on the service days of its service_id."""

    version = models.ForeignKey(FeedVersion, on_delete=models.CASCADE, related_name="+")
    stop = models.ForeignKey(Stop, on_delete=models.CASCADE, related_name="departures")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="+")
    trip_id = models.CharField(max_length=100)
    service_id = models.CharField(max_length=100)
    headsign = models.CharField(max_length=255, blank=True, default="")
    seconds = models.PositiveIntegerField()  # past the service day's midnight (may pass 24 h)
    # False at a trip's last stop and where pickup_type is 1: the bus arrives, nobody boards,
    # so stop displays leave it out (the line still serves the stop).
    boarding = models.BooleanField(default=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["stop", "seconds"])]

    def __str__(self) -> str:
        return f"{self.trip_id} à {self.seconds} s"


class ServiceDay(models.Model):
    version = models.ForeignKey(FeedVersion, on_delete=models.CASCADE, related_name="+")
    service_id = models.CharField(max_length=100)
    day = models.DateField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "service_id", "day"], name="serviceday_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["version", "day"])]

    def __str__(self) -> str:
        return f"{self.service_id} le {self.day}"


class RealtimeSource(models.TextChoices):
    AGENT = "agent", "Saisi par un agent"
    FEED = "feed", "Lu dans le flux temps réel de l'exploitant"


class TripRealtime(models.Model):
    """What is known now about one trip on one service day: its delay, or that it is cancelled.

    One delay per trip (the delay at its next stops), not one per stop: the displays and
    SIRI Lite need the expected time at a stop, and operators' feeds for a network this size
    propagate one delay down the trip.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    trip_id = models.CharField(max_length=100)
    service_day = models.DateField()
    delay_seconds = models.IntegerField(default=0)
    cancelled = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=RealtimeSource.choices)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "trip_id", "service_day"],
                                    name="triprealtime_one_per_trip_and_day"),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id} le {self.service_day:%d/%m/%Y}"


class Disruption(models.Model):
    """A disruption told to travellers: the Alerts of GTFS-RT, shown on stop pages and displays."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    cause = models.CharField(max_length=40, default="UNKNOWN_CAUSE")  # GTFS-RT Alert.Cause
    effect = models.CharField(max_length=40, default="UNKNOWN_EFFECT")  # GTFS-RT Alert.Effect
    route_ids = models.JSONField(default=list)
    stop_ids = models.JSONField(default=list)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=RealtimeSource.choices)
    external_id = models.CharField(max_length=200, blank=True, default="")  # the feed's entity id
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering: ClassVar = ["-starts_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "ends_at"], name="disruption_active")]

    def __str__(self) -> str:
        return self.title


class RealtimeFetch(models.Model):
    """One reading of an operator's GTFS-RT message, with its check report."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)  # "trip_updates" or "alerts"
    fetched_at = models.DateTimeField(default=timezone.now)
    usable = models.BooleanField(default=False)
    header_timestamp = models.BigIntegerField(null=True, blank=True)
    report = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["-fetched_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} lu le {self.fetched_at:%d/%m/%Y %H:%M}"
