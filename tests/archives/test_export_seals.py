"""Reversibility: the export carries the journal's seals and their RFC 3161 tokens."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from django.utils import timezone

from socle.archives.export import archives_export
from socle.core.models import AuditSeal, Organisation


def test_the_export_writes_every_seal_and_its_token(arc: Organisation, tmp_path: Path) -> None:
    token = b"\x30\x82fake-der-token"
    now = timezone.now()
    AuditSeal.objects.create(seq=1, first_seq=1, last_seq=3, merkle_root="a" * 64,
                             last_event_hash="b" * 64, prev_seal_hash="", seal_hash="c" * 64,
                             created_at=now, tsa_url="http://127.0.0.1/tsa",
                             tst=base64.b64encode(token).decode(), tst_time=now,
                             tsa_certificates="-----BEGIN CERTIFICATE-----\n")
    report = archives_export(actor=None, organisation=arc, directory=tmp_path)
    assert report["seals"] == 1
    seals = [json.loads(line) for line in (tmp_path / "seals.jsonl").read_text().splitlines()]
    assert seals[0]["seal_hash"] == "c" * 64 and seals[0]["merkle_root"] == "a" * 64
    assert (tmp_path / "tokens" / "1.tsr").read_bytes() == token
    assert json.loads((tmp_path / "export.json").read_text())["seals"] == 1
