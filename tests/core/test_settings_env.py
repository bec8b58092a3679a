"""`.env.example` documents every SOCLE_* variable the code reads, and only those."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# env("NAME"), env_bool("NAME"), env_list("NAME") in settings read SOCLE_NAME;
# elsewhere the full name appears as a literal (os.environ.get("SOCLE_NAME")).
_HELPER_CALL = re.compile(r"\benv(?:_bool|_list)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
_LITERAL = re.compile(r"\bSOCLE_[A-Z][A-Z0-9_]*\b")
# An assignment line, active or commented out: "SOCLE_X=..." or "# SOCLE_X=...".
_DOCUMENTED = re.compile(r"^#?\s*(SOCLE_[A-Z][A-Z0-9_]*)=", re.MULTILINE)


def variables_read() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "socle").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names.update(_LITERAL.findall(text))
        if path.name == "settings.py":
            names.update(f"SOCLE_{name}" for name in _HELPER_CALL.findall(text))
    return names


def variables_documented() -> set[str]:
    return set(_DOCUMENTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def test_the_scan_finds_the_variables_of_settings_and_of_other_modules():
    read = variables_read()
    assert {"SOCLE_SECRET_KEY", "SOCLE_DATABASE_URL", "SOCLE_FRANCECONNECT_ENABLED"} <= read
    assert "SOCLE_TRUSTED_PROXIES" in read  # read by socle/core/client_address.py


def test_every_variable_read_is_documented_in_env_example():
    missing = sorted(variables_read() - variables_documented())
    assert not missing, f"À documenter dans .env.example : {', '.join(missing)}"


def test_env_example_documents_no_variable_that_nothing_reads():
    stale = sorted(variables_documented() - variables_read())
    assert not stale, f"Variables de .env.example que le code ne lit plus : {', '.join(stale)}"


def test_each_documented_variable_has_a_comment_above_it():
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    undocumented = []
    for index, line in enumerate(lines):
        match = _DOCUMENTED.match(line)
        if not match:
            continue
        above = lines[index - 1].strip() if index else ""
        # A comment line that is not itself a (commented-out) assignment.
        if not above.startswith("#") or _DOCUMENTED.match(above):
            undocumented.append(match.group(1))
    assert not undocumented, f"Sans commentaire : {', '.join(undocumented)}"
