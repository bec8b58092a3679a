"""A lease renewed in the background while a piece of work runs.

The worker that runs a task or a job holds a lease on it (a row's ``lease_until``): a
thread pushes it forward every third of its length while the work runs. If the worker is
killed, renewal stops, the lease lapses, and another worker may take the work up again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Context manager: calls ``renew(new_until)`` every ``length / 3`` until the block ends."""

    def __init__(self, length: timedelta, renew: Callable[[object], int]) -> None:
        self.length = length
        self.renew = renew
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.length.total_seconds() / 3):
                try:
                    self.renew(timezone.now() + self.length)
                except Exception:
                    logger.exception("Renouvellement du bail impossible")
        finally:
            connections.close_all()
