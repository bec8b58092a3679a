"""The ingest of a SEDA transfer: journaled steps, all-or-nothing, a reply either way.

``transfer_ingest`` takes a package file (zip, tar or gzipped tar), whoever produced it:
a partner's upload, the command line, or a package the platform generates itself (the
GED transfer calls the same function with the file it built).

Each step is an event, as in Vitam: OK (done, nothing to say), WARNING (the transfer
goes through, but the step was not whole or found something the archivist should know)
or KO (the transfer is refused, nothing is stored, and the steps after it are not run).
Each step carries the time it ended, in ``TransferStep.at`` and in the reply's
``EventDateTime``. The event type codes (``EventTypeCode`` of the reply, ``name`` of the
step), in their order:

=============  ==============================================================================
code           what it checks; WARNING when
=============  ==============================================================================
container      zip / tar / tar.gz read by its own structure, paths, links, sizes, bombs
antivirus      every file scanned (clamd); WARNING: no scanner configured
manifest       manifest.xml present, well-formed, no DTD, an ArchiveTransfer of SEDA 2.1-2.3
schema         the official XSD of its version; WARNING: no schema configured
agencies       archival agency and transferring agency known, the latter within the former
profile        the archival profile it declares (RELAX NG or Schematron)
identifiers    every id unique
objects        each object present, its digest right, nothing undeclared; WARNING: a
               declared size that differs (the real one is kept), a weak digest (MD5, SHA-1)
tree           units known, no cycle, every object group attached to a unit, units
               pointing at object groups (not at the objects inside one)
description    each unit titled, its dates real calendar dates, not after the transfer,
               and its end not before its start
formats        formats identified (Siegfried, PRONOM); WARNING: a format not identified
rules          every rule of every category (StorageRule … HoldRule) in the referential
storage        written on every offer; the reply then names the package (EventDetailData)
=============  ==============================================================================

The list is also in docs/operations.md ("Étapes du versement"), for the archivists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils import timezone
from lxml import etree

from socle.core.access import can
from socle.core.blobs import spool_dir
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.services import ServiceError

from . import antivirus, recovery, seda
from .agencies import agency_names, organisation_for_agency, unknown_agency_hint
from .container import ContainerRefused, Unpacked, safe_member_path, unpack
from .formats import Identified, identify
from .models import (
    ArchivalPackage,
    ArchivalProfile,
    ArchiveObject,
    Rule,
    RuleKind,
    StepOutcome,
    Transfer,
    TransferStatus,
    TransferStep,
)
from .offers import Offer, OfferError, digest_key, manifest_key, object_key, offers

MANIFEST = "manifest.xml"
CHUNK = 1024 * 1024
LISTED = 20  # at most this many names in one reason

STEP_LABELS = {
    "container": "Contrôle du conteneur",
    "antivirus": "Analyse antivirus",
    "manifest": "Lecture du bordereau",
    "schema": "Validation par le schéma SEDA",
    "agencies": "Services d'archives et versant connus",
    "profile": "Conformité au profil d'archivage",
    "identifiers": "Identifiants uniques",
    "objects": "Présence, taille et empreinte des objets",
    "tree": "Arborescence des unités d'archives et des objets",
    "description": "Cohérence des métadonnées descriptives",
    "formats": "Identification des formats",
    "rules": "Règles de gestion",
    "storage": "Écriture sur les offres de stockage",
}
RULE_LABELS = dict(RuleKind.choices)


class StepFailed(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Step:
    name: str
    outcome: StepOutcome
    reason: str
    at: dt.datetime


@dataclass
class _Run:
    steps: list[Step] = field(default_factory=list)

    def record(self, name: str, outcome: StepOutcome, reason: str = "") -> None:
        self.steps.append(Step(name, outcome, reason, timezone.now()))

    def ok(self, name: str, reason: str = "") -> None:
        self.record(name, StepOutcome.OK, reason)

    def warning(self, name: str, reason: str) -> None:
        """Record a step that lets the transfer through without having done its whole check."""
        self.record(name, StepOutcome.WARNING, reason)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


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
    return _digest_file(path, "sha256")


def _digest_file(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _names(items: list[str]) -> str:
    return ", ".join(items[:LISTED]) + (f" (et {len(items) - LISTED} autres)"
                                        if len(items) > LISTED else "")


@dataclass
class _Checked:
    manifest: seda.Manifest
    producer: Organisation
    files: dict[str, int]
    sha256: dict[str, str]
    formats: dict[str, Identified]
    rules: dict[str, Rule]


@dataclass
class _Context:
    """What the steps learn, one after the other."""

    organisation: Organisation
    package: Path
    work: Path
    received: dt.datetime
    unpacked: Unpacked | None = None
    tree: etree._ElementTree | None = None
    manifest: seda.Manifest | None = None
    producer: Organisation | None = None
    sha256: dict[str, str] = field(default_factory=dict)
    formats: dict[str, Identified] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, int]:
        assert self.unpacked is not None
        return self.unpacked.files

    @property
    def m(self) -> seda.Manifest:
        assert self.manifest is not None
        return self.manifest


def _step_container(run: _Run, ctx: _Context) -> None:
    try:
        ctx.unpacked = unpack(ctx.package, ctx.work)
    except ContainerRefused as exc:
        raise StepFailed("container", str(exc)) from None
    run.ok("container", f"{ctx.unpacked.kind.upper()}, {len(ctx.files)} fichier(s), "
                        f"{sum(ctx.files.values())} octets décompressés.")


def _step_antivirus(run: _Run, ctx: _Context) -> None:
    scanner = antivirus.configured_scanner()
    if scanner is None:
        run.warning("antivirus", "Analyse antivirus non effectuée : aucun antivirus configuré "
                                 "(SOCLE_ARCHIVES_ANTIVIRUS).")
        return
    infected: list[str] = []
    try:
        engine = scanner.version()
        for path in sorted(ctx.files):
            signature = scanner.scan(ctx.work / path)
            if signature:
                infected.append(f"« {path} » (signature « {signature} »)")
    except antivirus.ScannerError as exc:
        raise StepFailed("antivirus", f"Analyse antivirus impossible, paquet refusé plutôt que "
                                      f"reçu sans analyse : {exc}.") from None
    if infected:
        raise StepFailed("antivirus", "Virus détecté, paquet refusé : " + _names(infected) + ".")
    run.ok("antivirus", f"{len(ctx.files)} fichier(s) analysé(s) par {scanner.description}"
                        f"{f' — {engine}' if engine else ''} : aucun virus.")


def _step_manifest(run: _Run, ctx: _Context) -> None:
    if MANIFEST not in ctx.files:
        raise StepFailed("manifest", "Le paquet ne contient pas de bordereau « manifest.xml » à "
                                     "sa racine.")
    try:
        ctx.tree, version = seda.parse_manifest((ctx.work / MANIFEST).read_bytes())
        ctx.manifest = seda.read_manifest(ctx.tree, version)
    except seda.ManifestRefused as exc:
        raise StepFailed("manifest", str(exc)) from None
    run.ok("manifest", f"ArchiveTransfer SEDA {version}, message « {ctx.m.message_identifier} ».")


def _step_schema(run: _Run, ctx: _Context) -> None:
    assert ctx.tree is not None
    version = ctx.m.version
    errors = seda.validate_schema(ctx.tree, version)
    if errors:
        raise StepFailed("schema", f"Bordereau non conforme au schéma SEDA {version} : "
                                   + " ; ".join(errors))
    if errors is None:
        run.warning("schema", f"Validation par le schéma non effectuée : aucun schéma SEDA "
                              f"{version} configuré.")
    else:
        run.ok("schema", f"Conforme au schéma SEDA {version}.")


def _step_agencies(run: _Run, ctx: _Context) -> None:
    organisation, manifest = ctx.organisation, ctx.m
    archival = organisation_for_agency(manifest.archival_agency)
    if archival is None:
        raise StepFailed("agencies", f"Service d'archives « {manifest.archival_agency} » "
                                     f"inconnu. {unknown_agency_hint('archival')}")
    if archival.pk != organisation.pk:
        raise StepFailed("agencies", (
            f"Le bordereau s'adresse à « {archival.name} » (« {manifest.archival_agency} »), "
            f"pas à « {organisation.name} » qui reçoit le versement "
            f"({', '.join(agency_names(organisation))}) : versez-le au bon service ou corrigez "
            "<ArchivalAgency><Identifier>."))
    producer = organisation_for_agency(manifest.transferring_agency)
    if producer is None:
        raise StepFailed("agencies", f"Service versant « {manifest.transferring_agency} » "
                                     f"inconnu. {unknown_agency_hint('transferring')}")
    if not producer.path.startswith(organisation.path):
        raise StepFailed("agencies", (
            f"Le service versant « {producer.name} » (« {manifest.transferring_agency} ») "
            f"n'est pas du ressort de « {organisation.name} » : seuls ses services et ceux qui "
            "en dépendent lui versent leurs archives."))
    ctx.producer = producer
    run.ok("agencies", f"Service d'archives : {organisation.name} ; service versant : "
                       f"{producer.name}.")


def _step_profile(run: _Run, ctx: _Context) -> None:
    manifest = ctx.m
    if not manifest.archival_profile:
        run.ok("profile", "Aucun profil d'archivage déclaré.")
        return
    profile = ArchivalProfile.objects.filter(organisation=ctx.organisation,
                                             identifier=manifest.archival_profile).first()
    if profile is None:
        raise StepFailed("profile", f"Profil d'archivage « {manifest.archival_profile} » "
                                    f"inconnu de {ctx.organisation.name}.")
    assert ctx.tree is not None
    profile_errors = seda.validate_profile(ctx.tree, profile.schema)
    if profile_errors:
        raise StepFailed("profile", f"Bordereau non conforme au profil "
                                    f"« {profile.identifier} » : " + " ; ".join(profile_errors))
    run.ok("profile", f"Conforme au profil « {profile.identifier} ».")


def _step_identifiers(run: _Run, ctx: _Context) -> None:
    counts = Counter(ctx.m.ids)
    duplicates = sorted(i for i, count in counts.items() if count > 1)
    if duplicates:
        raise StepFailed("identifiers", "Identifiants en double dans le bordereau : "
                                        + _names(duplicates) + ".")
    run.ok("identifiers", f"{len(ctx.m.ids)} identifiant(s), tous uniques.")


def _check_object(ctx: _Context, obj: seda.DataObject, warnings: list[str]) -> str:
    """Check one declared object against the file it names; return the file's path."""
    try:
        path = safe_member_path(obj.uri)
    except ContainerRefused as exc:
        raise StepFailed("objects", f"Objet {obj.id} : {exc}") from None
    if path not in ctx.files:
        raise StepFailed("objects", f"Objet {obj.id} déclaré mais absent du paquet : « {path} ».")
    algorithm = seda.DIGEST_ALGORITHMS.get(obj.algorithm)
    if algorithm is None:
        raise StepFailed("objects", f"Objet {obj.id} : algorithme d'empreinte « {obj.algorithm} » "
                                    "non admis (MD5, SHA-1, SHA-256, SHA-384 ou SHA-512).")
    actual = _digest_file(ctx.work / path, algorithm)
    if actual != obj.digest:
        raise StepFailed("objects", f"Objet {obj.id} : l'empreinte {obj.algorithm} ne "
                                    f"correspond pas au contenu de « {path} ».")
    if obj.algorithm in seda.WEAK_DIGESTS:
        warnings.append(f"Objet {obj.id} : empreinte {obj.algorithm} déclarée, un algorithme "
                        "faible ; le contenu y est conforme et le SAE garde sa propre empreinte "
                        "SHA-256.")
    if obj.size is not None and obj.size != ctx.files[path]:
        warnings.append(f"Objet {obj.id} : taille déclarée {obj.size} octets, taille réelle "
                        f"{ctx.files[path]} octets (l'empreinte est conforme) ; la taille réelle "
                        "est retenue.")
    ctx.sha256[path] = actual if algorithm == "sha256" else _sha256_file(ctx.work / path)
    return path


def _step_objects(run: _Run, ctx: _Context) -> None:
    warnings: list[str] = []
    declared = {_check_object(ctx, obj, warnings) for obj in ctx.m.data_objects}
    undeclared = sorted(set(ctx.files) - declared - {MANIFEST})
    if undeclared:
        raise StepFailed("objects", "Fichier(s) non déclaré(s) dans le bordereau : "
                                    + _names(undeclared) + ".")
    ctx.sha256[MANIFEST] = _sha256_file(ctx.work / MANIFEST)
    done = f"{len(ctx.m.data_objects)} objet(s) présents, empreintes conformes"
    if warnings:
        run.warning("objects", f"{done}. " + " ".join(warnings[:LISTED]))
    else:
        run.ok("objects", f"{done}, tailles conformes.")


def _check_attachments(manifest: seda.Manifest) -> None:
    groups = set(manifest.groups)
    group_of = {obj.id: obj.group for obj in [*manifest.data_objects, *manifest.physical_objects]}
    for link in manifest.attachments:
        if link.to_group and link.ref not in groups:
            if link.ref in group_of:
                raise StepFailed("tree", f"L'unité d'archives « {link.unit} » désigne l'objet "
                                         f"« {link.ref} » comme un groupe d'objets "
                                         "(DataObjectGroupReferenceId) : elle doit désigner le "
                                         "groupe de cet objet.")
            raise StepFailed("tree", f"L'unité d'archives « {link.unit} » désigne un groupe "
                                     f"d'objets inconnu : « {link.ref} ».")
        if not link.to_group and group_of.get(link.ref):
            raise StepFailed("tree", f"L'unité d'archives « {link.unit} » désigne l'objet "
                                     f"« {link.ref} » au lieu de son groupe "
                                     f"« {group_of[link.ref]} » : une unité se rattache au "
                                     "groupe d'objets.")
        if not link.to_group and link.ref not in group_of:
            raise StepFailed("tree", f"L'unité d'archives « {link.unit} » désigne un objet "
                                     f"inconnu : « {link.ref} ».")
    attached = {link.ref for link in manifest.attachments}
    orphans = sorted(groups - attached) + sorted(
        obj_id for obj_id, group in group_of.items() if not group and obj_id not in attached)
    if orphans:
        raise StepFailed("tree", "Groupe(s) d'objets ou objet(s) rattaché(s) à aucune unité "
                                 "d'archives : " + _names(orphans) + ".")


def _step_tree(run: _Run, ctx: _Context) -> None:
    manifest = ctx.m
    units = set(manifest.unit_children)
    unknown = [ref for ref in manifest.unit_refs if ref not in units]
    if unknown:
        raise StepFailed("tree", "Référence à une unité d'archives inconnue : "
                                 + _names(unknown) + ".")
    known_objects = {obj.id for obj in manifest.data_objects} | set(manifest.groups) | set(
        manifest.ids)
    missing = [ref for ref in manifest.object_refs if ref not in known_objects]
    if missing:
        raise StepFailed("tree", "Référence à un objet inconnu : " + _names(missing) + ".")
    cycle = seda.find_cycle(manifest.unit_children)
    if cycle:
        raise StepFailed("tree", "Cycle dans l'arborescence des unités d'archives : "
                                 + " → ".join(cycle) + ".")
    _check_attachments(manifest)
    if not units:
        raise StepFailed("tree", "Le bordereau ne décrit aucune unité d'archives.")
    run.ok("tree", f"{len(units)} unité(s) d'archives, sans cycle ; chaque groupe d'objets est "
                   "rattaché à une unité.")


def _check_unit(unit: seda.Unit, latest: dt.date) -> None:
    if not any(title.strip() for title in unit.titles):
        raise StepFailed("description", f"L'unité d'archives « {unit.id} » n'a pas de titre "
                                        "(Title absent ou vide).")
    dates: dict[str, dt.date] = {}
    for name, raw in unit.dates.items():
        parsed = seda.parse_date(raw)
        if parsed is None:
            raise StepFailed("description", f"Unité d'archives « {unit.id} » : la date {name} "
                                            f"« {raw[:40]} » n'existe pas (année sur quatre "
                                            "chiffres, mois et jour réels attendus).")
        if parsed > latest:
            raise StepFailed("description", f"Unité d'archives « {unit.id} » : la date {name} "
                                            f"« {raw[:40]} » est postérieure au versement ; "
                                            f"année {parsed.year} impossible.")
        dates[name] = parsed
    start, end = dates.get("StartDate"), dates.get("EndDate")
    if start and end and end < start:
        raise StepFailed("description", f"Unité d'archives « {unit.id} » : la date de fin "
                                        f"({end.isoformat()}) précède la date de début "
                                        f"({start.isoformat()}).")


def _step_description(run: _Run, ctx: _Context) -> None:
    # A day's margin: a date written in another time zone may already be tomorrow here.
    latest = timezone.localdate(ctx.received) + dt.timedelta(days=1)
    for unit in ctx.m.units:
        _check_unit(unit, latest)
    run.ok("description", f"{len(ctx.m.units)} unité(s) décrite(s) : titres présents, dates "
                          "possibles et ordonnées.")


def _step_formats(run: _Run, ctx: _Context) -> None:
    ctx.formats = {path: identify(ctx.work / path) for path in sorted(ctx.sha256)}
    unknown_formats = [path for path, found in ctx.formats.items() if not found.format_id]
    tool = next(iter(ctx.formats.values())).tool
    if unknown_formats:
        run.warning("formats", f"Outil : {tool}. Format non identifié : "
                               f"{_names(unknown_formats)}.")
    else:
        run.ok("formats", f"Outil : {tool}. Tous les formats sont identifiés.")


def _step_rules(run: _Run, ctx: _Context) -> None:
    assert ctx.producer is not None
    ctx.rules = referential = rules_for(ctx.producer)
    for ref in ctx.m.rules:
        where = f"unité « {ref.unit} »" if ref.unit else "métadonnées de gestion du paquet"
        label = RULE_LABELS.get(ref.kind, ref.kind)
        if not ref.rule_id:
            raise StepFailed("rules", f"Règle vide ({ref.kind}, {where}).")
        if ref.start_text and ref.start_date is None:
            raise StepFailed("rules", f"Règle « {ref.rule_id} » ({ref.kind}, {where}) : date de "
                                      f"départ « {ref.start_text[:40]} » illisible.")
        rule = referential.get(ref.rule_id)
        if rule is None:
            raise StepFailed("rules", f"Règle « {ref.rule_id} » ({ref.kind}, {label.lower()}, "
                                      f"{where}) absente du référentiel de {ctx.producer.name}.")
        if rule.kind != ref.kind:
            raise StepFailed("rules", f"Règle « {ref.rule_id} » déclarée en {ref.kind} ({where}) "
                                      f"alors que le référentiel en fait une "
                                      f"{rule.kind} ({rule.get_kind_display().lower()}).")
    if ctx.m.rules:
        kinds = sorted({ref.kind for ref in ctx.m.rules})
        run.ok("rules", f"{len(ctx.m.rules)} règle(s) résolue(s) dans le référentiel "
                        f"({', '.join(kinds)}).")
    else:
        run.ok("rules", "Aucune règle déclarée.")


STEPS = (_step_container, _step_antivirus, _step_manifest, _step_schema, _step_agencies,
         _step_profile, _step_identifiers, _step_objects, _step_tree, _step_description,
         _step_formats, _step_rules)


def _check(run: _Run, ctx: _Context) -> _Checked:
    """Run the SAE's checks in their order; the first that fails raises StepFailed."""
    for step in STEPS:
        step(run, ctx)
    assert ctx.producer is not None
    return _Checked(manifest=ctx.m, producer=ctx.producer, files=ctx.files, sha256=ctx.sha256,
                    formats=ctx.formats, rules=ctx.rules)


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
    """Run a transfer through every check; keep it whole on every offer if all pass.

    The spool folder is claimed (``recovery.spool_claim``: a lock held while the ingest
    runs, and what it is about to write): if the process dies, the next worker, job or
    ``verify`` finds it, journals the ingest as interrupted and removes what it wrote.
    """
    if actor is not None and not can(actor, "archives.ingest", organisation):
        raise ServiceError("Vous ne pouvez pas verser d'archives pour ce service.",
                           code="forbidden")
    now = timezone.now()
    reply_identifier = f"ATR-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    identifier = f"AIP-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix=recovery.SPOOL_PREFIX))
    try:
        with recovery.spool_claim(work, organisation=organisation, identifier=identifier,
                                  reply_identifier=reply_identifier, filename=filename or (
                                      package.name if isinstance(package, Path) else "")):
            if isinstance(package, Path):
                source = package
                filename = filename or package.name
            else:
                source = work / "incoming.package"
                with open(source, "wb") as out:
                    shutil.copyfileobj(package, out, CHUNK)
            extracted = work / "content"
            extracted.mkdir()
            return _ingest(actor, organisation, source, extracted, filename,
                           now=now, reply_identifier=reply_identifier, identifier=identifier)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _reply_package(identifier: str, checked: _Checked) -> seda.ReplyPackage:
    manifest = checked.manifest
    return seda.ReplyPackage(
        identifier=identifier, units=[unit.id for unit in manifest.units],
        objects=[(obj.id, obj.group) for obj in manifest.data_objects])


def _ingest(actor: User | None, organisation: Organisation, source: Path, work: Path,
            filename: str, *, now: dt.datetime, reply_identifier: str, identifier: str
            ) -> Transfer:
    run = _Run()
    checked: _Checked | None = None
    failure: StepFailed | None = None
    written: list[tuple[Offer, str]] = []
    manifest_sha256 = ""
    ctx = _Context(organisation=organisation, package=source, work=work, received=now)
    try:
        checked = _check(run, ctx)
        try:
            manifest_sha256 = _store(identifier, checked, work, written)
        except OfferError as exc:
            raise StepFailed("storage", str(exc)) from None
        run.ok("storage", f"Paquet d'archives « {identifier} » écrit sur les offres : "
                          f"{', '.join(offer.name for offer in offers())}.")
    except StepFailed as exc:
        failure = exc
        run.record(exc.name, StepOutcome.KO, exc.reason)
    manifest = checked.manifest if checked else ctx.manifest
    version = manifest.version if manifest else _version_hint(work)
    warned = any(step.outcome == StepOutcome.WARNING for step in run.steps)
    reply_code = (StepOutcome.KO if failure else StepOutcome.WARNING if warned else StepOutcome.OK)
    reply = seda.transfer_reply(
        version=version or "2.1", reply_identifier=reply_identifier,
        request_identifier=manifest.message_identifier if manifest else "",
        reply_code=reply_code, archival_agency=organisation.slug,
        transferring_agency=manifest.transferring_agency if manifest else "",
        events=[seda.ReplyEvent(step.name, step.outcome, step.reason, at=step.at,
                                label=STEP_LABELS[step.name],
                                data=identifier if step.name == "storage" and not failure else "")
                for step in run.steps],
        at=timezone.now(),
        comment=(f"Transfert refusé : {failure.reason}" if failure else
                 f"Transfert accepté avec avertissement : paquet d'archives « {identifier} »."
                 if warned else f"Transfert accepté : paquet d'archives « {identifier} »."),
        package=_reply_package(identifier, checked) if checked and not failure else None,
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
                TransferStep(transfer=transfer, position=index, name=step.name,
                             label=STEP_LABELS[step.name], ok=step.outcome != StepOutcome.KO,
                             outcome=step.outcome, reason=step.reason, at=step.at)
                for index, step in enumerate(run.steps, start=1)
            ])
            if failure is not None or checked is None:
                audit_record(actor=actor, action="archives.transfer_reject",
                             organisation=organisation, target=transfer,
                             data={"reply": reply_identifier, "step": failure.name if failure else "",
                                   "reason": failure.reason if failure else "",
                                   "sha256": transfer.sha256,
                                   "reply_sha256": recovery.reply_digest(transfer.reply_xml)})
                return transfer
            package = _package_create(transfer, identifier, checked, manifest_sha256)
            audit_record(actor=actor, action="archives.transfer_accept",
                         organisation=checked.producer, target=package,
                         data={"package": identifier, "reply": reply_identifier,
                               "reply_sha256": recovery.reply_digest(transfer.reply_xml),
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
