"""The generated index of public services and selectors (``socle modules --index``)."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from socle.core.public_index import public_index


def test_the_index_lists_each_modules_own_services_and_selectors():
    entries = {(e.module, e.layer, e.name): e for e in public_index()}
    submit = entries[("portal", "services", "case_submit")]
    assert submit.signature.startswith("case_submit(*, actor")
    assert submit.summary and submit.defined_in.startswith("socle.portal.services")
    assert ("documents", "selectors", "documents_for") in entries
    assert ("mobility", "services", "gtfs_import") in entries
    # names a module imports from core are not its own; private helpers are not public
    assert not any(name == "audit_record" for (_, _, name) in entries)
    assert not any(name.startswith("_") for (_, _, name) in entries)


def test_every_public_service_and_selector_says_what_it_does_in_one_line():
    """The conventions ask each public service and selector for an imperative docstring."""
    missing = [f"{e.defined_in}.{e.name}" for e in public_index() if not e.summary]
    assert missing == []


def test_the_command_prints_the_index_as_markdown_and_as_json():
    out = io.StringIO()
    call_command("modules", "--index", stdout=out)
    text = out.getvalue()
    assert text.startswith("# Services et sélecteurs publics")
    assert "## portal — services" in text and "`case_submit(" in text
    out = io.StringIO()
    call_command("modules", "--index", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert {"module", "layer", "name", "signature", "summary", "defined_in"} <= set(rows[0])
