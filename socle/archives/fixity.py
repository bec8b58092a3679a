"""Fixity audits: re-hash every copy on every offer, repair a damaged copy from a healthy one.

Repair is on by default (``--no-repair`` only reports): a copy found damaged or missing is
rewritten from another offer's copy, after that copy's bytes were re-hashed against the
digest kept in the database. Any failure found makes the run fail (exit code 1), even
when repaired, so that the operator looks at the offer that degraded.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from socle.core.blobs import spool_dir
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .models import ArchivalPackage, ArchiveObject, PackageStatus
from .offers import CHUNK, Offer, OfferError, digest_key, manifest_key, object_key, offer_get, offers

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

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "offers": self.offers, "objects_checked": self.checked,
            "bytes": self.bytes, "seconds": round(self.seconds, 3),
            "throughput_mb_s": round(self.bytes / 1e6 / self.seconds, 1) if self.seconds else 0.0,
            "failures": self.failures, "repaired": self.repaired,
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


def _package_manifest(package: ArchivalPackage) -> bytes:
    return "".join(f"{obj.sha256}  objects/{obj.path}\n"
                   for obj in package.contents.order_by("path")).encode()


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


def archives_verify(*, actor: User | None, organisation: Organisation | None = None,
                    offer_name: str | None = None, sample: float | None = None,
                    repair: bool = True, seed: int | None = None) -> VerifyReport:
    """Re-hash the stored copies (all, or a sample), report, repair, and journal the audit."""
    try:
        targets = [offer_get(offer_name)] if offer_name else offers()
    except OfferError as exc:
        raise FixityError(str(exc)) from None
    packages = ArchivalPackage.objects.filter(status=PackageStatus.KEPT)
    if organisation is not None:
        packages = packages.filter(organisation__path__startswith=organisation.path)
    objects = list(ArchiveObject.objects.filter(package__in=packages)
                   .select_related("package", "package__organisation").order_by("pk"))
    if sample is not None and objects:
        rng = random.Random(seed)
        objects = rng.sample(objects, max(1, round(len(objects) * sample)))
    report = VerifyReport(offers=[offer.name for offer in targets])
    started = time.perf_counter()
    checked_packages: dict[int, ArchivalPackage] = {}
    hashed = _hash_all(targets, [object_key(obj.package.identifier, obj.path) for obj in objects])
    for obj in objects:
        package = obj.package
        checked_packages[package.pk] = package
        key = object_key(package.identifier, obj.path)
        for offer in targets:
            found = hashed[(offer.name, key)]
            report.checked += 1
            problem = ""
            if found is None:
                problem = "copie absente"
            else:
                report.bytes += found[1]
                if found[0] != obj.sha256:
                    problem = "empreinte SHA-256 différente de celle enregistrée"
            if problem:
                fixed = repair and _repair(actor=actor, package=package, key=key, damaged=offer,
                                           expected_sha256=obj.sha256)
                report.repaired += int(bool(fixed))
                report.failures.append({"package": package.identifier, "object": obj.path,
                                        "offer": offer.name, "location": offer.location(key),
                                        "reason": problem, "repaired": "oui" if fixed else "non"})
            sidecar_key = digest_key(package.identifier, obj.path)
            sidecar = _read(offer, sidecar_key)
            expected = f"{obj.sha256}  {obj.path}\n".encode()
            if sidecar != expected:
                fixed = repair and _repair(actor=actor, package=package, key=sidecar_key,
                                           damaged=offer,
                                           expected_sha256=hashlib.sha256(expected).hexdigest(),
                                           content=expected)
                report.repaired += int(bool(fixed))
                report.failures.append({
                    "package": package.identifier, "object": obj.path, "offer": offer.name,
                    "location": offer.location(sidecar_key),
                    "reason": "empreinte annexe (.sha256) absente ou différente",
                    "repaired": "oui" if fixed else "non"})
    for package in checked_packages.values():
        key = manifest_key(package.identifier)
        expected_manifest = _package_manifest(package)
        for offer in targets:
            found = _hash(offer, key)
            report.checked += 1
            if found is None or found[0] != package.manifest_sha256:
                fixed = repair and hashlib.sha256(expected_manifest).hexdigest() == \
                    package.manifest_sha256 and _repair(
                        actor=actor, package=package, key=key, damaged=offer,
                        expected_sha256=package.manifest_sha256, content=expected_manifest)
                report.repaired += int(bool(fixed))
                report.failures.append({
                    "package": package.identifier, "object": "manifest-sha256.txt",
                    "offer": offer.name, "location": offer.location(key),
                    "reason": "manifeste du paquet absent ou altéré",
                    "repaired": "oui" if fixed else "non"})
    report.seconds = time.perf_counter() - started
    audit_record(actor=actor, action="archives.verify", organisation=organisation,
                 data={**report.as_dict(), "sample": sample, "at": timezone.now().isoformat()})
    return report
