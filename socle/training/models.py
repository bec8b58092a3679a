"""The training service's data: the catalogue of courses, the annual plans, the sessions,
the agents' registrations (with their manager's decision and their attendance) and the
census of training needs per commune."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Organisation


class CourseKind(models.TextChoices):
    WORKSHOP = "workshop", "Atelier interne de la DCSI"
    CNFPT = "cnfpt", "Formation du CNFPT"
    ELECTED = "elected", "Formation des élus (DIF des élus)"


class Audience(models.TextChoices):
    AGENTS = "agents", "Agents"
    ELECTED = "elected", "Élus"
    ALL = "all", "Agents et élus"


class Course(models.Model):
    """One entry of the catalogue: what is taught, to whom, for how long."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="training_courses")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=CourseKind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.AGENTS)
    duration_hours = models.DecimalField(max_digits=5, decimal_places=1)
    objectives = models.TextField(max_length=5000)
    description = models.TextField(max_length=10000, blank=True, default="")
    # A cybersecurity awareness course: where phishing-campaign clickers are enrolled.
    awareness = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["title", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(duration_hours__gt=0),
                                   name="training_course_duration_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Plan(models.Model):
    """An organisation's annual training plan: the sessions it schedules for a year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="training_plans")
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    notes = models.TextField(max_length=10000, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-year", "organisation__path"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "year"],
                                    name="training_plan_one_per_year"),
        ]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    """A dated session of a course, in a room or remote, with its trainer and capacity."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="training_sessions")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True, default="")
    remote = models.BooleanField(default=False)
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="training_sessions")
    capacity = models.PositiveSmallIntegerField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["start", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="training_session_ordered"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1),
                                   name="training_session_capacity"),
        ]
        indexes: ClassVar = [models.Index(fields=["start"], name="training_session_start")]

    def __str__(self) -> str:
        return f"{self.course.title} ({self.start:%d/%m/%Y})"


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", "En attente de l'avis du responsable"
    CONFIRMED = "confirmed", "Inscription confirmée"
    WAITING = "waiting", "Sur liste d'attente"
    REFUSED = "refused", "Refusée par le responsable"
    CANCELLED = "cancelled", "Annulée"


ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED,
                   RegistrationStatus.WAITING)


class Origin(models.TextChoices):
    AGENT = "agent", "Demande de l'agent"
    AWARENESS = "awareness", "Sensibilisation demandée par la sécurité"


class Registration(models.Model):
    """An agent's registration to a session: the manager's decision, then attendance."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="registrations")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="training_registrations")
    # The agent's organisation: whose manager decides, whose figures it counts in.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="training_registrations")
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices,
                              default=RegistrationStatus.PENDING)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.AGENT)
    # The campaign that led to an awareness enrolment, as security names it: kept for the
    # record, never a key (security keeps the registration's id on its side, decision 0017).
    origin_label = models.CharField(max_length=200, blank=True, default="")
    motivation = models.TextField(max_length=2000, blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=2000, blank=True, default="")
    attended = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "agent"], name="training_registration_one_active",
                condition=models.Q(status__in=["pending", "confirmed", "waiting"])),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.session}"


class NeedSource(models.TextChoices):
    AGENT = "agent", "Déclaré par un agent"
    MANAGER = "manager", "Déclaré par un responsable"
    SECURITY = "security", "Issu d'une campagne de sensibilisation"


class Need(models.Model):
    """A training need of a commune, declared for the census that prepares next year's plan."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="training_needs")
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True, default="")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="needs")
    headcount = models.PositiveSmallIntegerField(default=1)
    source = models.CharField(max_length=10, choices=NeedSource.choices, default=NeedSource.AGENT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(headcount__gte=1, headcount__lte=500),
                                   name="training_need_headcount"),
        ]

    def __str__(self) -> str:
        return self.title
