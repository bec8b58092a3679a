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
    # Who the alert is for (a key of alerts.PROFILES): "any" reaches every subscriber.
    audience = models.CharField(max_length=10, default="any")
    alerted_at = models.DateTimeField(null=True, blank=True)  # when its subscribers were found
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


class BikeKind(models.TextChoices):
    CLASSIC = "classic", "Vélo classique"
    ELECTRIC = "electric", "Vélo à assistance électrique"


class BikeStation(models.Model):
    """A VéloTIC station: docks where bikes are taken and returned."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    station_id = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=255, blank=True, default="")
    lat = models.FloatField()
    lon = models.FloatField()
    capacity = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "station_id"], name="bikestation_unique_id"),
        ]

    def __str__(self) -> str:
        return self.name


class BikeStatus(models.TextChoices):
    AVAILABLE = "available", "Disponible"
    RENTED = "rented", "En location"
    MAINTENANCE = "maintenance", "En maintenance"


class Bike(models.Model):
    """A bike and the connected lock it carries."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=BikeKind.choices)
    lock_id = models.CharField(max_length=100)
    station = models.ForeignKey(BikeStation, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="bikes")
    status = models.CharField(max_length=12, choices=BikeStatus.choices, default=BikeStatus.AVAILABLE)
    battery_percent = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "number"], name="bike_unique_number"),
            models.UniqueConstraint(fields=["lock_id"], name="bike_unique_lock"),
        ]

    def __str__(self) -> str:
        return f"Vélo {self.number}"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Actif"
    SUSPENDED = "suspended", "Suspendu"


class BikeSubscription(models.Model):
    """A traveller's VéloTIC subscription, which allows rentals while it runs and is not suspended."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(max_length=20)  # a key of velotic.PLANS
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices,
                              default=SubscriptionStatus.ACTIVE)
    suspended_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-ends_on"]

    def __str__(self) -> str:
        return f"Abonnement VéloTIC {self.plan} de {self.user}"


class RentalStatus(models.TextChoices):
    UNLOCKING = "unlocking", "Déverrouillage en cours"
    OPEN = "open", "En cours"
    CLOSED = "closed", "Terminée"
    FAILED = "failed", "Non ouverte (cadenas injoignable ou refus)"


class Rental(models.Model):
    """One use of a bike, from the unlock at a station to its return at a station."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(BikeSubscription, on_delete=models.PROTECT, related_name="rentals")
    bike = models.ForeignKey(Bike, on_delete=models.PROTECT, related_name="rentals")
    start_station = models.ForeignKey(BikeStation, on_delete=models.PROTECT, related_name="+")
    end_station = models.ForeignKey(BikeStation, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    status = models.CharField(max_length=10, choices=RentalStatus.choices, default=RentalStatus.UNLOCKING)
    unlock_code = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            # Only one rental at a time holds a bike, and one a subscriber: concurrent
            # requests for the same bike meet here, and only one wins.
            models.UniqueConstraint(fields=["bike"], condition=models.Q(status__in=["unlocking", "open"]),
                                    name="rental_one_active_per_bike"),
            models.UniqueConstraint(fields=["subscription"],
                                    condition=models.Q(status__in=["unlocking", "open"]),
                                    name="rental_one_active_per_subscription"),
        ]

    def __str__(self) -> str:
        return f"Location {self.pk} du {self.bike}"


class BikeIncident(models.Model):
    """A problem reported on a bike (flat tyre, damaged lock...), which sends it to maintenance."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    bike = models.ForeignKey(Bike, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(max_length=20)  # a key of velotic.INCIDENT_KINDS
    description = models.TextField(blank=True, default="")
    reported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} sur {self.bike}"


class AlertStatus(models.TextChoices):
    PENDING = "pending", "En attente de confirmation"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Désabonnée"


class AlertSubscription(models.Model):
    """A traveller's wish to be told by email of disruptions on lines or stops (double opt-in)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(max_length=254, blank=True, default="")  # blanked once ended
    profile = models.CharField(max_length=10, default="any")  # a key of alerts.PROFILES
    route_ids = models.JSONField(default=list)  # none of both: the whole network
    stop_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.PENDING)
    confirm_digest = models.CharField(max_length=64, blank=True, default="")  # SHA-256 of the link's secret
    confirm_expires_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=40)  # part of the unsubscribe token, checked here
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "status"], name="alertsub_status"),
                             models.Index(fields=["confirm_digest"], name="alertsub_confirm")]

    def __str__(self) -> str:
        return f"Alertes n° {self.pk}"


class AlertDelivery(models.Model):
    """One disruption told to one subscriber: the unique pair is what makes it happen once."""

    subscription = models.ForeignKey(AlertSubscription, on_delete=models.CASCADE, related_name="+")
    disruption = models.ForeignKey(Disruption, on_delete=models.CASCADE, related_name="deliveries")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False)  # the subscription ended before the mail left

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["subscription", "disruption"], name="alertdelivery_once"),
        ]

    def __str__(self) -> str:
        return f"Alerte {self.disruption_id} pour {self.subscription_id}"


class OnDemandZone(models.Model):
    """An AlloTIC zone: the stops of the network where on-demand trips pick up and drop off."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    zone_id = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    stop_ids = models.JSONField(default=list)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "zone_id"], name="ondemandzone_unique_id"),
        ]

    def __str__(self) -> str:
        return self.name


class OnDemandRun(models.Model):
    """One vehicle serving one zone during one time window of one day, with its seats."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey(OnDemandZone, on_delete=models.PROTECT, related_name="runs")
    day = models.DateField()
    window_start = models.TimeField()
    window_end = models.TimeField()
    vehicle = models.CharField(max_length=60)
    capacity = models.PositiveSmallIntegerField()
    seats_booked = models.PositiveSmallIntegerField(default=0)  # moved by conditional updates only

    class Meta:
        ordering: ClassVar = ["day", "window_start", "vehicle"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["zone", "day", "window_start", "vehicle"],
                                    name="ondemandrun_unique"),
            models.CheckConstraint(condition=models.Q(seats_booked__lte=models.F("capacity")),
                                   name="ondemandrun_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} le {self.day:%d/%m/%Y} {self.window_start:%H:%M}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Réservée"
    CANCELLED = "cancelled", "Annulée"
    LATE_CANCELLED = "late_cancelled", "Annulée tardivement"
    NO_SHOW = "no_show", "Absent au rendez-vous"
    DONE = "done", "Effectuée"


class OnDemandBooking(models.Model):
    """A traveller's seats on a run, from a stop to a stop of its zone."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(OnDemandRun, on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20, unique=True)
    pickup_stop_id = models.CharField(max_length=100)
    dropoff_stop_id = models.CharField(max_length=100)
    seats = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The penalty of a late cancellation or a no-show, paid through the portal's procedure.
    penalty_amount = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    penalty_reason = models.CharField(max_length=20, blank=True, default="")  # the procedure's motif
    penalty_case = models.CharField(max_length=20, blank=True, default="")  # the portal case number

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Réservation {self.reference}"
