"""The GED's API: file plans, documents (deposit, reading, versions, sharing), full-text search."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from socle.core.access import can
from socle.core.api_schemas import ErrorOut, InvalidOut
from socle.core.middleware import too_large_response
from socle.core.pagination import (
    NEXT_DESCRIPTION,
    PageIn,
    cursor_decode,
    cursor_encode,
    page_by_position,
    page_of_list,
    position_of,
)
from socle.core.request_actor import request_actor
from socle.core.upload_handlers import UploadRefused, upload_refused_response

from . import selectors, sharing
from .retention import retention_due_kind
from .services import DocumentRefused, document_create

router = Router(tags=["Documents (GED)"])


class NodeOut(Schema):
    code: str
    title: str
    plan: str
    # The version in force of that plan (a document filed now keeps this version's rules).
    version: int
    parent: str | None
    retention_period: int | None
    retention_unit: str
    retention_start_event: str
    final_action: str
    access_rule: str
    naming_rule: str
    document_types: list[dict[str, Any]]


class VersionOut(Schema):
    number: int
    name: str
    original_name: str
    size: int
    mime_type: str
    sha256: str
    created_at: datetime
    text_status: str
    text_message: str


class DocumentOut(Schema):
    id: int
    title: str
    organisation: str
    node: str
    doc_type: str
    metadata: dict[str, Any]
    tags: list[str]
    status: str
    locked: bool
    legal_hold: bool
    document_date: date | None
    created_at: datetime
    retention_start: date | None
    retention_end: date | None
    final_action: str
    text_indexed: bool
    versions: list[VersionOut]


class CreatedOut(Schema):
    id: int
    name: str


class HitOut(Schema):
    id: int
    title: str
    organisation: str
    node: str
    score: float
    excerpt: str


def _org_or_404(request: HttpRequest, slug: str) -> Any:
    actor = request_actor(request)
    return selectors.organisation_for(actor=actor, slug=slug)


class NodePageOut(Schema):
    items: list[NodeOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class HitPageOut(Schema):
    items: list[HitOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


@router.get("/file-plans", response={200: NodePageOut, 400: InvalidOut, 401: ErrorOut,
                                     404: ErrorOut},
            summary="Lister les nœuds du plan de classement où l'appelant peut classer")
def file_plans(request: HttpRequest, organisation: str, page: Query[PageIn]) -> Any:
    """The plan nodes (reference plan of the ARC, the commune's own nodes and overrides) under
    which the caller may file documents for that organisation; empty for a reader."""
    actor = request_actor(request)
    org = _org_or_404(request, organisation)
    return page_of_list([{
        "code": node.code, "title": node.title, "plan": node.plan.code, "version": node.plan.version,
        "parent": node.parent.code if node.parent_id and node.parent else None,
        "retention_period": node.retention_period, "retention_unit": node.retention_unit,
        "retention_start_event": node.retention_start_event, "final_action": node.final_action,
        "access_rule": node.access_rule, "naming_rule": node.naming_rule,
        "document_types": node.document_types,
    } for node in selectors.file_plan_nodes_for(actor=actor, organisation=org)], page)


_DOCUMENT_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["file", "organisation", "node"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": "Le fichier."},
            "organisation": {"type": "string", "description": "Identifiant (slug) de l'organisation."},
            "node": {"type": "string", "description": "Code du nœud du plan de classement."},
            "title": {"type": "string", "description": "Titre (par défaut : le nom du fichier)."},
            "doc_type": {"type": "string", "description": "Code du type de document."},
            "metadata": {"type": "string", "description": "Métadonnées, objet JSON."},
            "tags": {"type": "string", "description": "Mots-clés séparés par des virgules."},
            "document_date": {"type": "string", "format": "date"},
        },
    }}},
}


@router.post("/documents", summary="Déposer un document",
             response={201: CreatedOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                       404: ErrorOut, 411: ErrorOut, 413: ErrorOut},
             openapi_extra={"requestBody": _DOCUMENT_BODY})
def document_post(request: HttpRequest) -> Any:
    """File one document (multipart) under a plan node of an organisation.

    404 when the organisation is not visible to the caller, 403 for a reader, 400 for an
    unknown node, invalid metadata, an empty file, a refused type or content that does not
    match the file's extension, 413 past the size cap.
    """
    # The organisation is a field of the body: reading it receives the file (capped, on disk).
    actor = request_actor(request)
    try:
        form = request.POST
        files = request.FILES.getlist("file")
    except UploadRefused as refusal:
        return upload_refused_response(request, refusal)
    org = _org_or_404(request, str(form.get("organisation", "")))
    if not can(actor, selectors.EDIT, org):
        return Status(403, ErrorOut(code="forbidden", message="Votre rôle ne permet pas de déposer "
                                                              "des documents pour cette organisation."))
    if len(files) != 1:
        return Status(400, ErrorOut(code="missing_file",
                                    message="Envoyez un fichier, et un seul, dans le champ « file »."))
    try:
        metadata = json.loads(form.get("metadata") or "{}")
    except ValueError:
        return Status(400, ErrorOut(code="invalid_metadata",
                                    message="Les métadonnées doivent être un objet JSON."))
    try:
        document_date = date.fromisoformat(form["document_date"]) if form.get("document_date") else None
    except ValueError:
        return Status(400, ErrorOut(code="invalid_date", message="Date attendue au format AAAA-MM-JJ."))
    upload = files[0]
    try:
        document = document_create(
            actor=actor, organisation=org, node_code=str(form.get("node", ""))[:40],
            stream=upload, file_name=upload.name or "", title=form.get("title", ""),
            doc_type=form.get("doc_type", ""), metadata=metadata,
            tags=[tag for tag in form.get("tags", "").split(",") if tag.strip()],
            document_date=document_date)
    except DocumentRefused as refusal:
        if refusal.code == "payload_too_large":
            return too_large_response(request, settings.BLOB_MAX_SIZE)
        if refusal.code == "forbidden":
            return Status(403, ErrorOut(code=refusal.code, message=refusal.message))
        body: dict[str, Any] = {"code": refusal.code, "message": refusal.message}
        if refusal.errors:
            body["errors"] = [{"field": k, "message": v} for k, v in refusal.errors.items()]
        return JsonResponse(body, status=400)
    assert document.current_version is not None
    return Status(201, CreatedOut(id=document.pk, name=document.current_version.name))


@router.get("/documents/search", response={200: HitPageOut, 400: InvalidOut, 401: ErrorOut},
            summary="Rechercher dans les documents")
def document_search(request: HttpRequest, q: str, page: Query[PageIn], organisation: str = "",
                    node: str = "", doc_type: str = "", date_from: date | None = None,
                    date_to: date | None = None,
                    meta: list[str] = Query(default=[]),  # noqa: B008 - ninja's declaration
                    ) -> Any:
    """Full-text search in French (stemming, accents ignored), best first, with an HTML excerpt
    whose matched words are in `<mark>`. Filters: organisation (slug), node (code), doc_type,
    creation dates, and `meta=key=value` (repeatable). Never returns the full text.

    Ranking is by windows: the 500 most recently filed matches are ranked together, best
    first, then the next 500, and so on, down to 10,000 results (decision 0010). Pages of
    `limit` hits: pass `next` as `cursor`, with the same query, until it is null."""
    actor = request_actor(request)
    metadata = dict(item.split("=", 1) for item in meta if "=" in item)
    filters = selectors.SearchFilters(q=q.replace("\x00", "")[:200], organisation=organisation[:80],
                                      node=node[:40], doc_type=doc_type[:60], date_from=date_from,
                                      date_to=date_to, metadata=metadata)
    start = position_of(page)
    results = selectors.documents_search(actor=actor, filters=filters, limit=page.limit + 1,
                                         offset=start)
    hits, next_cursor = page_by_position(results, page, start)
    return {"items": [{"id": r.document.pk, "title": r.document.title,
                       "organisation": r.document.organisation.slug, "node": r.document.node.code,
                       "score": r.score, "excerpt": r.excerpt} for r in hits],
            "next": next_cursor}


class DueOut(Schema):
    id: int
    title: str
    node: str
    retention_end: date | None
    final_action: str
    due: Literal["transfer", "destroy", "held"] = Field(
        description="transfer : à verser aux archives (conservation ou tri) ; destroy : à "
                    "détruire ; held : retenu par un gel juridique, dans aucune des deux listes.")


class RetentionOut(Schema):
    organisation: str
    on: date
    items: list[DueOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


@router.get("/documents/retention", response={200: RetentionOut, 400: InvalidOut, 401: ErrorOut,
                                              404: ErrorOut},
            summary="Documents arrivés au terme de leur durée d'utilité administrative")
def document_retention(request: HttpRequest, organisation: str, page: Query[PageIn],
                       on: date | None = None,
                       due: Literal["", "transfer", "destroy", "held"] = "") -> Any:
    """The organisation's documents whose retention ends on `on` (default: today) or before, by
    end of retention: each says whether it waits for a `transfer` to the archives (final action
    keep or sort), for destruction (`destroy`), or is `held` by a legal hold; `due` keeps one
    kind. Paged like every list. 404 when the organisation is not visible."""
    actor = request_actor(request)
    org = _org_or_404(request, organisation)
    day = on or timezone.localdate()
    after: tuple[date, int] | None = None
    if page.cursor:
        end, pk = cursor_decode(page.cursor, date, int)
        after = (end, pk)
    rows = selectors.retention_due_page(actor=actor, organisation=org, on=day, kind=due,
                                        after=after, limit=page.limit + 1)
    items = rows[: page.limit]
    last = items[-1] if items else None
    next_cursor = (cursor_encode(last.retention_end, last.pk)
                   if last is not None and last.retention_end and len(rows) > page.limit else None)
    return {"organisation": org.slug, "on": day, "next": next_cursor,
            "items": [{"id": d.pk, "title": d.title, "node": d.node.code,
                       "retention_end": d.retention_end, "final_action": d.final_action,
                       "due": retention_due_kind(legal_hold=d.legal_hold,
                                                 final_action=d.final_action)}
                      for d in items]}


@router.get("/documents/{document_id}",
            response={200: DocumentOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Lire un document et ses versions")
def document_get(request: HttpRequest, document_id: int) -> Any:
    """A document visible to the caller, with its versions (404 otherwise)."""
    actor = request_actor(request)
    if not 0 < document_id < 2**63:
        raise Http404
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    return {
        "id": document.pk, "title": document.title, "organisation": document.organisation.slug,
        "node": document.node.code, "doc_type": document.doc_type, "metadata": document.metadata,
        "tags": document.tags, "status": document.status, "locked": document.locked,
        "legal_hold": document.legal_hold, "document_date": document.document_date,
        "created_at": document.created_at, "retention_start": document.retention_start,
        "retention_end": document.retention_end, "final_action": document.final_action,
        "text_indexed": document.text_indexed,
        "versions": [{
            "number": v.number, "name": v.name, "original_name": v.original_name, "size": v.size,
            "mime_type": v.mime_type, "sha256": v.blob_id, "created_at": v.created_at,
            "text_status": v.text_status, "text_message": v.text_message,
        } for v in selectors.versions_of(document=document)],
    }


class ShareIn(Schema):
    organisation: str = Field(max_length=80, description="Identifiant (slug) de l'organisation.")
    expires_on: date | None = Field(default=None, description="Dernier jour du partage (inclus).")
    reason: str = Field(default="", max_length=300, description="Motif du partage.")


class ShareOut(Schema):
    document: int
    organisation: str
    granted_by: str | None
    granted_at: datetime
    expires_on: date | None
    reason: str


def _share_refused(refusal: sharing.ShareRefused) -> Any:
    status = 403 if refusal.code == "forbidden" else 400
    return Status(status, ErrorOut(code=refusal.code, message=refusal.message))


@router.post("/documents/{document_id}/shares",
             response={201: ShareOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                       404: ErrorOut},
             summary="Partager un document avec une autre organisation")
def document_share(request: HttpRequest, document_id: int, payload: ShareIn) -> Any:
    """Open a document, read-only, to the readers of another organisation (a commune), until
    `expires_on` (included) or until the share is removed. Sharing again with the same
    organisation replaces the share. 403 without the right to share the document's
    organisation's documents, 400 for the document's own organisation (or one above it),
    a document under a restricted node, an unknown organisation or a past date; 404 when
    the document is not visible."""
    actor = request_actor(request)
    if not 0 < document_id < 2**63:
        raise Http404
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    target = sharing.share_target_get(payload.organisation)
    if target is None:
        return Status(400, ErrorOut(code="unknown_organisation",
                                    message=f"Organisation inconnue : « {payload.organisation} »."))
    try:
        share = sharing.document_share(actor=actor, document=document,
                                       organisation=target, expires_on=payload.expires_on,
                                       reason=payload.reason)
    except sharing.ShareRefused as refusal:
        return _share_refused(refusal)
    return Status(201, ShareOut(document=document.pk, organisation=target.slug,
                                granted_by=share.granted_by.email if share.granted_by else None,
                                granted_at=share.granted_at, expires_on=share.expires_on,
                                reason=share.reason))


@router.delete("/documents/{document_id}/shares/{organisation}",
               response={204: None, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                         404: ErrorOut},
               summary="Retirer le partage d'un document")
def document_unshare(request: HttpRequest, document_id: int, organisation: str) -> Any:
    """Close the share of a document with an organisation: its readers no longer see it.
    403 without the right to share the document's organisation's documents; 404 when the
    document is not visible or is not shared with that organisation."""
    actor = request_actor(request)
    if not 0 < document_id < 2**63:
        raise Http404
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    share = sharing.share_get(document, organisation)
    try:
        sharing.document_unshare(actor=actor, share=share)
    except sharing.ShareRefused as refusal:
        return _share_refused(refusal)
    return Status(204, None)
