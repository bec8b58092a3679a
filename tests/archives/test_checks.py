"""`socle check --deploy` refuses a deployment that would ingest SEDA without its schema."""

from __future__ import annotations

from pathlib import Path

from django.core import checks
from django.test import override_settings

from socle.archives.checks import seda_schemas_check


def schema_folders(root: Path, versions: tuple[str, ...] = ("2.1", "2.2", "2.3")) -> dict[str, str]:
    folders = {}
    for version in versions:
        folder = root / f"seda-{version}"
        folder.mkdir()
        (folder / f"seda-{version}-main.xsd").write_text("<schema/>")
        folders[version] = str(folder)
    return folders


def errors_by_version(messages: list[checks.CheckMessage]) -> dict[str, str]:
    assert all(m.id == "socle.archives.E001" and m.level == checks.ERROR for m in messages)
    return {version: m.msg for m in messages for version in ("2.1", "2.2", "2.3")
            if f"SEDA {version} " in m.msg}


def test_the_check_is_silent_when_every_version_has_its_schema(tmp_path: Path) -> None:
    with override_settings(ARCHIVES_SEDA_SCHEMA_DIRS=schema_folders(tmp_path)):
        assert seda_schemas_check() == []


def test_the_check_errors_for_each_version_without_a_folder(tmp_path: Path) -> None:
    folders = schema_folders(tmp_path, ("2.1",))
    with override_settings(ARCHIVES_SEDA_SCHEMA_DIRS={**folders, "2.2": "", "2.3": ""}):
        errors = errors_by_version(seda_schemas_check())
    assert set(errors) == {"2.2", "2.3"}
    assert "aucun dossier configuré" in errors["2.2"]


def test_the_check_errors_when_the_folder_has_no_xsd(tmp_path: Path) -> None:
    folders = schema_folders(tmp_path)
    (tmp_path / "vide").mkdir()
    with override_settings(ARCHIVES_SEDA_SCHEMA_DIRS={**folders, "2.3": str(tmp_path / "vide")}):
        errors = errors_by_version(seda_schemas_check())
    assert set(errors) == {"2.3"}
    assert "ne contient pas seda-2.3-main.xsd" in errors["2.3"]


def test_the_check_runs_with_deploy_only() -> None:
    with override_settings(ARCHIVES_SEDA_SCHEMA_DIRS={"2.1": "", "2.2": "", "2.3": ""}):
        deployed = checks.run_checks(include_deployment_checks=True)
        plain = checks.run_checks()
    assert {m.id for m in deployed} >= {"socle.archives.E001"}
    assert "socle.archives.E001" not in {m.id for m in plain}
