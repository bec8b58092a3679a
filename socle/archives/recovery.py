"""Interrupted ingests and stray objects: nothing written by a dead process stays unsaid.

An ingest claims its spool folder (``spool_claim``): a lock held while it runs, and a
note of the package it is about to write. If the process dies (``kill -9``, a crash, a
reboot), the lock goes with it; the next ``verify``, the ``archives.recover`` job (every
15 minutes) or a worker finds the folder unlocked, journals the ingest as interrupted
(``archives.transfer_interrupted``, a KO in the archives service's journal), removes
the copies it had written on the offers (partial files included), then the folder.

``strays_find`` lists what an offer holds and no package claims (``verify`` reports it).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from socle.core.blobs import spool_dir
from socle.core.journal import audit_record
from socle.core.models import Organisation

from .models import ArchivalPackage, ArchiveObject, PackageStatus, Transfer
from .offers import Offer, OfferError, digest_key, manifest_key, object_key, offers

SPOOL_PREFIX = "sip-"
LOCK = ".ingest.lock"
CLAIM = "ingest.json"
PARTIAL_PREFIX = ".incoming-"
# A spool folder without its lock is being created, or was left before it was claimed:
# after this long, it is left.
UNCLAIMED_SECONDS = 3600
LISTED = 50


def reply_digest(reply_xml: str) -> str:
    """The SHA-256 of a reply as kept in the database: the journal holds it from the ingest."""
    return hashlib.sha256(reply_xml.encode()).hexdigest()


@contextmanager
def spool_claim(work: Path, *, organisation: Organisation, identifier: str,
                reply_identifier: str, filename: str) -> Iterator[None]:
    """Hold the spool folder of a running ingest; remove it before letting go of the lock.

    The folder disappears while the lock is still held: a recovery never sees the folder
    of an ingest that ended, even one whose transaction the caller has not committed yet.
    """
    lock = open(work / LOCK, "w")  # noqa: SIM115 - closed below, after the folder went
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        (work / CLAIM).write_text(json.dumps({
            "organisation": organisation.slug, "identifier": identifier,
            "reply": reply_identifier, "filename": filename[:255],
            "started_at": timezone.now().isoformat(), "pid": os.getpid()}), encoding="utf-8")
        yield
    finally:
        shutil.rmtree(work, ignore_errors=True)
        lock.close()


def _folders() -> Iterator[Path]:
    root = spool_dir()
    for folder in sorted(root.glob(f"{SPOOL_PREFIX}*")):
        if folder.is_dir():
            yield folder


def _take(folder: Path) -> tuple[bool, IO[str] | None]:
    """Try to take a spool folder's lock: (left by a dead ingest, the lock held now)."""
    try:
        handle = open(folder / LOCK, "r+")  # noqa: SIM115 - returned to the caller
    except FileNotFoundError:
        try:
            age = time.time() - folder.stat().st_mtime
        except FileNotFoundError:
            return False, None
        return age > UNCLAIMED_SECONDS, None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False, None
    return True, handle


def _claim(folder: Path) -> dict[str, Any]:
    try:
        claim = json.loads((folder / CLAIM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return claim if isinstance(claim, dict) else {}


def live_identifiers() -> set[str]:
    """Return the package identifiers that running ingests are writing."""
    live = set()
    for folder in _folders():
        dead, handle = _take(folder)
        if handle is not None:
            handle.close()
        if not dead:
            identifier = _claim(folder).get("identifier")
            if isinstance(identifier, str):
                live.add(identifier)
    return live


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def _remove_copies(identifier: str) -> list[str]:
    """Delete what an interrupted ingest wrote on every offer (never a kept package's)."""
    if (not identifier.startswith("AIP-") or "/" in identifier
            or ArchivalPackage.objects.filter(identifier=identifier).exists()):
        return []
    removed = []
    for offer in offers():
        for key in list(offer.listing(identifier + "/")):
            try:
                offer.delete(key)
            except OfferError:
                continue
            removed.append(offer.location(key))
    return removed


def _recover(folder: Path) -> dict[str, Any] | None:
    claim = _claim(folder)
    reply = str(claim.get("reply", ""))
    if reply and Transfer.objects.filter(reply_identifier=reply).exists():
        # The ingest ended (accepted or refused, journaled) but its folder stayed.
        shutil.rmtree(folder, ignore_errors=True)
        return None
    identifier = str(claim.get("identifier", ""))
    size = _size(folder)
    removed = _remove_copies(identifier) if identifier else []
    organisation = Organisation.objects.filter(slug=str(claim.get("organisation", ""))).first()
    found = {
        "spool": str(folder), "spool_bytes": size, "package": identifier, "reply": reply,
        "organisation": organisation.slug if organisation else "",
        "filename": str(claim.get("filename", "")), "started_at": str(claim.get("started_at", "")),
        "copies_removed": len(removed),
    }
    audit_record(actor=None, action="archives.transfer_interrupted", organisation=organisation,
                 data={**found, "outcome": "KO", "removed": removed[:LISTED],
                       "reason": "Versement interrompu (processus arrêté avant la fin) : "
                                 "rien n'est conservé, les copies écrites sont supprimées."})
    shutil.rmtree(folder, ignore_errors=True)
    return found


def interrupted_recover() -> list[dict[str, Any]]:
    """Find the spool folders of dead ingests: journal each as KO, clean its copies and folder."""
    found = []
    for folder in _folders():
        dead, handle = _take(folder)
        if not dead:
            continue
        try:
            recovered = _recover(folder)
        finally:
            if handle is not None:
                handle.close()
        if recovered is not None:
            found.append(recovered)
    return found


def _claimed() -> tuple[dict[str, set[str]], set[str]]:
    kept: dict[str, set[str]] = {}
    for identifier, path in ArchiveObject.objects.filter(
            package__status=PackageStatus.KEPT).values_list("package__identifier", "path"):
        keys = kept.setdefault(identifier, {manifest_key(identifier)})
        keys.add(object_key(identifier, path))
        keys.add(digest_key(identifier, path))
    destroyed = set(ArchivalPackage.objects.filter(status=PackageStatus.DESTROYED)
                    .values_list("identifier", flat=True))
    return kept, destroyed


def strays_find(targets: list[Offer]) -> list[dict[str, str]]:
    """List what the offers hold that no kept package claims (running ingests aside)."""
    kept, destroyed = _claimed()
    candidates: list[tuple[Offer, str]] = []
    for offer in targets:
        for key in offer.listing():
            identifier = key.split("/", 1)[0]
            if key not in kept.get(identifier, ()):
                candidates.append((offer, key))
    if not candidates:
        return []
    # Read after the listing: an ingest that wrote what was listed had claimed its folder
    # before, and one that ended since then has its package in the database now.
    live = live_identifiers()
    unknown = {key.split("/", 1)[0] for _, key in candidates} - set(kept)
    committed = set(ArchivalPackage.objects.filter(identifier__in=unknown,
                                                   status=PackageStatus.KEPT)
                    .values_list("identifier", flat=True)) if unknown else set()
    if committed:
        kept, destroyed = _claimed()
    strays = []
    for offer, key in candidates:
        identifier = key.split("/", 1)[0]
        if identifier in live or key in kept.get(identifier, ()):
            continue
        if key.rsplit("/", 1)[-1].startswith(PARTIAL_PREFIX):
            reason = "fichier partiel d'une écriture interrompue"
        elif identifier in destroyed:
            reason = "reste d'un paquet éliminé"
        elif identifier in kept:
            reason = "fichier qu'aucun objet du paquet ne déclare"
        else:
            reason = "objet qu'aucun paquet ne réclame (copie orpheline)"
        strays.append({"offer": offer.name, "key": key, "location": offer.location(key),
                       "reason": reason})
    return strays
