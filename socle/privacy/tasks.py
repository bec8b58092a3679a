"""Background work of the GDPR register (run by `socle worker`)."""

from __future__ import annotations

from django_tasks import task

from .export import export_build


@task(queue_name="default")
def export_build_task(*, request_id: int) -> str:
    """Build the zip answering an access request, for the person handling it."""
    return export_build(request_id=request_id)
