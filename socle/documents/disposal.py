"""The end of a document's life: legal holds and destruction (sort final).

Destruction is a request (an editor or an archivist proposes a list of due documents),
an approval by an archivist (``documents.approve_destruction``), then an execution that
deletes the documents, their versions, text and index entries, and the stored files no
other row uses; it leaves a destruction certificate in the journal. Holds and due dates
are checked again at approval and at execution: a hold set meanwhile wins.

Transfers to the archives are the archives app's: it reads ``selectors.retention_due``
and ``selectors.transfer_metadata``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.blobs import blob_key, storage
from socle.core.journal import audit_record
from socle.core.models import AuditEvent, Blob, Organisation, User

from . import search
from .models import (
    DestructionRequest,
    DestructionStatus,
    Document,
    DocumentText,
    DocumentVersion,
    FinalAction,
)
from .selectors import EDIT, documents_for
from .services import DocumentRefused

APPROVE = "documents.approve_destruction"


def _require(actor: User | None, permission: str, organisation: Organisation, message: str) -> None:
    if actor is not None and not can(actor, permission, organisation):
        raise DocumentRefused(message, code="forbidden")


def _reason(reason: str) -> str:
    reason = " ".join(str(reason).replace("\x00", "").split())[:500]
    if not reason:
        raise DocumentRefused("Indiquez le motif.", code="missing_reason")
    return reason


# ---------------------------------------------------------------- legal holds


def _hold(actor: User | None, document: Document, reason: str, held: bool) -> Document:
    _require(actor, APPROVE, document.organisation,
             "Seul un archiviste peut poser ou lever un gel juridique.")
    reason = _reason(reason)
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(legal_hold=held)
        document.legal_hold = held
        audit_record(actor=actor, action="documents.legal_hold_set" if held else
                     "documents.legal_hold_clear", organisation=document.organisation,
                     target=document, data={"title": document.title, "reason": reason})
    return document


def legal_hold_set(*, actor: User | None, document: Document, reason: str) -> Document:
    """Put a document under legal hold (litigation, inquiry): it cannot be destroyed."""
    return _hold(actor, document, reason, True)


def legal_hold_clear(*, actor: User | None, document: Document, reason: str) -> Document:
    """Lift a document's legal hold."""
    return _hold(actor, document, reason, False)


# ---------------------------------------------------------------- destruction


def _not_destroyable(documents: Iterable[Document], on: date) -> list[str]:
    """Return a French line per document that may not be destroyed on that day."""
    problems = []
    for document in documents:
        if document.legal_hold:
            problems.append(f"« {document.title} » est sous gel juridique.")
        elif document.final_action != FinalAction.DESTROY:
            problems.append(f"« {document.title} » n'est pas voué à la destruction "
                            f"(sort final : {document.get_final_action_display() or 'aucun'}).")
        elif document.retention_end is None or document.retention_end > on:
            problems.append(f"« {document.title} » n'a pas atteint la fin de sa durée d'utilité "
                            "administrative.")
    return problems


def _refuse_if(problems: list[str]) -> None:
    if problems:
        raise DocumentRefused("Destruction impossible : " + " ".join(problems), code="not_destroyable")


def destruction_request(*, actor: User | None, organisation: Organisation,
                        document_ids: Iterable[int], comment: str = "") -> DestructionRequest:
    """Propose a list of the organisation's due documents for destruction."""
    _require(actor, EDIT, organisation,
             "Votre rôle ne permet pas de proposer des destructions pour cette organisation.")
    ids = sorted({int(pk) for pk in document_ids})
    if not ids:
        raise DocumentRefused("Choisissez au moins un document à détruire.", code="empty_request")
    # Through the same selector as reading them: a restricted document the actor may not
    # read does not exist here either (no title, no request).
    visible = documents_for(actor=actor, permission=EDIT).filter(organisation=organisation, pk__in=ids)
    with transaction.atomic():
        documents = list(Document.objects.select_for_update().filter(
            pk__in=visible.values("pk")).select_related("organisation"))
        if len(documents) != len(ids):
            raise DocumentRefused("Certains documents n'existent pas dans cette organisation.",
                                  code="unknown_document")
        _refuse_if(_not_destroyable(documents, timezone.localdate()))
        open_requests = DestructionRequest.objects.filter(
            documents__in=documents, status__in=[DestructionStatus.PENDING, DestructionStatus.APPROVED])
        if open_requests.exists():
            raise DocumentRefused("Certains documents figurent déjà dans une demande de destruction "
                                  "en cours.", code="already_requested")
        request = DestructionRequest.objects.create(
            organisation=organisation, requested_by=actor, document_count=len(documents),
            comment=" ".join(comment.split())[:500])
        request.documents.set(documents)
        audit_record(actor=actor, action="documents.destruction_request", organisation=organisation,
                     target=request, data={"documents": ids, "comment": request.comment})
    return request


def _locked_request(request: DestructionRequest, expected: str) -> DestructionRequest:
    locked = DestructionRequest.objects.select_for_update().select_related("organisation").get(
        pk=request.pk)
    if locked.status != expected:
        raise DocumentRefused(f"Cette demande est au statut « {locked.get_status_display()} » : "
                              "l'opération n'est plus possible.", code="invalid_status")
    return locked


def destruction_approve(*, actor: User, request: DestructionRequest) -> DestructionRequest:
    """Approve a destruction request: the holds and due dates are checked again now."""
    _require(actor, APPROVE, request.organisation,
             "Seul un archiviste peut approuver une destruction.")
    with transaction.atomic():
        locked = _locked_request(request, DestructionStatus.PENDING)
        _refuse_if(_not_destroyable(locked.documents.select_for_update(), timezone.localdate()))
        locked.status = DestructionStatus.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(actor=actor, action="documents.destruction_approve",
                     organisation=locked.organisation, target=locked,
                     data={"documents": sorted(locked.documents.values_list("pk", flat=True))})
    return locked


def destruction_reject(*, actor: User, request: DestructionRequest, reason: str) -> DestructionRequest:
    """Refuse a destruction request, with the archivist's reason."""
    _require(actor, APPROVE, request.organisation,
             "Seul un archiviste peut refuser une destruction.")
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_request(request, DestructionStatus.PENDING)
        locked.status = DestructionStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, action="documents.destruction_reject",
                     organisation=locked.organisation, target=locked, data={"reason": reason})
    return locked


def blob_referenced(sha256: str) -> bool:
    """Tell whether any row of any app still points at this blob (content is shared).

    Read from the model meta, so a new app's foreign key to Blob is taken into account
    without this module knowing about it.
    """
    for relation in Blob._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        model = relation.related_model
        field = getattr(relation, "field", None)
        if model is None or field is None or isinstance(model, str):
            continue
        manager: models.Manager[Any] = model._default_manager
        if manager.filter(**{field.name: sha256}).exists():
            return True
    return False


def _delete_document_records(ids: list[int]) -> None:
    """Delete the rows that belong to these documents and protect one of their versions.

    A circuit belongs to its document (it goes with it) yet protects its final version,
    which would stop the cascade; its decisions stay in the journal.
    """
    for relation in DocumentVersion._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if getattr(relation, "on_delete", None) is not models.PROTECT:
            continue
        model = relation.related_model
        if model is None or isinstance(model, str):
            continue
        for field in model._meta.fields:
            if (field.is_relation and field.related_model is Document and field.remote_field
                    and field.remote_field.on_delete is models.CASCADE):
                model._default_manager.filter(**{f"{field.name}__in": ids}).delete()


def _certificate_entry(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk, "title": document.title, "node": document.node.code,
        "node_title": document.node.title, "retention_rule": document.retention_rule,
        "retention_end": document.retention_end.isoformat() if document.retention_end else None,
        "versions": [{"number": v.number, "name": v.name, "sha256": v.blob_id, "size": v.size}
                     for v in document.versions.order_by("number")],
    }


def _delete_stored_files(digests: list[str]) -> None:
    for sha256 in digests:
        # A new upload of the same content may have recreated the row meanwhile.
        if not Blob.objects.filter(pk=sha256).exists():
            with contextlib.suppress(FileNotFoundError):
                storage.delete(blob_key(sha256))


def destruction_execute(*, actor: User, request: DestructionRequest) -> AuditEvent:
    """Destroy the documents of an approved request; return the certificate (a journal event)."""
    _require(actor, APPROVE, request.organisation,
             "Seul un archiviste peut exécuter une destruction.")
    with transaction.atomic():
        locked = _locked_request(request, DestructionStatus.APPROVED)
        documents = list(locked.documents.select_for_update().select_related("node")
                         .order_by("pk"))
        _refuse_if(_not_destroyable(documents, timezone.localdate()))
        entries = [_certificate_entry(document) for document in documents]
        ids = [document.pk for document in documents]
        digests = sorted(set(DocumentVersion.objects.filter(document_id__in=ids)
                             .values_list("blob_id", flat=True)))
        for pk in ids:
            search.document_unindex(pk)
        try:
            # One savepoint: a row of another app protecting a version (a frozen circuit's
            # final version, say) refuses the whole destruction, never half of it.
            with transaction.atomic():
                _delete_document_records(ids)
                DocumentText.objects.filter(version__document_id__in=ids).delete()
                Document.objects.filter(pk__in=ids).update(current_version=None)
                Document.objects.filter(pk__in=ids).delete()
        except models.ProtectedError as exc:
            kinds = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
            raise DocumentRefused("Destruction impossible : des données y font encore référence "
                                  f"({', '.join(kinds)}).", code="protected") from exc
        orphans = [sha256 for sha256 in digests if not blob_referenced(sha256)]
        Blob.objects.filter(pk__in=orphans).delete()
        now = timezone.now()
        locked.status = DestructionStatus.DONE
        locked.executed_at = now
        certificate = audit_record(
            actor=actor, action="documents.destruction_certificate", organisation=locked.organisation,
            target=locked, data={
                "request": locked.pk, "organisation": locked.organisation.slug,
                "organisation_name": locked.organisation.name,
                "organisation_siret": locked.organisation.siret,
                "requested_by": locked.requested_by.email if locked.requested_by else "",
                "requested_at": locked.requested_at.isoformat(),
                "approved_by": locked.decided_by.email if locked.decided_by else "",
                "approved_at": locked.decided_at.isoformat() if locked.decided_at else None,
                "executed_at": now.isoformat(),
                "documents": entries,
                "files_deleted": orphans,
            })
        locked.certificate_seq = certificate.seq
        locked.save(update_fields=["status", "executed_at", "certificate_seq"])
        transaction.on_commit(lambda: _delete_stored_files(orphans))
    return certificate

