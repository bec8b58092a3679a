"""The demo: a catalogue, this year's plan with past and coming sessions, registrations
approved and waiting, attendance of the past sessions; loading it twice changes nothing."""

from __future__ import annotations

import pytest

from socle.core.modules import module_get
from socle.training.demo import AGENTS, MANAGERS, demo_load
from socle.training.models import Course, Need, Plan, Registration, Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(territory, make_user):
    for account in module_get("training").demo_accounts:
        make_user(account.email, roles=[(territory[slug], role) for slug, role in account.grants])
    for slug, email in AGENTS.items():
        make_user(email, roles=[(territory[slug], "helpdesk.requester")])
    assert set(MANAGERS) <= set(AGENTS)


def test_the_demo_loads_a_year_of_training_once(demo_people):
    lines = demo_load()
    assert "sessions" in lines[0]
    counts = (Course.objects.count(), Session.objects.count(), Registration.objects.count(),
              Need.objects.count())
    assert Plan.objects.count() == 1 and counts[0] == 8
    statuses = set(Registration.objects.values_list("status", flat=True))
    assert {"confirmed", "waiting", "refused"} <= statuses
    assert Registration.objects.filter(attended=True).exists()
    assert Registration.objects.filter(origin="awareness").exists()
    demo_load()
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count(),
            Need.objects.count()) == counts
