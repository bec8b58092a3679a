"""Background tasks of the GED, run by `socle worker`."""

from __future__ import annotations

from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone
from django_tasks import task

from .text_indexing import version_text_extract

RETRY_DELAY = timedelta(minutes=1)


@task(queue_name="default")
def document_extract_task(*, version_id: int) -> str:
    """Extract and index the text of a document version; on a database failure, try again later.

    The index is written with the text in one transaction, so a failure leaves both
    unchanged and the version "pending": this task is re-queued, and
    `socle documents extract --pending` re-queues whatever a lost queue left behind.
    """
    try:
        return version_text_extract(version_id=version_id)
    except DatabaseError:
        document_extract_task.using(run_after=timezone.now() + RETRY_DELAY).enqueue(version_id=version_id)
        raise
