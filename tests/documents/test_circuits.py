"""Validation circuits: ordered and parallel steps, rejection, delegation, deadlines, freezing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from socle.core.models import AuditEvent
from socle.documents.circuits import (
    CircuitRefused,
    StepSpec,
    authority_for,
    circuit_cancel,
    circuit_start,
    delegation_set,
    step_decide,
    steps_awaiting,
    steps_overdue,
)
from socle.documents.models import CircuitStatus, DocumentStatus
from socle.documents.services import DocumentRefused, document_add_version, document_update_metadata


def two_steps(chief, mayor):
    return [StepSpec(kind="visa", assignee=chief, order=1),
            StepSpec(kind="signature", assignee=mayor, order=2)]


def test_starting_a_circuit_locks_the_document(editor, chief, mayor, document):
    circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    document.refresh_from_db()
    assert document.status == DocumentStatus.IN_CIRCUIT and document.locked


def test_a_document_in_circuit_refuses_new_versions_and_metadata(editor, chief, mayor, document):
    circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    with pytest.raises(DocumentRefused) as refused:
        document_add_version(actor=editor, document=document, stream=io.BytesIO(b"v2"),
                             file_name="v2.txt")
    assert refused.value.code == "locked"
    with pytest.raises(DocumentRefused):
        document_update_metadata(actor=editor, document=document, title="Autre")


def test_an_ordered_circuit_waits_for_the_first_step(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    assert steps_awaiting(mayor) == []
    first, second = circuit.steps.order_by("order")
    with pytest.raises(CircuitRefused) as refused:
        step_decide(actor=mayor, step=second, decision="approved")
    assert refused.value.code == "not_current"
    step_decide(actor=chief, step=first, decision="approved", comment="Vu")
    assert [s.pk for s in steps_awaiting(mayor)] == [second.pk]


def test_the_last_approval_freezes_the_final_version(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    first, second = circuit.steps.order_by("order")
    step_decide(actor=chief, step=first, decision="approved")
    step_decide(actor=mayor, step=second, decision="approved")
    circuit.refresh_from_db()
    document.refresh_from_db()
    assert circuit.status == CircuitStatus.APPROVED
    assert circuit.final_version_id == document.current_version_id
    assert document.status == DocumentStatus.FROZEN and document.locked
    with pytest.raises(DocumentRefused):
        document_add_version(actor=editor, document=document, stream=io.BytesIO(b"v2"),
                             file_name="v2.txt")
    with pytest.raises(CircuitRefused) as refused:
        circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    assert refused.value.code == "locked"


def test_parallel_steps_all_must_approve(editor, chief, mayor, document, make_user, territory):
    signer = make_user("dgs.compiegne@exemple.fr", roles=[(territory["compiegne"], "documents.reader")])
    circuit = circuit_start(actor=editor, document=document, steps=[
        StepSpec(assignee=chief, order=1), StepSpec(assignee=mayor, order=1),
        StepSpec(kind="signature", assignee=signer, order=2)])
    assert steps_awaiting(chief) and steps_awaiting(mayor) and not steps_awaiting(signer)
    step_decide(actor=chief, step=steps_awaiting(chief)[0], decision="approved")
    assert not steps_awaiting(signer)
    step_decide(actor=mayor, step=steps_awaiting(mayor)[0], decision="approved")
    assert len(steps_awaiting(signer)) == 1
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.RUNNING


def test_a_rejection_closes_the_circuit_and_unlocks_the_document(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    with pytest.raises(CircuitRefused):
        step_decide(actor=chief, step=steps_awaiting(chief)[0], decision="rejected")  # no reason
    step_decide(actor=chief, step=steps_awaiting(chief)[0], decision="rejected",
                comment="Montants à revoir")
    circuit.refresh_from_db()
    document.refresh_from_db()
    assert circuit.status == CircuitStatus.REJECTED
    assert document.status == DocumentStatus.DRAFT and not document.locked
    assert steps_awaiting(mayor) == []
    document_add_version(actor=editor, document=document, stream=io.BytesIO(b"v2"), file_name="v2.txt")


def test_the_wrong_actor_is_refused(editor, chief, mayor, document, other_editor):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    first = circuit.steps.get(order=1)
    for intruder in (mayor, other_editor, editor):
        with pytest.raises(CircuitRefused) as refused:
            step_decide(actor=intruder, step=first, decision="approved")
        assert refused.value.code == "forbidden"


def test_another_communes_editor_cannot_start_a_circuit(other_editor, chief, mayor, document):
    with pytest.raises(CircuitRefused) as refused:
        circuit_start(actor=other_editor, document=document, steps=two_steps(chief, mayor))
    assert refused.value.code == "forbidden"


def test_an_assignee_who_cannot_see_the_document_is_refused(editor, chief, document, other_editor):
    with pytest.raises(CircuitRefused) as refused:
        circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=other_editor)])
    assert refused.value.code == "invalid_steps"


def test_a_role_step_is_decided_by_a_holder_of_the_role(editor, document, make_user, territory):
    clerk = make_user("courrier.compiegne@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    venette_clerk = make_user("courrier.venette@exemple.fr", roles=[(territory["venette"], "mail.clerk")])
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(role="mail.clerk")])
    assert steps_awaiting(venette_clerk) == []
    with pytest.raises(CircuitRefused):
        step_decide(actor=venette_clerk, step=circuit.steps.get(), decision="approved")
    step_decide(actor=clerk, step=steps_awaiting(clerk)[0], decision="approved")
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.APPROVED


def test_a_delegate_decides_for_an_absent_agent_and_it_is_journaled(editor, chief, mayor, document,
                                                                     make_user, territory):
    deputy = make_user("adjoint.compiegne@exemple.fr",
                       roles=[(territory["compiegne"], "documents.reader")])
    today = timezone.localdate()
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    assert steps_awaiting(deputy) == []
    delegation_set(actor=chief, delegate=deputy, starts_on=today - timedelta(days=1),
                   ends_on=today + timedelta(days=3))
    step = steps_awaiting(deputy)[0]
    decided = step_decide(actor=deputy, step=step, decision="approved", comment="Pour le chef")
    assert decided.decided_by == deputy and decided.on_behalf_of == chief
    event = AuditEvent.objects.filter(action="documents.step_decide").latest("seq")
    assert event.actor == deputy and event.data["on_behalf_of"] == chief.email
    assert event.data["circuit_status"] == CircuitStatus.APPROVED
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.APPROVED


def test_a_past_delegation_gives_no_right(editor, chief, document, make_user, territory):
    deputy = make_user("adjoint.compiegne@exemple.fr",
                       roles=[(territory["compiegne"], "documents.reader")])
    today = timezone.localdate()
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    delegation_set(actor=chief, delegate=deputy, starts_on=today - timedelta(days=10),
                   ends_on=today - timedelta(days=5))
    with pytest.raises(CircuitRefused):
        step_decide(actor=deputy, step=circuit.steps.get(), decision="approved")


def test_a_delegation_stays_inside_what_the_delegator_may_give(editor, chief, document, make_user,
                                                               territory):
    today = timezone.localdate()
    margny = make_user("agent.margny@exemple.fr", roles=[(territory["margny-les-compiegne"],
                                                          "documents.reader")])
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    for outsider in (margny, citizen):
        with pytest.raises(CircuitRefused, match="ne peut pas vous suppléer"):
            delegation_set(actor=chief, delegate=outsider, starts_on=today, ends_on=today)
    # A mutualised role covering Compiègne may stand in.
    dcsi = make_user("ged.arc@exemple.fr", roles=[(territory["arc"], "documents.reader")])
    delegation_set(actor=chief, delegate=dcsi, starts_on=today, ends_on=today)
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    assert steps_awaiting(dcsi) and authority_for(dcsi, circuit.steps.get()) == (True, chief)


def test_a_delegation_made_before_the_delegate_left_gives_nothing_outside_their_roles(
        editor, chief, document, make_user, territory):
    from socle.core.models import Membership
    from socle.core.services import membership_revoke

    today = timezone.localdate()
    deputy = make_user("adjoint.compiegne@exemple.fr",
                       roles=[(territory["compiegne"], "documents.reader")])
    delegation_set(actor=chief, delegate=deputy, starts_on=today, ends_on=today)
    membership_revoke(actor=None, membership=Membership.objects.get(user=deputy))
    deputy = type(deputy).objects.get(pk=deputy.pk)
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    with pytest.raises(CircuitRefused):
        step_decide(actor=deputy, step=circuit.steps.get(), decision="approved")


def test_a_delegation_to_oneself_or_backwards_is_refused(chief, mayor):
    today = timezone.localdate()
    with pytest.raises(CircuitRefused):
        delegation_set(actor=chief, delegate=chief, starts_on=today, ends_on=today)
    with pytest.raises(CircuitRefused):
        delegation_set(actor=chief, delegate=mayor, starts_on=today, ends_on=today - timedelta(days=1))


def test_overdue_steps_are_listed_in_scope(editor, chief, mayor, document, other_editor):
    today = timezone.localdate()
    circuit_start(actor=editor, document=document, steps=[
        StepSpec(assignee=chief, order=1, deadline=today - timedelta(days=2)),
        StepSpec(assignee=mayor, order=2, deadline=today + timedelta(days=5))])
    overdue = list(steps_overdue(editor, today))
    assert [s.assignee for s in overdue] == [chief]
    assert overdue[0].overdue_on(today)
    assert list(steps_overdue(other_editor, today)) == []
    assert list(steps_overdue(editor, date(2000, 1, 1))) == []


def test_cancelling_unlocks_the_document(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    circuit_cancel(actor=editor, circuit=circuit)
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT and not document.locked
    assert steps_awaiting(chief) == []
    with pytest.raises(CircuitRefused):
        circuit_cancel(actor=editor, circuit=circuit)


def test_each_step_of_a_circuit_is_journaled(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    step_decide(actor=chief, step=circuit.steps.get(order=1), decision="approved", comment="Vu")
    step_decide(actor=mayor, step=circuit.steps.get(order=2), decision="approved")
    actions = list(AuditEvent.objects.filter(action__startswith="documents.circuit_")
                   .values_list("action", flat=True)) + list(
        AuditEvent.objects.filter(action="documents.step_decide").values_list("actor_label", flat=True))
    assert actions == ["documents.circuit_start", chief.email, mayor.email]


def test_a_step_cannot_be_decided_twice(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=[
        StepSpec(assignee=chief, order=1), StepSpec(assignee=mayor, order=1)])
    step = circuit.steps.get(assignee=chief)
    step_decide(actor=chief, step=step, decision="approved")
    with pytest.raises(CircuitRefused) as refused:
        step_decide(actor=chief, step=step, decision="approved")
    assert refused.value.code == "already_decided"


def test_each_step_is_announced_to_its_deciders_when_its_turn_comes(editor, chief, mayor, document):
    from socle.core.models import AgentNotice
    from socle.documents.circuits import work_steps
    from tests.support.clients import signed_in

    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    first, _second = circuit.steps.order_by("order")
    [notice] = AgentNotice.objects.filter(kind="documents.step_awaiting")
    assert notice.recipient == chief and notice.url == f"/documents/visas/{first.pk}"
    assert notice.title.startswith("Visa demandé")
    assert [item.unread for item in work_steps(actor=chief, limit=10)] == [True]
    assert work_steps(actor=mayor, limit=10) == [], "the signature's turn has not come"
    # Opening the step reads its notice.
    assert signed_in(chief).get(notice.url).status_code == 200
    assert [item.unread for item in work_steps(actor=chief, limit=10)] == [False]
    step_decide(actor=chief, step=first, decision="approved")
    [signature] = AgentNotice.objects.filter(kind="documents.step_awaiting", recipient=mayor)
    assert signature.title.startswith("Signature demandée")
    assert "Signature" in signed_in(mayor).get("/agent/taches/").text


def test_a_refusal_is_announced_to_whoever_started_the_circuit(editor, chief, mayor, document):
    from socle.core.models import AgentNotice

    circuit = circuit_start(actor=editor, document=document, steps=two_steps(chief, mayor))
    first = circuit.steps.order_by("order").first()
    step_decide(actor=chief, step=first, decision="rejected", comment="Montant erroné.")
    [notice] = AgentNotice.objects.filter(kind="documents.circuit_rejected")
    assert notice.recipient == editor and notice.url == f"/documents/{document.pk}/"
    assert not AgentNotice.objects.filter(recipient=mayor).exists()
