"""Text messages for people registered with a phone number only, behind one small interface.

socle has no SMS operator wired in: ``AGENDAS_SMS_BACKEND`` names the class that sends
(``send(to, text) -> bool``). The default, ``OutboxBackend``, keeps the messages in the
process (tests, demo) and logs them; an operator's gateway is one class of that shape.
Messages leave after the transaction commits, through the worker, like emails.
"""

from __future__ import annotations

import logging
import threading
from typing import ClassVar, Protocol

from django.conf import settings
from django.db import transaction
from django_tasks import task

from socle.core.modules import resolve

log = logging.getLogger(__name__)
DEFAULT_BACKEND = "socle.agendas.sms:OutboxBackend"
MAX_LENGTH = 320  # two SMS segments


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> bool: ...


class OutboxBackend:
    """Keep every message in memory (``OutboxBackend.outbox``) and log it."""

    outbox: ClassVar[list[tuple[str, str]]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def send(self, to: str, text: str) -> bool:
        with self._lock:
            self.outbox.append((to, text))
        log.info("SMS to %s: %s", to[:4] + "…", text[:40])
        return True


def sms_backend() -> SmsBackend:
    """Return the configured backend."""
    backend: SmsBackend = resolve(getattr(settings, "AGENDAS_SMS_BACKEND", DEFAULT_BACKEND))()
    return backend


@task(queue_name="default")
def sms_send_task(*, to: str, text: str) -> bool:
    """Send one text message (run by `socle worker`)."""
    return sms_backend().send(to, text)


def sms_notify(*, to: str, text: str) -> None:
    """Queue a text message once the current transaction commits, never before."""
    short = text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
    transaction.on_commit(lambda: sms_send_task.enqueue(to=to, text=short))
