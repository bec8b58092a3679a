"""The text of a version, extracted and indexed: the write the background task runs.

Apart from services.py, which enqueues the task, so that the task and the services do not
import each other; services.py re-exports it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from socle.core.blobs import blob_open
from socle.core.journal import audit_record

from . import search
from .extraction import extract
from .models import Document, DocumentText, DocumentVersion


def version_text_extract(*, version_id: int) -> str:
    """Extract a version's text and index it in one transaction; return the resulting status.

    Idempotent: run again, it does the same. The reading of the file happens before
    the transaction, so the write lock is held only for the few rows written.
    """
    version = DocumentVersion.objects.select_related("blob").filter(pk=version_id).first()
    if version is None:
        return "missing"
    with blob_open(version.blob) as handle:
        result = extract(handle, version.mime_type)
    with transaction.atomic():
        DocumentText.objects.update_or_create(version=version, defaults={
            "text": result.text, "extracted_at": timezone.now()})
        DocumentVersion.objects.filter(pk=version.pk).update(text_status=result.status,
                                                            text_message=result.message[:300])
        document = Document.objects.select_for_update().get(pk=version.document_id)
        if document.current_version_id == version.pk:
            search.document_index(document)
            document.text_indexed = True
            document.save(update_fields=["text_indexed"])
        audit_record(actor=None, action="documents.text_extract", organisation=None,
                     target=version, data={"document": document.pk, "status": result.status,
                                           "chars": len(result.text)})
    return result.status
