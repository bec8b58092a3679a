"""The validator finds, cell by cell, the errors frictionless finds, plus Validata's and socle's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.opendata import subventions_csv
from socle.opendata.schemas import SchemaUnknown, schema_load
from socle.opendata.validation import FRICTIONLESS_CODES, bytes_validate

from .conftest import GOOD, HEADER, descriptor, frictionless_errors

CASES = {
    "valid": f"{HEADER}\n{GOOD}\n{GOOD}\n",
    "header_only": f"{HEADER}\n",
    "types_and_constraints": (
        f"{HEADER}\n"
        "Ville,2160159000059,2025-13-01,D1,,12345678901234,W12,Objet,abc,autre,x,2025,,peut-être,2,\n"
        "Ville,21601590000592,2025-2-3,D2,Asso,,W123456789,Objet, 12 ,aide en nature,x,2025-01-01/2025-02-01,"
        "123456,oui,0.001,\n"
        "Ville,21601590000592,2025-02-30,D3,Asso,,,Objet,1_000,aide en nature,x,2025-01-01,,non,1e-1,\n"
        "Ville,21601590000592,2025-02-28,D4,Asso,,,Objet,Infinity,aide en nature,x,2025-01-01,,non,NaN,\n"
    ),
    "ragged_and_blank": (
        f"{HEADER}\n{GOOD}\n\n,,,,,,,,,,,,,,,\nVille,21601590000592,2025-01-01\n{GOOD},en trop,encore\n"
    ),
    "quoted_cells": (
        f'{HEADER}\n"Ville, de ""Compiègne""",21601590000592,2025-03-27,D,"Asso\nsur deux lignes",,'
        'W123456789,Objet,"1,5",aide en numéraire,"Versement\r\nunique",2025-04-15,,non,0.5,\n'
    ),
    "quoted_single_lines": f'{HEADER}\n{GOOD}\n"Ville",21601590000592,2025-03-27,D,"Asso, club",,W123456789,'
    'Objet,"1 500,50",aide en numéraire,x,2025-04-15,,non,0.5,\n',
    "crlf_and_bom": "\ufeff"
    + f"{HEADER}\r\n{GOOD}\r\nVille,1,2025-01-01,D,A,,,O,1,autre,x,2025-01-01,,non,1,\r\n",
    "header_shifted": HEADER.replace("objet,", "Objet,").replace(",dispositifAide", "") + f"\n{GOOD[:-1]}\n",
    "header_extra_and_duplicate": f"{HEADER},nomAttribuant,\n{GOOD},x,y\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_socle_reports_the_same_cells_and_codes_as_frictionless(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CASES[name].encode("utf-8"))
    report = bytes_validate(path.read_bytes(), schema_load("scdl/subventions"))
    ours = [(e.row or 1, e.field, e.code) for e in report.errors if e.code in FRICTIONLESS_CODES]
    assert ours == frictionless_errors(path, descriptor("subventions"))


def test_a_generated_file_of_thousands_of_rows_gives_frictionless_counts(tmp_path: Path) -> None:
    path = tmp_path / "subventions.csv"
    path.write_text(subventions_csv(3000, seed=5, error_rate=0.1), encoding="utf-8")
    report = bytes_validate(path.read_bytes(), schema_load("scdl/subventions"))
    theirs = frictionless_errors(path, descriptor("subventions"))
    ours = [(e.row or 1, e.field, e.code) for e in report.errors if e.code in FRICTIONLESS_CODES]
    assert len(theirs) > 100 and ours == theirs
    assert report.row_count == 3000


@pytest.mark.parametrize("name", ["deliberations", "equipements", "budget", "catalogue", "prenoms"])
def test_every_scdl_schema_is_checked_like_frictionless(name: str, tmp_path: Path) -> None:
    schema = descriptor(name)
    fields = schema["fields"]
    header = ",".join(f["name"] for f in fields)
    wrong = {
        "string": "x" * 300,
        "integer": "1.5",
        "number": "douze",
        "date": "31/12/2025",
        "year": "25",
        "boolean": "peut-être",
    }
    rows = [
        ",".join(wrong.get(f.get("type", "string"), "x") for f in fields),
        ",".join("" for _ in fields),
        ",".join("1" for _ in fields),
    ]
    path = tmp_path / f"{name}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = bytes_validate(path.read_bytes(), schema_load(f"scdl/{name}"))
    ours = [(e.row or 1, e.field, e.code) for e in report.errors if e.code in FRICTIONLESS_CODES]
    assert ours == frictionless_errors(path, schema) and ours


def test_a_unique_constraint_and_a_primary_key_are_checked_like_frictionless(tmp_path: Path) -> None:
    from socle.opendata.schemas import TableSchema

    schema = descriptor("subventions")
    schema["fields"][3] = {**schema["fields"][3], "constraints": {"unique": True}}
    path = tmp_path / "unique.csv"
    path.write_text(
        f"{HEADER}\n{GOOD}\n{GOOD}\n{GOOD.replace('DEL-2025-07', 'AUTRE')}\n{GOOD}\n", encoding="utf-8"
    )
    report = bytes_validate(path.read_bytes(), TableSchema("scdl", "subventions", "test", schema))
    ours = [(e.row or 1, e.field, e.code) for e in report.errors if e.code in FRICTIONLESS_CODES]
    assert (
        ours
        == frictionless_errors(path, schema)
        == [(3, "referenceDecision", "unique-error"), (5, "referenceDecision", "unique-error")]
    )


def test_validata_checks_the_siret_key_and_one_of_the_beneficiary_identifiers() -> None:
    data = (
        f"{HEADER}\n{GOOD.replace(',21601590000592,,', ',21601590000593,,', 1)}\n"
        "Ville,21601590000592,2025-01-01,D,Asso,,,O,1,aide en nature,x,2025-01-01,,non,1,\n"
    )
    report = bytes_validate(data.encode(), schema_load("scdl/subventions"))
    codes = [(e.row, e.field, e.code) for e in report.errors]
    assert codes == [(2, "idBeneficiaire", "french-siret-value"), (3, "idBeneficiaire", "one-of-required")]
    assert "clé de contrôle" in report.errors[0].message and not report.valid


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_refused() -> None:
    line = GOOD.replace("Harmonie municipale", "=HYPERLINK(http://x)")
    data = f"{HEADER}\n{line}\n"
    report = bytes_validate(data.encode(), schema_load("scdl/subventions"))
    assert [(e.field, e.code) for e in report.errors] == [("nomBeneficiaire", "formula-value")]
    assert "formule" in report.errors[0].message


def test_an_insee_code_is_checked_for_the_whole_of_france() -> None:
    header = ",".join(f["name"] for f in descriptor("prenoms")["fields"])
    rows = [
        ("Compiègne", "60159"),  # the territory's
        ("Paris", "75056"),  # outside the territory, a French commune's code: accepted
        ("Ajaccio", "2A004"),
        ("Saint-Denis", "97411"),
        ("Nulle", "99001"),  # no department 99
        ("Corse", "20004"),  # 20 is no longer a department (the schema's pattern says so too)
        ("Oise", "60000"),  # no commune 000
        ("Mer", "97100"),
    ]
    data = header + "\n" + "".join(f"{name},{code},F,Louise,12,2024\n" for name, code in rows)
    report = bytes_validate(data.encode(), schema_load("scdl/prenoms"), insee_codes=frozenset({"60159"}))
    found = [e for e in report.errors if e.field == "COLL_INSEE"]
    assert [(e.row, e.code) for e in found] == [
        (6, "insee-code-value"),
        (7, "constraint-error"),
        (7, "insee-code-value"),
        (8, "insee-code-value"),
        (9, "insee-code-value"),
    ]
    first = found[0].message
    assert "aucun département français n'a le numéro « 99 »" in first
    assert "existence de la commune elle-même n'est vérifiée que pour les communes du territoire" in first
    assert "« 20 »" in found[2].message and "« 000 »" in found[3].message and "« 00 »" in found[4].message
    # without the territory (the command on a machine without socle's database), the same check
    alone = bytes_validate(data.encode(), schema_load("scdl/prenoms"))
    assert [e.row for e in alone.errors if e.code == "insee-code-value"] == [6, 7, 8, 9]


def test_the_insee_check_helpers_agree() -> None:
    from socle.opendata.insee import insee_code_possible, insee_reason

    assert insee_code_possible("60159") and insee_code_possible("2B033") and insee_code_possible("98714")
    assert not insee_code_possible("6015") and not insee_code_possible("2C001")
    assert "cinq caractères" in insee_reason("6015")


def test_every_message_is_in_french_and_names_the_row_and_column() -> None:
    report = bytes_validate(CASES["types_and_constraints"].encode(), schema_load("scdl/subventions"))
    assert report.errors and all(
        e.message.startswith(("Ligne", "L'en-tête", "En position")) for e in report.errors
    )
    montant = next(e for e in report.errors if e.field == "montant")
    assert "« abc » n'est pas un nombre" in montant.message


def test_a_windows_1252_file_is_reported_in_french_and_still_checked() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode("cp1252")
    report = bytes_validate(data, schema_load("scdl/subventions"))
    assert report.readable and not report.valid
    assert report.errors[0].code == "encoding-error" and "UTF-8" in report.errors[0].message
    assert report.row_count == 1


def test_a_file_separated_by_semicolons_says_which_separator_the_schema_expects() -> None:
    data = f"{HEADER}\n{GOOD}\n".replace(",", ";").encode()
    report = bytes_validate(data, schema_load("scdl/subventions"))
    assert report.errors[0].code == "separator-error" and "« , »" in report.errors[0].message
    assert report.counts == {"separator-error": 1}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "source-error"),
        (b"PK\x03\x04\x00\x00binary", "format-error"),
        ((",".join(f"c{i}" for i in range(5000)) + "\n").encode(), "too-many-columns"),
    ],
)
def test_what_is_no_table_is_unreadable_with_a_french_reason(data: bytes, code: str) -> None:
    report = bytes_validate(data, schema_load("scdl/subventions"))
    assert not report.readable and not report.valid
    assert [e.code for e in report.errors] == [code] and report.errors[0].message


def test_a_row_of_a_hundred_thousand_cells_is_counted_without_listing_them_all() -> None:
    data = f"{HEADER}\n{GOOD}{',x' * 100_000}\n".encode()
    report = bytes_validate(data, schema_load("scdl/subventions"))
    assert report.counts["extra-cell"] == 100_000
    assert len(report.errors) == 10_000 and report.as_dict()["errors_truncated"]


def test_a_schema_is_named_with_an_optional_version() -> None:
    assert schema_load("scdl/subventions").ref == schema_load("scdl/subventions@2.1.1").ref
    with pytest.raises(SchemaUnknown, match="version"):
        schema_load("scdl/subventions@9.9")
    with pytest.raises(SchemaUnknown, match="inconnu"):
        schema_load("scdl/inexistant")
    with pytest.raises(SchemaUnknown, match="illisible"):
        schema_load("../../etc/passwd")
