"""Counting uses of an open door per client, so that no one can use it as a mail cannon.

A door (``scope``) that anyone may push (filing without an account, asking for a new
confirmation link) counts each use per key (the client's IP address) in a sliding window.
The key is kept only as a keyed hash (HMAC with ``SECRET_KEY``): the table says how often
one client came, never who. Rows older than a day are deleted by ``core.throttle_prune``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .errors import TooManyRequests
from .models import ThrottleHit

KEEP = timedelta(days=1)


def _digest(scope: str, key: str) -> str:
    message = f"{scope}\x00{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def throttle_hit(*, scope: str, key: str | None, limit: int, window: timedelta, message: str,
                 now: datetime | None = None) -> None:
    """Count one use of ``scope`` by ``key``; raise ``TooManyRequests`` once over ``limit``.

    A refused use is not counted, so waiting out the window always opens the door again.
    Without a key (no address known) nothing is counted: the caller's other limits apply.
    """
    if not key:
        return
    now = now or timezone.now()
    digest = _digest(scope, key)
    recent = ThrottleHit.objects.filter(scope=scope, key=digest, at__gt=now - window).count()
    if recent >= limit:
        raise TooManyRequests(message)
    ThrottleHit.objects.create(scope=scope, key=digest, at=now)


def throttle_prune(*, now: datetime | None = None) -> int:
    """Delete the counts older than a day (the longest window); return how many."""
    before = (now or timezone.now()) - KEEP
    deleted, _ = ThrottleHit.objects.filter(at__lt=before).delete()
    return deleted
