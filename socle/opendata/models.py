"""The catalogue: datasets of an organisation, their distributions and each file's validation."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Blob, Organisation


class Access(models.TextChoices):
    OPEN = "open", "Ouvert à tous"
    AGENTS = "agents", "Réservé aux agents"
    SERVICE = "service", "Interne au service producteur"


class Licence(models.TextChoices):
    LO = "lo-2.0", "Licence Ouverte 2.0 (Etalab)"
    ODBL = "odbl", "Open Database License (ODbL)"


class Frequency(models.TextChoices):
    CONTINUOUS = "continuous", "En continu"
    DAILY = "daily", "Quotidienne"
    WEEKLY = "weekly", "Hebdomadaire"
    MONTHLY = "monthly", "Mensuelle"
    QUARTERLY = "quarterly", "Trimestrielle"
    ANNUAL = "annual", "Annuelle"
    IRREGULAR = "irregular", "Irrégulière"


class Generator(models.TextChoices):
    NONE = "", "Fichier déposé"
    SUBVENTIONS = "subventions", "Subventions accordées (démarches en ligne)"
    EQUIPEMENTS = "equipements", "Équipements collectifs (territoire)"
    CATALOGUE = "catalogue", "Catalogue des données"
    DELIBERATIONS = "deliberations", "Délibérations (registre importé)"


class Dataset(models.Model):
    """A dataset an organisation produces, whatever its access level."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="datasets")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True, default="")
    producer_service = models.CharField(max_length=200, blank=True, default="")
    # COLL_SIRET of the generated files, when the territory does not give the organisation's
    producer_siret = models.CharField(max_length=14, blank=True, default="")
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The obligation the dataset meets (a key of obligations.OBLIGATIONS), if any.
    legal_basis = models.CharField(max_length=40, blank=True, default="")
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.OPEN)
    licence = models.CharField(max_length=10, choices=Licence.choices, default=Licence.LO)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.ANNUAL)
    theme = models.CharField(max_length=80, blank=True, default="")
    keywords = models.JSONField(default=list, blank=True)
    spatial_insee = models.JSONField(default=list, blank=True)  # INSEE codes covered
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    generator = models.CharField(max_length=20, choices=Generator.choices, blank=True, default="")
    # the dataset's identifier on the udata instance it is published to (data.gouv.fr), once sent
    udata_id = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["organisation__path", "title"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="opendata_dataset_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(access__in=["open", "agents", "service"]),
                name="opendata_dataset_access_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Distribution(models.Model):
    """One file of a dataset, pinned to a schema and version; its published copy and last check."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    title = models.CharField(max_length=200)
    table_schema = models.CharField(max_length=80, blank=True, default="")  # "scdl/subventions@2.1.1"
    # the published files: CSV as validated, and JSON and Parquet derived from it
    csv_blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    json_blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    parquet_blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    row_count = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    last_validation = models.ForeignKey(
        "Validation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    udata_resource_id = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["dataset", "pk"]

    def __str__(self) -> str:
        return self.title


class Validation(models.Model):
    """A file checked against its schema: kept with its report, published only when valid."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.CASCADE, related_name="validations"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200, blank=True, default="")
    table_schema = models.CharField(max_length=80)
    valid = models.BooleanField(default=False)
    error_count = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)  # the report, its error list cut to REPORT_KEPT_ERRORS
    source = models.CharField(max_length=12, default="upload")  # "upload" or "generated"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.table_schema} ({self.created_at:%Y-%m-%d})"


class Granularity(models.TextChoices):
    MONTH = "month", "Par mois"
    QUARTER = "quarter", "Par trimestre"
    YEAR = "year", "Par année"


class OpenIndicator(models.Model):
    """An indicator an organisation shows on its public dashboard, aggregated as it declared."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(max_length=80)  # an Indicator's name of the module contract
    granularity = models.CharField(max_length=8, choices=Granularity.choices, default=Granularity.QUARTER)
    # a count under this threshold (but above 0) is shown as « moins de N », never as the figure
    min_count = models.PositiveSmallIntegerField(default=5)
    # the figures are computed with this agent's rights: they hide what this agent could not see
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["organisation", "indicator"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "indicator"], name="opendata_open_indicator_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(granularity__in=["month", "quarter", "year"]),
                name="opendata_open_indicator_granularity_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} ({self.organisation_id})"
