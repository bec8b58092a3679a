"""Natural persons in the subventions file: a stable pseudonym, never their name or SIRET."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from socle.opendata.generation import generated_file
from socle.opendata.jobs import generate
from socle.opendata.models import Distribution
from socle.opendata.pseudonyms import is_natural_person, is_pseudonym, pseudonym
from socle.opendata.schemas import schema_load
from socle.opendata.validation import bytes_validate
from socle.portal.services import case_submit, case_transition

from .conftest import GOOD, HEADER, descriptor, frictionless_errors

SOLE_TRADER_SIRET = "73282932000074"  # a valid key: the sole trader's SIRET designates a person


def _accept(grants, data):
    case = case_submit(actor=grants["citizen"], offered=grants["offered"], data=data)
    case_transition(actor=grants["steward"], case=case, to="in_instruction")
    case_transition(actor=grants["steward"], case=case, to="accepted", comment="Décision du conseil")
    return case


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_natural_persons_are_published_under_a_stable_pseudonym_and_frictionless_accepts(
    accepted_grants, tmp_path: Path
):
    _accept(
        accepted_grants,
        {
            "nom_association": "Martin Sophie EI",
            "siret": SOLE_TRADER_SIRET,
            "rna": "",
            "categorie_juridique": "1000",  # entrepreneur individuel: a natural person
            "courriel": "sophie.martin@exemple.fr",
            "projet_titre": "Atelier de Sophie Martin",
            "montant_demande": "800",
            "budget_total": "2000",
        },
    )
    data = generated_file(accepted_grants["dataset"])
    assert data is not None
    text = data.decode()
    for personal in ("Jean Dupont", "Martin", "Sophie", SOLE_TRADER_SIRET, "sophie.martin@exemple.fr"):
        assert personal not in text
    rows = _rows(data)
    people = [r for r in rows if is_pseudonym(r["nomBeneficiaire"])]
    assert len(people) == 2 and len({r["nomBeneficiaire"] for r in people}) == 2  # one pseudonym each
    for row in people:
        assert row["idBeneficiaire"] == "" and row["rnaBeneficiaire"] == ""
        assert row["objet"] == "Subvention de fonctionnement"  # not the project title, which names them
    assert {r["nomBeneficiaire"] for r in rows} >= {"Harmonie municipale", "Club de judo"}  # legal persons
    # the same person keeps the same pseudonym from one generation to the next
    again = generated_file(accepted_grants["dataset"])
    assert again is not None
    assert [r["nomBeneficiaire"] for r in _rows(again)] == [r["nomBeneficiaire"] for r in rows]
    # the official schema's referee accepts the file; socle's validator too (Validata's checks included)
    path = tmp_path / "subventions.csv"
    path.write_bytes(data)
    assert frictionless_errors(path, descriptor("subventions")) == []
    assert bytes_validate(data, schema_load("scdl/subventions")).valid


def test_the_job_publishes_the_file_with_its_pseudonymised_rows(accepted_grants):
    assert "1 fichier(s) généré(s) et publié(s)" in generate()
    distribution = Distribution.objects.get(dataset=accepted_grants["dataset"])
    assert distribution.published_at is not None and distribution.row_count == 3


def test_a_row_with_neither_identifier_nor_pseudonym_is_still_an_error():
    anonymous = GOOD.replace("Harmonie municipale,21601590000592,", "Jean Dupont,,")
    masked = GOOD.replace(
        "Harmonie municipale,21601590000592,", f"{pseudonym(organisation_id=1, name='x')},,"
    )
    report = bytes_validate(f"{HEADER}\n{anonymous}\n{masked}\n".encode(), schema_load("scdl/subventions"))
    assert [(e.row, e.code) for e in report.errors] == [(2, "one-of-required")]


def test_who_is_a_natural_person():
    assert is_natural_person({"siret": "", "rna": ""})
    assert is_natural_person({"siret": SOLE_TRADER_SIRET, "categorie_juridique": "1000"})
    assert is_natural_person({"rna": "W602001234", "personne_physique": "oui"})
    assert not is_natural_person({"rna": "W602001234"})
    assert not is_natural_person({"siret": "21601590000592", "categorie_juridique": "7210"})
    first = pseudonym(organisation_id=3, name="Jean  Dupont")
    assert first == pseudonym(organisation_id=3, name="jean dupont") and is_pseudonym(first)
    assert first != pseudonym(organisation_id=4, name="Jean Dupont")  # not linkable across organisations
