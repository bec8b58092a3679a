"""The ingest of a SEDA transfer: journaled steps, all-or-nothing, a reply either way.

``transfer_ingest`` takes a package file (zip or tar), whoever produced it: a partner's
upload, the command line, or a package the platform generates itself (the GED transfer
to come calls the same function with the file it built).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.blobs import spool_dir
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.services import ServiceError

from . import seda
from .container import ContainerRefused, safe_member_path, unpack
from .formats import Identified, identify
from .models import (
    ArchivalPackage,
    ArchivalProfile,
    ArchiveObject,
    Rule,
    RuleKind,
    Transfer,
    TransferStatus,
    TransferStep,
)
from .offers import Offer, OfferError, digest_key, manifest_key, object_key, offers

MANIFEST = "manifest.xml"
CHUNK = 1024 * 1024

STEP_LABELS = {
    "container": "Contrôle du conteneur",
    "manifest": "Lecture du bordereau",
    "schema": "Validation par le schéma SEDA",
    "agencies": "Services d'archives et versant connus",
    "profile": "Conformité au profil d'archivage",
    "identifiers": "Identifiants uniques",
    "objects": "Présence, taille et empreinte des objets",
    "tree": "Arborescence des unités d'archives",
    "formats": "Identification des formats",
    "rules": "Règles de gestion",
    "storage": "Écriture sur les offres de stockage",
}


class StepFailed(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


@dataclass
class _Run:
    steps: list[tuple[str, bool, str]] = field(default_factory=list)

    def ok(self, name: str, reason: str = "") -> None:
        self.steps.append((name, True, reason))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def organisation_for_agency(identifier: str) -> Organisation | None:
    """Return the organisation answering to an agency identifier: its slug, or its SIRET."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return (Organisation.objects.filter(slug__iexact=identifier).first()
            or Organisation.objects.filter(siret=identifier).exclude(siret="").first())


def rules_for(organisation: Organisation) -> dict[str, Rule]:
    """Return the rules an organisation may use: its own and its ancestors', nearest first."""
    parts = [part for part in organisation.path.split("/") if part]
    prefixes = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]
    found: dict[str, Rule] = {}
    for rule in Rule.objects.filter(organisation__path__in=prefixes).select_related("organisation"):
        current = found.get(rule.rule_id)
        if current is None or len(rule.organisation.path) > len(current.organisation.path):
            found[rule.rule_id] = rule
    return found


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _digest_file(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _Checked:
    manifest: seda.Manifest
    producer: Organisation
    files: dict[str, int]
    sha256: dict[str, str]
    formats: dict[str, Identified]
    rules: dict[str, Rule]


def _check(run: _Run, organisation: Organisation, package: Path, work: Path) -> _Checked:
    try:
        unpacked = unpack(package, work)
    except ContainerRefused as exc:
        raise StepFailed("container", str(exc)) from None
    run.ok("container", f"{len(unpacked.files)} fichier(s), "
                        f"{sum(unpacked.files.values())} octets décompressés.")

    if MANIFEST not in unpacked.files:
        raise StepFailed("manifest", "Le paquet ne contient pas de bordereau « manifest.xml » à "
                                     "sa racine.")
    try:
        tree, version = seda.parse_manifest((work / MANIFEST).read_bytes())
        manifest = seda.read_manifest(tree, version)
    except seda.ManifestRefused as exc:
        raise StepFailed("manifest", str(exc)) from None
    run.ok("manifest", f"ArchiveTransfer SEDA {version}, message « {manifest.message_identifier} ».")

    errors = seda.validate_schema(tree, version)
    if errors:
        raise StepFailed("schema", f"Bordereau non conforme au schéma SEDA {version} : "
                                   + " ; ".join(errors))
    run.ok("schema", f"Conforme au schéma SEDA {version}." if errors is not None else
           f"Schéma SEDA {version} non configuré : validation XSD non effectuée.")

    archival = organisation_for_agency(manifest.archival_agency)
    if archival is None or archival.pk != organisation.pk:
        raise StepFailed("agencies", f"Service d'archives « {manifest.archival_agency} » inconnu "
                                     f"ou différent de « {organisation.slug} ».")
    producer = organisation_for_agency(manifest.transferring_agency)
    if producer is None or not producer.path.startswith(organisation.path):
        raise StepFailed("agencies", f"Service versant « {manifest.transferring_agency} » inconnu "
                                     f"ou hors du ressort de « {organisation.name} ».")
    run.ok("agencies", f"Service d'archives : {organisation.name} ; service versant : "
                       f"{producer.name}.")

    if manifest.archival_profile:
        profile = ArchivalProfile.objects.filter(organisation=organisation,
                                                 identifier=manifest.archival_profile).first()
        if profile is None:
            raise StepFailed("profile", f"Profil d'archivage « {manifest.archival_profile} » "
                                        f"inconnu de {organisation.name}.")
        profile_errors = seda.validate_profile(tree, profile.schema)
        if profile_errors:
            raise StepFailed("profile", f"Bordereau non conforme au profil "
                                        f"« {profile.identifier} » : " + " ; ".join(profile_errors))
        run.ok("profile", f"Conforme au profil « {profile.identifier} ».")
    else:
        run.ok("profile", "Aucun profil d'archivage déclaré.")

    seen: set[str] = set()
    duplicates = sorted({i for i in manifest.ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    if duplicates:
        raise StepFailed("identifiers", "Identifiants en double dans le bordereau : "
                                        + ", ".join(duplicates[:20]) + ".")
    run.ok("identifiers", f"{len(manifest.ids)} identifiant(s), tous uniques.")

    sha256: dict[str, str] = {}
    declared: set[str] = set()
    for obj in manifest.data_objects:
        try:
            path = safe_member_path(obj.uri)
        except ContainerRefused as exc:
            raise StepFailed("objects", f"Objet {obj.id} : {exc}") from None
        declared.add(path)
        if path not in unpacked.files:
            raise StepFailed("objects", f"Objet {obj.id} déclaré mais absent du paquet : « {path} ».")
        if obj.size is not None and obj.size != unpacked.files[path]:
            raise StepFailed("objects", f"Objet {obj.id} : taille déclarée {obj.size}, "
                                        f"taille réelle {unpacked.files[path]} octets.")
        algorithm = seda.DIGEST_ALGORITHMS.get(obj.algorithm)
        if algorithm is None:
            raise StepFailed("objects", f"Objet {obj.id} : algorithme d'empreinte « {obj.algorithm} » "
                                        "non admis (SHA-256 ou SHA-512).")
        actual = _digest_file(work / path, algorithm)
        if actual != obj.digest:
            raise StepFailed("objects", f"Objet {obj.id} : l'empreinte {obj.algorithm} ne "
                                        f"correspond pas au contenu de « {path} ».")
        sha256[path] = actual if algorithm == "sha256" else _sha256_file(work / path)
    undeclared = sorted(set(unpacked.files) - declared - {MANIFEST})
    if undeclared:
        raise StepFailed("objects", "Fichier(s) non déclaré(s) dans le bordereau : "
                                    + ", ".join(undeclared[:20]) + ".")
    sha256[MANIFEST] = _sha256_file(work / MANIFEST)
    run.ok("objects", f"{len(manifest.data_objects)} objet(s) présents, tailles et empreintes "
                      "conformes.")

    units = set(manifest.unit_children)
    unknown = [ref for ref in manifest.unit_refs if ref not in units]
    if unknown:
        raise StepFailed("tree", "Référence à une unité d'archives inconnue : "
                                 + ", ".join(unknown[:20]) + ".")
    known_objects = {obj.id for obj in manifest.data_objects} | {
        obj.group for obj in manifest.data_objects if obj.group} | set(manifest.ids)
    missing = [ref for ref in manifest.object_refs if ref not in known_objects]
    if missing:
        raise StepFailed("tree", "Référence à un objet inconnu : " + ", ".join(missing[:20]) + ".")
    cycle = seda.find_cycle(manifest.unit_children)
    if cycle:
        raise StepFailed("tree", "Cycle dans l'arborescence des unités d'archives : "
                                 + " → ".join(cycle) + ".")
    if not units:
        raise StepFailed("tree", "Le bordereau ne décrit aucune unité d'archives.")
    run.ok("tree", f"{len(units)} unité(s) d'archives, sans cycle.")

    formats = {path: identify(work / path) for path in sorted(sha256)}
    unknown_formats = [path for path, found in formats.items() if not found.format_id]
    tool = next(iter(formats.values())).tool
    run.ok("formats", f"Outil : {tool}. "
           + (f"Format non identifié : {', '.join(unknown_formats[:20])}." if unknown_formats
              else "Tous les formats sont identifiés."))

    referential = rules_for(producer)
    for ref in manifest.rules:
        rule = referential.get(ref.rule_id)
        if rule is None or rule.kind != ref.kind:
            raise StepFailed("rules", f"Règle « {ref.rule_id} » ({ref.kind}) absente du "
                                      f"référentiel de {producer.name}.")
    run.ok("rules", f"{len(manifest.rules)} règle(s) résolue(s) dans le référentiel."
           if manifest.rules else "Aucune règle déclarée.")
    return _Checked(manifest=manifest, producer=producer, files=unpacked.files, sha256=sha256,
                    formats=formats, rules=referential)


def _package_manifest(checked: _Checked) -> bytes:
    return "".join(f"{checked.sha256[path]}  objects/{path}\n"
                   for path in sorted(checked.sha256)).encode()


def _store(identifier: str, checked: _Checked, work: Path, written: list[tuple[Offer, str]]) -> str:
    package_manifest = _package_manifest(checked)
    for offer in offers():
        for path in sorted(checked.sha256):
            with open(work / path, "rb") as source:
                offer.put(object_key(identifier, path), source)
            written.append((offer, object_key(identifier, path)))
            offer.put(digest_key(identifier, path),
                      io.BytesIO(f"{checked.sha256[path]}  {path}\n".encode()))
            written.append((offer, digest_key(identifier, path)))
        offer.put(manifest_key(identifier), io.BytesIO(package_manifest))
        written.append((offer, manifest_key(identifier)))
    return hashlib.sha256(package_manifest).hexdigest()


def _rule_dates(checked: _Checked, kind: str) -> tuple[str, dt.date | None, dt.date | None, str]:
    refs = [ref for ref in checked.manifest.rules if ref.kind == kind]
    refs.sort(key=lambda ref: not ref.package_level)
    if not refs:
        return "", None, None, ""
    ref = refs[0]
    rule = checked.rules[ref.rule_id]
    end = add_years(ref.start_date, rule.duration_years) if ref.start_date else None
    return ref.rule_id, ref.start_date, end, ref.final_action or rule.final_action


def transfer_ingest(*, actor: User | None, organisation: Organisation,
                    package: Path | IO[bytes], filename: str = "") -> Transfer:
    """Run a transfer through every check; keep it whole on every offer if all pass."""
    if actor is not None and not can(actor, "archives.ingest", organisation):
        raise ServiceError("Vous ne pouvez pas verser d'archives pour ce service.",
                           code="forbidden")
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix="sip-"))
    try:
        if isinstance(package, Path):
            source = package
            filename = filename or package.name
        else:
            source = work / "incoming.package"
            with open(source, "wb") as out:
                shutil.copyfileobj(package, out, CHUNK)
        extracted = work / "content"
        extracted.mkdir()
        return _ingest(actor, organisation, source, extracted, filename)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _ingest(actor: User | None, organisation: Organisation, source: Path, work: Path,
            filename: str) -> Transfer:
    run = _Run()
    now = timezone.now()
    reply_identifier = f"ATR-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    identifier = f"AIP-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    checked: _Checked | None = None
    failure: StepFailed | None = None
    written: list[tuple[Offer, str]] = []
    manifest_sha256 = ""
    try:
        checked = _check(run, organisation, source, work)
        try:
            manifest_sha256 = _store(identifier, checked, work, written)
        except OfferError as exc:
            raise StepFailed("storage", str(exc)) from None
        run.ok("storage", f"Paquet écrit sur les offres : "
                          f"{', '.join(offer.name for offer in offers())}.")
    except StepFailed as exc:
        failure = exc
    manifest = checked.manifest if checked else None
    steps = [*run.steps, *([(failure.name, False, failure.reason)] if failure else [])]
    version = manifest.version if manifest else _version_hint(work)
    reply = seda.transfer_reply(
        version=version or "2.1", reply_identifier=reply_identifier,
        request_identifier=manifest.message_identifier if manifest else "",
        ok=failure is None, archival_agency=organisation.slug,
        transferring_agency=manifest.transferring_agency if manifest else "",
        events=[seda.ReplyEvent(name, ok, reason) for name, ok, reason in steps], at=now,
        comment="Transfert accepté." if failure is None else f"Transfert refusé : {failure.reason}",
    )
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                organisation=organisation, received_at=now, actor=actor,
                filename=filename[:255], size=source.stat().st_size,
                sha256=_sha256_file(source), seda_version=version or "",
                message_identifier=(manifest.message_identifier if manifest else "")[:255],
                status=TransferStatus.REJECTED if failure else TransferStatus.ACCEPTED,
                reply_identifier=reply_identifier, reply_xml=reply.decode(),
            )
            TransferStep.objects.bulk_create([
                TransferStep(transfer=transfer, position=index, name=name,
                             label=STEP_LABELS[name], ok=ok, reason=reason)
                for index, (name, ok, reason) in enumerate(steps, start=1)
            ])
            if failure is not None or checked is None:
                audit_record(actor=actor, action="archives.transfer_reject",
                             organisation=organisation, target=transfer,
                             data={"reply": reply_identifier, "step": failure.name if failure else "",
                                   "reason": failure.reason if failure else "",
                                   "sha256": transfer.sha256})
                return transfer
            package = _package_create(transfer, identifier, checked, manifest_sha256)
            audit_record(actor=actor, action="archives.transfer_accept",
                         organisation=checked.producer, target=package,
                         data={"package": identifier, "reply": reply_identifier,
                               "manifest_sha256": manifest_sha256,
                               "objects": {path: checked.sha256[path] for path in
                                           sorted(checked.sha256)}})
            return transfer
    except Exception:
        for offer, key in written:
            offer.delete(key)
        raise


def _version_hint(work: Path) -> str:
    try:
        head = (work / MANIFEST).read_bytes()[:4096]
    except OSError:
        return ""
    for namespace, version in seda.NAMESPACES.items():
        if namespace.encode() in head:
            return version
    return ""


def _package_create(transfer: Transfer, identifier: str, checked: _Checked,
                    manifest_sha256: str) -> ArchivalPackage:
    manifest = checked.manifest
    appraisal, appraisal_start, appraisal_end, final_action = _rule_dates(
        checked, RuleKind.APPRAISAL)
    access, access_start, access_end, _ = _rule_dates(checked, RuleKind.ACCESS)
    package = ArchivalPackage.objects.create(
        identifier=identifier, organisation=checked.producer,
        archival_agency=transfer.organisation, transfer=transfer,
        seda_version=manifest.version, title=(manifest.title or "Sans titre")[:500],
        description=manifest.description, start_date=manifest.start_date,
        end_date=manifest.end_date, originating_agency=manifest.originating_agency[:255],
        transferring_agency=manifest.transferring_agency[:255],
        archival_agency_identifier=manifest.archival_agency[:255],
        appraisal_rule=appraisal, appraisal_start_date=appraisal_start,
        appraisal_end_date=appraisal_end, final_action=final_action,
        access_rule=access, access_start_date=access_start, access_end_date=access_end,
        size=sum(checked.files.values()), object_count=len(checked.sha256),
        manifest_sha256=manifest_sha256,
    )
    by_path = {obj.uri and safe_member_path(obj.uri): obj for obj in manifest.data_objects}
    ArchiveObject.objects.bulk_create([
        ArchiveObject(
            package=package, path=path, data_object_id=by_path[path].id if path in by_path else "",
            size=checked.files[path], sha256=checked.sha256[path],
            declared_algorithm=by_path[path].algorithm if path in by_path else "",
            declared_digest=by_path[path].digest if path in by_path else "",
            format_id=checked.formats[path].format_id,
            format_name=checked.formats[path].format_name[:255],
            mime_type=checked.formats[path].mime_type[:120],
            format_tool=checked.formats[path].tool,
        )
        for path in sorted(checked.sha256)
    ])
    return package
