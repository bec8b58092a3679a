"""Concurrent writers still produce one valid chain."""

import subprocess
import sys

import pytest
from django.db import connection

from socle.core.journal import audit_record, audit_verify
from socle.core.models import AuditEvent
from tests.support.concurrency import run_concurrently

WRITERS = 4
EVENTS_EACH = 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_produce_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the SQLite case is below)")
    def writer(n: int) -> None:
        for i in range(EVENTS_EACH):
            audit_record(actor=None, action="territory.load", data={"writer": n, "i": i})

    errors = run_concurrently(WRITERS, writer)
    assert errors == []
    assert AuditEvent.objects.filter(action="territory.load").count() == WRITERS * EVENTS_EACH
    report = audit_verify()
    assert report.ok, report.first_break
    assert report.checked == AuditEvent.objects.count()


SCRIPT = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from socle.core.journal import audit_record
for i in range({n}):
    audit_record(actor=None, action="territory.load", data={{"writer": sys.argv[1], "i": i}})
"""


def test_concurrent_processes_on_sqlite_produce_one_chain(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOCLE_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "socle.cli", "migrate", "-v0"], env=env, check=True,
                   timeout=120)
    script = SCRIPT.format(n=EVENTS_EACH)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], env=env)
             for n in range(WRITERS)]
    assert all(proc.wait(timeout=120) == 0 for proc in procs)
    verify = subprocess.run([sys.executable, "-m", "socle.cli", "audit", "verify"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f'"checked": {WRITERS * EVENTS_EACH}' in verify.stdout
