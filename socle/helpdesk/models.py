"""The helpdesk's data: business calendars, SLAs, tickets and their follow-ups, tasks,
pauses, knowledge base articles and the record of every message read from the mailbox."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation


class Kind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    REQUEST = "request", "Demande"


class Category(models.TextChoices):
    # ITIL's usual service categories, as the DCSI's catalogue names them.
    HARDWARE = "hardware", "Matériel (poste, périphérique)"
    SOFTWARE = "software", "Logiciel métier ou bureautique"
    NETWORK = "network", "Réseau et accès internet"
    ACCOUNT = "account", "Compte et droits d'accès"
    MESSAGING = "messaging", "Messagerie et agenda"
    PRINTING = "printing", "Impression et numérisation"
    TELEPHONY = "telephony", "Téléphonie"
    SECURITY = "security", "Sécurité (virus, hameçonnage)"
    OTHER = "other", "Autre"


class Level(models.IntegerChoices):
    VERY_LOW = 1, "Très basse"
    LOW = 2, "Basse"
    MEDIUM = 3, "Moyenne"
    HIGH = 4, "Haute"
    VERY_HIGH = 5, "Très haute"


class Priority(models.IntegerChoices):
    VERY_LOW = 1, "Très basse"
    LOW = 2, "Basse"
    MEDIUM = 3, "Moyenne"
    HIGH = 4, "Haute"
    VERY_HIGH = 5, "Très haute"
    MAJOR = 6, "Majeure"


class Status(models.TextChoices):
    NEW = "new", "Nouveau"
    ASSIGNED = "assigned", "Attribué"
    IN_PROGRESS = "in_progress", "En cours"
    PENDING = "pending", "En attente du demandeur"
    SOLVED = "solved", "Résolu"
    CLOSED = "closed", "Clos"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING)


class Channel(models.TextChoices):
    WEB = "web", "Pages"
    EMAIL = "email", "Courriel"
    PHONE = "phone", "Téléphone"
    API = "api", "API"


class BusinessCalendar(models.Model):
    """The DCSI's opening hours (per weekday), with French public holidays and closures off."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="helpdesk_calendars")
    name = models.CharField(max_length=120)
    # {"0": [["08:30", "12:00"], ["13:30", "17:30"]], ...}: Monday is "0", as in Python.
    hours = models.JSONField(default=dict)
    french_holidays = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Closure(models.Model):
    """Days the service is closed besides public holidays (a bridge day, a move)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE,
                                 related_name="closures")
    start = models.DateField()
    end = models.DateField()  # included
    label = models.CharField(max_length=120)

    class Meta:
        ordering: ClassVar = ["start", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")),
                                   name="helpdesk_closure_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.start} - {self.end})"


class Sla(models.Model):
    """A service level: time to own and time to resolve, in business minutes of a calendar."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="helpdesk_slas")
    name = models.CharField(max_length=120)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="slas")
    # The priority it applies to by default when a ticket is opened (null: chosen by hand).
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    own_minutes = models.PositiveIntegerField()
    resolve_minutes = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["-priority", "name"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(own_minutes__gte=1,
                                                      resolve_minutes__gte=1),
                                   name="helpdesk_sla_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """The last ticket number given in a year: numbers run per year across the territory."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(models.Model):
    """A request or incident of a commune's agent to the DCSI, with its SLA clocks."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="helpdesk_tickets")
    year = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INCIDENT)
    category = models.CharField(max_length=12, choices=Category.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20000)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=6, choices=Channel.choices, default=Channel.WEB)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="helpdesk_requested")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="helpdesk_assigned")
    # A group of technicians: a service of the organisation tree (the DCSI, its network team).
    assigned_group = models.ForeignKey(Organisation, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    sla = models.ForeignKey(Sla, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="tickets")
    opened_at = models.DateTimeField(default=timezone.now)
    owned_at = models.DateTimeField(null=True, blank=True)
    due_own_at = models.DateTimeField(null=True, blank=True)
    # Null while the clock is paused (pending the requester) or without SLA.
    due_resolve_at = models.DateTimeField(null=True, blank=True)
    # Business minutes spent pending the requester, in pauses that ended.
    paused_minutes = models.PositiveIntegerField(default=0)
    pending_since = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Frozen when the ticket is solved: whether each deadline was met.
    own_met = models.BooleanField(null=True, blank=True)
    resolve_met = models.BooleanField(null=True, blank=True)
    escalated_own_at = models.DateTimeField(null=True, blank=True)
    escalated_resolve_at = models.DateTimeField(null=True, blank=True)
    solution = models.TextField(blank=True, default="", max_length=20000)
    solution_article = models.ForeignKey("Article", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True, default="", max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["year", "seq"], name="helpdesk_ticket_seq_unique"),
            models.CheckConstraint(condition=models.Q(urgency__gte=1, urgency__lte=5,
                                                      impact__gte=1, impact__lte=5,
                                                      priority__gte=1, priority__lte=6),
                                   name="helpdesk_ticket_levels_valid"),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="helpdesk_ticket_satisfaction_valid"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "-id"]),
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["status", "due_resolve_at"]),
            models.Index(fields=["status", "due_own_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class TicketObserver(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="observer_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="helpdesk_observing")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ticket", "user"], name="helpdesk_observer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.user_id}"


class Followup(models.Model):
    """A message on a ticket: public (the requester reads it) or internal to the DCSI."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="followups")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField(max_length=20000)
    internal = models.BooleanField(default=False)
    channel = models.CharField(max_length=6, choices=Channel.choices, default=Channel.WEB)
    article = models.ForeignKey("Article", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # What was said on a ticket is a record: it is never rewritten.
        if not self._state.adding:
            raise PermissionError("Les suivis sont en ajout seul.")
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A file joined to a ticket (a screenshot sent by email), stored once as a blob."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    followup = models.ForeignKey(Followup, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A piece of work a technician did on a ticket, with the time it took (always internal)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="tasks")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField(max_length=5000)
    minutes = models.PositiveIntegerField()
    done = models.BooleanField(default=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(minutes__gte=1, minutes__lte=14400),
                                   name="helpdesk_task_minutes_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.minutes} min"


class Pause(models.Model):
    """A period a ticket waited for its requester: its resolve clock stood still."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["start", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.start}"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Publique (agents des communes)"
    INTERNAL = "internal", "Interne à la DCSI"


class Article(models.Model):
    """A knowledge base article of the DCSI: a recurring question and its answer."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="helpdesk_articles")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=50000)
    category = models.CharField(max_length=12, choices=Category.choices)
    visibility = models.CharField(max_length=8, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    # A question that keeps coming back is a training need (it feeds the training plan).
    training_need = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class IntakeOutcome(models.TextChoices):
    TICKET = "ticket", "Ticket ouvert"
    FOLLOWUP = "followup", "Suivi ajouté"
    BOUNCE = "bounce", "Refusé : avis de non-remise"
    AUTO_REPLY = "auto_reply", "Refusé : réponse automatique"
    LOOP = "loop", "Refusé : boucle"
    UNKNOWN_SENDER = "unknown_sender", "Refusé : expéditeur inconnu"
    UNKNOWN_TICKET = "unknown_ticket", "Refusé : ticket inconnu"
    INVALID = "invalid", "Refusé : message illisible"
    TOO_LARGE = "too_large", "Refusé : message trop volumineux"


class IntakeMessage(models.Model):
    """A message read from the helpdesk's mailbox, kept once by Message-ID: never read twice."""

    message_id = models.CharField(max_length=255, unique=True)
    sender = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=IntakeOutcome.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["sender", "at"])]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"
