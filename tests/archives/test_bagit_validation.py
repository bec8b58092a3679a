"""Our BagIt validator over every bag of the Library of Congress conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.archives.bagit_validation import validate_bag
from tests.conftest import REFERENCE

SUITE = REFERENCE / "bagit-conformance-suite"


def bags(kind: str) -> list[Path]:
    return sorted(p for p in SUITE.glob(f"v*/{kind}/*") if p.is_dir())


def test_the_suite_is_there() -> None:
    assert len(bags("valid")) > 20 and len(bags("invalid")) > 10 and bags("warning")


@pytest.mark.parametrize("bag", bags("valid"), ids=lambda p: str(p.relative_to(SUITE)))
def test_a_valid_bag_is_accepted(bag: Path) -> None:
    report = validate_bag(bag)
    assert report.valid, report.errors


@pytest.mark.parametrize("bag", bags("invalid") + bags("linux-only"),
                         ids=lambda p: str(p.relative_to(SUITE)))
def test_an_invalid_bag_is_refused(bag: Path) -> None:
    assert not validate_bag(bag).valid


@pytest.mark.parametrize("bag", bags("warning"), ids=lambda p: str(p.relative_to(SUITE)))
def test_a_suspicious_bag_is_accepted_with_a_warning(bag: Path) -> None:
    report = validate_bag(bag)
    assert report.valid, report.errors
    assert report.warnings
