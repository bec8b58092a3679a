"""Background work of the mail register (run by `socle worker`)."""

from __future__ import annotations

from django_tasks import task

from .services import mail_escalate_overdue


@task(queue_name="default")
def mail_escalate_task() -> int:
    """Flag the mail past its deadline and alert whoever answers for it; return how many."""
    return len(mail_escalate_overdue())
