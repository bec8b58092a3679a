"""The GED's data: file plans (plans de classement) and their nodes, documents, versions, text.

A node carries the rules a document is filed under: retention (DUA, its start
event and the final action), access, naming and the document types allowed with
their metadata fields. Nodes belong to one version of a plan, so a document keeps
the rules it was filed under until an archivist moves it to another node.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation, User


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    ACTIVE = "active", "En vigueur"
    RETIRED = "retired", "Remplacé"


class FilePlan(models.Model):
    """A plan de classement of one organisation; a commune's plan extends the ARC's reference plan."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="file_plans")
    code = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    # The plan this one adopts and extends without copying it (the ARC's reference plan);
    # publishing a new version of that plan moves this link to it (plan_versions.py).
    extends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="extensions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["organisation__path", "code", "version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "code", "version"],
                                    name="fileplan_unique_version"),
            models.CheckConstraint(condition=models.Q(status__in=["draft", "active", "retired"]),
                                   name="fileplan_status_valid"),
            # One version in force and one draft at most per plan (plan_versions.py).
            models.UniqueConstraint(fields=["organisation", "code"], condition=models.Q(status="active"),
                                    name="fileplan_one_active_version"),
            models.UniqueConstraint(fields=["organisation", "code"], condition=models.Q(status="draft"),
                                    name="fileplan_one_draft_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class RetentionUnit(models.TextChoices):
    YEAR = "year", "an(s)"
    MONTH = "month", "mois"


class RetentionStart(models.TextChoices):
    CLOSING = "closing", "clôture du dossier"
    DOCUMENT_DATE = "document_date", "date du document"
    CREATION = "creation", "création dans la GED"


class FinalAction(models.TextChoices):
    KEEP = "keep", "Conservation définitive"
    DESTROY = "destroy", "Destruction"
    SORT = "sort", "Tri"


class FilePlanNode(models.Model):
    """A position of a plan, with the rules its documents follow."""

    plan = models.ForeignKey(FilePlan, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="children")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Durée d'utilité administrative (DUA); null: no rule, nothing is computed.
    retention_period = models.PositiveIntegerField(null=True, blank=True)
    retention_unit = models.CharField(max_length=5, choices=RetentionUnit.choices,
                                      default=RetentionUnit.YEAR)
    retention_start_event = models.CharField(max_length=15, choices=RetentionStart.choices,
                                             default=RetentionStart.CLOSING)
    final_action = models.CharField(max_length=7, choices=FinalAction.choices,
                                    default=FinalAction.SORT)
    # "public", "internal" or "restricted:<role>" (only holders of that role see the documents).
    access_rule = models.CharField(max_length=80, default="internal")
    # A pattern such as "{date:%Y%m%d}_{type}_{title}" (see naming.py).
    naming_rule = models.CharField(max_length=200, blank=True, default="")
    # [{"code", "label", "fields": [{"name", "label", "type", "required", "choices"}]}] (metadata.py).
    document_types = models.JSONField(default=list, blank=True)
    # In a commune's plan: the reference node this one replaces for the commune. Moved to the
    # node of the same code when the reference publishes a new version; kept (and reported)
    # when that code is gone.
    overrides = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="overridden_by")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["plan_id", "code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["plan", "code"], name="fileplannode_unique_code"),
            models.CheckConstraint(condition=models.Q(final_action__in=["keep", "destroy", "sort"]),
                                   name="fileplannode_final_action_valid"),
            models.CheckConstraint(condition=models.Q(retention_unit__in=["year", "month"]),
                                   name="fileplannode_unit_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    IN_CIRCUIT = "in_circuit", "En circuit de validation"
    APPROVED = "approved", "Validé"
    FROZEN = "frozen", "Figé"


class Document(models.Model):
    """A document of one organisation, filed under a plan node, with its versions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents")
    node = models.ForeignKey(FilePlanNode, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=300)
    doc_type = models.CharField(max_length=60, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    document_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=DocumentStatus.choices,
                              default=DocumentStatus.DRAFT)
    # No new version nor metadata change while locked (in a circuit, or frozen once approved).
    locked = models.BooleanField(default=False)
    # Blocks destruction whatever the retention rule says.
    legal_hold = models.BooleanField(default=False)
    current_version = models.ForeignKey("DocumentVersion", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    # Retention computed from the node's rule when filed (retention.py); the rule itself is
    # kept as filed, so a new plan version does not change it behind the archivist's back.
    closed_on = models.DateField(null=True, blank=True)
    retention_rule = models.JSONField(default=dict, blank=True)
    retention_start = models.DateField(null=True, blank=True)
    retention_end = models.DateField(null=True, blank=True, db_index=True)
    final_action = models.CharField(max_length=7, choices=FinalAction.choices, blank=True, default="")
    # True once the current version's text is in the search index.
    text_indexed = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["organisation", "retention_end"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "in_circuit", "approved", "frozen"]),
                name="document_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class TextStatus(models.TextChoices):
    PENDING = "pending", "Extraction du texte en attente"
    DONE = "done", "Texte extrait"
    EMPTY = "empty", "Aucun texte dans le fichier"
    OCR_UNAVAILABLE = "ocr_unavailable", "OCR indisponible"
    ENCRYPTED = "encrypted", "Fichier protégé par mot de passe"
    CORRUPTED = "corrupted", "Fichier endommagé ou illisible"
    TOO_LARGE = "too_large", "Contenu décompressé trop volumineux"
    UNSUPPORTED = "unsupported", "Type de fichier sans extraction de texte"


class DocumentVersion(models.Model):
    """One content of a document: a blob, the name it was sent under and its normalised name."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    mime_type = models.CharField(max_length=120)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(max_length=300, blank=True, default="")
    text_status = models.CharField(max_length=16, choices=TextStatus.choices,
                                   default=TextStatus.PENDING)
    text_message = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["document_id", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["document", "number"], name="documentversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.number})"


class DocumentText(models.Model):
    """The text extracted from a version: its own table, so no list ever loads it."""

    version = models.OneToOneField(DocumentVersion, on_delete=models.CASCADE, primary_key=True,
                                   related_name="text")
    text = models.TextField(blank=True, default="")
    extracted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Texte de {self.version}"


class ImportRecord(models.Model):
    """A file already loaded by `socle documents import`, so a re-run skips it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=1000)
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField()
    document = models.ForeignKey(Document, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "path", "size", "mtime_ns"],
                                    name="importrecord_unique_file"),
        ]

    def __str__(self) -> str:
        return self.path


# ---------------------------------------------------------------- validation circuits


class CircuitStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    APPROVED = "approved", "Validé"
    REJECTED = "rejected", "Refusé"
    CANCELLED = "cancelled", "Annulé"


class Circuit(models.Model):
    """One pass of a document through ordered visa and signature steps (circuits.py)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="circuits")
    # The document's organisation, copied so circuits are scoped like everything else.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=10, choices=CircuitStatus.choices,
                              default=CircuitStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The version the approval froze.
    final_version = models.ForeignKey(DocumentVersion, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(status__in=["running", "approved", "rejected", "cancelled"]),
                name="circuit_status_valid"),
            models.UniqueConstraint(fields=["document"], condition=models.Q(status="running"),
                                    name="circuit_one_running_per_document"),
        ]

    def __str__(self) -> str:
        return f"Circuit n° {self.pk} de {self.document}"


class StepKind(models.TextChoices):
    VISA = "visa", "Visa"
    SIGNATURE = "signature", "Signature"


class StepDecision(models.TextChoices):
    PENDING = "", "En attente"
    APPROVED = "approved", "Approuvé"
    REJECTED = "rejected", "Refusé"


class CircuitStep(models.Model):
    """A step of a circuit; steps sharing an order run in parallel and all must approve."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.VISA)
    # Either a named agent, or any holder of a role on an organisation.
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="circuit_steps")
    role = models.CharField(max_length=60, blank=True, default="")
    role_organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=StepDecision.choices, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Set when a delegate decided for an absent agent.
    on_behalf_of = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The last day an overdue reminder went out (circuit_remind_overdue): at most one a day.
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["circuit_id", "order", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(kind__in=["visa", "signature"]),
                                   name="circuitstep_kind_valid"),
            models.CheckConstraint(condition=models.Q(decision__in=["", "approved", "rejected"]),
                                   name="circuitstep_decision_valid"),
            models.CheckConstraint(
                condition=(models.Q(assignee__isnull=False, role="")
                           | (models.Q(assignee__isnull=True) & ~models.Q(role=""))),
                name="circuitstep_assignee_or_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.order} ({self.assignee_label})"

    @property
    def assignee_label(self) -> str:
        if self.assignee_id is not None and self.assignee is not None:
            return self.assignee.email
        from socle.core.roles import role_label

        label = role_label(self.role)
        org = f" — {self.role_organisation.name}" if self.role_organisation is not None else ""
        return f"rôle {label}{org}"

    def overdue_on(self, today: date) -> bool:
        return not self.decision and self.deadline is not None and self.deadline < today


class Delegation(models.Model):
    """An agent's absence: the delegate may decide the agent's steps between the two dates."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="delegations_given")
    delegate = models.ForeignKey(User, on_delete=models.CASCADE, related_name="delegations_received")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-starts_on", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="delegation_dates_ordered"),
            models.CheckConstraint(condition=~models.Q(user=models.F("delegate")),
                                   name="delegation_not_self"),
        ]

    def __str__(self) -> str:
        return f"Délégation de {self.user} à {self.delegate}"


class DestructionStatus(models.TextChoices):
    PENDING = "pending", "En attente d'approbation"
    APPROVED = "approved", "Approuvée"
    REJECTED = "rejected", "Refusée"
    DONE = "done", "Exécutée"


class DestructionRequest(models.Model):
    """A list of documents proposed for destruction, approved by an archivist, then executed.

    The documents go away on execution; the certificate in the journal (``certificate_seq``)
    is what remains of them.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    documents = models.ManyToManyField(Document, related_name="destruction_requests", blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=DestructionStatus.choices,
                              default=DestructionStatus.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True, default="")
    executed_at = models.DateTimeField(null=True, blank=True)
    # The journal event holding the destruction certificate.
    certificate_seq = models.BigIntegerField(null=True, blank=True)
    # Kept after execution, when the M2M rows are gone with the documents.
    document_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-requested_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "rejected", "done"]),
                name="destructionrequest_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Demande de destruction n° {self.pk}"


# ---------------------------------------------------------------- sharing


class DocumentShare(models.Model):
    """A read-only opening of one document to another organisation's readers (sharing.py).

    Active while not revoked and, with an expiry, until that day included. At most one
    unrevoked share per document and organisation: sharing again replaces it.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="shares")
    # The organisation the document is shared with (the document's own is the owner).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-granted_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["document", "organisation"],
                                    condition=models.Q(revoked_at__isnull=True),
                                    name="documentshare_one_unrevoked"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "document"], name="documentshare_org_doc"),
        ]

    def __str__(self) -> str:
        return f"Partage de {self.document} avec {self.organisation}"

    def active_on(self, day: date) -> bool:
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= day)
