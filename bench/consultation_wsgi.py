"""socle's WSGI application with the recording of consultations switched for a benchmark.

``BENCH_CONSULTATION_MODE``:

- ``log`` (default): socle as shipped, one insert into the consultation log (decision 0019);
- ``off``: nothing recorded, the baseline;
- ``chained``: a chained journal event on every reading, the design decision 0019 set aside,
  which takes the lock of the journal's head on every page.

Only the portal's recording is switched: the page the benchmark loads is an agent's case.
"""

from __future__ import annotations

import os
from typing import Any

from socle.wsgi import application as socle_application

MODE = os.environ.get("BENCH_CONSULTATION_MODE", "log")


def _off(**kwargs: Any) -> None:
    return None


def _chained(*, actor: Any, action: str, organisation: Any, target: Any,
             data: dict[str, Any] | None = None, ip_address: str | None = None) -> Any:
    from django.db import transaction

    from socle.core.journal import audit_record

    if actor is None or not getattr(actor, "pk", None):
        return None
    with transaction.atomic():
        return audit_record(actor=actor, action=action, organisation=organisation,
                            target=target, data=data, ip_address=ip_address)


if MODE != "log":
    from socle.portal.services import cases

    cases.consultation_record = {"off": _off, "chained": _chained}[MODE]

application = socle_application
