"""No double booking and no lost place under parallel writers, on PostgreSQL and on SQLite."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import time

import pytest
from django.db import connection

from socle.agendas import services
from socle.agendas.models import Booking
from socle.core.errors import Conflict
from tests.support.concurrency import run_concurrently

from .conftest import at

WRITERS = 6


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the SQLite case is below)")


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_of_one_slot_get_one_booking_on_postgresql(compiegne, make_user, monday):
    _postgresql_only()
    room = services.resource_create(actor=None, organisation=compiegne, name="Salle")
    agenda = services.agenda_create(
        actor=None, organisation=compiegne, title="Salle", kind="meetings", resources=[room]
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(0, time(9), time(12))])
    hour = services.meeting_type_create(
        actor=None, agenda=agenda, slug="h", name="Heure", duration_minutes=60
    )
    people = [make_user() for _ in range(WRITERS)]
    refused: list[str] = []

    def writer(n: int) -> None:
        try:
            services.booking_create(actor=people[n], agenda=agenda, meeting_type=hour, start=at(monday, 9))
        except Conflict as exc:
            refused.append(exc.code)

    assert run_concurrently(WRITERS, writer) == []
    assert Booking.objects.filter(status="booked").count() == 1
    assert refused == ["slot_taken"] * (WRITERS - 1)


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_never_exceed_capacity_on_postgresql(workshop, make_user):
    _postgresql_only()
    people = [make_user() for _ in range(WRITERS)]
    refused: list[str] = []

    def writer(n: int) -> None:
        try:
            services.registration_create(actor=people[n], event=workshop)
        except Conflict as exc:
            refused.append(exc.code)

    assert run_concurrently(WRITERS, writer) == []
    statuses = sorted(Booking.objects.filter(event=workshop).values_list("status", flat=True))
    assert statuses == ["booked", "booked", "waiting", "waiting"]
    assert refused == ["full"] * (WRITERS - 4)


@pytest.mark.django_db(transaction=True)
def test_cancellations_racing_registrations_promote_in_order_on_postgresql(workshop, make_user):
    _postgresql_only()
    people = [make_user() for _ in range(6)]
    bookings = [
        services.registration_create(actor=p, event=workshop) for p in people[:4]
    ]  # 2 booked, 2 waiting
    newcomers = people[4:]

    def writer(n: int) -> None:
        if n < 2:
            services.booking_cancel(actor=people[n], booking=bookings[n])
        else:
            with contextlib.suppress(Conflict):
                services.registration_create(actor=newcomers[n - 2], event=workshop)

    assert run_concurrently(4, writer) == []
    booked = set(Booking.objects.filter(event=workshop, status="booked").values_list("pk", flat=True))
    # The two freed places went to the two people who were waiting, never to a newcomer.
    assert booked == {bookings[2].pk, bookings[3].pk}
    # A newcomer is refused (list full) or waits, depending on whether a cancellation came first.
    waiting = Booking.objects.filter(event=workshop, status="waiting")
    assert waiting.count() <= 2 and {b.user_id for b in waiting} <= {p.pk for p in newcomers}


SETUP = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from datetime import time
from pathlib import Path
from socle.agendas import services
from socle.core.models import Organisation
from socle.core.services import user_create
from socle.core.territory import territory_load
territory_load(actor=None, path=Path({territory!r}))
org = Organisation.objects.get(slug="compiegne")
room = services.resource_create(actor=None, organisation=org, name="Salle")
agenda = services.agenda_create(actor=None, organisation=org, title="Salle", kind="meetings",
                                resources=[room])
services.opening_hours_set(actor=None, agenda=agenda, hours=[(d, time(8), time(18)) for d in range(7)])
services.meeting_type_create(actor=None, agenda=agenda, slug="h", name="Heure", duration_minutes=60)
for n in range({writers}):
    user_create(actor=None, email=f"w{{n}}@exemple.fr", password=None)
"""

WRITER = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from datetime import date, datetime, time
from socle.agendas import services
from socle.agendas.models import Agenda
from socle.agendas.selectors import zone
from socle.core.errors import Conflict
from socle.core.models import User
agenda = Agenda.objects.get()
actor = User.objects.get(email=f"w{{sys.argv[1]}}@exemple.fr")
try:
    services.booking_create(actor=actor, agenda=agenda, meeting_type=agenda.meeting_types.get(),
                            start=datetime.combine(date.fromisoformat({day!r}), time(9), zone()))
    print("booked")
except Conflict as exc:
    print(exc.code)
"""

CHECK = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
django.setup()
from socle.agendas.models import Booking
print(Booking.objects.filter(status="booked").count())
"""


def test_parallel_processes_of_one_slot_get_one_booking_on_sqlite(tmp_path, monday):
    from tests.conftest import ARC_TERRITORY

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOCLE_DATA_DIR": str(tmp_path)}
    run = {"env": env, "check": True, "timeout": 180, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "-m", "socle.cli", "migrate", "-v0"], **run)
    subprocess.run([sys.executable, "-c", SETUP.format(territory=str(ARC_TERRITORY), writers=WRITERS)], **run)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER.format(day=monday.isoformat()), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    answers = sorted(proc.communicate(timeout=180)[0].strip() for proc in procs)
    assert answers == ["booked"] + ["slot_taken"] * (WRITERS - 1)
    assert subprocess.run([sys.executable, "-c", CHECK], **run).stdout.strip() == "1"
