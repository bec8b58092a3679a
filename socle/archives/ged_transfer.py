"""Transfers from the GED: documents whose retention ended with keep or sort go to the archives.

``transfer_proposal_list`` reads what is due per organisation (through the GED's own
selector, so its access rules hold), ``transfer_prepare`` generates the SEDA manifest,
``transfer_validate_and_ingest`` rebuilds the package from the manifest and the immutable
blobs, runs the ordinary ingest, and marks the documents transferred in the GED.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

import socle.documents.selectors as documents
from socle.core.access import Actor, can, get_or_404, organisations_for, scope
from socle.core.blobs import blob_open, spool_dir
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.services import ServiceError
from socle.documents.services import document_mark_transferred

from . import seda, seda_export
from .formats import identify
from .ingest import MANIFEST, rules_for, transfer_ingest
from .models import (
    GedTransfer,
    GedTransferDocument,
    GedTransferStatus,
    Rule,
    RuleKind,
    Transfer,
    TransferStatus,
)

# GED documents and versions are model instances of the documents app, reached only through
# its selectors and services (import contract): typed loosely here.
Document = Any
DocumentVersion = Any

INGEST = "archives.ingest"


@dataclass
class Proposal:
    organisation: Organisation
    documents: list[Document]


def _pending_ids() -> set[int]:
    """Documents already in a prepared or accepted transfer: proposed once only."""
    return set(GedTransferDocument.objects.filter(
        ged_transfer__status__in=[GedTransferStatus.PREPARED, GedTransferStatus.INGESTED])
        .values_list("documents_document_id", flat=True))


def transfer_proposal_list(actor: Actor, on: dt.date | None = None) -> list[Proposal]:
    """Return, per organisation in the actor's archives scope, the documents due to transfer."""
    on = on or timezone.localdate()
    pending = _pending_ids()
    proposals = []
    for organisation in organisations_for(actor, INGEST).order_by("path"):
        due = [document for document in
               documents.retention_due(actor=actor, organisation=organisation, on=on).to_transfer
               if document.pk not in pending]
        if due:
            proposals.append(Proposal(organisation, due))
    return proposals


def ged_transfers_for(actor: Actor) -> Any:
    """Return the GED transfers of the archives services the actor works for."""
    return scope(GedTransfer.objects.select_related("organisation", "archival_agency",
                                                    "transfer"), actor, "archives.view",
                 field="archival_agency")


def ged_transfer_get(actor: Actor, identifier: str) -> GedTransfer:
    return get_or_404(ged_transfers_for(actor), identifier=identifier)


def ged_transfer_document_ids(ged_transfer: GedTransfer) -> list[int]:
    """Return the ids of the GED documents a transfer was prepared with, in order."""
    return list(ged_transfer.items.order_by("documents_document_id")
                .values_list("documents_document_id", flat=True))


def ged_transfer_documents(actor: Actor, ged_transfer: GedTransfer,
                           permission: str = "archives.view") -> list[Document]:
    """Return the GED documents of a transfer the actor may handle, read through the GED's
    selector (decision 0017): a document destroyed since, or out of reach, is not there."""
    return list(documents.documents_for_archives(
        actor=actor, ids=ged_transfer_document_ids(ged_transfer), permission=permission)
        .order_by("pk"))


def archival_agency_for(actor: Actor, organisation: Organisation) -> Organisation | None:
    """Return the archives service that receives the organisation's transfer: the highest one
    where the actor may ingest, so a commune's documents go to the intercommunal service."""
    candidates = [org for org in organisations_for(actor, INGEST)
                  if organisation.path.startswith(org.path)]
    return min(candidates, key=lambda org: len(org.path)) if candidates else None


def _versions(document: Document) -> list[DocumentVersion]:
    return list(document.versions.select_related("blob").order_by("number"))


def _ensure_rules(actor: User | None, archival: Organisation, producer: Organisation,
                  units: list[seda_export.ExportUnit],
                  metas: list[dict[str, Any]]) -> None:
    """Put the GED's rules in the archives' referential when missing; refuse a conflicting one."""
    referential = rules_for(producer)
    wanted: dict[str, tuple[str, int, str]] = {}
    for unit, meta in zip(units, metas, strict=True):
        if unit.appraisal:
            wanted[unit.appraisal.rule_id] = (
                RuleKind.APPRAISAL, seda_export.appraisal_years(meta["appraisal_rule"]["duration"]),
                unit.final_action)
        if unit.access:
            wanted[unit.access.rule_id] = (
                RuleKind.ACCESS, seda_export.access_rule_of(meta["access_rule"]["rule"])[1], "")
    for rule_id, (kind, years, final) in sorted(wanted.items()):
        existing = referential.get(rule_id)
        if existing is None:
            rule = Rule.objects.create(organisation=archival, rule_id=rule_id, kind=kind,
                                       duration_years=years, final_action=final,
                                       label="Règle reprise du plan de classement de la GED")
            audit_record(actor=actor, action="archives.rule_create", organisation=archival,
                         target=rule, data={"rule": rule_id, "kind": kind, "years": years,
                                            "final_action": final})
        elif existing.kind != kind or existing.duration_years != years:
            raise ServiceError(f"La règle « {rule_id} » du référentiel des archives "
                               f"({existing.duration_years} an(s)) ne correspond pas à celle de "
                               f"la GED ({years} an(s)) : mettez le référentiel à jour.",
                               code="rule_conflict")


def _write_package(manifest: bytes, document_list: list[Document], target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest)
        for document in document_list:
            for version in _versions(document):
                name = seda_export.member_name(document.pk, version.number,
                                               version.name or version.original_name)
                with blob_open(version.blob) as source, archive.open(name, "w") as out:
                    shutil.copyfileobj(source, out, 1024 * 1024)


def _format_ids(document_list: list[Document], work: Path) -> dict[str, str]:
    """Identify each version's format (PRONOM) from its content, as the ingest will."""
    found: dict[str, str] = {}
    for document in document_list:
        for version in _versions(document):
            if version.blob.sha256 in found:
                continue
            path = work / Path(version.name or version.original_name or "fichier").name
            with blob_open(version.blob) as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            found[version.blob.sha256] = identify(path).format_id
            path.unlink()
    return found


def transfer_prepare(*, actor: User, organisation: Organisation, document_ids: list[int] | None = None,
                     version: str = "2.3", on: dt.date | None = None) -> GedTransfer:
    """Generate the SEDA manifest of an organisation's due documents (all, or those chosen)."""
    if version not in seda_export.EXPORT_VERSIONS:
        raise ServiceError("Version SEDA non prise en charge (2.3 ou 2.1).", code="invalid_version")
    archival = archival_agency_for(actor, organisation)
    if archival is None:
        raise ServiceError("Vous ne pouvez pas verser les documents de cette organisation.",
                           code="forbidden")
    proposals = {p.organisation.pk: p for p in transfer_proposal_list(actor, on)}
    due = proposals.get(organisation.pk, Proposal(organisation, [])).documents
    if document_ids is not None:
        chosen = set(document_ids)
        due = [document for document in due if document.pk in chosen]
    if not due:
        raise ServiceError("Aucun document à verser pour cette organisation.", code="nothing_due")
    now = timezone.now()
    identifier = f"VERS-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    metas = [documents.transfer_metadata(document=document) for document in due]
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix="ged-"))
    try:
        format_ids = _format_ids(due, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    units = [seda_export.document_unit(meta, transferring_agency=organisation.slug,
                                       format_ids=format_ids) for meta in metas]
    manifest = seda_export.archive_transfer(
        version=version, message_identifier=identifier, archival_agency=archival.slug,
        transferring_agency=organisation.slug, units=units, at=now,
        comment=f"Versement depuis la GED : {len(units)} document(s) de {organisation.name}.")
    with transaction.atomic():
        _ensure_rules(actor, archival, organisation, units, metas)
        ged_transfer = GedTransfer.objects.create(
            identifier=identifier, organisation=organisation, archival_agency=archival,
            seda_version=version, manifest_xml=manifest.decode(), prepared_by=actor,
            prepared_at=now, size=sum(obj.size for unit in units for obj in unit.objects),
            object_count=sum(len(unit.objects) for unit in units))
        GedTransferDocument.objects.bulk_create(
            [GedTransferDocument(ged_transfer=ged_transfer, documents_document_id=document.pk)
             for document in due])
        audit_record(actor=actor, action="archives.ged_transfer_prepare",
                     organisation=organisation, target=ged_transfer,
                     data={"transfer": identifier, "documents": [d.pk for d in due],
                           "seda_version": version})
    return ged_transfer


def package_build(ged_transfer: GedTransfer, document_list: list[Document], target: Path) -> Path:
    """Write the transfer package (zip: manifest.xml and the files) to ``target``."""
    _write_package(ged_transfer.manifest_xml.encode(), document_list, target)
    return target


def transfer_validate_and_ingest(*, actor: User, ged_transfer: GedTransfer) -> Transfer:
    """The archivist validates: the package goes through the ingest; accepted, the GED's
    documents are marked transferred. A refusal leaves them proposed again."""
    if not can(actor, INGEST, ged_transfer.archival_agency):
        raise ServiceError("Vous ne pouvez pas valider ce versement.", code="forbidden")
    if ged_transfer.status != GedTransferStatus.PREPARED:
        raise ServiceError("Ce versement a déjà été traité.", code="already_done")
    document_list = ged_transfer_documents(actor, ged_transfer, INGEST)
    if [document.pk for document in document_list] != ged_transfer_document_ids(ged_transfer):
        raise ServiceError("Un document de ce versement n'est plus dans la GED ou ne vous est "
                           "plus accessible : préparez un nouveau versement.",
                           code="documents_missing")
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix="ged-"))
    try:
        package = package_build(ged_transfer, document_list,
                                work / f"{ged_transfer.identifier}.zip")
        transfer = transfer_ingest(actor=actor, organisation=ged_transfer.archival_agency,
                                   package=package)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    accepted = transfer.status == TransferStatus.ACCEPTED
    with transaction.atomic():
        ged_transfer.status = GedTransferStatus.INGESTED if accepted else GedTransferStatus.REJECTED
        ged_transfer.transfer = transfer
        ged_transfer.validated_by = actor
        ged_transfer.save(update_fields=["status", "transfer", "validated_by"])
        audit_record(actor=actor, action="archives.ged_transfer_validate",
                     organisation=ged_transfer.organisation, target=ged_transfer,
                     data={"transfer": ged_transfer.identifier, "accepted": accepted,
                           "reply": transfer.reply_identifier})
        if accepted:
            for document in document_list:
                document_mark_transferred(actor=actor, document=document,
                                          package_identifier=transfer.package.identifier)
    return transfer


def manifest_summary(ged_transfer: GedTransfer) -> dict[str, Any]:
    """What the review page shows of the manifest, read back from the XML itself."""
    tree, version = seda.parse_manifest(ged_transfer.manifest_xml.encode())
    manifest = seda.read_manifest(tree, version)
    return {"version": version, "message_identifier": manifest.message_identifier,
            "archival_agency": manifest.archival_agency,
            "transferring_agency": manifest.transferring_agency,
            "objects": len(manifest.data_objects), "units": len(manifest.unit_children),
            "rules": sorted({(r.kind, r.rule_id, r.final_action) for r in manifest.rules}),
            "need_authorization": b"NeedAuthorization" in ged_transfer.manifest_xml.encode(),
            "start_date": manifest.start_date, "end_date": manifest.end_date}
