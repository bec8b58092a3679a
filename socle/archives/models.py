"""The electronic archive: rules referential, transfers with their steps, archival packages.

A transfer (SIP) is recorded whatever its outcome, with its steps and its reply; only an
accepted one becomes an ``ArchivalPackage`` (AIP), whose objects are stored on every offer.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from socle.core.models import Organisation, User


class RuleKind(models.TextChoices):
    """The rule categories of SEDA (HoldRule since 2.3), each checked against the referential."""

    STORAGE = "StorageRule", "Durée d'utilité courante"
    APPRAISAL = "AppraisalRule", "Durée d'utilité administrative"
    ACCESS = "AccessRule", "Délai de communicabilité"
    DISSEMINATION = "DisseminationRule", "Délai de diffusion"
    REUSE = "ReuseRule", "Durée de réutilisation"
    CLASSIFICATION = "ClassificationRule", "Durée de classification"
    HOLD = "HoldRule", "Durée de gel"


class FinalAction(models.TextChoices):
    KEEP = "Keep", "Conserver"
    DESTROY = "Destroy", "Détruire"


class Rule(models.Model):
    """A management rule of an organisation's referential (e.g. APP-10Y, ACC-25Y)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="archive_rules")
    rule_id = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    label = models.CharField(max_length=200, blank=True, default="")
    duration_years = models.PositiveSmallIntegerField(default=0)
    final_action = models.CharField(max_length=10, choices=FinalAction.choices, blank=True,
                                    default="")

    class Meta:
        ordering: ClassVar = ["rule_id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "rule_id"], name="archives_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.get_kind_display()})"


class TransferStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepté"
    REJECTED = "rejected", "Refusé"


class Transfer(models.Model):
    """One transfer received (a SEDA ArchiveTransfer), accepted or rejected, with its reply."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="archive_transfers")
    received_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    filename = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    seda_version = models.CharField(max_length=5, blank=True, default="")
    message_identifier = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=10, choices=TransferStatus.choices)
    reply_identifier = models.CharField(max_length=80, unique=True)
    reply_xml = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reply_identifier} ({self.status})"


class StepOutcome(models.TextChoices):
    """The outcome codes of SEDA events (and of the reply): a warning lets the transfer through."""

    OK = "OK", "OK"
    WARNING = "WARNING", "Avertissement"
    KO = "KO", "KO"


class TransferStep(models.Model):
    """One step of an ingest, OK, WARNING or KO, with its reason in French.

    ``ok`` says whether the step let the transfer through (OK or WARNING); ``outcome`` says
    how, and a database constraint keeps the two in agreement.
    """

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    ok = models.BooleanField()
    outcome = models.CharField(max_length=10, choices=StepOutcome.choices, default=StepOutcome.OK)
    reason = models.TextField(blank=True, default="")
    # When the step ended (its EventDateTime in the reply), not when the transfer arrived.
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["transfer", "position"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(models.Q(ok=True, outcome__in=[StepOutcome.OK, StepOutcome.WARNING])
                           | models.Q(ok=False, outcome=StepOutcome.KO)),
                name="archives_step_ok_matches_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome}"


class PackageStatus(models.TextChoices):
    KEPT = "kept", "Conservé"
    DESTROYED = "destroyed", "Éliminé"


class Integrity(models.TextChoices):
    """What the last fixity audit of a package found."""

    UNVERIFIED = "unverified", "Non encore contrôlé"
    INTACT = "intact", "Intègre"
    DEGRADED = "degraded", "Copie en défaut (une copie saine subsiste)"
    LOST = "lost", "Perte : aucune copie saine"


class ArchivalPackage(models.Model):
    """An archival information package (AIP): the whole transfer, stored on every offer."""

    identifier = models.CharField(max_length=80, unique=True)
    # The producer: the organisation whose archivists see the package.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="archival_packages")
    archival_agency = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                        related_name="+")
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="package")
    seda_version = models.CharField(max_length=5)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    originating_agency = models.CharField(max_length=255, blank=True, default="")
    transferring_agency = models.CharField(max_length=255, blank=True, default="")
    archival_agency_identifier = models.CharField(max_length=255, blank=True, default="")
    appraisal_rule = models.CharField(max_length=60, blank=True, default="")
    appraisal_start_date = models.DateField(null=True, blank=True)
    appraisal_end_date = models.DateField(null=True, blank=True)
    final_action = models.CharField(max_length=10, choices=FinalAction.choices, blank=True,
                                    default="")
    access_rule = models.CharField(max_length=60, blank=True, default="")
    access_start_date = models.DateField(null=True, blank=True)
    access_end_date = models.DateField(null=True, blank=True)
    size = models.BigIntegerField(default=0)
    object_count = models.PositiveIntegerField(default=0)
    # SHA-256 of the package's own manifest (manifest-sha256.txt), kept beside the objects too.
    manifest_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=PackageStatus.choices,
                              default=PackageStatus.KEPT)
    hold = models.BooleanField(default=False)
    hold_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    integrity = models.CharField(max_length=12, choices=Integrity.choices,
                                 default=Integrity.UNVERIFIED)
    integrity_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.identifier} — {self.title}"


class ArchiveObject(models.Model):
    """One file of a package (the SEDA manifest included), with its digests and its format."""

    package = models.ForeignKey(ArchivalPackage, on_delete=models.CASCADE, related_name="contents")
    path = models.CharField(max_length=1000)
    data_object_id = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    declared_algorithm = models.CharField(max_length=10, blank=True, default="")
    declared_digest = models.CharField(max_length=128, blank=True, default="")
    format_id = models.CharField(max_length=40, blank=True, default="")
    format_name = models.CharField(max_length=255, blank=True, default="")
    mime_type = models.CharField(max_length=120, blank=True, default="")
    format_tool = models.CharField(max_length=255, blank=True, default="")
    # Set when an audit found no healthy copy on any offer (a loss), cleared if one comes back.
    lost_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["package", "path"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["package", "path"], name="archives_object_unique"),
        ]

    def __str__(self) -> str:
        return self.path


class FixityAudit(models.Model):
    """One fixity audit of one organisation's packages (a run over several makes one each).

    ``organisation`` is empty for what belongs to no package: stray objects on an offer.
    """

    run = models.CharField(max_length=40, db_index=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="fixity_audits")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    sample = models.FloatField(null=True, blank=True)
    offers = models.JSONField(default=list)
    ok = models.BooleanField(default=False)
    packages_checked = models.PositiveIntegerField(default=0)
    objects_checked = models.PositiveIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    losses = models.JSONField(default=list)
    failures = models.JSONField(default=list)
    event_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.run} ({'intègre' if self.ok else 'en défaut'})"


class Elimination(models.Model):
    """An approved elimination: the archivist's decision and the director's visa."""

    package = models.OneToOneField(ArchivalPackage, on_delete=models.PROTECT,
                                   related_name="elimination")
    approved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    visa_name = models.CharField(max_length=200)
    visa_date = models.DateField()
    visa_reference = models.CharField(max_length=200)
    certificate_event = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Élimination de {self.package_id}"


class ArchivalProfile(models.Model):
    """An archival profile of an archives service: rules a transfer declaring it must follow.

    The schema is a RELAX NG grammar (the form SHERPA and Vitam produce) or an ISO
    Schematron: both are checked with lxml, offline.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="archival_profiles")
    identifier = models.CharField(max_length=100)
    label = models.CharField(max_length=200, blank=True, default="")
    schema = models.TextField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "identifier"],
                                    name="archives_profile_unique"),
        ]

    def __str__(self) -> str:
        return self.identifier


class GedTransferStatus(models.TextChoices):
    PREPARED = "prepared", "Préparé, à valider"
    INGESTED = "ingested", "Versé"
    REJECTED = "rejected", "Refusé à l'entrée"


class GedTransfer(models.Model):
    """A transfer the platform prepares from the GED: documents due, the manifest generated.

    The package itself is rebuilt from the manifest and the (immutable) blobs when the
    archivist validates it, so nothing but the manifest is kept in between.
    """

    identifier = models.CharField(max_length=80, unique=True)
    # The producer (transferring agency) and the archives service it transfers to.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="ged_transfers")
    archival_agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    seda_version = models.CharField(max_length=5, default="2.3")
    manifest_xml = models.TextField()
    size = models.BigIntegerField(default=0)
    object_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=GedTransferStatus.choices,
                              default=GedTransferStatus.PREPARED)
    prepared_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    validated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="ged_transfer")

    class Meta:
        ordering: ClassVar = ["-prepared_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.status})"


class GedTransferDocument(models.Model):
    """A GED document in a transfer from the GED, by its id (decision 0017: no database key
    to another app; read through the GED's selectors)."""

    ged_transfer = models.ForeignKey(GedTransfer, on_delete=models.CASCADE, related_name="items")
    documents_document_id = models.BigIntegerField()

    class Meta:
        ordering: ClassVar = ["documents_document_id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ged_transfer", "documents_document_id"],
                                    name="gedtransferdocument_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ged_transfer_id}: {self.documents_document_id}"


class AgencyIdentifier(models.Model):
    """A name by which SEDA messages designate an organisation as an agency (archival,
    transferring, originating), besides its slug and SIRET: the archives service's code an
    archivist uses (« FRAD01 »), a ministry's acronym (« DGFIP »)… Unique across the platform,
    compared without case."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="agency_identifiers")
    identifier = models.CharField(max_length=100, unique=True)  # upper case
    label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering: ClassVar = ["organisation__path", "identifier"]

    def __str__(self) -> str:
        return self.identifier
