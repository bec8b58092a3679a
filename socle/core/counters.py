"""Counters safe under concurrent writers: mail chrono numbers (gapless), case numbers.

Used inside the transaction that uses the number, a counter has no gap (mail). The
portal takes case numbers in a transaction of their own, so that rendering a filing's
acknowledgements never holds the lock: there a failed filing may leave a gap.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def counter_next(counters: models.QuerySet[Any], **create: Any) -> int:
    """Increment the one counter row of ``counters`` (created from ``create`` if missing).

    Call it inside the transaction that uses the number. The UPDATE comes first: it
    takes the row lock on PostgreSQL and the write lock on SQLite before anything is
    read, so a concurrent writer waits for our commit and numbers follow each other
    without gap or duplicate. The counter row has a ``last`` field.
    """
    if not counters.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                counters.model.objects.create(**create, last=1)
        except IntegrityError:
            # Another writer created the row first: take the next number after theirs.
            counters.update(last=F("last") + 1)
    return int(counters.values_list("last", flat=True).get())
