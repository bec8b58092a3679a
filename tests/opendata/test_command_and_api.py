"""`socle opendata validate` and `POST /api/v1/validations`: the same report, exit statuses 0, 1, 2."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from .conftest import GOOD, HEADER

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "socle"), "opendata", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def test_the_command_prints_the_json_report_and_exits_1_for_an_invalid_file(tmp_path: Path) -> None:
    path = tmp_path / "subventions.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{GOOD.replace('1500.50', 'mille')}\n", encoding="utf-8")
    done = _run("validate", str(path), "--schema", "scdl/subventions@2.1.1", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is False and report["error_count"] == 1 and report["row_count"] == 2
    assert report["errors"] == [
        {"row": 3, "field": "montant", "code": "type-error", "message": report["errors"][0]["message"]}
    ]
    assert "n'est pas un nombre" in report["errors"][0]["message"]


def _call(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("opendata", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_the_command_exits_0_for_a_valid_file_and_2_for_an_unreadable_one(tmp_path: Path, db: None) -> None:
    good = tmp_path / "ok.csv"
    good.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    assert _call("validate", str(good), "--schema", "scdl/subventions")[0] == 0
    binary = tmp_path / "classeur.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00\x00")
    status, out = _call("validate", str(binary), "--schema", "scdl/subventions", "--json")
    assert status == 2 and json.loads(out)["errors"][0]["code"] == "format-error"
    assert _call("validate", str(tmp_path / "absent.csv"), "--schema", "scdl/subventions")[0] == 2
    assert _call("validate", str(good), "--schema", "scdl/inconnu")[0] == 2


def test_the_command_in_process_writes_a_french_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    call_command("opendata", "validate", str(path), "--schema", "scdl/subventions")
    assert "1 ligne(s), 0 erreur(s) : fichier valide (scdl/subventions@2.1.1)" in capsys.readouterr().out


def _upload(data: bytes, name: str = "subventions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_the_api_returns_the_same_report_as_the_command(client, tmp_path: Path, db: None) -> None:
    data = f"{HEADER}\n{GOOD}\n,,,\n".encode()
    response = client.post("/api/v1/validations", {"file": _upload(data), "schema": "scdl/subventions"})
    assert response.status_code == 200
    body = response.json()
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    status, out = _call("validate", str(path), "--schema", "scdl/subventions", "--json")
    assert status == 1 and json.loads(out)["errors"] == body["errors"] and body["error_count"] == 1
    assert body["errors"][0]["code"] == "blank-row"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"schema": "scdl/subventions"}, "missing_file"),
        ({"file": "x"}, "missing_schema"),
        ({"schema": "scdl/rien", "file": "x"}, "unknown_schema"),
    ],
)
def test_the_api_refuses_a_request_without_file_or_known_schema(client, form, code, db: None) -> None:
    if "file" in form:
        form = {**form, "file": _upload(f"{HEADER}\n".encode())}
    response = client.post("/api/v1/validations", form)
    assert response.status_code == 400 and response.json()["code"] == code


def test_the_api_refuses_a_50_mb_file_with_a_french_message(client, db: None) -> None:
    big = (f"{HEADER}\n" + (GOOD + "\n") * (50 * 1024 * 1024 // len(GOOD))).encode()
    response = client.post("/api/v1/validations", {"file": _upload(big), "schema": "scdl/subventions"})
    assert response.status_code == 413
    assert "Mo" in response.json()["message"]


def test_the_api_reports_hostile_files_in_french(client, db: None) -> None:
    latin = f"{HEADER}\n{GOOD}\n".encode("cp1252")
    body = client.post("/api/v1/validations", {"file": _upload(latin), "schema": "scdl/subventions"}).json()
    assert body["valid"] is False and body["errors"][0]["code"] == "encoding-error"
    semicolons = f"{HEADER}\n{GOOD}\n".replace(",", ";").encode()
    body = client.post(
        "/api/v1/validations", {"file": _upload(semicolons), "schema": "scdl/subventions"}
    ).json()
    assert body["errors"][0]["code"] == "separator-error"
    wide = (",".join(["a"] * 2_000_000) + "\n").encode()
    body = client.post("/api/v1/validations", {"file": _upload(wide), "schema": "scdl/subventions"}).json()
    assert body["readable"] is False and "colonnes" in body["errors"][0]["message"]
