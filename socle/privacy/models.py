"""The GDPR registers of every structure (a commune, the ARC, one of their services).

One register per organisation: processing activities (art. 30), processors (art. 28),
data-subject requests (art. 12 to 22) and breaches (art. 33 and 34), and impact
assessments (art. 35) written from templates shared down the organisation tree.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consentement (art. 6-1-a)"
    CONTRACT = "contract", "Exécution d'un contrat (art. 6-1-b)"
    LEGAL_OBLIGATION = "legal_obligation", "Obligation légale (art. 6-1-c)"
    VITAL_INTERESTS = "vital_interests", "Sauvegarde des intérêts vitaux (art. 6-1-d)"
    PUBLIC_TASK = "public_task", "Mission d'intérêt public (art. 6-1-e)"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Intérêts légitimes (art. 6-1-f)"


class ActivitySource(models.TextChoices):
    MANUAL = "manual", "Saisi par la structure"
    PLATFORM = "platform", "Déclaré par la plateforme"


class Processor(models.Model):
    """A processor acting for a structure (art. 28): a software vendor, a host, a printer."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_processors")
    name = models.CharField(max_length=200)
    service = models.CharField(max_length=500)
    contact = models.CharField(max_length=300, blank=True, default="")
    country = models.CharField(max_length=100, default="France")
    # Whether the contract carries the clauses of art. 28-3 (instructions, confidentiality...).
    contract_clauses = models.BooleanField(default=False)
    guarantees = models.TextField(blank=True, default="", max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="privacy_processor_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """A processing activity of a structure's register (art. 30-1)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_activities")
    name = models.CharField(max_length=200)
    purpose = models.TextField(max_length=2000)
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices)
    legal_basis_detail = models.CharField(max_length=500, blank=True, default="")
    data_categories = models.TextField(blank=True, default="", max_length=2000)
    sensitive_data = models.BooleanField(default=False)
    data_subjects = models.TextField(blank=True, default="", max_length=2000)
    recipients = models.TextField(blank=True, default="", max_length=2000)
    transfers = models.TextField(blank=True, default="", max_length=2000)
    retention = models.TextField(blank=True, default="", max_length=2000)
    security_measures = models.TextField(blank=True, default="", max_length=4000)
    processors = models.ManyToManyField(Processor, blank=True, related_name="activities")
    source = models.CharField(max_length=10, choices=ActivitySource.choices,
                              default=ActivitySource.MANUAL)
    # A platform-declared activity: the module that declares it and the declared name.
    platform_module = models.CharField(max_length=50, blank=True, default="")
    platform_name = models.CharField(max_length=200, blank=True, default="")
    # Set when the declaration disappeared or the module was switched off for the structure.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "name"])]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "platform_module", "platform_name"],
                                    condition=models.Q(source="platform"),
                                    name="privacy_activity_platform_unique"),
            models.CheckConstraint(condition=models.Q(source__in=["manual", "platform"]),
                                   name="privacy_activity_source_valid"),
            models.CheckConstraint(
                condition=models.Q(source="manual") | ~models.Q(platform_module=""),
                name="privacy_activity_platform_named"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_platform(self) -> bool:
        return self.source == ActivitySource.PLATFORM


class RequestKind(models.TextChoices):
    ACCESS = "access", "Accès (art. 15)"
    RECTIFICATION = "rectification", "Rectification (art. 16)"
    ERASURE = "erasure", "Effacement (art. 17)"
    RESTRICTION = "restriction", "Limitation (art. 18)"
    PORTABILITY = "portability", "Portabilité (art. 20)"
    OBJECTION = "objection", "Opposition (art. 21)"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Reçue"
    IN_PROGRESS = "in_progress", "En cours"
    ANSWERED = "answered", "Répondue"
    REFUSED = "refused", "Refusée (motivée)"


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class ExportStatus(models.TextChoices):
    NONE = "none", "Aucun"
    PENDING = "pending", "En préparation"
    READY = "ready", "Prêt"
    FAILED = "failed", "En échec"


class SubjectRequest(models.Model):
    """A data subject's request to exercise a right, with its legal delay (art. 12-3)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_requests")
    kind = models.CharField(max_length=14, choices=RequestKind.choices)
    requester_name = models.CharField(max_length=200)
    requester_email = models.EmailField(blank=True, default="")
    # The person's account on the platform, once the handler identified it.
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(blank=True, default="", max_length=4000)
    received_on = models.DateField()
    due_on = models.DateField()
    # Extended by two further months (art. 12-3), the person told why within the first month.
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True, default="", max_length=2000)
    status = models.CharField(max_length=12, choices=RequestStatus.choices,
                              default=RequestStatus.RECEIVED)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="privacy_requests_handled")
    closed_on = models.DateField(null=True, blank=True)
    answer = models.TextField(blank=True, default="", max_length=4000)
    export_status = models.CharField(max_length=8, choices=ExportStatus.choices,
                                     default=ExportStatus.NONE)
    export_blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    export_error = models.CharField(max_length=300, blank=True, default="")
    # The last reminder sent: 0 none, 1 "due within a week", 2 "overdue".
    alert_stage = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-received_on", "-pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "status", "due_on"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(due_on__gte=models.F("received_on")),
                                   name="privacy_request_due_after_receipt"),
            models.CheckConstraint(
                condition=models.Q(extended_due_on__isnull=True)
                | models.Q(extended_due_on__gt=models.F("due_on")),
                name="privacy_request_extension_later"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.requester_name}"

    @property
    def deadline(self) -> date:
        return self.extended_due_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class Risk(models.TextChoices):
    UNLIKELY = "unlikely", "Risque improbable pour les personnes"
    RISK = "risk", "Risque pour les droits et libertés"
    HIGH = "high", "Risque élevé pour les droits et libertés"


class Decision(models.TextChoices):
    PENDING = "pending", "À décider"
    NOTIFY = "notify", "À notifier"
    NOT_REQUIRED = "not_required", "Pas de notification (motivé)"


class Breach(models.Model):
    """A personal data breach, documented whatever its risk (art. 33-5), with its clock."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_breaches")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=4000)
    # When the controller became aware of it: the 72 hours of art. 33-1 run from here.
    aware_at = models.DateTimeField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    confidentiality = models.BooleanField(default=False)
    integrity = models.BooleanField(default=False)
    availability = models.BooleanField(default=False)
    data_categories = models.TextField(blank=True, default="", max_length=2000)
    subjects_count = models.PositiveIntegerField(null=True, blank=True)
    consequences = models.TextField(blank=True, default="", max_length=4000)
    measures = models.TextField(blank=True, default="", max_length=4000)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.RISK)
    cnil_decision = models.CharField(max_length=14, choices=Decision.choices,
                                     default=Decision.PENDING)
    cnil_reason = models.TextField(blank=True, default="", max_length=2000)
    cnil_notified_at = models.DateTimeField(null=True, blank=True)
    cnil_reference = models.CharField(max_length=100, blank=True, default="")
    # Reasons for a notification made after the 72 hours (art. 33-1, second sentence).
    delay_reason = models.TextField(blank=True, default="", max_length=2000)
    subjects_decision = models.CharField(max_length=14, choices=Decision.choices,
                                         default=Decision.PENDING)
    subjects_reason = models.TextField(blank=True, default="", max_length=2000)
    subjects_notified_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    # The last alert sent about the clock: 0 none, 1 "less than a day left", 2 "overdue".
    alert_stage = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-aware_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "-aware_at"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(risk__in=["unlikely", "risk", "high"]),
                                   name="privacy_breach_risk_valid"),
            models.CheckConstraint(
                condition=models.Q(cnil_notified_at__isnull=True)
                | models.Q(cnil_notified_at__gte=models.F("aware_at")),
                name="privacy_breach_notified_after_awareness"),
        ]

    def __str__(self) -> str:
        return self.title


class PiaTemplate(models.Model):
    """A reusable impact-assessment template, shared with every structure below its owner."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_pia_templates")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", max_length=2000)
    # [{"key": "context", "section": "Contexte", "label": "...", "help": "..."}, ...]
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="privacy_template_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "En cours de rédaction"
    VALIDATED = "validated", "Validée"
    REFUSED = "refused", "À reprendre"


class Assessment(models.Model):
    """An impact assessment of one processing activity (art. 35), following a template."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="privacy_assessments")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="assessments")
    template = models.ForeignKey(PiaTemplate, on_delete=models.PROTECT, related_name="assessments")
    # A copy of the template's questions when the assessment started: later edits of the
    # template do not change what an assessment answered.
    questions = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    # {"illegitimate_access": {"severity": 1-4, "likelihood": 1-4, "measures": "..."}, ...}
    risks = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.DRAFT)
    dpo_opinion = models.TextField(blank=True, default="", max_length=4000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"AIPD {self.activity.name}"
