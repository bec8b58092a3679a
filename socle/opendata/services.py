"""Every write of the open-data module: datasets, checked files, publications."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.blobs import BlobRefused, blob_open, blob_put
from socle.core.errors import Conflict, Forbidden, ServiceError, TooLarge
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .formats import derived_copies
from .models import (
    Access,
    Dataset,
    Distribution,
    Frequency,
    Generator,
    Granularity,
    Licence,
    OpenIndicator,
    Validation,
)
from .schemas import schema_load
from .validation import ValidationReport, bytes_validate

MANAGE = "opendata.manage"
VIEW = "opendata.view"
REPORT_KEPT_ERRORS = 1000


def max_bytes() -> int:
    """The largest file the validator reads (the upload cap, 20 MB by default)."""
    return int(getattr(settings, "OPENDATA_MAX_BYTES", settings.BLOB_MAX_SIZE))


def territory_insee() -> frozenset[str]:
    """Return the INSEE codes of the territory's communes (none without a database)."""
    try:
        return frozenset(Organisation.objects.exclude(insee_code="").values_list("insee_code", flat=True))
    except DatabaseError:  # the command run on a machine without socle's database: no territory to check
        return frozenset()


def report_check(*, table_schema: str, data: bytes) -> ValidationReport:
    """Check a file against a schema and return the report; nothing is stored."""
    if len(data) > max_bytes():
        raise TooLarge(
            f"Le fichier fait {len(data) // (1024 * 1024)} Mo : au-delà de "
            f"{max_bytes() // (1024 * 1024)} Mo, il n'est pas contrôlé. Découpez-le."
        )
    schema = schema_load(table_schema)
    return bytes_validate(data, schema, insee_codes=territory_insee())


def _require(actor: User | None, organisation: Organisation) -> None:
    if actor is not None and not can(actor, MANAGE, organisation):
        raise Forbidden("Seuls les administrateurs des données de cette organisation peuvent le faire.")


def dataset_create(
    *,
    actor: User | None,
    organisation: Organisation,
    slug: str,
    title: str,
    description: str = "",
    access: str = Access.OPEN,
    licence: str = Licence.LO,
    frequency: str = Frequency.ANNUAL,
    legal_basis: str = "",
    theme: str = "",
    keywords: list[str] | None = None,
    producer_service: str = "",
    generator: str = Generator.NONE,
    steward: User | None = None,
    spatial_insee: list[str] | None = None,
) -> Dataset:
    """Create a dataset of an organisation."""
    _require(actor, organisation)
    if access not in Access.values:
        raise ServiceError(
            "Niveau d'accès inconnu.", errors={"access": "Choisissez ouvert, agents ou service."}
        )
    if Dataset.objects.filter(organisation=organisation, slug=slug).exists():
        raise Conflict(f"L'organisation a déjà un jeu de données « {slug} ».")
    with transaction.atomic():
        dataset = Dataset.objects.create(
            organisation=organisation,
            slug=slug,
            title=title,
            description=description,
            access=access,
            licence=licence,
            frequency=frequency,
            legal_basis=legal_basis,
            theme=theme,
            keywords=list(keywords or []),
            producer_service=producer_service,
            generator=generator,
            steward=steward or actor,
            spatial_insee=list(
                spatial_insee or ([organisation.insee_code] if organisation.insee_code else [])
            ),
        )
        audit_record(
            actor=actor,
            action="opendata.dataset_create",
            organisation=organisation,
            target=dataset,
            data={"slug": slug, "access": access},
        )
    return dataset


def distribution_create(
    *, actor: User | None, dataset: Dataset, title: str, table_schema: str
) -> Distribution:
    """Add a file to a dataset, pinned to a schema (its version is fixed now)."""
    _require(actor, dataset.organisation)
    pinned = schema_load(table_schema).ref if table_schema else ""
    with transaction.atomic():
        distribution = Distribution.objects.create(dataset=dataset, title=title, table_schema=pinned)
        audit_record(
            actor=actor,
            action="opendata.distribution_create",
            organisation=dataset.organisation,
            target=distribution,
            data={"schema": pinned},
        )
    return distribution


def _kept(report: ValidationReport) -> dict[str, Any]:
    body = report.as_dict()
    body["errors"] = body["errors"][:REPORT_KEPT_ERRORS]
    body["errors_truncated"] = report.error_count > len(body["errors"])
    return body


def distribution_check(
    *, actor: User | None, distribution: Distribution, data: bytes, filename: str = "", source: str = "upload"
) -> Validation:
    """Check a file for a distribution and keep it with its report (it is not published yet)."""
    _require(actor, distribution.dataset.organisation)
    if len(data) > max_bytes():
        raise TooLarge(f"Le fichier dépasse {max_bytes() // (1024 * 1024)} Mo : il n'est pas contrôlé.")
    schema = schema_load(distribution.table_schema)
    report = bytes_validate(data, schema, insee_codes=territory_insee())
    try:
        stored = blob_put(stream=io.BytesIO(data), allowed_types=None)
    except BlobRefused as refusal:
        raise ServiceError(refusal.message, code="file_refused") from None
    with transaction.atomic():
        validation = Validation.objects.create(
            organisation=distribution.dataset.organisation,
            distribution=distribution,
            blob=stored.blob,
            filename=filename[:200],
            table_schema=schema.ref,
            valid=report.valid,
            error_count=report.error_count,
            row_count=report.row_count,
            report=_kept(report),
            source=source,
            created_by=actor,
        )
        distribution.last_validation = validation
        distribution.save(update_fields=["last_validation"])
        audit_record(
            actor=actor,
            action="opendata.validation",
            organisation=distribution.dataset.organisation,
            target=validation,
            data={
                "valid": report.valid,
                "errors": report.error_count,
                "rows": report.row_count,
                "schema": schema.ref,
            },
        )
    return validation


def distribution_publish(*, actor: User | None, validation: Validation) -> Distribution:
    """Publish a checked file and its JSON and Parquet copies; a file with errors is refused."""
    distribution = validation.distribution
    if distribution is None:
        raise Conflict("Ce contrôle n'est rattaché à aucun fichier du catalogue.")
    _require(actor, distribution.dataset.organisation)
    if not validation.valid:
        raise Conflict(
            f"Ce fichier a {validation.error_count} erreur(s) : corrigez-les avant de le publier.",
            code="invalid_file",
        )
    with blob_open(validation.blob) as handle:
        data = handle.read()
    as_json, as_parquet = derived_copies(data, schema_load(validation.table_schema))
    json_blob = blob_put(stream=io.BytesIO(as_json), allowed_types=None).blob
    parquet_blob = blob_put(stream=io.BytesIO(as_parquet), allowed_types=None).blob
    with transaction.atomic():
        distribution.csv_blob = validation.blob
        distribution.json_blob = json_blob
        distribution.parquet_blob = parquet_blob
        distribution.row_count = validation.row_count
        distribution.published_at = timezone.now()
        distribution.save(
            update_fields=["csv_blob", "json_blob", "parquet_blob", "row_count", "published_at"]
        )
        audit_record(
            actor=actor,
            action="opendata.publish",
            organisation=distribution.dataset.organisation,
            target=distribution,
            data={"validation": validation.pk, "rows": validation.row_count},
        )
    return distribution


def distribution_generate(*, distribution: Distribution, data: bytes) -> Validation:
    """Check a file generated from live data and publish it only if it is valid (the job's step)."""
    validation = distribution_check(
        actor=None,
        distribution=distribution,
        data=data,
        filename=f"{distribution.dataset.slug}.csv",
        source="generated",
    )
    if validation.valid:
        distribution_publish(actor=None, validation=validation)
    else:
        audit_record(
            actor=None,
            action="opendata.publish_refused",
            organisation=distribution.dataset.organisation,
            target=distribution,
            data={"validation": validation.pk, "errors": validation.error_count},
        )
    audit_record(
        actor=None,
        action="opendata.generate",
        organisation=distribution.dataset.organisation,
        target=distribution,
        data={"valid": validation.valid, "rows": validation.row_count},
    )
    return validation


def udata_sync(*, base_url: str) -> str:
    """Send the open published datasets to the udata instance; nothing when it is switched off."""
    from .selectors import catalogue_entries
    from .udata import UdataUnavailable, udata_push, udata_settings

    config = udata_settings()
    if config is None:
        return "Connecteur udata désactivé (OPENDATA_UDATA_URL vide)."
    sent = failed = 0
    for dataset in catalogue_entries():
        files = [d for d in dataset.distributions.all() if d.published_at and d.csv_blob_id]
        resources = [(d, f"{base_url.rstrip('/')}/donnees/fichiers/{d.pk}.csv") for d in files]
        try:
            dataset_id, ids = udata_push(config, dataset, resources)
        except UdataUnavailable as exc:
            failed += 1
            audit_record(
                actor=None,
                action="opendata.udata_sync",
                organisation=dataset.organisation,
                target=dataset,
                data={"ok": False, "error": str(exc)[:300]},
            )
            continue
        with transaction.atomic():
            dataset.udata_id = dataset_id
            dataset.save(update_fields=["udata_id"])
            for distribution in files:
                distribution.udata_resource_id = ids[distribution.pk]
                distribution.save(update_fields=["udata_resource_id"])
            audit_record(
                actor=None,
                action="opendata.udata_sync",
                organisation=dataset.organisation,
                target=dataset,
                data={"ok": True, "udata_id": dataset_id, "resources": len(files)},
            )
        sent += 1
    return f"{sent} jeu(x) de données envoyé(s) à udata, {failed} en échec."


def indicator_open(
    *,
    actor: User,
    organisation: Organisation,
    indicator: str,
    granularity: str = Granularity.QUARTER,
    min_count: int = 5,
) -> OpenIndicator:
    """Show an indicator on the organisation's public dashboard, aggregated as declared here.

    Only an administrator of the organisation's data who may read the indicator there opens
    it; only an indicator its module declares publishable may be opened; a count of cases
    keeps a threshold of at least ``SMALL_COUNT`` under which its figure is hidden.
    """
    from .public_dashboards import SMALL_COUNT, counts_cases, openable_indicators

    _require(actor, organisation)
    declared = next((i for i in openable_indicators() if i.name == indicator), None)
    if declared is None:
        raise ServiceError(
            "Cet indicateur n'est pas publiable : son application ne le déclare pas ouvert.",
            code="indicator_not_open",
            errors={"indicator": "Choisissez un indicateur publiable."},
        )
    if not can(actor, declared.permission, organisation):
        raise Forbidden(
            "Vous ne pouvez pas lire cet indicateur pour cette organisation : vous ne pouvez pas l'ouvrir."
        )
    if granularity not in Granularity.values:
        raise ServiceError(
            "Regroupement inconnu.",
            errors={"granularity": "Choisissez par mois, par trimestre ou par année."},
        )
    floor = SMALL_COUNT if counts_cases(declared) else 0
    if not floor <= min_count <= 100:
        raise ServiceError(
            f"Le seuil doit être compris entre {floor} et 100.",
            errors={"min_count": f"Indiquez un nombre entier de {floor} à 100."},
        )
    with transaction.atomic():
        opening, created = OpenIndicator.objects.update_or_create(
            organisation=organisation,
            indicator=indicator,
            defaults={
                "granularity": granularity,
                "min_count": min_count,
                "opened_by": actor,
                "opened_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor,
            action="opendata.indicator_open",
            organisation=organisation,
            target=opening,
            data={
                "indicator": indicator,
                "granularity": granularity,
                "min_count": min_count,
                "created": created,
            },
        )
    return opening


def indicator_close(*, actor: User, opening: OpenIndicator) -> None:
    """Take an indicator off the organisation's public dashboard."""
    _require(actor, opening.organisation)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="opendata.indicator_close",
            organisation=opening.organisation,
            target=opening,
            data={"indicator": opening.indicator},
        )
        opening.delete()
