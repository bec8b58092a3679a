"""Every write of the GED: plans, nodes, adoptions, documents, versions, metadata, extracted text.

Public services for the other apps (mail, circuits, retention, the portal):

``document_create(*, actor, organisation, node_code, stream, file_name, title, ...) -> Document``
    File a new document under a node the actor may file under: the file becomes a
    blob (size cap, type checked by content and against its extension), its name
    follows the node's naming rule, retention is computed, the document is indexed
    for search at once (title, metadata) and its text is extracted in the background.
``document_add_version(*, actor, document, stream, file_name, comment="") -> DocumentVersion``
``document_update_metadata(*, actor, document, title=None, doc_type=None, metadata=None, tags=None)``
``document_close(*, actor, document, closed_on)``: the "closing" event retention may start from.

Refusals are ``DocumentRefused`` (a ``ServiceError``: French ``message``, ``code``):
``forbidden``, ``unknown_node``, ``locked``, ``invalid_metadata`` (with ``errors``),
``empty_file``, ``payload_too_large``, ``unsupported_type``, ``type_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.blobs import DEFAULT_ALLOWED_TYPES, BlobRefused, blob_put
from socle.core.downloads import TYPE_EXTENSIONS  # the extension downloads end with
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.services import ServiceError

from . import search
from .metadata import MetadataInvalid, metadata_clean, types_check
from .models import (
    Document,
    DocumentStatus,
    DocumentVersion,
    FilePlan,
    FilePlanNode,
    FinalAction,
    PlanStatus,
    RetentionStart,
    RetentionUnit,
    TextStatus,
)
from .naming import NamingRuleInvalid, extension_of, name_apply, naming_rule_check, original_name_clean
from .retention import retention_compute, rule_of
from .selectors import EDIT, node_for_filing, nodes_effective

# Re-exported: the writes of the GED have one address.
from .text_indexing import version_text_extract as version_text_extract

MANAGE_PLANS = "documents.manage_plans"

# HTML is accepted here, unlike elsewhere: a document is only ever served back as a download.
DOCUMENT_TYPES = frozenset(DEFAULT_ALLOWED_TYPES | {"text/html"})

# The types a known extension may hold: a ".pdf" that is not a PDF is refused.
EXTENSION_TYPES: dict[str, set[str]] = {
    ".pdf": {"application/pdf"},
    ".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ".odt": {"application/vnd.oasis.opendocument.text"},
    ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ".ods": {"application/vnd.oasis.opendocument.spreadsheet"},
    ".txt": {"text/plain", "text/csv", "application/json"},
    ".csv": {"text/csv", "text/plain"},
    ".html": {"text/html"}, ".htm": {"text/html"},
    ".png": {"image/png"}, ".jpg": {"image/jpeg"}, ".jpeg": {"image/jpeg"},
    ".tif": {"image/tiff"}, ".tiff": {"image/tiff"}, ".gif": {"image/gif"},
    ".xml": {"application/xml"}, ".json": {"application/json"}, ".zip": {"application/zip"},
}


class DocumentRefused(ServiceError):
    """A refusal of the GED, with a French message, a code and, for metadata, one message per field."""


# ---------------------------------------------------------------- plans


def _require(actor: User | None, permission: str, organisation: Organisation) -> None:
    # actor None: the system (demo loader, commands run by the operator).
    if actor is not None and not can(actor, permission, organisation):
        raise DocumentRefused("Vous n'avez pas le droit d'effectuer cette opération pour cette "
                              "organisation.", code="forbidden")


def plan_create(*, actor: User | None, organisation: Organisation, code: str, title: str,
                extends: FilePlan | None = None, version: int = 1,
                status: str = PlanStatus.ACTIVE) -> FilePlan:
    """Create a file plan of an organisation (actor None: the system)."""
    _require(actor, MANAGE_PLANS, organisation)
    if extends is not None and not organisation.path.startswith(extends.organisation.path):
        raise DocumentRefused("Un plan ne peut étendre que celui d'une organisation dont il dépend.",
                              code="invalid_plan")
    with transaction.atomic():
        plan = FilePlan.objects.create(organisation=organisation, code=code, title=title,
                                       extends=extends, version=version, status=status)
        audit_record(actor=actor, action="documents.plan_create", organisation=organisation,
                     target=plan, data={"code": code, "version": version,
                                        "extends": extends.pk if extends else None})
    return plan


def plan_adopt(*, actor: User | None, organisation: Organisation, reference: FilePlan) -> FilePlan:
    """Give a commune its own plan extending the ARC's reference plan (nothing is copied)."""
    existing = FilePlan.objects.filter(organisation=organisation, extends=reference,
                                       status=PlanStatus.ACTIVE).first()
    if existing is not None:
        return existing
    code = f"{reference.code}-{organisation.slug}"[:80]
    return plan_create(actor=actor, organisation=organisation, code=code,
                       title=f"{reference.title} — {organisation.name}", extends=reference)


NODE_FIELDS = {"title", "description", "retention_period", "retention_unit", "retention_start_event",
               "final_action", "access_rule", "naming_rule", "document_types", "position"}


def _plan_editable(plan: FilePlan, actor: User | None) -> None:
    """Refuse a change to a plan version in force or retired (plan_versions.py drafts a new one).

    The system (actor None: the demo loader, an initial load) may still add nodes to an
    active plan it is building; nobody changes a retired one.
    """
    if plan.status == PlanStatus.DRAFT or (plan.status == PlanStatus.ACTIVE and actor is None):
        return
    state = "a été remplacée" if plan.status == PlanStatus.RETIRED else "est en vigueur"
    raise DocumentRefused(
        f"La version {plan.version} de ce plan {state} : elle ne se modifie plus. Préparez une "
        "nouvelle version (brouillon), puis publiez-la.", code="plan_immutable")


def node_rules_check(rules: dict[str, Any]) -> None:
    """Refuse a node's rules that are malformed (naming rule, types, access, retention)."""
    try:
        naming_rule_check(rules.get("naming_rule", ""))
        types_check(rules.get("document_types", []))
    except (NamingRuleInvalid, MetadataInvalid) as exc:
        raise DocumentRefused(str(exc), code="invalid_node") from exc
    access = rules.get("access_rule", "internal")
    if access not in {"public", "internal"} and not str(access).startswith("restricted:"):
        raise DocumentRefused("Règle d'accès inconnue : « public », « internal » ou "
                              "« restricted:<rôle> ».", code="invalid_node")
    period = rules.get("retention_period")
    if period is not None and (not isinstance(period, int) or isinstance(period, bool) or period < 0):
        raise DocumentRefused("La durée d'utilité administrative est un nombre entier positif.",
                              code="invalid_node")
    for name, choices in (("retention_unit", RetentionUnit), ("retention_start_event", RetentionStart),
                          ("final_action", FinalAction)):
        if name in rules and rules[name] not in choices.values:
            raise DocumentRefused(f"Valeur inconnue pour « {name} » : {rules[name]}.",
                                  code="invalid_node")


def node_create(*, actor: User | None, plan: FilePlan, code: str, title: str,
                parent: FilePlanNode | None = None, overrides: FilePlanNode | None = None,
                **rules: Any) -> FilePlanNode:
    """Add a node to a plan; in a commune's plan, ``overrides`` replaces a reference node for it.

    An override starts from the reference node's rules; the given ones replace them.
    """
    _require(actor, MANAGE_PLANS, plan.organisation)
    _plan_editable(plan, actor)
    unknown = set(rules) - NODE_FIELDS
    if unknown:
        raise DocumentRefused(f"Règles inconnues : {', '.join(sorted(unknown))}.", code="invalid_node")
    if overrides is not None:
        if plan.extends is None or overrides.pk not in {n.pk for n in nodes_effective(
                organisation=plan.extends.organisation) if n.plan_id == plan.extends_id}:
            raise DocumentRefused("Un nœud ne peut remplacer qu'un nœud du plan que ce plan étend.",
                                  code="invalid_node")
        code = overrides.code
        base = {name: getattr(overrides, name) for name in NODE_FIELDS - {"title"}}
        rules = {**base, **rules}
    elif plan.extends_id is not None and FilePlanNode.objects.filter(plan_id=plan.extends_id,
                                                                     code=code).exists():
        raise DocumentRefused(f"Le code « {code} » existe déjà dans le plan de référence : "
                              "remplacez ce nœud au lieu d'en créer un autre.", code="invalid_node")
    if parent is not None and parent.plan_id not in {plan.pk, plan.extends_id}:
        raise DocumentRefused("Le nœud parent doit appartenir à ce plan ou au plan qu'il étend.",
                              code="invalid_node")
    if not code or len(code) > 40 or not title.strip():
        raise DocumentRefused("Un nœud a un code (40 caractères au plus) et un intitulé.",
                              code="invalid_node")
    if FilePlanNode.objects.filter(plan=plan, code=code).exists():
        raise DocumentRefused(f"Le code « {code} » existe déjà dans ce plan.", code="invalid_node")
    node_rules_check(rules)
    with transaction.atomic():
        node = FilePlanNode.objects.create(plan=plan, code=code, title=title, parent=parent,
                                           overrides=overrides, **rules)
        audit_record(actor=actor, action="documents.node_create", organisation=plan.organisation,
                     target=node, data={"plan": plan.code, "code": code,
                                        "overrides": overrides.pk if overrides else None})
    return node


# ---------------------------------------------------------------- documents


@dataclass
class _Stored:
    blob: Any
    original_name: str
    extension: str


def _store(stream: IO[bytes] | Iterable[bytes], file_name: str, max_size: int | None) -> _Stored:
    """Put the file in the blob store before any transaction: a row never lacks its file."""
    original = original_name_clean(file_name)
    try:
        stored = blob_put(stream=stream, max_size=max_size, allowed_types=DOCUMENT_TYPES)
    except BlobRefused as refusal:
        raise DocumentRefused(refusal.message, code=refusal.code) from refusal
    blob = stored.blob
    declared = extension_of(original)
    expected = EXTENSION_TYPES.get(declared)
    if expected is not None and blob.mime_type not in expected:
        raise DocumentRefused(
            f"Le contenu du fichier ({blob.mime_type}) ne correspond pas à son extension "
            f"« {declared} ».", code="type_mismatch")
    return _Stored(blob, original, TYPE_EXTENSIONS.get(blob.mime_type, declared))


def _clean_tags(tags: Iterable[str] | None) -> list[str]:
    seen: list[str] = []
    for tag in tags or []:
        tag = " ".join(str(tag).replace("\x00", "").split())[:50]
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:30]


def _clean_metadata(node: FilePlanNode, doc_type: str, metadata: Any) -> dict[str, Any]:
    try:
        return metadata_clean(node.document_types, doc_type, metadata)
    except MetadataInvalid as exc:
        raise DocumentRefused(exc.message, code="invalid_metadata", errors=exc.errors) from exc


def _new_version(*, actor: User | None, document: Document, stored: _Stored, number: int,
                 comment: str = "") -> DocumentVersion:
    node = document.node
    name = name_apply(node.naming_rule, extension=stored.extension, title=document.title,
                      doc_type=document.doc_type, org=document.organisation.slug, node=node.code,
                      on=document.document_date or timezone.localdate(), metadata=document.metadata)
    version = DocumentVersion.objects.create(
        document=document, number=number, blob=stored.blob, original_name=stored.original_name,
        name=name, size=stored.blob.size, mime_type=stored.blob.mime_type, created_by=actor,
        comment=comment[:300])
    document.current_version = version
    document.text_indexed = False
    return version


def _retention_set(document: Document) -> None:
    rule = document.retention_rule
    document.retention_start, document.retention_end = retention_compute(
        rule, created_on=timezone.localdate(document.created_at), document_date=document.document_date,
        closed_on=document.closed_on)
    document.final_action = rule.get("final_action") or ""


def document_create(*, actor: User | None, organisation: Organisation, node_code: str,
                    stream: IO[bytes] | Iterable[bytes], file_name: str, title: str = "",
                    doc_type: str = "", metadata: dict[str, Any] | None = None,
                    tags: Iterable[str] | None = None, document_date: date | None = None,
                    owner: User | None = None, max_size: int | None = None) -> Document:
    """File a new document under a plan node, store its file and queue its text extraction."""
    if actor is not None and not can(actor, EDIT, organisation):
        raise DocumentRefused("Vous n'avez pas le droit de déposer des documents pour cette "
                              "organisation.", code="forbidden")
    node = (node_for_filing(actor=actor, organisation=organisation, code=node_code) if actor is not None else
            next((n for n in nodes_effective(organisation=organisation) if n.code == node_code), None))
    if node is None:
        raise DocumentRefused(f"Le nœud « {node_code} » n'existe pas dans le plan de classement "
                              "de cette organisation, ou vous ne pouvez pas y classer.",
                              code="unknown_node")
    if not doc_type and len(node.document_types) == 1:
        doc_type = node.document_types[0]["code"]
    cleaned = _clean_metadata(node, doc_type, metadata)
    stored = _store(stream, file_name, max_size)
    title = " ".join((title or stored.original_name.rsplit(".", 1)[0]).split())[:300] or "Document"
    with transaction.atomic():
        document = Document.objects.create(
            organisation=organisation, node=node, title=title, doc_type=doc_type, metadata=cleaned,
            tags=_clean_tags(tags), owner=owner or actor, created_by=actor,
            document_date=document_date, retention_rule=rule_of(node))
        version = _new_version(actor=actor, document=document, stored=stored, number=1)
        _retention_set(document)
        document.save()
        search.document_index(document)
        audit_record(actor=actor, action="documents.document_create", organisation=organisation,
                     target=document, data={"node": node.code, "title": title, "blob": stored.blob.sha256,
                                            "name": version.name})
        _extract_later(version.pk)
    return document


def _check_unlocked(document: Document) -> None:
    if document.locked or document.status in {DocumentStatus.IN_CIRCUIT, DocumentStatus.FROZEN}:
        raise DocumentRefused("Ce document est verrouillé (circuit de validation en cours ou "
                              "version finale figée) : il ne peut pas être modifié.", code="locked")


def document_add_version(*, actor: User | None, document: Document,
                         stream: IO[bytes] | Iterable[bytes], file_name: str, comment: str = "",
                         max_size: int | None = None) -> DocumentVersion:
    """Add a new version of a document, which becomes its current one."""
    _require(actor, EDIT, document.organisation)
    _check_unlocked(document)
    stored = _store(stream, file_name, max_size)
    with transaction.atomic():
        # The row lock orders concurrent additions: version numbers never collide.
        locked = Document.objects.select_for_update().select_related("node", "organisation").get(
            pk=document.pk)
        _check_unlocked(locked)
        number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = _new_version(actor=actor, document=locked, stored=stored, number=number,
                               comment=comment)
        locked.updated_at = timezone.now()
        locked.save()
        # The new version has no text yet: the index must not keep serving the old one's.
        search.document_index(locked)
        audit_record(actor=actor, action="documents.version_add", organisation=locked.organisation,
                     target=locked, data={"number": number, "blob": stored.blob.sha256,
                                          "name": version.name})
        _extract_later(version.pk)
    document.refresh_from_db()
    return version


def document_update_metadata(*, actor: User | None, document: Document, title: str | None = None,
                             doc_type: str | None = None, metadata: dict[str, Any] | None = None,
                             tags: Iterable[str] | None = None,
                             document_date: date | None = None) -> Document:
    """Change a document's title, type, metadata, tags or date; reindex it in the same transaction."""
    _require(actor, EDIT, document.organisation)
    _check_unlocked(document)
    new_type = document.doc_type if doc_type is None else doc_type
    cleaned = _clean_metadata(document.node, new_type,
                              document.metadata if metadata is None else metadata)
    before = {"title": document.title, "doc_type": document.doc_type, "metadata": document.metadata,
              "tags": document.tags}
    with transaction.atomic():
        if title is not None:
            document.title = " ".join(title.split())[:300] or document.title
        document.doc_type = new_type
        document.metadata = cleaned
        if tags is not None:
            document.tags = _clean_tags(tags)
        if document_date is not None:
            document.document_date = document_date
        _retention_set(document)
        document.updated_at = timezone.now()
        document.save()
        search.document_index(document)
        audit_record(actor=actor, action="documents.metadata_update",
                     organisation=document.organisation, target=document,
                     data={"before": before, "after": {"title": document.title,
                                                       "doc_type": document.doc_type,
                                                       "metadata": document.metadata,
                                                       "tags": document.tags}})
    return document


def document_close(*, actor: User | None, document: Document, closed_on: date) -> Document:
    """Record the closing of a document's file: retention counted from closing starts then."""
    _require(actor, EDIT, document.organisation)
    with transaction.atomic():
        document.closed_on = closed_on
        _retention_set(document)
        document.updated_at = timezone.now()
        document.save(update_fields=["closed_on", "retention_start", "retention_end", "final_action",
                                     "updated_at"])
        audit_record(actor=actor, action="documents.close", organisation=document.organisation,
                     target=document, data={"closed_on": closed_on.isoformat(),
                                            "retention_end": str(document.retention_end or "")})
    return document


def document_mark_transferred(*, actor: User | None, document: Document,
                              package_identifier: str) -> Document:
    """Record that the archives hold a document now: frozen and locked, journaled with the package.

    Called by the archives once the transfer package is accepted; the permission checked
    is the archives' own (``archives.ingest``), since the archivist is the one who transfers.
    """
    _require(actor, "archives.ingest", document.organisation)
    with transaction.atomic():
        document.locked = True
        document.status = DocumentStatus.FROZEN
        document.updated_at = timezone.now()
        document.save(update_fields=["locked", "status", "updated_at"])
        audit_record(actor=actor, action="documents.transferred", organisation=document.organisation,
                     target=document, data={"package": package_identifier})
    return document


# ---------------------------------------------------------------- text extraction


def _extract_later(version_id: int) -> None:
    from .tasks import document_extract_task

    transaction.on_commit(lambda: document_extract_task.enqueue(version_id=version_id))


def versions_pending_extraction() -> list[int]:
    """Return the versions whose text is still to extract (for the catch-up command)."""
    return list(DocumentVersion.objects.filter(text_status=TextStatus.PENDING)
                .values_list("pk", flat=True).order_by("pk"))


def versions_awaiting_ocr() -> list[int]:
    """Return the versions left without text because no OCR engine was installed then."""
    return list(DocumentVersion.objects.filter(text_status=TextStatus.OCR_UNAVAILABLE)
                .values_list("pk", flat=True).order_by("pk"))

