"""Files generated from the live applications, written with the official schema's columns only.

A generator returns rows as dictionaries; ``rows_csv`` writes them in the schema's order and
refuses any key the schema does not declare, so that a field holding personal data
(an applicant's e-mail, an address) can never slip into a published file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from socle.core.errors import ServiceError
from socle.core.models import Organisation
from socle.core.selectors import organisation_get_public
from socle.portal.selectors import QueueFilters, cases_for_agent

from .models import Dataset, Generator
from .pseudonyms import is_natural_person, pseudonym
from .schemas import TableSchema, schema_load
from .selectors import catalogue_entries

EQUIPMENTS = Path(__file__).resolve().parent / "data" / "equipements.json"
GRANT_PROCEDURE = "subvention-association"
ACCEPTED = "accepted"
SCHEMAS = {
    Generator.SUBVENTIONS: "scdl/subventions",
    Generator.EQUIPEMENTS: "scdl/equipements",
    Generator.CATALOGUE: "scdl/catalogue",
    Generator.DELIBERATIONS: "scdl/deliberations",
}
FREQ_MAJ = {
    "continuous": "Continuelle",
    "daily": "Quotidienne ou plusieurs fois par jour",
    "weekly": "Hebdomadaire ou plusieurs fois par semaine",
    "monthly": "Mensuelle ou plusieurs fois par mois",
    "quarterly": "Trimestrielle",
    "annual": "Annuelle",
    "irregular": "Irrégulière",
}
NATURE = {
    "": "Subvention de fonctionnement",
    "fonctionnement": "Subvention de fonctionnement",
    "projet": "Subvention pour un projet ou un événement",
}
LICENCE = {"lo-2.0": "Licence Ouverte-LO", "odbl": "Open Database License-ODBL"}


class FieldNotAllowed(ServiceError):
    """A generator tried to write a column the official schema does not have."""

    code = "field_not_allowed"


def rows_csv(schema: TableSchema, rows: Iterable[dict[str, Any]]) -> bytes:
    """Write rows in the schema's column order (UTF-8, comma); refuse a column it does not declare."""
    names = schema.field_names
    allowed = set(names)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        extra = set(row) - allowed
        if extra:
            raise FieldNotAllowed(
                f"Le schéma {schema.ref} n'a pas de colonne {', '.join(sorted(extra))} : "
                "elle n'est pas publiée."
            )
        writer.writerow(["" if row.get(n) is None else str(row.get(n)) for n in names])
    return out.getvalue().encode("utf-8")


def _siret(dataset: Dataset) -> str:
    return dataset.producer_siret or dataset.organisation.siret


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def subventions_rows(dataset: Dataset) -> list[dict[str, Any]]:
    """Rows of the grants accepted in the portal's grant procedure, as its steward may see them."""
    steward = dataset.steward
    if steward is None:
        return []
    cases = cases_for_agent(
        actor=steward,
        filters=QueueFilters(
            procedure=GRANT_PROCEDURE, status=ACCEPTED, organisation=dataset.organisation.slug
        ),
    )
    rows = []
    for case in cases.order_by("closed_at", "pk")[:50_000]:
        data = case.data or {}
        person = is_natural_person(data)  # named by a stable pseudonym only (pseudonyms.py)
        amount = _amount(data.get("montant_demande"))
        total = _amount(data.get("budget_total"))
        share = (
            min(Decimal(1), max(Decimal("0.01"), amount / total)).quantize(Decimal("0.01"))
            if amount and total
            else Decimal(1)
        )
        decided = (case.closed_at or case.submitted_at or case.created_at).date().isoformat()
        rows.append(
            {
                "nomAttribuant": dataset.organisation.name,
                "idAttribuant": _siret(dataset),
                "dateConvention": decided,
                "referenceDecision": case.number,
                "nomBeneficiaire": pseudonym(
                    organisation_id=dataset.organisation_id,
                    name=str(data.get("nom_association", "")),
                    siret=str(data.get("siret") or ""),
                )
                if person
                else data.get("nom_association", ""),
                "idBeneficiaire": "" if person else data.get("siret", ""),
                "rnaBeneficiaire": "" if person else data.get("rna", ""),
                # a person's project title may name them: only the nature of the grant is said
                "objet": NATURE.get(str(data.get("nature", "")), NATURE[""])
                if person
                else (data.get("projet_titre") or "Subvention de fonctionnement")[:256],
                "montant": amount,
                "nature": "aide en numéraire",
                "conditionsVersement": "Versement unique",
                "datesPeriodeVersement": decided,
                "notificationUE": "non",
                "pourcentageSubvention": share,
            }
        )
    return rows


def equipements_rows(dataset: Dataset) -> list[dict[str, Any]]:
    """Rows of the public equipment of the dataset's commune, from the simple equipment list."""
    listed = json.loads(EQUIPMENTS.read_text(encoding="utf-8"))["equipements"]
    rows = []
    for number, item in enumerate((e for e in listed if e["commune"] == dataset.organisation.slug), start=1):
        commune = organisation_get_public(slug=item["commune"])
        insee = commune.insee_code if commune else ""
        rows.append(
            {
                "COLL_NOM": dataset.organisation.name,
                "COLL_SIRET": _siret(dataset),
                "EQUIP_UID": f"{insee}-{item['code']}-{number:03d}",
                "EQUIP_THEME": item["theme"],
                "EQUIP_CODE": f"{item['code']}-{number:03d}",
                "EQUIP_TYPE": item["type"],
                "EQUIP_NOM": item["nom"],
                "ADR_NUMERO": item["numero"],
                "ADR_NOMVOIE": item["voie"],
                "ADR_CODEPOSTAL": item["code_postal"],
                "ADR_COMMUNE": commune.name if commune else "",
                "EQUIP_LAT": item["lat"],
                "EQUIP_LONG": item["lon"],
                "EQUIP_OUVERTURE": item.get("ouverture", ""),
            }
        )
    return rows


def catalogue_rows(dataset: Dataset) -> list[dict[str, Any]]:
    """Rows of the open datasets of the organisation (and below), in the SCDL catalogue schema."""
    organisation: Organisation = dataset.organisation
    rows = []
    for entry in catalogue_entries(organisation=organisation):
        files = [d for d in entry.distributions.all() if d.published_at]
        if not files:
            continue
        published = min(d.published_at for d in files if d.published_at)
        updated = max(d.published_at for d in files if d.published_at)
        maille = "Communale" if entry.organisation.kind == "commune" else "Intercommunale"
        rows.append(
            {
                "COLL_NOM": organisation.name,
                "COLL_SIRET": _siret(dataset),
                "ID": f"{entry.organisation.slug}/{entry.slug}",
                "TITRE": entry.title,
                "DESCRIPTION": entry.description or entry.title,
                "THEME": entry.theme or "Autre",
                "PRODUCTEUR_NOM": entry.organisation.name,
                "PRODUCTEUR_SIRET": entry.producer_siret or _siret(dataset),
                "COUV_SPAT_MAILLE": maille,
                "COUV_SPAT_NOM": entry.organisation.name,
                "COUV_TEMP_DEBUT": (entry.temporal_start or published.date()).isoformat(),
                "COUV_TEMP_FIN": (entry.temporal_end or updated.date()).isoformat(),
                "DATE_PUBL": published.date().isoformat(),
                "FREQ_MAJ": FREQ_MAJ.get(entry.frequency, "Inconnue"),
                "DATE_MAJ": updated.date().isoformat(),
                "MOTS_CLES": ";".join(entry.keywords) or entry.title,
                "LICENCE": LICENCE.get(entry.licence, "Spécifique ou autre"),
                "NOMBRE_RESSOURCES": len(files),
                "FORMAT_RESSOURCES": "csv;json;parquet",
                "URL": f"/donnees/{entry.organisation.slug}/{entry.slug}/",
            }
        )
    return rows


GENERATORS = {
    Generator.SUBVENTIONS: subventions_rows,
    Generator.EQUIPEMENTS: equipements_rows,
    Generator.CATALOGUE: catalogue_rows,
}


def generated_file(dataset: Dataset, *, base_url: str = "") -> bytes | None:
    """Build the dataset's file from live data, or None when it has no generator (délibérations)."""
    build = GENERATORS.get(Generator(dataset.generator))
    if build is None:
        return None
    rows = build(dataset)
    if dataset.generator == Generator.CATALOGUE and base_url:
        for row in rows:
            row["URL"] = base_url.rstrip("/") + row["URL"]
    return rows_csv(schema_load(SCHEMAS[Generator(dataset.generator)]), rows)
