"""Background tasks of the archives: the fixity audit of one offer, queued on demand.

The periodic audits of every offer are the jobs ``archives.verify_sample`` and
``archives.verify_full`` (``module.py``, run by ``socle worker``); one offer can also be
audited directly: ``socle archives verify --offer offer-a --sample 0.1``.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .fixity import archives_verify


@task(queue_name="default")
def verify_organisation_task(*, organisation_id: int, actor_id: int | None,
                             sample: float) -> dict[str, Any]:
    """Audit a sample of one organisation's packages, as an archivist asked from the audits page."""
    from socle.core.models import Organisation, User

    organisation = Organisation.objects.get(pk=organisation_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return archives_verify(actor=actor, organisation=organisation, sample=sample).as_dict()


@task(queue_name="default")
def verify_offer_task(*, offer: str, sample: float | None = None) -> dict[str, Any]:
    """Audit one offer (run by `socle worker`); the report is journaled and returned."""
    return archives_verify(actor=None, offer_name=offer, sample=sample).as_dict()
