"""The background task queue as ``socle worker`` runs it: leases, retries, replays.

Tasks are django-tasks tasks stored by django-tasks-db. Around its claim and run, socle adds
what the queue lacks for work a citizen is owed (an acknowledgement, a decision by mail):

- a **lease** (``TaskLease``) renewed while a task runs; a task whose lease lapsed was left
  by a dead worker and is made ready again (``tasks_recover``), by any worker or the next
  ``socle worker --batch``;
- a **retry with back-off**: a failed task is made ready again after
  ``TASKS_RETRY_DELAYS`` (30 s, 2 min, 10 min, 30 min, 2 h by default), then left failed;
- failed tasks are **visible** (``tasks_failed``: `socle tasks`, the DCSI's page) and can be
  **replayed** (``task_replay``).

Attempts are counted by the worker ids a task was claimed by (django-tasks-db appends one at
each claim). Delivery is at least once: a task killed after its effect but before its outcome
was written runs again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .access import can
from .errors import Conflict, Forbidden, NotFound
from .journal import audit_record
from .leases import LeaseKeeper
from .models import Organisation, TaskLease, User

READY, RUNNING, FAILED, SUCCESSFUL = "READY", "RUNNING", "FAILED", "SUCCESSFUL"
WORKER_LOST = "socle.core.task_queue.WorkerLost"


MANAGE_JOBS = "core.manage_jobs"


def operator_check(actor: User | None) -> None:
    """Refuse anyone but the platform's operators: tasks and jobs belong to no organisation.

    ``None`` is the platform itself (the worker, an operator's command on the server); a
    person must hold ``core.manage_jobs`` on every top organisation of the tree.
    """
    if actor is None:
        return
    roots = list(Organisation.objects.filter(parent__isnull=True))
    if not roots or not all(can(actor, MANAGE_JOBS, root) for root in roots):
        raise Forbidden("Seule la DCSI suit les tâches de fond de la plateforme.")


def _lease() -> timedelta:
    return timedelta(seconds=settings.TASKS_LEASE_SECONDS)


def max_attempts() -> int:
    """How many times a task is tried before it is left failed: once, plus one per delay."""
    return 1 + len(settings.TASKS_RETRY_DELAYS)


def _retry_at(attempts: int, now: datetime) -> datetime | None:
    delays = settings.TASKS_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1])


def tasks_recover(*, now: datetime | None = None) -> int:
    """Make ready again the tasks left running by a worker whose lease lapsed; return how many.

    A running task with no lease at all (claimed by a worker that predates leases) counts
    as lapsed once it started longer than a lease ago. A task that used its last attempt
    is marked failed instead, with a message saying its worker disappeared.
    """
    now = now or timezone.now()
    leased = TaskLease.objects.values("task_id")
    lapsed = DBTaskResult.objects.filter(status=RUNNING).filter(
        Q(id__in=TaskLease.objects.filter(lease_until__lt=now).values("task_id"))
        | (~Q(id__in=leased) & Q(started_at__lt=now - _lease())))
    recovered = 0
    for task in lapsed.only("id", "worker_ids"):
        attempts = len(task.worker_ids)
        retry_at = _retry_at(attempts, now) if attempts < max_attempts() else None
        with transaction.atomic():
            if retry_at is not None:
                changed = DBTaskResult.objects.filter(id=task.id, status=RUNNING).update(
                    status=READY, started_at=None, run_after=now)
            else:
                changed = DBTaskResult.objects.filter(id=task.id, status=RUNNING).update(
                    status=FAILED, finished_at=now, exception_class_path=WORKER_LOST,
                    traceback="Le processus qui exécutait la tâche a disparu "
                              f"({attempts} tentative(s)).")
            TaskLease.objects.filter(task_id=task.id).delete()
        recovered += changed
    return recovered


def task_run_next(*, worker_id: str, runner: Worker | None = None) -> bool:
    """Claim the next ready task, run it under a lease, retry it later if it failed.

    Return False when no task was ready.
    """
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    try:
        with exclusive_transaction(ready.db):
            task = ready.get_locked()
            if task is None:
                return False
            task.claim(worker_id)
            TaskLease.objects.update_or_create(
                task_id=task.id, defaults={"worker": worker_id,
                                           "lease_until": timezone.now() + _lease()})
    except OperationalError as exc:
        if is_locked_database_exception(exc):
            return False
        raise

    def renew(until: object) -> int:
        return TaskLease.objects.filter(task_id=task.id, worker=worker_id).update(lease_until=until)

    runner = runner or _runner(worker_id)
    with LeaseKeeper(_lease(), renew):
        runner.run_task(task)
    now = timezone.now()
    with transaction.atomic():
        task.refresh_from_db(fields=["status", "worker_ids"])
        retry_at = _retry_at(len(task.worker_ids), now)
        if task.status == FAILED and retry_at is not None:
            DBTaskResult.objects.filter(id=task.id, status=FAILED).update(
                status=READY, run_after=retry_at, started_at=None, finished_at=None)
        TaskLease.objects.filter(task_id=task.id, worker=worker_id).delete()
    return True


def _runner(worker_id: str) -> Worker:
    return Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                  startup_delay=False, max_tasks=None, worker_id=worker_id,
                  excluded_queue_names=[])


@dataclass(frozen=True)
class FailedTask:
    """A task left failed after its last attempt, or waiting for its next one."""

    id: str
    name: str
    status: str  # "FAILED", or "READY" when a retry is planned
    attempts: int
    enqueued_at: datetime
    finished_at: datetime | None
    retry_at: datetime | None
    error: str  # the last line of the traceback

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "status": self.status,
                "attempts": self.attempts, "enqueued_at": self.enqueued_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "retry_at": self.retry_at.isoformat() if self.retry_at else None,
                "error": self.error}


def tasks_failed(*, actor: User | None, limit: int = 100) -> list[FailedTask]:
    """The tasks that failed (last attempt spent) and those waiting for a retry, newest first.

    Tasks carry no organisation: only the platform's operators may see them (the
    DCSI's page and `socle tasks`).
    """
    operator_check(actor)
    rows = (DBTaskResult.objects.filter(Q(status=FAILED) | (Q(status=READY) & ~Q(traceback="")))
            .order_by("-enqueued_at")[:limit])
    return [FailedTask(id=str(row.id), name=row.task_path.rsplit(".", 1)[-1], status=row.status,
                       attempts=len(row.worker_ids), enqueued_at=row.enqueued_at,
                       finished_at=row.finished_at,
                       retry_at=row.run_after if row.status == READY
                       and row.run_after != get_date_max() else None,
                       error=(row.traceback.strip().splitlines() or [""])[-1][:500])
            for row in rows]


def task_counts(*, actor: User | None) -> dict[str, int]:
    """How many tasks are ready, running, failed and done (for the DCSI's page)."""
    operator_check(actor)
    counts = {READY: 0, RUNNING: 0, FAILED: 0, SUCCESSFUL: 0}
    for status in counts:
        counts[status] = DBTaskResult.objects.filter(status=status).count()
    return counts


def task_replay(*, actor: User | None, task_id: str) -> None:
    """Make a failed task ready to run now (one more attempt); journaled."""
    operator_check(actor)
    try:
        task = DBTaskResult.objects.get(id=uuid.UUID(str(task_id)))
    except (ValueError, DBTaskResult.DoesNotExist) as exc:
        raise NotFound("Aucune tâche ne porte ce numéro.") from exc
    with transaction.atomic():
        changed = DBTaskResult.objects.filter(id=task.id, status=FAILED).update(
            status=READY, run_after=timezone.now(), started_at=None, finished_at=None)
        if not changed:
            raise Conflict("Seule une tâche en échec peut être relancée.")
        audit_record(actor=actor, action="task.replay",
                     data={"task_id": str(task.id), "task": task.task_path,
                           "attempts": len(task.worker_ids)})
