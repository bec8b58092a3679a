"""Filing of a case's files in the GED, under the plan node its procedure names.

The citizen's attachments and the decisions and attestations the platform issues become
GED documents of the case's organisation. Filing runs in a background task queued once
the case's transaction has committed: the GED being down, or refusing a file, never
stops a citizen's submission nor an agent's decision. It is idempotent: a file filed
once keeps its document's id (``CaseDocument.documents_document_id``, decision 0017) and
is never filed again, so the task can be re-run (``socle worker``) until everything is
filed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks import task

from socle.core.blobs import blob_open
from socle.core.journal import audit_record
from socle.core.services import ServiceError

from .models import Case, CaseDocument, DocumentKind

FILED_KINDS = (DocumentKind.ATTACHMENT, DocumentKind.DECISION, DocumentKind.ATTESTATION)
RETRY_DELAY = timedelta(minutes=5)


def case_documents_file_later(case: Case) -> None:
    """Queue the filing of the case's files once the caller's transaction commits."""
    if not case.procedure.file_plan_node:
        return
    case_id = case.pk
    transaction.on_commit(lambda: case_documents_file_task.enqueue(case_id=case_id))


def _file_one(case: Case, node_code: str, item: CaseDocument) -> int:
    import socle.documents.services as documents_services

    title = f"{case.number} — {item.get_kind_display()} — {item.name}"
    values: dict[str, Any] = {
        "organisation": case.organisation, "node_code": node_code, "file_name": item.name,
        "title": title, "tags": ["portail", case.number, item.kind],
        "document_date": timezone.localdate(item.created_at)}
    try:
        with transaction.atomic(), blob_open(item.blob) as stream:
            document = documents_services.document_create(
                actor=None, stream=stream, metadata={"numero_dossier": case.number}, **values)
    except documents_services.DocumentRefused as refusal:
        if refusal.code != "invalid_metadata":
            raise
        # A node whose document types declare their own fields: the case number stays in
        # the title and the tags.
        with transaction.atomic(), blob_open(item.blob) as stream:
            document = documents_services.document_create(actor=None, stream=stream, **values)
    return document.pk


def case_documents_file(*, case_id: int) -> int:
    """File the case's attachments, decisions and attestations not filed yet; return how many.

    A refusal of the GED is journaled and leaves the file unfiled (nothing is retried
    for it until someone fixes the procedure's node and runs the task again).
    """
    case = Case.objects.select_related("procedure", "organisation").filter(pk=case_id).first()
    if case is None or not case.procedure.file_plan_node:
        return 0
    node_code = case.procedure.file_plan_node
    filed = 0
    pending = list(case.documents.filter(kind__in=FILED_KINDS, documents_document_id__isnull=True)
                   .order_by("pk").values_list("pk", flat=True))
    for pk in pending:
        with transaction.atomic():
            # The row lock: two runs of the task never file the same file twice.
            item = CaseDocument.objects.select_for_update().select_related("blob").get(pk=pk)
            if item.documents_document_id is not None:
                continue
            try:
                document_id = _file_one(case, node_code, item)
            except (ServiceError, OSError) as refusal:
                audit_record(actor=None, action="case.ged_filing_refused",
                             organisation=case.organisation, target=case, data={
                                 "number": case.number, "file": item.pk, "node": node_code,
                                 "code": getattr(refusal, "code", "unreadable"),
                                 "message": str(getattr(refusal, "message", refusal))[:300]})
                continue
            item.documents_document_id = document_id
            item.save(update_fields=["documents_document_id"])
            audit_record(actor=None, action="case.ged_filed", organisation=case.organisation,
                         target=case, data={"number": case.number, "file": item.pk,
                                            "document": document_id, "node": node_code})
            filed += 1
    return filed


@task(queue_name="default")
def case_documents_file_task(*, case_id: int) -> int:
    """File a case's files in the GED; on a database failure, try again later."""
    try:
        return case_documents_file(case_id=case_id)
    except DatabaseError:
        case_documents_file_task.using(run_after=timezone.now() + RETRY_DELAY).enqueue(case_id=case_id)
        raise
