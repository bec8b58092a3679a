"""Fixity audits: re-hash every copy on every offer, repair a damaged copy from a healthy one.

The reference is the journal, not the database: each copy is hashed against the digest
the ``archives.transfer_accept`` event recorded at the ingest (its own hash checked, and
its seal's Merkle root recomputed when sealed), so an insider who replaces a file and
its digest in the database is found; so is a reply (ATR) edited in the database.

Repair is on by default (``--no-repair`` only reports): a copy found damaged or missing is
rewritten from another offer's copy, after that copy's bytes were re-hashed against the
journal's digest. An object with no healthy copy on any offer is a loss ("perte"): kept
in ``ArchiveObject.lost_at``, re-examined by every audit, sampled or not, until a copy
comes back. Each audit also recovers interrupted ingests and lists stray objects
(``recovery.py``). Anything found makes the run fail (exit code 1), even when repaired,
so that the operator looks at the offer that degraded.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import io
import os
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from socle.core.blobs import spool_dir
from socle.core.journal import audit_record, event_hash
from socle.core.models import AuditEvent, Organisation, User

from . import recovery
from .models import (
    ArchivalPackage,
    ArchiveObject,
    FixityAudit,
    Integrity,
    PackageStatus,
    Transfer,
    TransferStatus,
)
from .offers import CHUNK, Offer, OfferError, digest_key, manifest_key, object_key, offer_get, offers
from .recovery import reply_digest

# Threads hashing copies during an audit: one per core, at most 8 (past that, the disks limit).
HASH_THREADS = min(8, os.cpu_count() or 1)


class FixityError(RuntimeError):
    """The audit could not run (unknown offer ...): a French message."""


@dataclass
class VerifyReport:
    checked: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)
    repaired: int = 0
    offers: list[str] = field(default_factory=list)
    # Objects with no healthy copy on any offer: losses ("pertes"), known until one comes back.
    losses: list[dict[str, str]] = field(default_factory=list)
    interrupted: list[dict[str, Any]] = field(default_factory=list)
    # None when not looked for (an audit of one organisation cannot tell whose they are).
    strays: list[dict[str, str]] | None = None
    journal: dict[str, int] = field(default_factory=dict)
    packages: int = 0
    run: str = ""

    @property
    def ok(self) -> bool:
        return not (self.failures or self.losses or self.interrupted or self.strays)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "run": self.run, "offers": self.offers,
            "packages_checked": self.packages, "objects_checked": self.checked,
            "bytes": self.bytes, "seconds": round(self.seconds, 3),
            "throughput_mb_s": round(self.bytes / 1e6 / self.seconds, 1) if self.seconds else 0.0,
            "failures": self.failures, "repaired": self.repaired, "losses": self.losses,
            "interrupted": self.interrupted, "strays": self.strays, "journal": self.journal,
        }


def _hash(offer: Offer, key: str) -> tuple[str, int] | None:
    try:
        handle = offer.open(key)
    except OfferError:
        return None
    with handle:
        if isinstance(handle, io.BufferedReader):
            # A local file: hashlib reads it into one reused buffer, without a bytes
            # object per chunk, and the size is where reading stopped.
            return hashlib.file_digest(handle, "sha256").hexdigest(), handle.tell()
        digest = hashlib.sha256()
        size = 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _hash_all(targets: list[Offer], keys: list[str]) -> dict[tuple[str, str], tuple[str, int] | None]:
    """Hash every key on every offer, on a few threads: hashlib releases the GIL while hashing,
    so the cores hash in parallel; nothing here touches the database."""
    pairs = [(offer, key) for key in keys for offer in targets]
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        found = pool.map(lambda pair: _hash(*pair), pairs)
        return {(offer.name, key): result for (offer, key), result in zip(pairs, found, strict=True)}


def _read(offer: Offer, key: str) -> bytes | None:
    try:
        with offer.open(key) as handle:
            return handle.read()
    except OfferError:
        return None


def _healthy_copy(offer: Offer, key: str, expected_sha256: str) -> IO[bytes] | None:
    """Copy an object to a temporary file while hashing it; return it only if the digest holds."""
    spooled = tempfile.TemporaryFile(dir=spool_dir())  # noqa: SIM115 - returned or closed here
    digest = hashlib.sha256()
    try:
        with offer.open(key) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                spooled.write(chunk)
    except OfferError:
        spooled.close()
        return None
    if digest.hexdigest() != expected_sha256:
        spooled.close()
        return None
    spooled.seek(0)
    return spooled


def _package_manifest(digests: dict[str, str]) -> bytes:
    return "".join(f"{digests[path]}  objects/{path}\n" for path in sorted(digests)).encode()


def _repair(*, actor: User | None, package: ArchivalPackage, key: str, damaged: Offer,
            expected_sha256: str, content: bytes | None = None) -> bool:
    """Rewrite one copy from a healthy offer (or from bytes the database vouches for).

    The healthy copy goes through a temporary file, hashed on the way: an object of
    several gigabytes is never held in memory, and only bytes whose digest matches the
    one kept in the database are written.
    """
    source_name = "base de données"
    source: IO[bytes] | None = None
    if content is not None:
        if hashlib.sha256(content).hexdigest() == expected_sha256:
            source = io.BytesIO(content)
    else:
        for candidate in offers():
            if candidate.name == damaged.name:
                continue
            source = _healthy_copy(candidate, key, expected_sha256)
            if source is not None:
                source_name = candidate.name
                break
    if source is None:
        return False
    with source, transaction.atomic():
        damaged.delete(key)
        damaged.put(key, source)
        audit_record(actor=actor, action="archives.repair", organisation=package.organisation,
                     target=package, data={"package": package.identifier, "key": key,
                                           "offer": damaged.name, "from": source_name,
                                           "sha256": expected_sha256})
    return True


@dataclass
class _Sworn:
    """What the journal swore at the ingest of a package (or of a refused transfer)."""

    seq: int = 0
    objects: dict[str, str] = field(default_factory=dict)
    manifest_sha256: str = ""
    reply_sha256: str = ""
    problem: str = ""
    sealed: bool = False


def _seal_problems(seqs: set[int]) -> dict[int, tuple[bool, str]]:
    """For each event, whether a seal covers it and what is wrong with that seal, if anything.

    The seal's own hash and its Merkle root are recomputed over the stored event hashes;
    the timestamp tokens are checked by ``socle audit verify --proofs``.
    """
    from socle.core import merkle
    from socle.core.journal_seal import seal_hash
    from socle.core.models import AuditSeal

    found: dict[int, tuple[bool, str]] = {}
    seals = list(AuditSeal.objects.order_by("first_seq"))
    starts = [seal.first_seq for seal in seals]
    checked: dict[int, str] = {}
    for seq in seqs:
        index = bisect.bisect_right(starts, seq) - 1
        if index < 0 or seals[index].last_seq < seq:
            found[seq] = (False, "")
            continue
        seal = seals[index]
        if seal.seq not in checked:
            problem = ""
            if seal_hash(seal) != seal.seal_hash:
                problem = f"le scellement n° {seal.seq} a été modifié"
            else:
                hashes = (AuditEvent.objects.filter(seq__gte=seal.first_seq,
                                                    seq__lte=seal.last_seq)
                          .order_by("seq").values_list("hash", flat=True))
                root = merkle.merkle_root(bytes.fromhex(h) for h in hashes.iterator(5000))
                if root.hex() != seal.merkle_root:
                    problem = (f"les événements scellés par le scellement n° {seal.seq} ont été "
                               "modifiés (racine de Merkle différente)")
            checked[seal.seq] = problem
        found[seq] = (True, checked[seal.seq])
    return found


def _sworn_events(action: str, target_type: str, ids: list[int]) -> dict[int, _Sworn]:
    """Return, by target id, what the first event of that action said at the ingest."""
    sworn: dict[int, _Sworn] = {}
    events: list[AuditEvent] = []
    for start in range(0, len(ids), 500):
        events += AuditEvent.objects.filter(
            action=action, target_type=target_type,
            target_id__in=[str(pk) for pk in ids[start:start + 500]]).order_by("seq")
    seals = _seal_problems({event.seq for event in events})
    for event in events:
        pk = int(event.target_id)
        if pk in sworn:
            continue
        data = event.data if isinstance(event.data, dict) else {}
        objects = data.get("objects")
        sealed, problem = seals[event.seq]
        if event_hash(event) != event.hash:
            problem = (f"l'événement n° {event.seq} du journal a été modifié "
                       "(son empreinte ne correspond plus)")
        sworn[pk] = _Sworn(seq=event.seq, objects=objects if isinstance(objects, dict) else {},
                           manifest_sha256=str(data.get("manifest_sha256", "")),
                           reply_sha256=str(data.get("reply_sha256", "")), problem=problem,
                           sealed=sealed)
    return sworn


@dataclass
class _Part:
    """What an audit found for one organisation (None: the platform, for stray objects)."""

    organisation: Organisation | None
    packages: int = 0
    checked: int = 0
    bytes: int = 0
    repaired: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    losses: list[dict[str, str]] = field(default_factory=list)
    recovered: list[dict[str, str]] = field(default_factory=list)


class _Audit:
    """One run: its report, split by organisation, and the digests the journal holds."""

    def __init__(self, *, actor: User | None, targets: list[Offer], repair: bool) -> None:
        self.actor, self.targets, self.repair = actor, targets, repair
        self.report = VerifyReport(offers=[offer.name for offer in targets],
                                   run=uuid.uuid4().hex)
        self.parts: dict[int | None, _Part] = {}
        self.degraded: set[int] = set()

    def part(self, organisation: Organisation | None) -> _Part:
        key = organisation.pk if organisation else None
        if key not in self.parts:
            self.parts[key] = _Part(organisation)
        return self.parts[key]

    def fail(self, package: ArchivalPackage, failure: dict[str, str], fixed: bool = False
             ) -> None:
        failure = {"package": package.identifier, **failure, "repaired": "oui" if fixed else "non"}
        self.report.failures.append(failure)
        self.part(package.organisation).failures.append(failure)
        self.report.repaired += int(fixed)
        self.part(package.organisation).repaired += int(fixed)
        if not fixed:
            self.degraded.add(package.pk)

    def count(self, package: ArchivalPackage, size: int = 0) -> None:
        self.report.checked += 1
        self.report.bytes += size
        part = self.part(package.organisation)
        part.checked += 1
        part.bytes += size


def _objects_in_scope(organisation: Organisation | None, sample: float | None,
                      seed: int | None) -> list[ArchiveObject]:
    packages = ArchivalPackage.objects.filter(status=PackageStatus.KEPT)
    if organisation is not None:
        packages = packages.filter(organisation__path__startswith=organisation.path)
    objects = list(ArchiveObject.objects.filter(package__in=packages)
                   .select_related("package", "package__organisation", "package__transfer")
                   .order_by("pk"))
    if sample is not None and objects:
        rng = random.Random(seed)
        chosen = rng.sample(objects, max(1, round(len(objects) * sample)))
        # A known loss is looked at again by every audit, sampled or not: a sample never
        # answers "intègre" while an object is known lost.
        picked = {obj.pk for obj in chosen}
        chosen += [obj for obj in objects if obj.lost_at is not None and obj.pk not in picked]
        objects = sorted(chosen, key=lambda obj: obj.pk)
    return objects


def _check_journal(audit: _Audit, packages: dict[int, ArchivalPackage],
                   sworn: dict[int, _Sworn]) -> None:
    """Compare each package's digests and reply with what the journal swore at its ingest."""
    for package in packages.values():
        record = sworn.get(package.pk)
        where = {"offer": "journal", "location": f"journal, événement n° {record.seq}"
                 if record else "journal"}
        if record is None:
            audit.fail(package, {"object": "", **where, "reason": (
                "aucun événement de versement au journal : les empreintes en base ne peuvent "
                "être comparées à rien")})
            continue
        if record.problem:
            audit.fail(package, {"object": "", **where, "reason": record.problem})
        if record.manifest_sha256 and record.manifest_sha256 != package.manifest_sha256:
            audit.fail(package, {"object": "manifest-sha256.txt", **where, "reason": (
                "empreinte du manifeste modifiée en base : le journal scellé garde "
                f"{record.manifest_sha256}")})
        reply = package.transfer.reply_xml
        if record.reply_sha256 and record.reply_sha256 != reply_digest(reply):
            audit.fail(package, {"object": f"réponse {package.transfer.reply_identifier}",
                                 **where, "reason": (
                                     "réponse au versement (ATR) modifiée en base : son empreinte "
                                     "n'est plus celle que le journal scellé garde")})


def _check_refused(audit: _Audit, organisation: Organisation | None) -> None:
    """Compare the reply of every refused transfer with its digest in the journal."""
    transfers = Transfer.objects.filter(status=TransferStatus.REJECTED).select_related(
        "organisation")
    if organisation is not None:
        transfers = transfers.filter(organisation__path__startswith=organisation.path)
    found = list(transfers)
    sworn = _sworn_events("archives.transfer_reject", Transfer._meta.label_lower,
                          [transfer.pk for transfer in found])
    for transfer in found:
        record = sworn.get(transfer.pk)
        problem = ""
        if record is None:
            problem = "aucun événement de refus au journal pour ce versement"
        elif record.problem:
            problem = record.problem
        elif record.reply_sha256 and record.reply_sha256 != reply_digest(transfer.reply_xml):
            problem = ("réponse au versement (ATR) modifiée en base : son empreinte n'est plus "
                       "celle que le journal scellé garde")
        _count_journal(audit, record)
        if problem:
            failure = {"package": "", "object": f"réponse {transfer.reply_identifier}",
                       "offer": "journal", "location": f"journal, événement n° {record.seq}"
                       if record else "journal", "reason": problem, "repaired": "non"}
            audit.report.failures.append(failure)
            audit.part(transfer.organisation).failures.append(failure)


def _count_journal(audit: _Audit, record: _Sworn | None) -> None:
    journal = audit.report.journal
    if record is None:
        return
    journal["events_checked"] = journal.get("events_checked", 0) + 1
    journal["sealed" if record.sealed else "unsealed"] = journal.get(
        "sealed" if record.sealed else "unsealed", 0) + 1


def _loss_check(audit: _Audit, obj: ArchiveObject, expected: str, healthy: int,
                now: dt.datetime) -> None:
    """Name a loss when no offer, checked or not, holds a healthy copy; clear a known one
    when one came back."""
    package = obj.package
    key = object_key(package.identifier, obj.path)
    if not healthy:
        checked = {offer.name for offer in audit.targets}
        healthy = sum(1 for offer in offers() if offer.name not in checked
                      and (found := _hash(offer, key)) is not None and found[0] == expected)
    part = audit.part(package.organisation)
    if healthy:
        if obj.lost_at is not None:
            ArchiveObject.objects.filter(pk=obj.pk).update(lost_at=None)
            part.recovered.append({"package": package.identifier, "object": obj.path})
        return
    since = obj.lost_at or now
    loss = {"package": package.identifier, "object": obj.path,
            "organisation": package.organisation.slug, "since": since.isoformat(),
            "reason": "perte : aucune copie saine sur aucune offre"}
    audit.report.losses.append(loss)
    part.losses.append(loss)
    if obj.lost_at is None:
        ArchiveObject.objects.filter(pk=obj.pk).update(lost_at=now)
        audit_record(actor=audit.actor, action="archives.loss", organisation=package.organisation,
                     target=package, data={"package": package.identifier, "object": obj.path,
                                           "sha256": expected, "offers": audit.report.offers})


def _check_objects(audit: _Audit, objects: list[ArchiveObject], sworn: dict[int, _Sworn],
                   now: dt.datetime, hashed: dict[tuple[str, str], tuple[str, int] | None]
                   ) -> dict[int, dict[str, str]]:
    """Check every copy's digest (hashed beforehand) against the journal's; repair; name the
    losses."""
    targets, repair = audit.targets, audit.repair
    expected_by_package: dict[int, dict[str, str]] = {}
    for obj in objects:
        package = obj.package
        record = sworn.get(package.pk)
        expected = record.objects.get(obj.path, "") if record else ""
        if record is not None and expected != obj.sha256:
            audit.fail(package, {"object": obj.path, "offer": "journal",
                                 "location": f"journal, événement n° {record.seq}", "reason": (
                                     "empreinte modifiée en base : le journal scellé garde "
                                     f"{expected}" if expected else
                                     "objet absent de l'événement de versement du journal")})
        expected = expected or obj.sha256
        expected_by_package.setdefault(package.pk, {})[obj.path] = expected
        key = object_key(package.identifier, obj.path)
        healthy = 0
        for offer in targets:
            found = hashed[(offer.name, key)]
            audit.count(package, found[1] if found else 0)
            problem = ""
            if found is None:
                problem = "copie absente"
            elif found[0] != expected:
                problem = "empreinte SHA-256 différente de celle du versement"
            if not problem:
                healthy += 1
                continue
            fixed = repair and _repair(actor=audit.actor, package=package, key=key,
                                       damaged=offer, expected_sha256=expected)
            healthy += int(bool(fixed))
            audit.fail(package, {"object": obj.path, "offer": offer.name,
                                 "location": offer.location(key), "reason": problem},
                       bool(fixed))
        _loss_check(audit, obj, expected, healthy, now)
        for offer in targets:
            _check_sidecar(audit, obj, offer, expected)
    return expected_by_package


def _check_sidecar(audit: _Audit, obj: ArchiveObject, offer: Offer, expected_sha256: str) -> None:
    package = obj.package
    sidecar_key = digest_key(package.identifier, obj.path)
    expected = f"{expected_sha256}  {obj.path}\n".encode()
    if _read(offer, sidecar_key) == expected:
        return
    fixed = audit.repair and _repair(actor=audit.actor, package=package, key=sidecar_key,
                                     damaged=offer,
                                     expected_sha256=hashlib.sha256(expected).hexdigest(),
                                     content=expected)
    audit.fail(package, {"object": obj.path, "offer": offer.name,
                         "location": offer.location(sidecar_key),
                         "reason": "empreinte annexe (.sha256) absente ou différente"},
               bool(fixed))


def _check_manifests(audit: _Audit, packages: dict[int, ArchivalPackage],
                     expected_by_package: dict[int, dict[str, str]],
                     sworn: dict[int, _Sworn]) -> None:
    for package in packages.values():
        key = manifest_key(package.identifier)
        record = sworn.get(package.pk)
        expected_sha256 = (record.manifest_sha256 if record and record.manifest_sha256
                           else package.manifest_sha256)
        digests = dict(package.contents.values_list("path", "sha256"))
        digests.update(expected_by_package.get(package.pk, {}))
        if record is not None:
            digests.update({path: sha for path, sha in record.objects.items() if path in digests})
        expected_manifest = _package_manifest(digests)
        for offer in audit.targets:
            found = _hash(offer, key)
            audit.count(package)
            if found is not None and found[0] == expected_sha256:
                continue
            fixed = audit.repair and hashlib.sha256(expected_manifest).hexdigest() == \
                expected_sha256 and _repair(
                    actor=audit.actor, package=package, key=key, damaged=offer,
                    expected_sha256=expected_sha256, content=expected_manifest)
            audit.fail(package, {"object": "manifest-sha256.txt", "offer": offer.name,
                                 "location": offer.location(key),
                                 "reason": "manifeste du paquet absent ou altéré"}, bool(fixed))


def _integrity_set(audit: _Audit, packages: dict[int, ArchivalPackage], now: dt.datetime) -> None:
    lost = set(ArchiveObject.objects.filter(package__in=list(packages), lost_at__isnull=False)
               .values_list("package_id", flat=True))
    for pk in packages:
        status = (Integrity.LOST if pk in lost else Integrity.DEGRADED if pk in audit.degraded
                  else Integrity.INTACT)
        ArchivalPackage.objects.filter(pk=pk).update(integrity=status, integrity_checked_at=now)


def _journal_parts(audit: _Audit, *, sample: float | None, started: dt.datetime,
                   organisation: Organisation | None) -> None:
    """One event (and one audit row) in the journal of each organisation whose packages
    were checked; the platform's for what belongs to no organisation."""
    report = audit.report
    if organisation is not None and not audit.parts:
        audit.part(organisation)
    if (report.strays or report.interrupted or not audit.parts) and None not in audit.parts:
        audit.part(None)
    finished = timezone.now()
    for part in audit.parts.values():
        own = part.organisation is None
        ok = not (part.failures or part.losses or (own and (report.strays or report.interrupted)))
        data = {
            "run": report.run, "ok": ok, "offers": report.offers, "sample": sample,
            "packages_checked": part.packages, "objects_checked": part.checked,
            "bytes": part.bytes, "repaired": part.repaired, "failures": part.failures[:200],
            "failure_count": len(part.failures), "losses": part.losses[:200],
            "losses_recovered": part.recovered[:200], "at": finished.isoformat(),
            "seconds": round(report.seconds, 3),
        }
        if own:
            data.update(strays=(report.strays or [])[:200],
                        stray_count=len(report.strays or []),
                        interrupted=report.interrupted[:200])
        event = audit_record(actor=audit.actor, action="archives.verify",
                             organisation=part.organisation, data=data)
        FixityAudit.objects.create(
            run=report.run, organisation=part.organisation, actor=audit.actor,
            started_at=started, finished_at=finished, sample=sample, offers=report.offers,
            ok=ok, packages_checked=part.packages, objects_checked=part.checked,
            bytes=part.bytes, repaired=part.repaired, losses=part.losses[:200],
            failures=(part.failures + ((report.strays or []) if own else []))[:200],
            event_seq=event.seq)


def archives_verify(*, actor: User | None, organisation: Organisation | None = None,
                    offer_name: str | None = None, sample: float | None = None,
                    repair: bool = True, seed: int | None = None) -> VerifyReport:
    """Re-hash the stored copies (all, or a sample) against the digests the sealed journal
    holds, repair, name losses, find interrupted ingests and stray objects, journal it all.

    Each organisation whose packages were checked gets its own event and audit row.
    """
    try:
        targets = [offer_get(offer_name)] if offer_name else offers()
    except OfferError as exc:
        raise FixityError(str(exc)) from None
    started_at = timezone.now()
    audit = _Audit(actor=actor, targets=targets, repair=repair)
    report = audit.report
    started = time.perf_counter()
    report.interrupted = recovery.interrupted_recover()
    objects = _objects_in_scope(organisation, sample, seed)
    packages = {obj.package.pk: obj.package for obj in objects}
    for package in packages.values():
        audit.part(package.organisation).packages += 1
    report.packages = len(packages)
    keys = [object_key(obj.package.identifier, obj.path) for obj in objects]
    # The copies are hashed in the background while the journal is read and compared: the
    # hashing threads release the GIL, the database queries wait on I/O.
    with ThreadPoolExecutor(max_workers=1) as background:
        hashing = background.submit(_hash_all, targets, keys)
        sworn = _sworn_events("archives.transfer_accept", ArchivalPackage._meta.label_lower,
                              sorted(packages))
        for pk in packages:
            _count_journal(audit, sworn.get(pk))
        _check_journal(audit, packages, sworn)
        hashed = hashing.result()
    expected = _check_objects(audit, objects, sworn, started_at, hashed)
    _check_manifests(audit, packages, expected, sworn)
    if sample is None:
        _check_refused(audit, organisation)
    if organisation is None:
        report.strays = recovery.strays_find(targets)
    _integrity_set(audit, packages, started_at)
    report.seconds = time.perf_counter() - started
    _journal_parts(audit, sample=sample, started=started_at, organisation=organisation)
    return report


def known_losses(*, organisation: Organisation | None = None) -> int:
    """Count the objects known lost (under an organisation, or everywhere)."""
    lost = ArchiveObject.objects.filter(lost_at__isnull=False, package__status=PackageStatus.KEPT)
    if organisation is not None:
        lost = lost.filter(package__organisation__path__startswith=organisation.path)
    return lost.count()
