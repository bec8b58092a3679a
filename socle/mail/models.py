"""The mail register's data: contacts, mail types, letters in and out, instructions, scans."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation


class ContactKind(models.TextChoices):
    PERSON = "person", "Personne"
    ORGANISATION = "organisation", "Organisme ou entreprise"


class Contact(models.Model):
    """A correspondent of an organisation: a person, a company (with its SIRET), a body."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="mail_contacts")
    kind = models.CharField(max_length=12, choices=ContactKind.choices)
    name = models.CharField(max_length=200)
    siret = models.CharField(max_length=14, blank=True, default="")
    address = models.CharField(max_length=300, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "name"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(kind__in=["person", "organisation"]),
                                   name="mail_contact_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class MailType(models.Model):
    """A kind of mail and its processing deadline, shared with the organisations below."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="mail_types")
    name = models.CharField(max_length=120)
    processing_days = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="mail_type_unique"),
            models.CheckConstraint(condition=models.Q(processing_days__gte=1),
                                   name="mail_type_days_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    INCOMING = "in", "Arrivée"
    OUTGOING = "out", "Départ"


class Channel(models.TextChoices):
    PAPER = "paper", "Papier"
    EMAIL = "email", "Courriel"
    WEB_FORM = "web_form", "Formulaire en ligne"


class Priority(models.TextChoices):
    NORMAL = "normal", "Normale"
    HIGH = "high", "Haute"
    URGENT = "urgent", "Urgente"


class MailStatus(models.TextChoices):
    REGISTERED = "registered", "Enregistré"
    ASSIGNED = "assigned", "Attribué"
    IN_PROGRESS = "in_progress", "En cours de traitement"
    ANSWERED = "answered", "Répondu"
    CLOSED = "closed", "Clos"


OPEN_STATUSES = (MailStatus.REGISTERED, MailStatus.ASSIGNED, MailStatus.IN_PROGRESS)


class MailCounter(models.Model):
    """The last chrono number given, per organisation, year and direction; locked to take one."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "year", "direction"],
                                    name="mail_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year} {self.direction}: {self.last}"


class Mail(models.Model):
    """A letter of the register, incoming or outgoing, under its chrono number."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="mails")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    year = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    chrono = models.CharField(max_length=20)
    # Incoming: the day it reached the organisation; outgoing: the day it left.
    received_on = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="mails")
    subject = models.CharField(max_length=300)
    mail_type = models.ForeignKey(MailType, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="mails")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=12, choices=MailStatus.choices,
                              default=MailStatus.REGISTERED)
    deadline = models.DateField(null=True, blank=True)
    service = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="assigned_mails")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_mails")
    # Whoever dispatched the mail answers for it: escalations reach them too.
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="supervised_mails")
    copies = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                    related_name="copied_mails")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="replies")
    # The portal case this letter came from or became (decision 0017): its id, no database
    # key, read through the portal's selectors.
    portal_case_id = models.BigIntegerField(null=True, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-registered_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "direction", "year", "number"],
                                    name="mail_number_unique"),
            models.UniqueConstraint(fields=["organisation", "chrono"], name="mail_chrono_unique"),
            # A portal case is registered once per organisation (NULLs are distinct).
            models.UniqueConstraint(fields=["organisation", "portal_case_id"],
                                    name="mail_case_unique"),
            models.CheckConstraint(condition=models.Q(direction__in=["in", "out"]),
                                   name="mail_direction_valid"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "status", "-id"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["portal_case_id"]),
        ]

    def __str__(self) -> str:
        return self.chrono


class InstructionKind(models.TextChoices):
    INSTRUCTION = "instruction", "Instruction"
    ANNOTATION = "annotation", "Annotation"


class MailInstruction(models.Model):
    """A dated instruction (the Mayor's) or annotation on a mail: written once, never changed."""

    mail = models.ForeignKey(Mail, on_delete=models.PROTECT, related_name="instructions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_label = models.CharField(max_length=254, blank=True, default="")
    kind = models.CharField(max_length=12, choices=InstructionKind.choices)
    text = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # What an elected official wrote on a letter is a record: it is never rewritten.
        if not self._state.adding:
            raise PermissionError("Les instructions sont en ajout seul.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Les instructions sont en ajout seul.")


class MailPiece(models.Model):
    """A scanned piece of a mail, stored as a blob and, when the GED is there, filed in it."""

    mail = models.ForeignKey(Mail, on_delete=models.PROTECT, related_name="pieces")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    # The GED document the piece was filed as (decision 0017), null when not filed.
    documents_document_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
