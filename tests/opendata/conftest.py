"""Fixtures of the open-data tests: the official schemas and frictionless as the referee."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from socle.opendata.models import Generator
from socle.opendata.services import dataset_create, distribution_create
from socle.portal import selectors as portal_selectors
from socle.portal.services import case_submit, case_transition, procedure_create, procedure_publish
from tests.support.reference import reference_path


@pytest.fixture(autouse=True)
def _reference_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # socle reads the schemas where the tests read them (a worktree sets SOCLE_REFERENCE_DIR)
    folder = reference_path("scdl").parent
    monkeypatch.setenv("SOCLE_REFERENCE_DIR", str(folder))


def descriptor(name: str) -> dict[str, Any]:
    path = reference_path(f"scdl/{name}/schema.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def frictionless_errors(path: Path, schema: dict[str, Any]) -> list[tuple[int, str, str]]:
    """The (row, field, code) frictionless reports on a file, header errors on row 1."""
    from frictionless import Resource, Schema

    here = os.getcwd()
    os.chdir(path.parent)  # frictionless reads only paths under the working directory
    try:
        report = Resource(path=path.name, schema=Schema.from_descriptor(schema)).validate(limit_errors=0)
    finally:
        os.chdir(here)
    return [
        (getattr(e, "row_number", None) or 1, getattr(e, "field_name", "") or "", e.type)
        for e in report.tasks[0].errors
    ]


HEADER = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,"
    "pourcentageSubvention,dispositifAide"
)
GOOD = (
    "Ville de Compiègne,21601590000592,2025-03-27,DEL-2025-07,Harmonie municipale,21601590000592,,"
    "Fonctionnement,1500.50,aide en numéraire,Versement unique,2025-04-15,,non,0.5,"
)


GRANT_FIELDS = [
    {"name": "nom_association", "label": "Nom de l'association", "type": "text", "required": True},
    {"name": "siret", "label": "SIRET", "type": "text"},
    {"name": "rna", "label": "RNA", "type": "text"},
    {"name": "categorie_juridique", "label": "Catégorie juridique", "type": "text"},
    {"name": "courriel", "label": "Courriel", "type": "text"},
    {"name": "projet_titre", "label": "Projet", "type": "text"},
    {"name": "montant_demande", "label": "Montant", "type": "text", "required": True},
    {"name": "budget_total", "label": "Budget", "type": "text"},
]


@pytest.fixture
def accepted_grants(territory, make_user):
    compiegne = territory["compiegne"]
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    steward = make_user(
        "donnees@compiegne.fr", roles=[(compiegne, "opendata.steward"), (compiegne, "portal.caseworker")]
    )
    procedure = procedure_create(
        actor=editor,
        organisation=compiegne,
        slug="subvention-association",
        title="Demande de subvention",
        fields=GRANT_FIELDS,
    )
    procedure_publish(actor=editor, procedure=procedure)
    offered = portal_selectors.procedure_offered_get(slug="subvention-association", commune=compiegne)
    citizen = make_user("president@asso.fr", commune=compiegne)
    cases = []
    for name, amount, decided in (
        ("Jean Dupont", "500", "accepted"),
        ("Harmonie municipale", "24500", "accepted"),
        ("Club de judo", "1200", "accepted"),
        ("Refusée", "99000", "refused"),
    ):
        person = name == "Jean Dupont"  # a natural person: no SIRET, no RNA
        case = case_submit(
            actor=citizen,
            offered=offered,
            data={
                "nom_association": name,
                "siret": "" if person else "21601590000592",
                "rna": "" if person else "W602001234",
                "courriel": "secret@asso.fr",
                "projet_titre": f"Saison 2025 — {name}",
                "montant_demande": amount,
                "budget_total": "50000",
            },
        )
        case_transition(actor=steward, case=case, to="in_instruction")
        case_transition(actor=steward, case=case, to=decided, comment="Décision du conseil")
        cases.append(case)
    dataset = dataset_create(
        actor=steward,
        organisation=compiegne,
        slug="subventions",
        title="Subventions",
        legal_basis="subventions",
        generator=Generator.SUBVENTIONS,
    )
    dataset.producer_siret = "21601590000592"
    dataset.save()
    distribution_create(actor=steward, dataset=dataset, title="Subventions", table_schema="scdl/subventions")
    return {"dataset": dataset, "cases": cases, "steward": steward, "offered": offered, "citizen": citizen}
