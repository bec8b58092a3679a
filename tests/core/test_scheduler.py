"""Scheduled jobs: declared by modules, run by `socle worker` once per slot, with leases and retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from socle.core import scheduler
from socle.core.errors import Forbidden, NotFound
from socle.core.models import AuditEvent, JobRun, JobRunStatus
from socle.core.modules import Job, jobs
from socle.core.schedules import ScheduleError, schedule_parse
from tests.support.clients import signed_in
from tests.support.concurrency import run_concurrently

CALLS: list[str] = []


def count_job() -> str:
    CALLS.append("count")
    return f"Appel n° {len(CALLS)}."


def failing_job() -> str:
    CALLS.append("fail")
    raise RuntimeError("le serveur distant ne répond pas")


COUNT = Job("test.count", "tests.core.test_scheduler:count_job", "every 5m", "Compter")
FAIL = Job("test.fail", "tests.core.test_scheduler:failing_job", "daily 06:00", "Échouer")


@pytest.fixture
def declared(monkeypatch):
    """Only the test's jobs are declared."""
    CALLS.clear()
    chosen: list[Job] = []
    monkeypatch.setattr(scheduler, "jobs", lambda: chosen)
    return chosen


def at(text: str) -> datetime:
    """A UTC instant; Paris is UTC+1 in winter, UTC+2 in summer."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- schedules --------------------------------------------------------------------------------

def test_every_declared_job_of_the_platform_has_a_valid_schedule():
    assert jobs(), "the platform declares jobs"
    for job in jobs():
        assert schedule_parse(job.schedule).label()


@pytest.mark.parametrize(("text", "now", "latest", "following", "label"), [
    ("every 15m", "2026-12-03T09:07:00", "2026-12-03T09:00:00", "2026-12-03T09:15:00",
     "toutes les 15 minutes"),
    ("hourly", "2026-12-03T09:59:59", "2026-12-03T09:00:00", "2026-12-03T10:00:00",
     "toutes les heures"),
    # 06:00 in Paris is 05:00 UTC in winter
    ("daily 06:00", "2026-12-03T04:59:00", "2026-12-02T05:00:00", "2026-12-03T05:00:00",
     "chaque jour à 6\u00a0h"),
    ("daily 06:00", "2026-07-01T04:00:00", "2026-07-01T04:00:00", "2026-07-02T04:00:00",
     "chaque jour à 6\u00a0h"),
    # Thursday 3 December 2026: the last Sunday was 29 November
    ("weekly sun 03:00", "2026-12-03T12:00:00", "2026-11-29T02:00:00", "2026-12-06T02:00:00",
     "chaque dimanche à 3\u00a0h"),
    # 29 March 2026: Paris skips 02:00-03:00; the 02:15 slot runs at 03:15 summer time
    ("daily 02:15", "2026-03-29T12:00:00", "2026-03-29T01:15:00", "2026-03-30T00:15:00",
     "chaque jour à 2\u00a0h\u00a015"),
])
def test_schedules_give_their_latest_and_next_slots_in_server_time(text, now, latest, following,
                                                                   label):
    schedule = schedule_parse(text)
    assert schedule.latest_slot(at(now)) == at(latest)
    assert schedule.next_slot(at(now)) == at(following)
    assert schedule.label() == label


@pytest.mark.parametrize("text", ["daily 6h", "every 7m", "weekly dim 03:00", "sometimes", "every 0m"])
def test_an_unreadable_schedule_is_refused_with_the_accepted_forms(text):
    with pytest.raises(ScheduleError, match=r"every 15m|diviser"):
        schedule_parse(text)


# -- one run per slot ---------------------------------------------------------------------------

def test_a_due_job_runs_once_for_its_slot_and_again_at_the_next(db, declared):
    declared.append(COUNT)
    first = scheduler.jobs_tick(worker="w1", now=at("2026-12-03T09:07:00"))
    assert [run.status for run in first] == [JobRunStatus.SUCCEEDED]
    assert first[0].summary == "Appel n° 1."
    assert first[0].slot == at("2026-12-03T09:05:00")
    # Same slot, another worker or the same one: nothing more runs.
    assert scheduler.jobs_tick(worker="w2", now=at("2026-12-03T09:08:00")) == []
    assert scheduler.jobs_tick(worker="w1", now=at("2026-12-03T09:09:59")) == []
    assert CALLS == ["count"]
    # Next slot.
    assert len(scheduler.jobs_tick(worker="w2", now=at("2026-12-03T09:10:00"))) == 1
    assert CALLS == ["count", "count"]


def test_slots_missed_while_no_worker_ran_are_caught_up_once(db, declared):
    declared.append(COUNT)
    scheduler.jobs_tick(worker="w1", now=at("2026-12-03T09:00:00"))
    # Down for two hours: 24 slots missed, one catch-up run.
    scheduler.jobs_tick(worker="w1", now=at("2026-12-03T11:02:00"))
    assert CALLS == ["count", "count"]
    assert JobRun.objects.filter(job="test.count").count() == 2


@pytest.mark.django_db(transaction=True)
def test_of_several_workers_at_once_only_one_runs_the_slot_on_postgresql(declared):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the sequential case is above)")
    declared.append(COUNT)
    now = at("2026-12-03T09:07:00")
    errors = run_concurrently(6, lambda n: scheduler.jobs_tick(worker=f"w{n}", now=now))
    assert errors == []
    assert CALLS == ["count"]
    assert JobRun.objects.get(job="test.count").status == JobRunStatus.SUCCEEDED


# -- failures and dead workers ---------------------------------------------------------------------

def test_a_failed_job_is_retried_after_its_delays_then_left_failed(db, declared, settings):
    settings.JOBS_RETRY_DELAYS = [60, 300]
    declared.append(FAIL)
    now = at("2026-12-03T05:00:30")
    [run] = scheduler.jobs_tick(worker="w1", now=now)
    assert run.status == JobRunStatus.FAILED
    assert "le serveur distant ne répond pas" in run.summary
    assert run.retry_at is not None
    assert scheduler.jobs_tick(worker="w1", now=run.retry_at - timedelta(seconds=1)) == []
    [second] = scheduler.jobs_tick(worker="w2", now=run.retry_at)
    assert (second.attempt, second.status, second.worker) == (2, JobRunStatus.FAILED, "w2")
    [third] = scheduler.jobs_tick(worker="w1", now=second.retry_at)
    assert third.attempt == 3 and third.retry_at is None  # no delay left
    assert scheduler.jobs_tick(worker="w1", now=now + timedelta(hours=12)) == []
    assert CALLS == ["fail", "fail", "fail"]


def test_a_failed_slot_is_not_retried_once_a_newer_slot_has_come(db, declared, settings):
    settings.JOBS_RETRY_DELAYS = [60]
    declared.append(FAIL)
    [run] = scheduler.jobs_tick(worker="w1", now=at("2026-12-03T05:00:30"))
    # A day later the retry of yesterday's slot is moot: today's slot runs, once.
    made = scheduler.jobs_tick(worker="w1", now=at("2026-12-04T05:00:30"))
    assert [r.slot for r in made] == [at("2026-12-04T05:00:00")]
    assert JobRun.objects.get(pk=run.pk).attempt == 1


def test_a_run_whose_worker_died_is_marked_interrupted_and_taken_up_again(db, declared, settings):
    settings.JOBS_RETRY_DELAYS = [60]
    declared.append(COUNT)
    now = at("2026-12-03T09:07:00")
    JobRun.objects.create(job="test.count", slot=at("2026-12-03T09:05:00"), worker="dead:1",
                          started_at=now - timedelta(minutes=2),
                          lease_until=now - timedelta(seconds=1))
    assert scheduler.jobs_tick(worker="w1", now=now) == []
    run = JobRun.objects.get(job="test.count")
    assert run.status == JobRunStatus.FAILED and run.summary == scheduler.INTERRUPTED
    [taken] = scheduler.jobs_tick(worker="w1", now=now + timedelta(seconds=61))
    assert (taken.attempt, taken.status, taken.worker) == (2, JobRunStatus.SUCCEEDED, "w1")
    assert CALLS == ["count"]


def test_a_run_still_leased_by_a_live_worker_is_left_alone(db, declared):
    declared.append(COUNT)
    now = at("2026-12-03T09:07:00")
    JobRun.objects.create(job="test.count", slot=at("2026-12-03T09:05:00"), worker="alive:1",
                          started_at=now, lease_until=now + timedelta(seconds=60))
    assert scheduler.jobs_tick(worker="w1", now=now + timedelta(seconds=30)) == []
    assert JobRun.objects.get(job="test.count").status == JobRunStatus.RUNNING
    assert CALLS == []


# -- commands ------------------------------------------------------------------------------------

def test_socle_jobs_lists_every_job_with_last_run_and_next_slot(db, declared, capsys):
    declared.extend([COUNT, FAIL])
    scheduler.jobs_tick(worker="w1")
    call_command("jobs")
    out = capsys.readouterr().out
    assert "test.count — Compter" in out and "horaire : toutes les 5 minutes (every 5m)" in out
    assert "réussie le" in out and "en échec le" in out and "prochaine :" in out
    call_command("jobs", "--json")
    listed = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    assert listed["test.count"]["last_run"]["status"] == "succeeded"
    assert listed["test.fail"]["last_run"]["status"] == "failed"
    assert "RuntimeError" in listed["test.fail"]["last_run"]["summary"]


def test_socle_jobs_run_runs_one_job_now_and_journals_it(db, declared, capsys):
    declared.append(COUNT)
    call_command("jobs", "run", "test.count")
    assert "test.count : Réussie — Appel n° 1." in capsys.readouterr().out
    assert JobRun.objects.get(job="test.count").manual
    assert AuditEvent.objects.filter(action="job.run", data__job="test.count").exists()


def test_socle_jobs_run_of_a_failing_or_unknown_job_fails_the_command(db, declared):
    declared.append(FAIL)
    with pytest.raises(CommandError, match="a échoué"):
        call_command("jobs", "run", "test.fail")
    with pytest.raises(CommandError, match="Aucune tâche planifiée ne s'appelle « nope »"):
        call_command("jobs", "run", "nope")


def test_the_worker_runs_due_jobs_unless_told_not_to(db, declared, settings):
    settings.JOBS_SCHEDULER = True
    declared.append(COUNT)
    call_command("worker", "--batch", "--no-schedule")
    assert CALLS == []
    call_command("worker", "--batch")
    assert CALLS == ["count"]
    call_command("worker", "--batch")
    assert CALLS == ["count"]  # same slot


# -- the DCSI's page --------------------------------------------------------------------------------

def test_the_dcsi_sees_the_jobs_and_asks_for_a_run_that_a_worker_makes(
        territory, make_user, declared, django_capture_on_commit_callbacks):
    declared.append(COUNT)
    dcsi = make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])
    client = signed_in(dcsi)
    page = client.get(reverse("core:jobs"))
    assert page.status_code == 200
    assert "Compter" in page.text and "Jamais exécutée" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("core:job_run"), {"job": "test.count"})
    assert answer.status_code == 302
    assert CALLS == []  # asked, not yet run
    call_command("worker", "--batch", "--no-schedule")
    assert CALLS == ["count"]
    run = JobRun.objects.get(job="test.count")
    assert run.manual and run.status == JobRunStatus.SUCCEEDED
    assert AuditEvent.objects.filter(action="job.run", actor=dcsi).exists()
    assert "Appel n° 1." in client.get(reverse("core:jobs")).text


def test_only_the_platforms_operators_see_or_run_jobs(territory, make_user, declared):
    declared.append(COUNT)
    commune_admin = make_user("admin.jaux@exemple.fr", roles=[(territory["jaux"], "core.admin")])
    citizen = make_user("habitant@exemple.fr", commune=territory["jaux"])
    for person in (commune_admin, citizen):
        client = signed_in(person)
        assert client.get(reverse("core:jobs")).status_code == 403
        assert client.post(reverse("core:job_run"), {"job": "test.count"}).status_code == 403
    with pytest.raises(Forbidden):
        scheduler.jobs_state(actor=commune_admin)
    with pytest.raises(Forbidden):
        scheduler.job_run_now(actor=commune_admin, name="test.count")
    assert CALLS == []
    assert signed_in(citizen).get(reverse("core:jobs")).status_code == 403


def test_asking_for_an_unknown_job_says_so(territory, make_user, declared):
    dcsi = make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])
    with pytest.raises(NotFound):
        scheduler.job_request(actor=dcsi, name="nope")
    answer = signed_in(dcsi).post(reverse("core:job_run"), {"job": "nope"}, follow=True)
    assert "Aucune tâche planifiée ne s&#x27;appelle « nope »" in answer.text


def test_the_cores_housekeeping_jobs_clear_old_sessions_and_task_results(db, settings):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from socle.core import jobs as core_jobs
    from socle.core.notifications import email_send_task

    old, fresh = SessionStore(), SessionStore()
    old.create()
    fresh.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timedelta(days=1))
    assert core_jobs.clear_sessions() == "1 session(s) expirée(s) effacée(s)."
    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh.session_key]

    settings.TASKS_KEEP_DAYS = 30
    done = [email_send_task.enqueue(to=["a@exemple.fr"], subject="s", body="b") for _ in range(2)]
    DBTaskResult.objects.filter(id=done[0].id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=31))
    DBTaskResult.objects.filter(id=done[1].id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=29))
    assert core_jobs.prune_tasks() == "1 résultat(s) de tâches effacé(s)."
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [str(done[1].id)]
