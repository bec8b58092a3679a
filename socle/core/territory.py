"""Loading a territory (the intercommunality, its communes and services) from a file.

Two formats, documented in ``docs/territory.md``:

- JSON: ``{"format": "socle-territory/1", "organisations": [{...}, ...]}``
- CSV (UTF-8, comma-separated, header row) with the same field names; several
  postal codes are separated by spaces.

The load is idempotent: organisations are matched on their slug and updated.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from .journal import audit_record
from .models import Organisation, OrganisationKind, User
from .services import ServiceError

FORMAT = "socle-territory/1"
FIELDS = [
    "slug", "name", "kind", "parent", "insee_code", "siret", "postal_codes", "population",
    "population_year", "email", "phone", "website", "address", "opening_hours",
]
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTAL = re.compile(r"^\d{5}$")
_SIRET = re.compile(r"^\d{14}$")


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _clean(row: dict[str, Any], line: int) -> dict[str, Any]:
    def fail(message: str) -> ServiceError:
        return ServiceError(f"Entrée {line} : {message}", code="invalid_territory")

    name = str(row.get("name") or "").strip()
    if not name:
        raise fail("le nom est obligatoire.")
    slug = str(row.get("slug") or "").strip() or slugify(name)
    if slug != slugify(slug):
        raise fail(f"l'identifiant « {slug} » n'est pas un identifiant valide.")
    kind = str(row.get("kind") or "").strip()
    if kind not in OrganisationKind.values:
        raise fail(f"le type « {kind} » est inconnu (epci, commune ou service).")
    insee = str(row.get("insee_code") or "").strip()
    if insee and not _INSEE.match(insee):
        raise fail(f"le code INSEE « {insee} » n'est pas valide.")
    siret = str(row.get("siret") or "").strip().replace(" ", "")
    if siret and not _SIRET.match(siret):
        raise fail(f"le SIRET « {siret} » n'a pas 14 chiffres.")
    postal = row.get("postal_codes") or []
    if isinstance(postal, str):
        postal = postal.replace(";", " ").split()
    postal = [str(code).strip() for code in postal]
    for code in postal:
        if not _POSTAL.match(code):
            raise fail(f"le code postal « {code} » n'est pas valide.")

    def integer(key: str) -> int | None:
        value = row.get(key)
        if value in (None, ""):
            return None
        try:
            number = int(str(value))
        except ValueError:
            raise fail(f"« {key} » doit être un nombre entier.") from None
        if number < 0:
            raise fail(f"« {key} » ne peut pas être négatif.")
        return number

    parent = row.get("parent")
    return {
        "slug": slug,
        "name": name,
        "kind": kind,
        "parent": str(parent).strip() if parent else None,
        "insee_code": insee,
        "siret": siret,
        "postal_codes": postal,
        "population": integer("population"),
        "population_year": integer("population_year"),
        "email": str(row.get("email") or "").strip(),
        "phone": str(row.get("phone") or "").strip(),
        "website": str(row.get("website") or "").strip(),
        "address": str(row.get("address") or "").strip(),
        # Free text, several lines kept ("Lundi : 9 h - 12 h"); empty when unknown.
        "opening_hours": "\n".join(line.strip() for line in
                                   str(row.get("opening_hours") or "").strip().splitlines()),
    }


def territory_parse(path: Path) -> list[dict[str, Any]]:
    """Read a territory file (JSON or CSV) into clean rows, or raise ServiceError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError(f"Impossible de lire le fichier : {exc}", code="unreadable") from exc
    rows: list[dict[str, Any]]
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"name", "kind"} - set(reader.fieldnames or [])
        if missing:
            raise ServiceError(
                "Colonnes manquantes dans le CSV : " + ", ".join(sorted(missing)),
                code="invalid_territory",
            )
        rows = list(reader)
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ServiceError(f"JSON invalide : {exc}", code="invalid_territory") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ServiceError(
                f"Le fichier JSON doit porter « \"format\": \"{FORMAT}\" ».",
                code="invalid_territory",
            )
        organisations = document.get("organisations")
        if not isinstance(organisations, list) or not all(isinstance(r, dict) for r in organisations):
            raise ServiceError(
                "« organisations » doit être une liste d'objets.", code="invalid_territory"
            )
        rows = organisations
    cleaned = [_clean(row, index) for index, row in enumerate(rows, start=1)]
    slugs = [row["slug"] for row in cleaned]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise ServiceError("Identifiants en double : " + ", ".join(duplicates),
                           code="invalid_territory")
    return cleaned


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order rows so that each parent comes before its children."""
    by_slug = {row["slug"]: row for row in rows}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()
    existing = set(Organisation.objects.values_list("slug", flat=True))

    def place(row: dict[str, Any], trail: tuple[str, ...]) -> None:
        if row["slug"] in placed:
            return
        parent = row["parent"]
        if parent in trail:
            raise ServiceError(f"Cycle dans l'arborescence autour de « {parent} ».",
                               code="invalid_territory")
        if parent and parent in by_slug:
            place(by_slug[parent], (*trail, row["slug"]))
        elif parent and parent not in existing:
            raise ServiceError(
                f"« {row['slug']} » a pour parent « {parent} », qui n'existe pas.",
                code="invalid_territory",
            )
        placed.add(row["slug"])
        ordered.append(row)

    for row in rows:
        place(row, ())
    return ordered


def territory_load(*, actor: User | None, path: Path) -> LoadReport:
    """Create or update every organisation of a territory file, all or nothing."""
    rows = _ordered(territory_parse(path))
    report = LoadReport()
    with transaction.atomic():
        for row in rows:
            parent = Organisation.objects.get(slug=row["parent"]) if row["parent"] else None
            values = {k: v for k, v in row.items() if k not in {"slug", "parent"}}
            values["parent"] = parent
            values["path"] = f"{parent.path if parent else '/'}{row['slug']}/"
            org = Organisation.objects.filter(slug=row["slug"]).first()
            if org is None:
                org = Organisation.objects.create(slug=row["slug"], **values)
                report.created.append(org.slug)
                continue
            changed = {k: v for k, v in values.items() if getattr(org, k) != v}
            if not changed:
                report.unchanged.append(org.slug)
                continue
            if "path" in changed:
                _move_subtree(org, values["path"])
            for key, value in changed.items():
                setattr(org, key, value)
            org.save()
            report.updated.append(org.slug)
        if report.created or report.updated:
            audit_record(
                actor=actor,
                action="territory.load",
                data={"file": path.name, "created": report.created, "updated": report.updated},
            )
    return report


def _move_subtree(org: Organisation, new_path: str) -> None:
    old_path = org.path
    for child in Organisation.objects.filter(path__startswith=old_path).exclude(pk=org.pk):
        child.path = new_path + child.path[len(old_path):]
        child.save(update_fields=["path"])
