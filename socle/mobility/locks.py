"""Connected locks behind one interface, so that a lock vendor can be plugged in.

socle speaks to locks through a ``LockDriver``: ``unlock`` (idempotent for one rental, valid
for a limited time) and ``status`` (locked or not, and at which station). The driver shipped
here speaks JSON over HTTP to a lock gateway; the lock simulator (``lock_simulator.py``,
``socle mobility lock-simulator``) is such a gateway, used by the demo and the tests. A
vendor's gateway either speaks the same JSON or gets its own driver class, named by
``SOCLE_MOBILITY_LOCK_DRIVER``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class LockUnavailable(Exception):
    """The lock or its gateway did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class LockState:
    locked: bool
    station_id: str  # "" when the lock is not docked at a station


class LockDriver(Protocol):
    def unlock(self, lock_id: str, *, rental_ref: str, valid_seconds: int) -> None: ...

    def status(self, lock_id: str) -> LockState: ...


class HttpLockDriver:
    """A lock gateway speaking JSON: POST /locks/<id>/unlock, GET /locks/<id>."""

    def __init__(self, base_url: str, timeout: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LockUnavailable("Le service des cadenas n'est pas configuré.")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - http(s) checked in __init__
            f"{self.base_url}{path}", data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LockUnavailable(str(exc)) from exc
        if not isinstance(answer, dict):
            raise LockUnavailable("réponse illisible")
        return answer

    def unlock(self, lock_id: str, *, rental_ref: str, valid_seconds: int) -> None:
        answer = self._call("POST", f"/locks/{lock_id}/unlock",
                            {"rental": rental_ref, "valid_seconds": valid_seconds})
        if answer.get("state") != "unlocked":
            raise LockUnavailable(str(answer.get("error") or "déverrouillage refusé par le cadenas"))

    def status(self, lock_id: str) -> LockState:
        answer = self._call("GET", f"/locks/{lock_id}")
        return LockState(locked=answer.get("state") == "locked", station_id=str(answer.get("station") or ""))


def lock_driver() -> LockDriver:
    """Return the configured lock driver."""
    driver_class = import_string(settings.MOBILITY_LOCK_DRIVER)
    driver: LockDriver = driver_class(settings.MOBILITY_LOCK_URL, settings.MOBILITY_LOCK_TIMEOUT)
    return driver
