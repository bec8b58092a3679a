"""Background tasks of the archives: fixity audits, scheduled per offer.

Scheduled by cron through the task queue, one line per offer, e.g. every night::

    15 2 * * *  socle shell -c "from socle.archives.tasks import verify_offer_task; \\
                verify_offer_task.enqueue(offer='offer-a', sample=0.1)"

or directly, without the queue: ``socle archives verify --offer offer-a --sample 0.1``.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .fixity import archives_verify


@task(queue_name="default")
def verify_offer_task(*, offer: str, sample: float | None = None) -> dict[str, Any]:
    """Audit one offer (run by `socle worker`); the report is journaled and returned."""
    return archives_verify(actor=None, offer_name=offer, sample=sample).as_dict()
