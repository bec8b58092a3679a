"""Upload handles: what lets a person attach a file they deposited, and nothing else.

``POST /api/v1/blobs`` (and a page's file field) stores the content and gives its uploader
a handle. An object (a case's answer...) takes a file by handle (``upload_lookup``, then
``uploads_consume`` in the transaction that writes it), or by a file it already holds. No
path accepts a digest as authority: knowing a file's SHA-256 gives no right to it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from .models import Blob, Upload, User

UPLOAD_VALID = timedelta(hours=24)
HANDLE_PREFIX = "upl_"


def _digest(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


def upload_handle_create(*, actor: User | None, blob: Blob, name: str = "") -> tuple[str, datetime]:
    """Give the uploader of a stored file its handle; return it and when it expires."""
    handle = HANDLE_PREFIX + secrets.token_urlsafe(24)
    expires_at = timezone.now() + UPLOAD_VALID
    Upload.objects.create(digest=_digest(handle), blob=blob,
                          uploader=actor if actor is not None and actor.pk else None,
                          name=name[:200], expires_at=expires_at)
    return handle, expires_at


def upload_lookup(*, actor: User | None, handle: str) -> Upload | None:
    """The live upload a handle names for this person (their own, unexpired, unused), or None."""
    if not isinstance(handle, str) or not handle.startswith(HANDLE_PREFIX):
        return None
    uploader = actor.pk if actor is not None and actor.pk else None
    return (Upload.objects.select_related("blob")
            .filter(digest=_digest(handle), uploader_id=uploader, used_at__isnull=True,
                    expires_at__gt=timezone.now()).first())


def uploads_consume(*, actor: User | None, handles: Iterable[str]) -> int:
    """Spend the handles an object just took (call inside the transaction that writes it)."""
    uploader = actor.pk if actor is not None and actor.pk else None
    digests = [_digest(h) for h in handles if isinstance(h, str)]
    if not digests:
        return 0
    return Upload.objects.filter(digest__in=digests, uploader_id=uploader,
                                 used_at__isnull=True).update(used_at=timezone.now())


def handles_in(data: object) -> list[str]:
    """Every ``{"upload": handle}`` in a nested answer (groups included)."""
    found: list[str] = []

    def visit(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("upload"), str):
                found.append(value["upload"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(data)
    return found
