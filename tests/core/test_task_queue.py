"""Background tasks: retried with back-off, taken up again after a dead worker, visible, replayable."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from socle.core import task_queue
from socle.core.errors import Conflict, Forbidden, NotFound
from socle.core.models import AuditEvent, TaskLease
from socle.core.notifications import email_send_task
from tests.support.clients import signed_in
from tests.support.smtp_server import running_smtp_server

OUTCOMES: list[str] = []


@task(queue_name="default")
def flaky_task(*, fail_times: int) -> str:
    """Fails its first ``fail_times`` runs."""
    OUTCOMES.append("run")
    if len(OUTCOMES) <= fail_times:
        raise ConnectionError("relais injoignable")
    return "fait"


@task(queue_name="default")
def slow_task(*, seconds: float) -> str:
    """Runs longer than a lease; says what became of its lease meanwhile."""
    first = TaskLease.objects.get().lease_until
    time.sleep(seconds)
    later = TaskLease.objects.get().lease_until
    return json.dumps({"renewed_by": (later - first).total_seconds(),
                       "taken_up_meanwhile": task_queue.tasks_recover()})


@pytest.fixture(autouse=True)
def _clear():
    OUTCOMES.clear()


def _row(result) -> DBTaskResult:
    return DBTaskResult.objects.get(id=result.id)


def test_a_failed_task_is_retried_within_a_minute_then_succeeds(db, settings):
    settings.TASKS_RETRY_DELAYS = [30, 120]
    result = flaky_task.enqueue(fail_times=1)
    before = timezone.now()
    call_command("worker", "--batch")
    row = _row(result)
    assert row.status == "READY" and OUTCOMES == ["run"]
    assert before + timedelta(seconds=29) <= row.run_after <= timezone.now() + timedelta(seconds=31)
    assert "relais injoignable" in row.traceback
    [waiting] = task_queue.tasks_failed(actor=None)
    assert waiting.retry_at == row.run_after and waiting.attempts == 1
    call_command("worker", "--batch")
    assert OUTCOMES == ["run"]  # not before its time
    DBTaskResult.objects.filter(id=result.id).update(run_after=timezone.now())  # time passes
    call_command("worker", "--batch")
    row = _row(result)
    assert row.status == "SUCCESSFUL" and row.return_value == "fait"
    assert len(row.worker_ids) == 2
    assert not TaskLease.objects.exists()


def test_a_task_that_keeps_failing_is_left_failed_visible_and_replayable(db, settings, capsys):
    settings.TASKS_RETRY_DELAYS = [0]
    result = flaky_task.enqueue(fail_times=2)
    call_command("worker", "--batch")  # fails, retried at once (delay 0), fails again: spent
    row = _row(result)
    assert row.status == "FAILED" and OUTCOMES == ["run", "run"]
    call_command("tasks")
    out = capsys.readouterr().out
    assert "en échec : 1" in out and f"{result.id}  flaky_task  2 tentative(s), en échec" in out
    assert "ConnectionError: relais injoignable" in out
    call_command("tasks", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert listed["counts"]["FAILED"] == 1 and listed["failed"][0]["id"] == str(result.id)
    call_command("tasks", "replay", str(result.id))
    assert AuditEvent.objects.filter(action="task.replay", data__task_id=str(result.id)).exists()
    call_command("worker", "--batch")
    assert _row(result).status == "SUCCESSFUL"
    with pytest.raises(CommandError, match="Seule une tâche en échec"):
        call_command("tasks", "replay", str(result.id))
    with pytest.raises(CommandError, match="Aucune tâche"):
        call_command("tasks", "replay", "pas-un-numero")


def test_a_task_left_running_by_a_dead_worker_is_taken_up_once_its_lease_lapses(db):
    result = flaky_task.enqueue(fail_times=0)
    row = _row(result)
    row.claim("dead:1")
    TaskLease.objects.create(task_id=row.id, worker="dead:1",
                             lease_until=timezone.now() + timedelta(seconds=30))
    call_command("worker", "--batch")
    assert _row(result).status == "RUNNING" and OUTCOMES == []  # its lease still holds
    TaskLease.objects.filter(task_id=row.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    call_command("worker", "--batch")
    row = _row(result)
    assert row.status == "SUCCESSFUL" and OUTCOMES == ["run"]
    assert row.worker_ids[0] == "dead:1" and len(row.worker_ids) == 2


def test_a_running_tasks_lease_is_renewed_so_no_one_takes_it_up(transactional_db, settings):
    # A lease of 0.6 s, renewed every 0.2 s, under a task that runs 1.5 s: without renewal it
    # would have lapsed twice over and tasks_recover() would hand the task to another worker.
    settings.TASKS_LEASE_SECONDS = 0.6
    result = slow_task.enqueue(seconds=1.5)
    assert task_queue.task_run_next(worker_id="alive:1")
    row = _row(result)
    assert row.status == "SUCCESSFUL", row.traceback
    seen = json.loads(row.return_value)
    assert seen["renewed_by"] >= 1.0 and seen["taken_up_meanwhile"] == 0
    assert row.worker_ids == ["alive:1"] and not TaskLease.objects.exists()


def test_a_task_of_a_dead_worker_without_attempts_left_is_marked_failed(db, settings):
    settings.TASKS_RETRY_DELAYS = []
    result = flaky_task.enqueue(fail_times=0)
    _row(result).claim("dead:1")
    TaskLease.objects.create(task_id=result.id, worker="dead:1",
                             lease_until=timezone.now() - timedelta(seconds=1))
    assert task_queue.tasks_recover() == 1
    row = _row(result)
    assert row.status == "FAILED" and row.exception_class_path == task_queue.WORKER_LOST
    assert "a disparu" in row.traceback


def test_only_the_platforms_operators_see_and_replay_tasks(territory, make_user, settings):
    settings.TASKS_RETRY_DELAYS = []
    result = flaky_task.enqueue(fail_times=1)
    call_command("worker", "--batch")
    commune_admin = make_user("admin.jaux@exemple.fr", roles=[(territory["jaux"], "core.admin")])
    with pytest.raises(Forbidden):
        task_queue.tasks_failed(actor=commune_admin)
    with pytest.raises(Forbidden):
        task_queue.task_replay(actor=commune_admin, task_id=str(result.id))
    client = signed_in(commune_admin)
    assert client.post(reverse("core:task_replay"), {"task": str(result.id)}).status_code == 403
    assert _row(result).status == "FAILED"
    dcsi = make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])
    client = signed_in(dcsi)
    page = client.get(reverse("core:jobs"))
    assert "flaky_task" in page.text and "relais injoignable" in page.text
    assert client.post(reverse("core:task_replay"), {"task": str(result.id)}).status_code == 302
    assert _row(result).status == "READY"
    with pytest.raises(Conflict):
        task_queue.task_replay(actor=dcsi, task_id=str(result.id))
    with pytest.raises(NotFound):
        task_queue.task_replay(actor=dcsi, task_id="00000000-0000-0000-0000-000000000000")


def test_mail_to_a_relay_that_is_down_is_retried_and_delivered_once_it_is_back(db, settings):
    with running_smtp_server() as relay:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = relay.host, relay.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    # The relay is stopped: nothing listens on its port any more.
    result = email_send_task.enqueue(to=["habitant@exemple.fr"], subject="Accusé de réception",
                                     body="Votre demande est enregistrée.")
    call_command("worker", "--batch")
    assert _row(result).status == "READY" and "Connection refused" in _row(result).traceback
    with running_smtp_server() as relay:
        settings.EMAIL_HOST, settings.EMAIL_PORT = relay.host, relay.port
        DBTaskResult.objects.filter(id=result.id).update(run_after=timezone.now())  # time passes
        call_command("worker", "--batch")
        assert [m.subject for m in relay.to("habitant@exemple.fr")] == ["Accusé de réception"]
    assert _row(result).status == "SUCCESSFUL"


# -- a real worker process, killed while it sends an acknowledgement --------------------------------

class SilentRelay:
    """A TCP server that accepts connections and never answers (a relay that hangs)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.connected = threading.Event()
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            self.clients.append(client)
            self.connected.set()

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.socket.close()


def _socle(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "socle.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_an_acknowledgement_whose_worker_was_killed_is_delivered_by_the_next_worker(tmp_path: Path):
    """kill -9 of `socle worker` in the middle of an SMTP exchange; `socle worker --batch`
    takes the task up once its lease lapsed, and the real SMTP server receives the mail."""
    hanging = SilentRelay()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "SOCLE_DATA_DIR": str(tmp_path / "data"), "SOCLE_SCHEDULER": "0",
           "SOCLE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "SOCLE_EMAIL_HOST": "127.0.0.1", "SOCLE_EMAIL_PORT": str(hanging.port),
           "SOCLE_EMAIL_TIMEOUT": "300", "SOCLE_TASKS_LEASE_SECONDS": "2"}
    if os.environ.get("SOCLE_DATABASE_URL"):
        pytest.skip("its processes use their own SQLite file: run in the SQLite pass only")
    _socle(env, "migrate", "--verbosity", "0")
    _socle(env, "shell", "-c",
           "from socle.core.notifications import email_send_task as t; "
           "t.enqueue(to=['habitant@exemple.fr'], subject='Accusé de réception', body='Reçu.')")
    worker = subprocess.Popen([sys.executable, "-m", "socle.cli", "worker", "--interval", "0.2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert hanging.connected.wait(60), "the worker never reached the relay"
        time.sleep(0.5)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        hanging.close()
    state = _socle(env, "tasks", "--json")
    assert json.loads(state.stdout)["counts"]["RUNNING"] == 1  # left running by the dead worker
    time.sleep(2.5)  # its lease lapses
    with running_smtp_server() as relay:
        _socle({**env, "SOCLE_EMAIL_PORT": str(relay.port)}, "worker", "--batch")
        assert [m.subject for m in relay.to("habitant@exemple.fr")] == ["Accusé de réception"]
    counts = json.loads(_socle(env, "tasks", "--json").stdout)["counts"]
    assert counts["SUCCESSFUL"] == 1 and counts["RUNNING"] == 0
