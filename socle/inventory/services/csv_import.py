"""Importing a commune's assets from a CSV file: French headers, `;` separator, all or nothing.

Every line is checked before anything is written; one bad line and nothing is imported,
the report says what is wrong line by line, in French. A cell a spreadsheet would run
as a formula (`=`, `+`, `-`, `@`...) is refused, never neutralised silently: the file
comes back to its author to be fixed. An inventory number already known updates its
asset; a new one adds an asset.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.errors import ServiceError, TooLarge
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from ..models import TRANSITIONS, Asset, AssetEvent, Site
from .assets import asset_values
from .common import MANAGE, require

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_REPORTED = 200

# French header → field; the first three are required.
COLUMNS = {
    "numéro d'inventaire": "inventory_number",
    "type": "kind",
    "nom": "name",
    "site": "site",
    "statut": "status",
    "fabricant": "manufacturer",
    "modèle": "model",
    "numéro de série": "serial_number",
    "date d'achat": "purchased_on",
    "fin de garantie": "warranty_end",
    "contrat": "contract",
    "coût": "cost",
    "affecté à": "assigned_to",
    "système": "operating_system",
}
REQUIRED = ("numéro d'inventaire", "type", "nom")
TEMPLATE_HEADER = ";".join(h[0].upper() + h[1:] for h in COLUMNS)


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, French message)
    more_errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append((line, message))
        else:
            self.more_errors += 1


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError("Le fichier n'est pas un texte lisible : enregistrez-le en CSV UTF-8.",
                       code="invalid_encoding")


def _header(row: list[str]) -> list[str]:
    names = [cell.replace("\ufeff", "").strip().lower().replace("\u2019", "'") for cell in row]
    if len(names) == 1 and ("," in names[0] or "\t" in names[0]):
        raise ServiceError("Les colonnes doivent être séparées par des points-virgules (« ; »).",
                           code="invalid_separator")
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [n for n in REQUIRED if n not in names]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("colonnes manquantes : " + ", ".join(f"« {n} »" for n in missing))
        if unknown:
            parts.append("colonnes inconnues : " + ", ".join(f"« {n[:40]} »" for n in unknown))
        raise ServiceError("En-tête incorrect (" + " ; ".join(parts) + "). En-tête attendu : "
                           + TEMPLATE_HEADER + ".", code="invalid_header")
    if len(set(names)) != len(names):
        raise ServiceError("Une colonne apparaît deux fois dans l'en-tête.", code="invalid_header")
    return names


def csv_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and the numbered lines of a CSV file, refusing what breaks the limits."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo.")
    text = _decode(data)
    if "\x00" in text:
        raise ServiceError("Le fichier contient des caractères nuls : ce n'est pas un CSV.",
                           code="invalid_encoding")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ServiceError("Le fichier est vide.", code="empty")
        names = _header(header)
        lines: list[tuple[int, list[str]]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_ROWS:
                raise TooLarge(f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le.")
            lines.append((reader.line_num, row))
    except csv.Error as error:
        raise ServiceError(f"Le CSV est mal formé (ligne {reader.line_num}) : {error}.",
                           code="invalid_csv") from None
    if not lines:
        raise ServiceError("Le fichier ne contient aucune ligne après l'en-tête.", code="empty")
    return names, lines


def _line_values(names: list[str], row: list[str]) -> dict[str, str]:
    if len(row) != len(names):
        raise ServiceError(f"{len(row)} colonnes au lieu de {len(names)}.")
    return {COLUMNS[name]: cell for name, cell in zip(names, row, strict=True) if name}


def assets_import_csv(*, actor: User | None, organisation: Organisation,
                      data: bytes) -> ImportReport:
    """Import a commune's assets from a CSV file, all lines or none, with a per-line report."""
    actor = require(actor, MANAGE, organisation)
    names, lines = csv_rows(data)
    report = ImportReport()
    sites = {s.name.lower(): s for s in Site.objects.filter(organisation=organisation)}
    existing = {a.inventory_number: a for a in Asset.objects.filter(
        organisation=organisation, inventory_number__in=[
            row[names.index("numéro d'inventaire")].strip() for _, row in lines
            if len(row) == len(names)])}
    seen: dict[str, int] = {}
    planned: list[tuple[dict[str, Any], Site | None]] = []
    for line, row in lines:
        try:
            raw = _line_values(names, row)
            clean = asset_values(raw)
        except ServiceError as error:
            report.error(line, error.message)
            continue
        number = clean["inventory_number"]
        if number in seen:
            report.error(line, f"Le numéro d'inventaire « {number} » figure déjà ligne "
                               f"{seen[number]}.")
            continue
        seen[number] = line
        site = None
        if raw.get("site", "").strip():
            site = sites.get(raw["site"].strip().lower())
            if site is None:
                report.error(line, f"Site inconnu pour {organisation.name} : "
                                   f"« {raw['site'].strip()[:60]} ».")
                continue
        known = existing.get(number)
        if known and clean["status"] != known.status and clean["status"] not in TRANSITIONS[
                known.status]:
            report.error(line, f"Le matériel « {number} » ne peut pas passer de "
                               f"« {known.get_status_display()} » au statut demandé.")
            continue
        planned.append((clean, site))
    if not report.ok:
        return report
    _write(actor, organisation, planned, existing, report)
    return report


def _write(actor: User, organisation: Organisation, planned: list[tuple[dict[str, Any],
           Site | None]], existing: dict[str, Asset], report: ImportReport) -> None:
    now = timezone.now()
    with transaction.atomic():
        new: list[Asset] = []
        changed: list[Asset] = []
        events: list[AssetEvent] = []
        for clean, site in planned:
            known = existing.get(clean["inventory_number"])
            if known is None:
                new.append(Asset(organisation=organisation, site=site, source="csv",
                                 updated_at=now, **clean))
                continue
            if clean["status"] != known.status:
                events.append(AssetEvent(asset=known, actor=actor, from_status=known.status,
                                         to_status=clean["status"], comment="Import CSV"))
            for name, value in clean.items():
                setattr(known, name, value)
            known.site, known.updated_at = site, now
            changed.append(known)
        Asset.objects.bulk_create(new, batch_size=500)
        created = Asset.objects.filter(organisation=organisation, inventory_number__in=[
            a.inventory_number for a in new])
        events += [AssetEvent(asset=a, actor=actor, to_status=a.status, comment="Import CSV")
                   for a in created]
        fields = [*asset_fields(), "site", "updated_at"]
        Asset.objects.bulk_update(changed, fields, batch_size=500)
        AssetEvent.objects.bulk_create(events, batch_size=500)
        report.created, report.updated = len(new), len(changed)
        audit_record(actor=actor, action="inventory.import", organisation=organisation,
                     data={"format": "csv", "created": report.created,
                           "updated": report.updated})


def asset_fields() -> list[str]:
    """Return the asset fields a CSV line may set."""
    return [name for name in COLUMNS.values() if name != "site"]
