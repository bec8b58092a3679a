"""The dashboard indicators: charter acceptance, modules passed, open findings by severity,
each over what the viewer may read only."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from socle.core.modules import indicators, resolve
from socle.security.services import (
    assignment_add,
    charter_accept,
    finding_create,
    finding_retest,
    quiz_submit,
)
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db
PERIOD = {"start": date(2026, 1, 1), "end": date(2027, 1, 1)}


def value(name: str, actor, **extra) -> float:
    [indicator] = [i for i in indicators() if i.name == name]
    return resolve(indicator.func)(actor=actor, **PERIOD, **extra)


def test_charter_acceptance_is_the_share_of_the_viewers_agents(charter, agent, lead, outsider,
                                                               officer, margny):
    charter_accept(actor=agent, version=charter)
    assert value("security.charter_acceptance", lead) == 50.0  # agent yes, lead not yet
    assert value("security.charter_acceptance", officer, organisation=margny) == 50.0
    assert value("security.charter_acceptance", agent) == 0.0  # no security role


def test_module_completion_counts_passed_against_expected(awareness, agent, lead, margny):
    assignment_add(actor=None, module=awareness, organisation=margny)
    quiz_submit(actor=agent, module=awareness, answers=[1, 1])
    quiz_submit(actor=lead, module=awareness, answers=[0, 0])
    assert value("security.module_completion", lead) == 50.0


def test_open_findings_by_severity_keep_to_the_viewers_commune(lead, margny, venette):
    def record(organisation, vector):
        return finding_create(actor=None, organisation=organisation, title="T", asset="A",
                              cvss_vector=vector, recommendation="R", owner="O",
                              due_on=timezone.localdate())

    critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    record(margny, critical)
    finding_retest(actor=None, finding=record(margny, critical), passed=True)
    record(venette, critical)
    record(margny, "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")
    assert value("security.open_findings_critical", lead) == 1
    assert value("security.open_findings_low", lead) == 1
    assert value("security.open_findings_high", lead) == 0


def test_the_overview_page_is_for_the_dcsi_and_the_leads(charter, agent, lead):
    charter_accept(actor=agent, version=charter)
    charter_accept(actor=lead, version=charter)
    assert signed_in(agent).get("/agent/securite/pilotage/").status_code == 403
    page = signed_in(lead).get("/agent/securite/pilotage/")
    assert page.status_code == 200 and "2 agents" in page.content.decode()
