"""Notifications to people: emails are sent by a background task after commit."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task


@task(queue_name="default")
def email_send_task(*, to: list[str], subject: str, body: str) -> int:
    """Send one plain-text email (run by `socle worker`)."""
    return send_mail(subject, body, None, to)


def email_notify(*, to: list[str], subject: str, body: str) -> None:
    """Queue an email once the current transaction commits, never before."""
    transaction.on_commit(lambda: email_send_task.enqueue(to=to, subject=subject, body=body))
