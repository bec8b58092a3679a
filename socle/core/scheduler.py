"""The modules' scheduled jobs, run by ``socle worker`` (no crontab).

Each module declares its jobs (``Job`` in its ``module.py``: a name, a function, a schedule).
At every turn the worker asks which jobs are due and runs the latest slot of each that no
worker ran yet. Of several workers, exactly one runs a slot: the claim is the insert of the
unique (job, slot) row of ``JobRun``. While a job runs its lease is renewed; if the worker
dies the lease lapses and the run is marked interrupted and retried like a failure: after
each of ``JOBS_RETRY_DELAYS``, as long as its slot is still the latest. Runs older than
``JOBS_KEEP_DAYS`` are pruned.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .errors import NotFound
from .journal import audit_record
from .leases import LeaseKeeper
from .models import JobRun, JobRunStatus, User
from .modules import Job, jobs, resolve
from .schedules import schedule_parse
from .task_queue import operator_check

logger = logging.getLogger(__name__)

INTERRUPTED = "Interrompue : le processus qui l'exécutait a cessé de répondre."


def worker_identity() -> str:
    """This process, as runs and leases name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def _retry_at(attempt: int, now: datetime) -> datetime | None:
    delays = settings.JOBS_RETRY_DELAYS
    return now + timedelta(seconds=delays[attempt - 1]) if attempt <= len(delays) else None


def job_get(name: str) -> Job:
    """The declared job of that name, or ``NotFound`` listing the known names."""
    for job in jobs():
        if job.name == name:
            return job
    known = ", ".join(sorted(job.name for job in jobs()))
    raise NotFound(f"Aucune tâche planifiée ne s'appelle « {name} ». Tâches déclarées : {known}.")


def jobs_sweep(*, now: datetime | None = None) -> int:
    """Mark interrupted the runs whose worker stopped renewing their lease; return how many.

    An interrupted run is retried like a failed one (``jobs_tick`` picks it up when due).
    """
    now = now or timezone.now()
    swept = 0
    for run in JobRun.objects.filter(status=JobRunStatus.RUNNING, lease_until__lt=now):
        retry_at = _retry_at(run.attempt, now)
        swept += JobRun.objects.filter(pk=run.pk, status=JobRunStatus.RUNNING,
                                       lease_until__lt=now).update(
            status=JobRunStatus.FAILED, finished_at=now, retry_at=retry_at, summary=INTERRUPTED)
    return swept


def _claim(job: Job, slot: datetime, *, worker: str, now: datetime) -> JobRun | None:
    """Take the slot for this worker: a new run, or the retry of a failed one; None if taken."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job.name, slot=slot, worker=worker, started_at=now,
                                         lease_until=now + _lease())
    except IntegrityError:
        pass
    taken = JobRun.objects.filter(job=job.name, slot=slot, status=JobRunStatus.FAILED,
                                  retry_at__lte=now).update(
        status=JobRunStatus.RUNNING, attempt=F("attempt") + 1, worker=worker, started_at=now,
        lease_until=now + _lease(), finished_at=None, retry_at=None)
    return JobRun.objects.get(job=job.name, slot=slot) if taken else None


def _execute(job: Job, run: JobRun) -> JobRun:
    """Run the job's function under a renewed lease and record its outcome."""

    def renew(until: object) -> int:
        return JobRun.objects.filter(pk=run.pk, worker=run.worker,
                                     status=JobRunStatus.RUNNING).update(lease_until=until)

    status, retry_at = JobRunStatus.SUCCEEDED, None
    began = time.monotonic()
    with LeaseKeeper(_lease(), renew):
        try:
            summary = str(resolve(job.func)() or "Terminée.")
        except Exception as exc:
            logger.exception("La tâche planifiée %s a échoué", job.name)
            status = JobRunStatus.FAILED
            summary = f"{type(exc).__name__} : {exc}"
    # The end is measured on the run's own clock (its start plus the time it took), so that
    # a tick given an explicit instant computes its retry from that instant.
    now = run.started_at + timedelta(seconds=time.monotonic() - began)
    if status == JobRunStatus.FAILED and not run.manual:
        retry_at = _retry_at(run.attempt, now)
    # Written only if the run is still ours: a run taken over after a lapsed lease is not
    # overwritten by the worker that lost it.
    JobRun.objects.filter(pk=run.pk, worker=run.worker).update(
        status=status, finished_at=now, summary=summary[:4000], retry_at=retry_at)
    run.refresh_from_db()
    return run


def jobs_tick(*, worker: str | None = None, now: datetime | None = None) -> list[JobRun]:
    """Run, one after the other, every job whose latest slot is due and not yet run here or
    elsewhere; return the runs this worker made."""
    worker = worker or worker_identity()
    now = now or timezone.now()
    jobs_sweep(now=now)
    made = []
    for job in jobs():
        slot = schedule_parse(job.schedule).latest_slot(now)
        run = _claim(job, slot, worker=worker, now=now)
        if run is not None:
            made.append(_execute(job, run))
    JobRun.objects.filter(slot__lt=now - timedelta(days=settings.JOBS_KEEP_DAYS)).delete()
    return made


def job_run_now(*, actor: User | None, name: str) -> JobRun:
    """Run one job now, outside its schedule (`socle jobs run NAME`); journaled."""
    operator_check(actor)
    job = job_get(name)
    now = timezone.now()
    run = JobRun.objects.create(job=job.name, slot=now, manual=True, worker=worker_identity(),
                                started_at=now, lease_until=now + _lease())
    audit_record(actor=actor, action="job.run", data={"job": job.name})
    return _execute(job, run)


@dataclass(frozen=True)
class JobState:
    """A declared job with its schedule, its last run and its next slot."""

    job: Job
    schedule_label: str
    last: JobRun | None
    next_slot: datetime

    def as_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "name": self.job.name, "label": self.job.label, "schedule": self.job.schedule,
            "schedule_label": self.schedule_label, "next_run": self.next_slot.isoformat(),
            "last_run": None if last is None else {
                "slot": last.slot.isoformat(), "manual": last.manual, "status": last.status,
                "attempt": last.attempt, "started_at": last.started_at.isoformat(),
                "finished_at": last.finished_at.isoformat() if last.finished_at else None,
                "retry_at": last.retry_at.isoformat() if last.retry_at else None,
                "summary": last.summary, "worker": last.worker},
        }


def jobs_state(*, actor: User | None, now: datetime | None = None) -> list[JobState]:
    """Every declared job with its last run and next slot (platform-wide: for operators)."""
    operator_check(actor)
    now = now or timezone.now()
    states = []
    for job in jobs():
        schedule = schedule_parse(job.schedule)
        last = JobRun.objects.filter(job=job.name).order_by("-slot").first()
        states.append(JobState(job=job, schedule_label=schedule.label(), last=last,
                               next_slot=schedule.next_slot(now)))
    return states


@task(queue_name="default")
def job_run_task(*, name: str, requested_by: int | None = None) -> str:
    """Run one job now on behalf of whoever asked for it in the DCSI's page."""
    actor = User.objects.filter(pk=requested_by).first() if requested_by else None
    run = job_run_now(actor=actor, name=name)
    if run.status == JobRunStatus.FAILED:
        # The run is recorded failed; failing the task too shows it among failed tasks.
        raise RuntimeError(run.summary)
    return run.summary


def job_request(*, actor: User, name: str) -> None:
    """Ask a worker to run one job now (the DCSI's page); it runs once the transaction commits."""
    operator_check(actor)
    job = job_get(name)
    transaction.on_commit(lambda: job_run_task.enqueue(name=job.name, requested_by=actor.pk))
