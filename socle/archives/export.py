"""Reversibility: everything of an organisation, in open formats, for another system to take over.

The export describes itself (``README.md`` in French and English, ``description.json``) and
can be checked without socle by ``docs/verify_export.py`` (standard library and ``openssl``):

``bags/<package>/``            each kept package as a BagIt 1.0 bag (objects read from a healthy copy)
``seda/<package>.xml``         each package's SEDA transfer manifest
``replies/<reply>.xml``        every transfer reply (ATR), accepted and refused
``referential/``               the rules and archival profiles the packages were checked against
``journal.jsonl``              the journal events of the organisation and its sub-organisations
``journal-hashes.jsonl``       every other event of the journal, reduced to its number and hash
``seals.jsonl``                every seal of the journal up to the last exported event
``tokens/<seal>.tsr|.tst``     each seal's RFC 3161 reply and token (DER), ``-chain.pem`` beside
``export.json``                what was written, and the objects lost (no healthy copy anywhere)

An object without a healthy copy never stops the export: its bag is written without it,
lists it in ``lost-objects.txt``, and ``export.json`` names it under ``losses``.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from asn1crypto import cms, tsp
from django.conf import settings
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone
from lxml import etree

from socle.core.journal import audit_record, event_payload
from socle.core.journal_seal import seal_content
from socle.core.models import AuditEvent, AuditSeal, Organisation, User

from .dissemination import DisseminationError, bag_tags, copy_verified, manifest_lines, tag_manifest
from .models import (
    ArchivalPackage,
    ArchivalProfile,
    ArchiveObject,
    PackageStatus,
    Rule,
    Transfer,
    TransferStatus,
)

EXPORT_FORMAT = "socle-export/2"
MANIFEST = "manifest.xml"
LOST_OBJECTS = "lost-objects.txt"
VERIFY_SCRIPT = Path(settings.BASE_DIR) / "docs" / "verify_export.py"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PROFILE_KINDS = {"http://relaxng.org/ns/structure/1.0": "rng",
                  "http://purl.oclc.org/dsdl/schematron": "sch"}


class ExportError(RuntimeError):
    """The export cannot start (French message)."""


@dataclass(frozen=True)
class Loss:
    """An object of a kept package of which no offer holds a copy with the recorded digest."""

    package: str
    path: str
    sha256: str
    size: int
    reason: str


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")[:100] or "sans-nom"


def _subtree(organisation: Organisation) -> list[str]:
    return list(Organisation.objects.filter(path__startswith=organisation.path)
                .values_list("slug", flat=True))


def _ancestor_paths(organisation: Organisation) -> list[str]:
    parts = [part for part in organisation.path.split("/") if part]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def archives_export(*, actor: User | None, organisation: Organisation,
                    directory: Path) -> dict[str, Any]:
    """Write everything an organisation (and below) keeps, with what proves it, in ``directory``.

    Lost objects are exported as losses, never as an interruption: the caller says the
    export is incomplete when ``report["losses"]`` is not empty.
    """
    if directory.exists() and any(directory.iterdir()):
        raise ExportError(f"Le dossier d'export « {directory} » n'est pas vide.")
    directory.mkdir(parents=True, exist_ok=True)
    slugs = _subtree(organisation)
    # The journal is exported up to this event: later ones belong to the next export.
    last_seq = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    packages = list(ArchivalPackage.objects.filter(
        organisation__path__startswith=organisation.path, status=PackageStatus.KEPT
    ).select_related("organisation", "archival_agency", "transfer").order_by("identifier"))
    losses: list[Loss] = []
    for package in packages:
        losses.extend(_bag_write(package, directory))
    replies = _replies_write(directory, organisation, slugs, packages)
    referential = _referential_write(directory, organisation, packages)
    own, others = _journal_write(directory, slugs, last_seq)
    seals = _seals_write(directory, last_seq)
    report: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "organisation": organisation.slug,
        "organisations": sorted(slugs),
        "created_at": timezone.now().isoformat(),
        "complete": not losses,
        "packages": [package.identifier for package in packages],
        "losses": [asdict(loss) for loss in losses],
        "replies": replies,
        "referential": referential,
        "journal_events": own,
        "journal_hashes": others,
        "journal_last_seq": last_seq,
        "seals": seals,
        "directory": str(directory),
    }
    _descriptions_write(directory, organisation, report)
    (directory / "export.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    audit_record(actor=actor, action="archives.export", organisation=organisation,
                 data={"packages": len(packages), "losses": len(losses),
                       "lost": [f"{loss.package}/{loss.path}" for loss in losses][:100],
                       "journal_events": own, "journal_last_seq": last_seq, "seals": seals})
    return report


# --- packages --------------------------------------------------------------------------------


def _bag_write(package: ArchivalPackage, directory: Path) -> list[Loss]:
    """Write one package as a bag of the objects that have a healthy copy; return the others."""
    bag = directory / "bags" / package.identifier
    present: list[ArchiveObject] = []
    losses: list[Loss] = []
    for obj in package.contents.order_by("path"):
        target = bag / "data" / obj.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "wb") as out:
                copy_verified(package, obj.path, obj.sha256, out)
        except DisseminationError as exc:
            target.unlink(missing_ok=True)
            losses.append(Loss(package.identifier, obj.path, obj.sha256, obj.size, str(exc)))
            continue
        present.append(obj)
        if obj.path == MANIFEST:
            (directory / "seda").mkdir(exist_ok=True)
            shutil.copyfile(target, directory / "seda" / f"{package.identifier}.xml")
    tags = bag_tags(package, present)
    if losses:
        # What the bag should hold and does not, in the form of its payload manifest.
        tags[LOST_OBJECTS] = manifest_lines([obj for obj in package.contents.order_by("path")
                                             if obj.path in {loss.path for loss in losses}])
    for name, text in tags.items():
        (bag / name).write_text(text, encoding="utf-8")
    (bag / "tagmanifest-sha256.txt").write_text(tag_manifest(tags), encoding="utf-8")
    return losses


# --- replies and referential -----------------------------------------------------------------


def _transferring_agency(reply_xml: str) -> str:
    try:
        root = etree.fromstring(reply_xml.encode(), etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return ""
    found = root.find("{*}TransferringAgency/{*}Identifier")
    return (found.text or "").strip() if found is not None else ""


def _replies(organisation: Organisation, slugs: list[str],
             packages: list[ArchivalPackage]) -> Iterator[Transfer]:
    """Every reply the organisation has a part in: its packages' own, those it received, and
    the refusals sent back to one of its services by an archives service above it."""
    kept = {package.transfer_id for package in packages}
    seen: set[int] = set()
    mine = Transfer.objects.filter(Q(pk__in=kept) | Q(organisation__slug__in=slugs)
                                   | Q(package__organisation__slug__in=slugs))
    for transfer in mine.order_by("received_at", "pk"):
        seen.add(transfer.pk)
        yield transfer
    refused_above = Transfer.objects.filter(
        status=TransferStatus.REJECTED, organisation__path__in=_ancestor_paths(organisation)
    ).exclude(pk__in=seen).order_by("received_at", "pk")
    wanted = {slug.lower() for slug in slugs}
    for transfer in refused_above.iterator():
        if _transferring_agency(transfer.reply_xml).lower() in wanted:
            yield transfer


def _replies_write(directory: Path, organisation: Organisation, slugs: list[str],
                   packages: list[ArchivalPackage]) -> list[dict[str, Any]]:
    folder = directory / "replies"
    folder.mkdir()
    package_of = {package.transfer_id: package.identifier for package in packages}
    written = []
    for transfer in _replies(organisation, slugs, packages):
        name = f"replies/{_safe(transfer.reply_identifier)}.xml"
        (directory / name).write_text(transfer.reply_xml, encoding="utf-8")
        written.append({"identifier": transfer.reply_identifier, "file": name,
                        "status": transfer.status, "received_at": transfer.received_at.isoformat(),
                        "received_by": transfer.organisation.slug,
                        "message_identifier": transfer.message_identifier,
                        "seda_version": transfer.seda_version, "filename": transfer.filename,
                        "sha256": transfer.sha256, "size": transfer.size,
                        "package": package_of.get(transfer.pk, "")})
    return written


def _referential_write(directory: Path, organisation: Organisation,
                       packages: list[ArchivalPackage]) -> dict[str, Any]:
    """Write the rules the organisation may use and the profiles of its archives services."""
    folder = directory / "referential"
    (folder / "profiles").mkdir(parents=True)
    around = Q(organisation__path__in=_ancestor_paths(organisation)) | Q(
        organisation__path__startswith=organisation.path)
    rules = [{"organisation": rule.organisation.slug, "rule_id": rule.rule_id, "kind": rule.kind,
              "label": rule.label, "duration_years": rule.duration_years,
              "final_action": rule.final_action}
             for rule in Rule.objects.filter(around).select_related("organisation")
             .order_by("organisation__path", "rule_id")]
    (folder / "rules.json").write_text(json.dumps(rules, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
    agencies = {package.archival_agency_id for package in packages}
    profiles = []
    for profile in (ArchivalProfile.objects.filter(around | Q(organisation_id__in=agencies))
                    .select_related("organisation").order_by("organisation__path", "identifier")):
        kind = next((suffix for ns, suffix in _PROFILE_KINDS.items() if ns in profile.schema[:2000]),
                    "xml")
        name = (f"referential/profiles/{_safe(profile.organisation.slug)}--"
                f"{_safe(profile.identifier)}-{profile.pk}.{kind}")
        (directory / name).write_text(profile.schema, encoding="utf-8")
        profiles.append({"organisation": profile.organisation.slug,
                         "identifier": profile.identifier, "label": profile.label,
                         "kind": {"rng": "RELAX NG", "sch": "ISO Schematron"}.get(kind, "XML"),
                         "file": name})
    (folder / "profiles.json").write_text(json.dumps(profiles, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
    return {"rules": len(rules), "profiles": len(profiles)}


# --- journal and seals -----------------------------------------------------------------------


def _journal_write(directory: Path, slugs: list[str], last_seq: int) -> tuple[int, int]:
    """Write the organisation's events in full and every other event as its hash only.

    With both, the whole chain is walked and every seal's Merkle root recomputed, while
    nothing of another organisation leaves but a digest.
    """
    own = others = 0
    with open(directory / "journal.jsonl", "w", encoding="utf-8") as out:
        for event in (AuditEvent.objects.filter(organisation_slug__in=slugs, seq__lte=last_seq)
                      .order_by("seq").iterator(chunk_size=2000)):
            out.write(json.dumps({**event_payload(event), "hash": event.hash},
                                 ensure_ascii=False, default=str) + "\n")
            own += 1
    with open(directory / "journal-hashes.jsonl", "w", encoding="utf-8") as out:
        for seq, digest in (AuditEvent.objects.filter(seq__lte=last_seq)
                            .exclude(organisation_slug__in=slugs).order_by("seq")
                            .values_list("seq", "hash").iterator(chunk_size=20000)):
            out.write(f'{{"seq":{seq},"hash":"{digest}"}}\n')
            others += 1
    return own, others


def token_response(token: bytes) -> bytes:
    """Return an RFC 3161 token wrapped in a granted TimeStampResp (``openssl ts -in`` reads it).

    The token's bytes are kept as they are: its signature does not cover the wrapper.
    """
    return bytes(tsp.TimeStampResp({
        "status": tsp.PKIStatusInfo({"status": "granted"}),
        "time_stamp_token": cms.ContentInfo.load(token),
    }).dump())


def _seals_write(directory: Path, last_seq: int) -> int:
    """Write the seals over the exported journal, each token as a reply, a token and a chain."""
    tokens = directory / "tokens"
    tokens.mkdir()
    count = 0
    with open(directory / "seals.jsonl", "w", encoding="utf-8") as out:
        for seal in AuditSeal.objects.filter(last_seq__lte=last_seq).order_by("seq").iterator():
            token = base64.b64decode(seal.tst)
            files = {"response": f"tokens/{seal.seq}.tsr", "token": f"tokens/{seal.seq}.tst",
                     "chain": f"tokens/{seal.seq}-chain.pem"}
            (directory / files["token"]).write_bytes(token)
            (directory / files["response"]).write_bytes(token_response(token))
            (directory / files["chain"]).write_text(seal.tsa_certificates, encoding="utf-8")
            out.write(json.dumps({**seal_content(seal), "seal_hash": seal.seal_hash,
                                  "tsa_url": seal.tsa_url, "tst": seal.tst,
                                  "tst_time": seal.tst_time.isoformat(),
                                  "tsa_certificates": seal.tsa_certificates, "files": files},
                                 ensure_ascii=False) + "\n")
            count += 1
    return count


# --- self-description ------------------------------------------------------------------------


def description(report: dict[str, Any]) -> dict[str, Any]:
    """Return the machine-readable description of an export: its layout and its formats."""
    return {
        "format": EXPORT_FORMAT,
        "organisation": report["organisation"],
        "created_at": report["created_at"],
        "layout": [
            {"path": "README.md", "format": "text/markdown; charset=utf-8",
             "content": "what this export is, in French and English"},
            {"path": "description.json", "format": "application/json",
             "content": "this description"},
            {"path": "export.json", "format": "application/json",
             "content": "what was written: packages, losses, replies, counts"},
            {"path": "bags/<package>/", "format": "BagIt 1.0 (RFC 8493), sha256 manifests",
             "content": "a kept package: data/manifest.xml (SEDA) and data/<path> of each object; "
                        f"{LOST_OBJECTS} lists, as a payload manifest, objects lost before export"},
            {"path": "seda/<package>.xml", "format": "SEDA 2.1, 2.2 or 2.3 ArchiveTransfer",
             "content": "the transfer manifest of the package, as received"},
            {"path": "replies/<reply>.xml", "format": "SEDA ArchiveTransferReply",
             "content": "every reply (ATR), accepted or refused; index in export.json replies"},
            {"path": "referential/rules.json", "format": "application/json",
             "content": "management rules: organisation, rule_id, kind (SEDA category), label, "
                        "duration_years, final_action"},
            {"path": "referential/profiles.json", "format": "application/json",
             "content": "archival profiles, each schema in referential/profiles/"},
            {"path": "journal.jsonl", "format": "JSON Lines",
             "content": "the organisation's journal events in full, hash included"},
            {"path": "journal-hashes.jsonl", "format": "JSON Lines",
             "content": "every other event up to journal_last_seq: seq and hash only"},
            {"path": "seals.jsonl", "format": "JSON Lines", "content": "the journal's seals"},
            {"path": "tokens/<seal>.tsr", "format": "RFC 3161 TimeStampResp (DER)",
             "content": "openssl ts -verify -in FILE -digest SEAL_HASH -CAfile ROOT "
                        "-untrusted tokens/<seal>-chain.pem"},
            {"path": "tokens/<seal>.tst", "format": "RFC 3161 TimeStampToken, CMS (DER)",
             "content": "the same token alone: openssl ts -verify -token_in -in FILE ..."},
            {"path": "tokens/<seal>-chain.pem", "format": "PEM certificates",
             "content": "the authority's certificate, then each issuer up to its root"},
            {"path": "verify_export.py", "format": "Python 3 script (standard library, openssl)",
             "content": "checks bags, journal chain, seals and tokens of this export"},
        ],
        "formats": {
            "canonical_json": "json.dumps(value, sort_keys=True, separators=(',', ':'), "
                              "ensure_ascii=False), encoded in UTF-8",
            "event_hash": "SHA-256 (hex) of the canonical JSON of the event without its hash "
                          "key; prev is the hash of event seq - 1, 64 zeros for event 1",
            "seal_hash": "SHA-256 (hex) of the canonical JSON of format, seq, first_seq, "
                         "last_seq, merkle_root, last_event_hash, prev_seal_hash, created_at; "
                         "prev_seal_hash of seal 1 is 64 zeros; the token timestamps seal_hash",
            "merkle_root": "RFC 6962 tree over the events first_seq..last_seq in order, each "
                           "leaf the 32 bytes of an event hash: leaf = SHA-256(0x00 || hash), "
                           "node = SHA-256(0x01 || left || right), split at the largest power "
                           "of two below the size",
            "package_digests": "each archives.transfer_accept event of journal.jsonl holds the "
                               "SHA-256 of every object of its package (data.objects)",
            "loss": "export.json losses: package, path, sha256, size, reason",
        },
        "events": {"journal_events": report["journal_events"],
                   "journal_hashes": report["journal_hashes"],
                   "journal_last_seq": report["journal_last_seq"], "seals": report["seals"]},
        "verification": "python3 verify_export.py DIRECTORY [--ca-file ROOTS.pem]",
    }


def _descriptions_write(directory: Path, organisation: Organisation,
                        report: dict[str, Any]) -> None:
    (directory / "description.json").write_text(
        json.dumps(description(report), ensure_ascii=False, indent=2), encoding="utf-8")
    (directory / "README.md").write_text(render_to_string("archives/export_readme.md", {
        "organisation": organisation, "report": report, "losses": len(report["losses"]),
        "replies": len(report["replies"]), "packages": len(report["packages"]),
    }), encoding="utf-8")
    if VERIFY_SCRIPT.is_file():
        shutil.copyfile(VERIFY_SCRIPT, directory / "verify_export.py")
