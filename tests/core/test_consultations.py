"""Consultations: logged by a plain insert, folded later into the chained journal (decision 0019)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socle.core.consultations import consultation_record, consultations_fold, consultations_pending
from socle.core.journal import UndeclaredAction, audit_verify
from socle.core.models import AuditEvent, Consultation
from socle.core.modules import jobs


@pytest.fixture
def agent(territory: dict, make_user: Any) -> Any:
    return make_user("instructeur@exemple.fr",
                     roles=[(territory["compiegne"], "portal.caseworker")])


def consult(agent: Any, territory: dict, number: str = "2026-000001", **extra: Any) -> Any:
    return consultation_record(actor=agent, action="case.consult",
                               organisation=territory["compiegne"],
                               target=territory["compiegne"], data={"number": number},
                               ip_address="192.0.2.7", **extra)


def test_a_consultation_is_one_insert_that_takes_no_lock_of_the_journal(agent, territory) -> None:
    with CaptureQueriesContext(connection) as queries:
        consult(agent, territory)
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "core_consultation"')
    assert not AuditEvent.objects.filter(action="case.consult").exists()
    row = Consultation.objects.get()
    assert (row.actor, row.actor_label, row.organisation_slug, row.target_type, row.target_id,
            row.ip_address) == (agent, agent.email, "compiegne", "core.organisation",
                                str(territory["compiegne"].pk), "192.0.2.7")


def test_nothing_is_logged_without_an_authenticated_actor(territory) -> None:
    assert consult(None, territory) is None
    assert not Consultation.objects.exists()


def test_an_undeclared_action_is_refused(agent, territory) -> None:
    with pytest.raises(UndeclaredAction):
        consultation_record(actor=agent, action="case.peek", organisation=None,
                            target=territory["compiegne"])


def test_a_consultation_is_never_rewritten(agent, territory) -> None:
    row = consult(agent, territory)
    row.target_id = "43"
    with pytest.raises(PermissionError):
        row.save()


def test_the_fold_moves_consultations_into_the_chain_and_empties_the_log(agent, territory,
                                                                         make_user) -> None:
    first = consult(agent, territory)
    consult(agent, territory)  # the same page reloaded
    other = make_user("autre@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    consult(other, territory)
    consult(agent, territory, number="2026-000002")
    report = consultations_fold()
    assert (report.consultations, report.events) == (4, 3)
    assert consultations_pending() == 0
    events = list(AuditEvent.objects.filter(action="case.consult").order_by("seq"))
    assert [(e.actor_id, e.data["number"], len(e.data["consulted_at"])) for e in events] == [
        (agent.pk, "2026-000001", 2), (other.pk, "2026-000001", 1), (agent.pk, "2026-000002", 1)]
    event = events[0]
    assert (event.organisation_slug, event.target_type, event.target_id, event.ip_address,
            event.actor_label) == ("compiegne", "core.organisation", str(territory["compiegne"].pk),
                                   "192.0.2.7", agent.email)
    # The time of the reading is kept, to the millisecond, beside the time of the fold.
    assert event.data["consulted_at"][0] == first.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert event.at - first.at < timedelta(minutes=1)
    assert audit_verify().ok
    assert consultations_fold().consultations == 0  # nothing twice


def test_the_fold_works_in_batches_and_stops_at_its_limit(agent, territory) -> None:
    for index in range(7):
        consult(agent, territory, number=f"2026-{index:06}")
    assert consultations_fold(batch=3, limit=5).consultations == 5
    assert consultations_pending() == 2
    assert consultations_fold(batch=3).consultations == 2
    assert AuditEvent.objects.filter(action="case.consult").count() == 7
    assert audit_verify().ok


def test_the_fold_is_a_job_of_the_core_run_by_the_worker(agent, territory, capsys) -> None:
    [job] = [job for job in jobs() if job.name == "core.consultations_fold"]
    assert job.schedule == "every 5m"
    consult(agent, territory)
    call_command("jobs", "run", "core.consultations_fold", stdout=io.StringIO())
    assert consultations_pending() == 0
    assert AuditEvent.objects.filter(action="case.consult", actor=agent).exists()
