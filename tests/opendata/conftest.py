"""Fixtures of the open-data tests: the official schemas and frictionless as the referee."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

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
