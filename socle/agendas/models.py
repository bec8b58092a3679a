"""Resources, agendas (meetings or events), opening hours, closures, bookings and mediation records."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from socle.core.models import Organisation, User


def _secret() -> str:
    return secrets.token_urlsafe(24)


class ResourceKind(models.TextChoices):
    ROOM = "room", "Salle"
    DESK = "desk", "Poste de travail"
    COUNTER = "counter", "Guichet"
    MACHINE = "machine", "Machine ou équipement"
    VEHICLE = "vehicle", "Véhicule"
    PERSON = "person", "Personne (médiateur, agent)"


class Resource(models.Model):
    """Something booked: a room, a desk, a counter, a machine; lent to other organisations if need be."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices, default=ResourceKind.ROOM)
    # How many bookings may overlap on it (a shared open space holds several at once).
    capacity = models.PositiveIntegerField(default=1)
    seats = models.PositiveIntegerField(null=True, blank=True)  # people a room holds
    equipment = models.CharField(max_length=300, blank=True, default="")
    accessible = models.BooleanField(default=False)  # step-free access for wheelchair users
    address = models.CharField(max_length=300, blank=True, default="")
    lent_to = models.ManyToManyField(Organisation, blank=True, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AgendaKind(models.TextChoices):
    MEETINGS = "meetings", "Rendez-vous et réservations"
    EVENTS = "events", "Ateliers et événements"


class Agenda(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=AgendaKind.choices)
    description = models.TextField(blank=True, default="", max_length=4000)
    public = models.BooleanField(default=True)  # private: seen and booked by its agents only
    resources = models.ManyToManyField(Resource, blank=True, related_name="agendas")
    buffer_minutes = models.PositiveIntegerField(default=0)  # kept free between two bookings
    min_notice_minutes = models.PositiveIntegerField(default=0)  # booked at least this long before
    max_advance_days = models.PositiveIntegerField(default=90)  # and at most this far ahead
    closed_on_public_holidays = models.BooleanField(default=True)
    ical_secret = models.CharField(max_length=64, default=_secret, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class OpeningHours(models.Model):
    """One opening interval of an agenda on a weekday (0 = Monday), in local time."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField()
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering: ClassVar = ["weekday", "start"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_weekday_range"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="opening_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class Closure(models.Model):
    """A time the agenda (or one of its resources) takes no booking: works, holidays, a strike."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="closures")
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["start"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="closure_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%d/%m/%Y %H:%M} → {self.end:%d/%m/%Y %H:%M}"


class MeetingType(models.Model):
    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="meeting_types")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    duration_minutes = models.PositiveIntegerField()
    # The portal procedure (its key, decision 0017) whose filed cases are offered this type
    # of appointment: the procedure's appointment step, kept on this side of the seam.
    portal_procedure_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # What one booking of this type costs (coworking, fab lab machines); 0 is free.
    price = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agenda", "slug"], name="meetingtype_unique_slug"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=1440),
                name="meetingtype_duration_range",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="meetingtype_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    BEGINNER = "beginner", "Débutant"
    INTERMEDIATE = "intermediate", "Intermédiaire"
    ADVANCED = "advanced", "Avancé"


class Event(models.Model):
    """A session of an events agenda: a workshop with a place, a capacity and a waiting list."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", max_length=4000)
    theme = models.CharField(max_length=100, blank=True, default="")
    level = models.CharField(max_length=12, choices=Level.choices, blank=True, default="")
    start = models.DateTimeField()
    end = models.DateTimeField()
    host = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the commune that lends the room
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    place = models.CharField(max_length=300, blank=True, default="")
    mediator = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    capacity = models.PositiveIntegerField()
    waiting_list = models.PositiveIntegerField(default=10)  # places on the waiting list; 0 for none
    registration_deadline = models.DateTimeField(null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["start", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="event_end_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Confirmée"
    TO_PAY = "to_pay", "À payer"  # the slot is held until the payment is due, then freed
    WAITING = "waiting", "En liste d'attente"
    CANCELLED = "cancelled", "Annulée"


class Booking(models.Model):
    """A booked slot of a meetings agenda, or a registration to an event (booked or waiting)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    agenda = models.ForeignKey(Agenda, on_delete=models.PROTECT, related_name="bookings")
    meeting_type = models.ForeignKey(
        MeetingType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    # Which of the resource's parallel places it holds (0 .. capacity - 1).
    lane = models.PositiveIntegerField(default=0)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=BookingStatus.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_bookings"
    )  # the person it is for, if known
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    guardian_consent = models.BooleanField(default=False)  # a parent's consent, under 18
    # The portal's case this appointment belongs to (decision 0017), if it was booked for one.
    portal_case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    secret = models.CharField(max_length=64, default=_secret, unique=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))
    payment_due_by = models.DateTimeField(null=True, blank=True)  # unpaid by then: cancelled
    # The debt reference given to the payment provider ("AGD" and digits, PayFiP's refdet).
    payment_reference = models.CharField(max_length=30, blank=True, default="", db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Booked for a company of the park: its members see it (the person booking is ``user``).
    company = models.ForeignKey(
        "Company", null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )

    class Meta:
        ordering: ClassVar = ["start", "pk"]
        indexes: ClassVar = [
            # Covers the slot computation's read: resource, status and both ends, no table lookup.
            models.Index(fields=["resource", "status", "start", "end"], name="booking_resource_times"),
            models.Index(fields=["agenda", "start"], name="booking_agenda_start"),
            models.Index(fields=["event", "status", "created_at"], name="booking_event_queue"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_end_after_start"),
            # The last line of defence against a double booking of a single resource.
            models.UniqueConstraint(
                fields=["resource", "lane", "start"],
                condition=Q(status__in=["booked", "to_pay"]),
                name="booking_unique_resource_lane_start",
            ),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["booked", "waiting"], user__isnull=False),
                name="booking_one_registration_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agenda} — {self.start:%d/%m/%Y %H:%M}"


class Company(models.Model):
    """A company of the technology park: its members book its meeting rooms and see its bookings."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")  # the host
    name = models.CharField(max_length=200)
    siren = models.CharField(max_length=9, blank=True, default="")
    # The private agendas (the park's meeting rooms) its members may book.
    agendas = models.ManyToManyField(Agenda, blank=True, related_name="companies")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CompanyMember(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    manager = models.BooleanField(default=False)  # adds and removes members
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["added_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "user"], name="company_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.company}"


class ActivityKind(models.TextChoices):
    INDIVIDUAL = "individuel", "Accompagnement individuel"
    COLLECTIVE = "collectif", "Atelier collectif"


class PlaceType(models.TextChoices):
    PLACE = "lieu_activite", "Lieu d'activité"
    HOME = "domicile", "À domicile"
    REMOTE = "a_distance", "À distance"
    OTHER = "autre", "Autre lieu"


class ActivityRecord(models.Model):
    """A mediation activity record (« compte rendu d'activité », La Coop's model), anonymous."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="activity_record"
    )
    mediator = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    date = models.DateField()
    duration_minutes = models.PositiveIntegerField()
    place_type = models.CharField(max_length=15, choices=PlaceType.choices, default=PlaceType.PLACE)
    commune = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # where it took place
    themes = models.JSONField(default=list)
    level = models.CharField(max_length=12, blank=True, default="")
    autonomy = models.CharField(max_length=30, blank=True, default="")
    referral = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=200, blank=True, default="")
    participants = models.PositiveIntegerField(default=0)
    # One anonymous profile per beneficiary: {"age_band", "status", "commune"}; no name.
    beneficiaries = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"


class MediationPlace(models.Model):
    """A place of digital mediation, published in the national standard (LaMednum)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    siret = models.CharField(max_length=14)
    address = models.CharField(max_length=300)
    postal_code = models.CharField(max_length=5)
    city = models.CharField(max_length=150)
    insee_code = models.CharField(max_length=5, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True, default="")  # +33XXXXXXXXX
    email = models.EmailField(blank=True, default="")
    website = models.URLField(blank=True, default="")
    hours = models.CharField(max_length=300, blank=True, default="")  # OSM opening_hours
    summary = models.CharField(max_length=280, blank=True, default="")
    services = models.JSONField(default=list)
    roving = models.BooleanField(default=False)
    programmes = models.JSONField(default=list)
    access = models.JSONField(default=list)
    support = models.JSONField(default=list)
    updated_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering: ClassVar = ["city", "name", "pk"]

    def __str__(self) -> str:
        return self.name
