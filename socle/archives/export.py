"""Reversibility: everything of an organisation, in open formats, for another system to take over.

``DIR/bags/<identifier>/``     each package as a BagIt 1.0 bag (the DIP, unzipped)
``DIR/seda/<identifier>.xml``  each package's SEDA transfer manifest
``DIR/journal.jsonl``          the journal events of the organisation and its sub-organisations
``DIR/export.json``            what was written
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from socle.core.journal import audit_record, event_payload
from socle.core.models import AuditEvent, Organisation, User

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
    report = {"organisation": organisation.slug, "packages": written, "journal_events": events,
              "directory": str(directory)}
    (directory / "export.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    audit_record(actor=actor, action="archives.export", organisation=organisation,
                 data={"packages": len(written), "journal_events": events})
    return report
