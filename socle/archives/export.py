"""Reversibility: everything of an organisation, in open formats, for another system to take over.

``DIR/bags/<identifier>/``     each package as a BagIt 1.0 bag (the DIP, unzipped)
``DIR/seda/<identifier>.xml``  each package's SEDA transfer manifest
``DIR/journal.jsonl``          the journal events of the organisation and its sub-organisations
``DIR/seals.jsonl``            every seal of the journal (they cover all organisations' events)
``DIR/tokens/<seq>.tsr``       each seal's RFC 3161 token (DER), its authority's chain beside it
``DIR/export.json``            what was written
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from typing import Any

from socle.core.journal import audit_record, event_payload
from socle.core.journal_seal import seal_content
from socle.core.models import AuditEvent, AuditSeal, Organisation, User

from .dissemination import dip_build
from .models import ArchivalPackage, PackageStatus


def archives_export(*, actor: User | None, organisation: Organisation,
                    directory: Path) -> dict[str, Any]:
    """Write every kept package of an organisation (and below) as bags, manifests, journal."""
    (directory / "bags").mkdir(parents=True, exist_ok=True)
    (directory / "seda").mkdir(parents=True, exist_ok=True)
    packages = ArchivalPackage.objects.filter(
        organisation__path__startswith=organisation.path, status=PackageStatus.KEPT
    ).select_related("organisation", "transfer")
    written = []
    for package in packages.iterator():
        target = directory / "bags"
        with dip_build(package) as dip, zipfile.ZipFile(dip) as archive:
            archive.extractall(target)
        manifest = target / package.identifier / "data" / "manifest.xml"
        (directory / "seda" / f"{package.identifier}.xml").write_bytes(manifest.read_bytes())
        written.append(package.identifier)
    slugs = list(Organisation.objects.filter(path__startswith=organisation.path)
                 .values_list("slug", flat=True))
    events = 0
    with open(directory / "journal.jsonl", "w", encoding="utf-8") as out:
        for event in AuditEvent.objects.filter(organisation_slug__in=slugs).order_by("seq"):
            out.write(json.dumps({**event_payload(event), "hash": event.hash},
                                 ensure_ascii=False, default=str) + "\n")
            events += 1
    seals = _export_seals(directory)
    report = {"organisation": organisation.slug, "packages": written, "journal_events": events,
              "seals": seals, "directory": str(directory)}
    (directory / "export.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    audit_record(actor=actor, action="archives.export", organisation=organisation,
                 data={"packages": len(written), "journal_events": events, "seals": seals})
    return report


def _export_seals(directory: Path) -> int:
    """Write the seals and their tokens: with the journal, they let another system check it."""
    tokens = directory / "tokens"
    tokens.mkdir(exist_ok=True)
    count = 0
    with open(directory / "seals.jsonl", "w", encoding="utf-8") as out:
        for seal in AuditSeal.objects.order_by("seq").iterator():
            out.write(json.dumps({**seal_content(seal), "seal_hash": seal.seal_hash,
                                  "tsa_url": seal.tsa_url, "tst": seal.tst,
                                  "tst_time": seal.tst_time.isoformat(),
                                  "tsa_certificates": seal.tsa_certificates},
                                 ensure_ascii=False) + "\n")
            (tokens / f"{seal.seq}.tsr").write_bytes(base64.b64decode(seal.tst))
            (tokens / f"{seal.seq}.pem").write_text(seal.tsa_certificates)
            count += 1
    return count
