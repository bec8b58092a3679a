"""The reference material of ``../shared/reference``: official schemas, samples, suites.

It sits beside the repository, not in it, so a newcomer's clone may not have it. A test
that needs a file asks ``reference_path`` for it: the path when the file is there;
otherwise the test is skipped with the name of what is missing, and fails in CI (``CI``
set to ``true`` or ``1``), where a missing reference must never pass silently.
``SOCLE_REFERENCE_DIR`` points elsewhere, for a checkout that is not beside ``shared/``
(a git worktree, for instance).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REFERENCE_ROOT = Path(os.environ.get("SOCLE_REFERENCE_DIR") or ROOT.parent / "shared" / "reference")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


# What socle can use but the shared reference folder does not provide (its README lists what
# it holds): a test that needs one of these is skipped with the reason, in CI too, since CI
# cannot have it either. An operator configures it (docs/operations.md).
NOT_PROVIDED = {
    "seda-2.2": "les schémas officiels SEDA 2.2 ne sont pas dans ../shared/reference (seuls 2.1 et "
                "2.3 y sont) : placez-les dans un dossier seda-2.2 ou lancez avec "
                "SOCLE_REFERENCE_DIR pour exécuter ce test",
}


def reference_path(relative: str) -> Path:
    """Return a file or folder of ../shared/reference; skip the test (fail in CI) when absent."""
    path = REFERENCE_ROOT / relative
    if path.exists():
        return path
    reason = (f"Référence absente : ../shared/reference/{relative} "
              f"(dossier {REFERENCE_ROOT} introuvable ou incomplet).")
    not_provided = NOT_PROVIDED.get(relative.split("/", 1)[0])
    if not_provided:
        pytest.skip(f"Référence absente : {not_provided}.")
    if in_ci():
        pytest.fail(f"{reason} En CI, la référence est obligatoire.", pytrace=False)
    pytest.skip(reason)


def reference_listing(relative: str, pattern: str) -> list[str]:
    """Return the names matching a glob under a reference folder, for parametrizing at collection.

    Collection must not skip a whole module: an absent folder gives an empty list, and the
    test itself then calls ``reference_path`` to say what is missing.
    """
    folder = REFERENCE_ROOT / relative
    if not folder.is_dir():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.glob(pattern) if path.is_dir())
