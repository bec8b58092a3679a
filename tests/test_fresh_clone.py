"""A fresh clone has no ../shared/reference: tests that need it say so, and CI refuses to skip."""

from __future__ import annotations

import pytest

from tests.support import reference
from tests.support.reference import reference_listing, reference_path

MISSING = "aucun-dossier-de-ce-nom/schema.xsd"


def test_a_missing_reference_skips_the_test_and_names_what_is_missing(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        reference_path(MISSING)
    assert f"../shared/reference/{MISSING}" in str(skipped.value)


@pytest.mark.parametrize("value", ["true", "1"])
def test_a_missing_reference_fails_in_ci(monkeypatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as failed:
        reference_path(MISSING)
    assert f"../shared/reference/{MISSING}" in str(failed.value)


def test_a_present_reference_is_returned_as_is(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CI", "true")
    (tmp_path / "seda-2.3").mkdir()
    monkeypatch.setattr(reference, "REFERENCE_ROOT", tmp_path)
    assert reference_path("seda-2.3") == tmp_path / "seda-2.3"


def test_an_absent_folder_lists_nothing_at_collection(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(reference, "REFERENCE_ROOT", tmp_path / "absent")
    assert reference_listing("bagit-conformance-suite", "v*/valid/*") == []


def test_what_the_shared_folder_does_not_provide_is_skipped_in_ci_too(monkeypatch, tmp_path) -> None:
    # SEDA 2.2 is not in ../shared/reference: CI cannot have it, so it skips with the reason
    # there too, and runs wherever an operator or a developer provides the folder.
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(reference, "REFERENCE_ROOT", tmp_path)
    with pytest.raises(pytest.skip.Exception) as skipped:
        reference_path("seda-2.2/seda-2.2-main.xsd")
    assert "SEDA 2.2" in str(skipped.value)
    (tmp_path / "seda-2.2").mkdir()
    assert reference_path("seda-2.2") == tmp_path / "seda-2.2"
