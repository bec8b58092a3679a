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
