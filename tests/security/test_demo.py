"""The demo: a charter in force accepted by every demo agent but one, a campaign module, an
imported phishing campaign with clickers enrolled, findings for two communes; loaded once."""

from __future__ import annotations

import pytest

from socle.core.management.commands.demo import demo_load as core_demo_load
from socle.core.models import Membership, User
from socle.security import selectors
from socle.security.demo import HOLDOUT, demo_load
from socle.security.gate import charter_gate
from socle.security.models import (
    AwarenessModule,
    CharterAcceptance,
    Enrolment,
    Finding,
    PhishingCampaign,
)

pytestmark = pytest.mark.django_db


def test_the_demo_holds_back_only_its_one_new_agent_and_loads_once():
    core_demo_load()
    [summary] = demo_load()
    version = selectors.charter_in_force()
    assert version is not None and "charte 2026.1" in summary
    agents = User.objects.filter(pk__in=Membership.objects.filter(
        revoked_at__isnull=True).values("user_id"))
    held = [u.email for u in agents if charter_gate(actor=u) is not None]
    assert held == [HOLDOUT]
    assert CharterAcceptance.objects.count() == agents.count() - 1
    assert AwarenessModule.objects.filter(assignments__isnull=False).exists()
    campaign = PhishingCampaign.objects.get()
    assert campaign.results.filter(clicked=True).count() == 2
    assert Enrolment.objects.filter(campaign=campaign).count() == 2
    assert set(Finding.objects.values_list("organisation__slug", flat=True)) == {
        "compiegne", "margny-les-compiegne"}
    assert Finding.objects.filter(status="closed", retest="passed").exists()
    count = CharterAcceptance.objects.count()
    assert demo_load() == ["Sensibilisation à la cybersécurité : déjà présente."]
    assert CharterAcceptance.objects.count() == count
