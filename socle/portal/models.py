"""The portal's data: procedures (démarches), their revisions and adoptions, cases (dossiers)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation


class ProcedureStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    PUBLISHED = "published", "Publiée"
    ARCHIVED = "archived", "Retirée"


class FeeKind(models.TextChoices):
    NONE = "none", "Gratuite"
    FIXED = "fixed", "Montant fixe"
    AGENT = "agent", "Montant fixé par l'agent"


class SilenceMeans(models.TextChoices):
    ACCEPTANCE = "acceptance", "Le silence vaut acceptation"
    REFUSAL = "refusal", "Le silence vaut refus"


class Routing(models.TextChoices):
    HOME_COMMUNE = "home_commune", "Commune de résidence de l'usager"
    ADDRESS_FIELD = "address_field", "Commune d'une adresse du formulaire"
    OWNER = "owner", "Organisation qui publie la démarche"


class Procedure(models.Model):
    """A démarche: owned by the ARC or a commune; an ARC template is adopted by communes."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="procedures")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, default="")
    category = models.CharField(max_length=80, blank=True, default="")
    is_template = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=ProcedureStatus.choices,
                              default=ProcedureStatus.DRAFT)
    requires_account = models.BooleanField(default=True)
    requires_franceconnect = models.BooleanField(default=False)
    fee_kind = models.CharField(max_length=8, choices=FeeKind.choices, default=FeeKind.NONE)
    fee_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    regie = models.CharField(max_length=40, blank=True, default="")
    implicit_decision_days = models.PositiveIntegerField(default=60)
    silence_means = models.CharField(max_length=10, choices=SilenceMeans.choices,
                                     default=SilenceMeans.ACCEPTANCE)
    routing = models.CharField(max_length=16, choices=Routing.choices,
                               default=Routing.HOME_COMMUNE)
    routing_field = models.CharField(max_length=60, blank=True, default="")
    service_name = models.CharField(max_length=200, blank=True, default="")
    service_contact = models.CharField(max_length=300, blank=True, default="")
    # Slug of the caseworker group that receives the cases in the competent organisation.
    group_slug = models.SlugField(max_length=60, blank=True, default="")
    # Code of the GED plan node the case's attachments and decisions are filed under (none: not filed).
    file_plan_node = models.CharField(max_length=40, blank=True, default="")
    published_revision = models.ForeignKey("ProcedureRevision", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["title"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(fee_amount__gte=0),
                                   name="procedure_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class ProcedureRevision(models.Model):
    """A version of a procedure's form and workflow; frozen once published."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    fields = models.JSONField(default=list)
    workflow = models.JSONField(default=dict)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering: ClassVar = ["procedure", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["procedure", "number"], name="revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.slug} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.published_at is not None


class Adoption(models.Model):
    """A commune's adoption of an ARC template, with the parts it overrides."""

    template = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="adoptions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="adoptions")
    offered = models.BooleanField(default=True)
    # Only the keys present override the template: title, summary, fee_kind, fee_amount,
    # implicit_decision_days, silence_means, service_name, service_contact, group_slug,
    # extra_fields.
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["template", "organisation"],
                                    name="adoption_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template.slug} @ {self.organisation.slug}"


class CaseworkerGroup(models.Model):
    """A team of caseworkers within an organisation (état civil, scolaire...) that cases go to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="caseworker_groups")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                     related_name="caseworker_groups")

    class Meta:
        ordering: ClassVar = ["organisation", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="group_slug_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.slug})"


class CaseCounter(models.Model):
    """One row per year: the next case number, taken under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseChannel(models.TextChoices):
    ONLINE = "online", "En ligne"
    PAPER_MAIL = "paper_mail", "Par courrier"


class Case(models.Model):
    """A dossier: one citizen's request under one revision of a procedure."""

    number = models.CharField(max_length=20, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="cases")
    revision = models.ForeignKey(ProcedureRevision, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="cases")
    email = models.EmailField(blank=True, default="")
    applicant_name = models.CharField(max_length=300, blank=True, default="")
    identity_assurance = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=40, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    extra_fields = models.JSONField(default=list, blank=True)
    group = models.ForeignKey(CaseworkerGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="cases")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="assigned_cases")
    amount_due = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    email_confirmed = models.BooleanField(default=True)
    # How the request reached the administration; a letter keeps its mail register chrono.
    channel = models.CharField(max_length=12, choices=CaseChannel.choices,
                               default=CaseChannel.ONLINE)
    mail_reference = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "status", "-submitted_at"]),
            models.Index(fields=["organisation", "-submitted_at"]),
            models.Index(fields=["citizen", "-created_at"]),
            models.Index(fields=["organisation", "decision_due_on"]),
            # The open cases nobody holds yet, due first (« Mes tâches »: selectors.work_cases).
            models.Index(fields=["organisation", "decision_due_on", "submitted_at", "id"],
                         name="case_open_pool",
                         condition=models.Q(closed_at__isnull=True, assigned_to__isnull=True,
                                            group__isnull=True)),
            # And an agent's own open cases, due first (an agent may hold a thousand).
            models.Index(fields=["assigned_to", "decision_due_on", "submitted_at", "id"],
                         name="case_open_assigned", condition=models.Q(closed_at__isnull=True)),
            # Agents with a role over the whole intercommunality page through every case.
            models.Index(fields=["-submitted_at", "-id"], name="case_submitted_desc"),
            # ... and filter it by status: SQLite otherwise sorted every match of the status
            # across the communes' indexes (23 to 12 ms of CPU a page at 100,000 cases).
            models.Index(fields=["status", "-submitted_at", "-id"], name="case_status_submitted_desc"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["citizen", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="case_idempotency_unique"),
            models.CheckConstraint(condition=models.Q(amount_due__gte=0),
                                   name="case_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEventKind(models.TextChoices):
    STATUS = "status", "Changement de statut"
    MESSAGE = "message", "Message"
    COMMENT = "comment", "Commentaire interne"
    ASSIGNMENT = "assignment", "Attribution"
    DOCUMENT = "document", "Document"
    PAYMENT = "payment", "Paiement"


class CaseEvent(models.Model):
    """The history of a case: statuses, messages, internal comments, assignments."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=12, choices=CaseEventKind.choices)
    from_status = models.CharField(max_length=40, blank=True, default="")
    to_status = models.CharField(max_length=40, blank=True, default="")
    text = models.TextField(blank=True, default="")
    visible_to_citizen = models.BooleanField(default=False)
    from_citizen = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.kind} {self.at:%Y-%m-%d}"


class DocumentKind(models.TextChoices):
    ATTACHMENT = "attachment", "Pièce jointe de l'usager"
    AGENT = "agent", "Document joint par l'agent"
    REGISTRATION = "registration", "Accusé d'enregistrement"
    RECEIPT = "receipt", "Accusé de réception"
    DECISION = "decision", "Décision"
    ATTESTATION = "attestation", "Attestation"
    PAYMENT_RECEIPT = "payment", "Reçu de paiement"


class CaseDocument(models.Model):
    """A file of a case: the citizen's attachments and the documents the platform issues."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=DocumentKind.choices)
    name = models.CharField(max_length=255)
    field = models.CharField(max_length=120, blank=True, default="")
    visible_to_citizen = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The GED document this file was filed as, once filed (decision 0017: its id, no
    # database key).
    documents_document_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    PAID = "paid", "Payé"
    FAILED = "failed", "Échoué"
    REFUNDED = "refunded", "Remboursé"


class Payment(models.Model):
    """A payment of a case through eopayment (PayFiP in production, dummy in the demo)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)
    backend = models.CharField(max_length=30)
    transaction_id = models.CharField(max_length=120, unique=True)
    # The debt reference the bank and the régie see (PayFiP's refdet): the case number
    # in the alphabet PayFiP accepts (socle.portal.payments.payment_reference).
    reference = models.CharField(max_length=30, blank=True, default="", db_index=True)
    # Where the citizen pays it: sent there again while the payment is in progress.
    bank_url = models.CharField(max_length=2000, blank=True, default="")
    bank_status = models.CharField(max_length=120, blank=True, default="")
    # What the bank collected beyond what the case still owed when the payment was settled
    # (a late payment of an abandoned one after another was paid): the money is taken, so
    # it is recorded as received and flagged for the régie to refund, never counted twice.
    excess = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(excess__gte=0, excess__lte=models.F("amount")),
                                   name="payment_excess_within_amount"),
            # At most one payment in progress per case: a second one could be paid too.
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending"),
                                    name="payment_one_pending_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} € {self.status}"


# The portal's system checks register when its models load (the integrator may move this
# to the module contract).
from . import checks  # noqa: E402, F401
