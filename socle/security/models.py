"""Cybersecurity awareness: the IT charter and its acceptances, awareness modules with their
quiz, assignments and completions, imported phishing simulations, and penetration-test
findings."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from socle.core.models import Organisation, User


class CharterVersion(models.Model):
    """One version of the IT charter, published by the DCSI, in force from a date."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="+")  # who publishes it: the ARC
    number = models.CharField(max_length=20)  # "2026.1"
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=100_000)
    in_force_from = models.DateTimeField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering: ClassVar = ["-in_force_from", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "number"],
                                    name="security_charter_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Charte {self.number}"


class CharterAcceptance(models.Model):
    """An agent's acceptance of one version of the charter, kept for the record."""

    version = models.ForeignKey(CharterVersion, on_delete=models.PROTECT,
                                related_name="acceptances")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # The agent's organisation when they accepted (their most local role), for the register.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-accepted_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "user"],
                                    name="security_acceptance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} — {self.version_id}"


class AwarenessModule(models.Model):
    """A page of content and a short quiz with a pass mark."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=50_000)
    # [{"question": str, "choices": [str, ...], "answer": index}, ...]
    questions = models.JSONField(default=list)
    pass_mark = models.PositiveSmallIntegerField(default=80)  # percent of right answers
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    """A module assigned to a group: the agents of an organisation (and below), or of a role."""

    module = models.ForeignKey(AwarenessModule, on_delete=models.CASCADE,
                               related_name="assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=60, blank=True, default="")  # "" for every role
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["module", "organisation", "role"],
                                    name="security_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.module_id} → {self.organisation_id} {self.role}"


class Completion(models.Model):
    """An agent's last attempt at a module's quiz."""

    module = models.ForeignKey(AwarenessModule, on_delete=models.CASCADE,
                               related_name="completions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()  # percent
    passed = models.BooleanField()
    attempts = models.PositiveIntegerField(default=1)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["module", "user"], name="security_completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} — {self.module_id} : {self.score} %"


class PhishingCampaign(models.Model):
    """A phishing simulation run in GoPhish, whose results were imported."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    gophish_id = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10)  # "csv" or "api"
    module = models.ForeignKey(AwarenessModule, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering: ClassVar = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class PhishingResult(models.Model):
    """What one recipient did with the simulated phishing email."""

    campaign = models.ForeignKey(PhishingCampaign, on_delete=models.CASCADE,
                                 related_name="results")
    email = models.EmailField()
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")  # the agent of that email, if any
    status = models.CharField(max_length=40)  # GoPhish's: "Clicked Link", "Submitted Data"...
    clicked = models.BooleanField(default=False)
    submitted = models.BooleanField(default=False)
    reported = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["email"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "email"],
                                    name="security_phishing_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} : {self.status}"


class Enrolment(models.Model):
    """An agent enrolled into a module outside any assignment (after a phishing test)."""

    module = models.ForeignKey(AwarenessModule, on_delete=models.CASCADE,
                               related_name="enrolments")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(PhishingCampaign, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="enrolments")
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["module", "user"], name="security_enrolment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.module_id}"


class Severity(models.TextChoices):
    NONE = "none", "Aucune"
    LOW = "low", "Faible"
    MEDIUM = "medium", "Moyenne"
    HIGH = "high", "Élevée"
    CRITICAL = "critical", "Critique"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Ouverte"
    IN_PROGRESS = "in_progress", "En correction"
    FIXED = "fixed", "Corrigée, à revérifier"
    CLOSED = "closed", "Close (revérifiée)"
    ACCEPTED = "accepted", "Risque accepté"


OPEN_FINDING_STATUSES = (FindingStatus.OPEN, FindingStatus.IN_PROGRESS, FindingStatus.FIXED)


class Retest(models.TextChoices):
    NONE = "", "Pas encore revérifiée"
    PASSED = "passed", "Correction confirmée"
    FAILED = "failed", "Toujours vulnérable"


class Finding(models.Model):
    """A vulnerability found by a penetration test on one of a commune's assets."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    # The asset: an inventory asset's key (decision 0017; read by inventory's selectors),
    # or a free reference ("serveur de fichiers de la mairie").
    inventory_asset_id = models.BigIntegerField(null=True, blank=True)
    asset_label = models.CharField(max_length=200, blank=True, default="")
    cvss_vector = models.CharField(max_length=120)
    cvss_score = models.DecimalField(max_digits=3, decimal_places=1)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    recommendation = models.TextField(max_length=20_000)
    owner = models.CharField(max_length=150)  # the person or service who fixes it
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=FindingStatus.choices,
                              default=FindingStatus.OPEN)
    retest = models.CharField(max_length=10, choices=Retest.choices, blank=True, default="")
    retested_on = models.DateField(null=True, blank=True)
    reported_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-cvss_score", "due_on", "pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "status"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(cvss_score__gte=0, cvss_score__lte=10),
                                   name="security_finding_score_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return self.status in OPEN_FINDING_STATUSES and self.due_on < timezone.localdate()

    @property
    def asset(self) -> str:
        if self.inventory_asset_id is not None:
            return f"inventory.asset:{self.inventory_asset_id}"
        return self.asset_label
