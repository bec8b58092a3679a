"""The demo: registers for three communes under one DPO, a breach, requests; idempotent."""

from __future__ import annotations

from socle.core.services import membership_grant, user_create
from socle.privacy import selectors
from socle.privacy.demo import demo_load
from socle.privacy.models import Activity, Breach, SubjectRequest


def test_the_demo_loads_three_registers_under_one_dpo_and_runs_again_unchanged(territory):
    dpo = user_create(actor=None, email="dpo@demo.socle.fr", password="x", check_password=False)
    membership_grant(actor=None, user=dpo, organisation=territory["arc"], role="privacy.dpo")
    lines = demo_load()
    assert "trois communes" in lines[-1]
    counts = (Activity.objects.count(), Breach.objects.count(), SubjectRequest.objects.count())
    summary = {row["organisation"].slug: row for row in selectors.registers_summary(actor=dpo)}
    for slug in ("compiegne", "margny-les-compiegne", "venette"):
        assert summary[slug]["open_requests"] == 1
    running = selectors.breaches_to_notify(actor=dpo).get()
    assert selectors.breach_clock_of(breach=running).state == "running"
    assert "déjà présents" in demo_load()[-1]
    assert counts == (Activity.objects.count(), Breach.objects.count(),
                      SubjectRequest.objects.count())
