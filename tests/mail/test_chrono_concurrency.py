"""Concurrent registrations still get gapless, distinct chrono numbers."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from django.db import connection

from socle.mail.models import Mail
from socle.mail.services import mail_register
from tests.support.concurrency import run_concurrently

WRITERS = 4
EACH = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_on_postgresql_are_gapless(clerk, compiegne, sender):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the SQLite case is below)")
    def writer(n: int) -> None:
        for i in range(EACH):
            mail_register(actor=clerk, organisation=compiegne, direction="in",
                          channel="paper", contact=sender, subject=f"Lettre {n}-{i}",
                          received_on=date(2026, 3, 2))

    errors = run_concurrently(WRITERS, writer)
    assert errors == []
    numbers = sorted(Mail.objects.filter(organisation=compiegne).values_list("number", flat=True))
    assert numbers == list(range(1, WRITERS * EACH + 1))


SETUP = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from pathlib import Path
from socle.core.models import Organisation
from socle.core.services import membership_grant, user_create
from socle.core.territory import territory_load
from socle.mail.services import contact_create
territory_load(actor=None, path=Path({territory!r}))
org = Organisation.objects.get(slug="compiegne")
user = user_create(actor=None, email="clerk@exemple.fr", password=None)
membership_grant(actor=None, user=user, organisation=org, role="mail.clerk")
contact_create(actor=user, organisation=org, kind="person", name="Jeanne")
"""

WRITER = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from datetime import date
from socle.core.models import Organisation, User
from socle.mail.models import Contact
from socle.mail.services import mail_register
from tests.support.concurrency import run_concurrently
org = Organisation.objects.get(slug="compiegne")
user = User.objects.get(email="clerk@exemple.fr")
contact = Contact.objects.get(name="Jeanne")
for i in range({n}):
    mail_register(actor=user, organisation=org, direction="in", channel="paper", contact=contact,
                  subject=f"Lettre {{sys.argv[1]}}-{{i}}", received_on=date(2026, 3, 2))
"""

CHECK = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from socle.mail.models import Mail
print(sorted(Mail.objects.values_list("number", flat=True)))
"""


def test_concurrent_processes_on_sqlite_get_gapless_numbers(tmp_path):
    from tests.conftest import ARC_TERRITORY

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOCLE_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "socle.cli", "migrate", "-v0"], env=env, check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-c", SETUP.format(territory=str(ARC_TERRITORY))], env=env,
                   check=True, timeout=120)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(n=EACH), str(n)], env=env)
             for n in range(WRITERS)]
    assert all(proc.wait(timeout=120) == 0 for proc in procs)
    check = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                           text=True, timeout=60, check=True)
    assert check.stdout.strip() == str(list(range(1, WRITERS * EACH + 1)))
