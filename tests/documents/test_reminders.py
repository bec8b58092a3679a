"""Reminders of overdue circuit steps: who is emailed, what they read, once a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from socle.core.letters import french_date
from socle.core.models import AuditEvent, User
from socle.documents.circuits import (
    StepSpec,
    circuit_cancel,
    circuit_remind_overdue,
    circuit_start,
    delegation_set,
    step_decide,
)
from socle.documents.models import CircuitStep


def _yesterday():
    return timezone.localdate() - timedelta(days=1)


@pytest.mark.django_db(transaction=True)
def test_the_command_emails_the_agent_their_delegate_and_the_initiator_once_a_day(
        editor, chief, mayor, document, make_user, territory):
    deputy = make_user("adjoint.compiegne@exemple.fr",
                       roles=[(territory["compiegne"], "documents.reader")])
    today = timezone.localdate()
    delegation_set(actor=chief, delegate=deputy, starts_on=today - timedelta(days=2),
                   ends_on=today + timedelta(days=5))
    circuit_start(actor=editor, document=document, steps=[
        StepSpec(kind="visa", assignee=chief, order=1, deadline=today - timedelta(days=3)),
        StepSpec(kind="signature", assignee=mayor, order=2, deadline=today - timedelta(days=1))])
    call_command("worker", batch=True)
    mail.outbox.clear()

    call_command("documents", "remind-overdue")
    call_command("worker", batch=True)
    by_address = {message.to[0]: message for message in mail.outbox}
    # The mayor's step cannot be decided before the chief's visa: no reminder for it yet.
    assert sorted(by_address) == sorted([chief.email, deputy.email, editor.email])
    assert all(len(message.to) == 1 for message in mail.outbox)
    for message in mail.outbox:
        assert message.subject == "Étape en retard : « Délibération budget »"
        assert "Compiègne" in message.body and "visa n° 1" in message.body
        assert (f"Échéance : {french_date(today - timedelta(days=3))}, dépassée de 3 jours"
                in message.body)
    assert "Cette étape vous est attribuée" in by_address[chief.email].body
    assert "/documents/visas/" in by_address[chief.email].body
    assert "Vous remplacez" in by_address[deputy.email].body
    assert "Vous avez lancé ce circuit" in by_address[editor.email].body
    assert f"/documents/{document.pk}/" in by_address[editor.email].body

    mail.outbox.clear()
    call_command("documents", "remind-overdue")
    call_command("worker", batch=True)
    assert mail.outbox == []


def test_the_command_prints_a_french_summary(editor, chief, document, capsys):
    circuit_start(actor=editor, document=document,
                  steps=[StepSpec(assignee=chief, deadline=_yesterday())])
    call_command("documents", "remind-overdue")
    out = capsys.readouterr().out
    assert "Relance : « Délibération budget » (compiegne), étape n° 1" in out
    assert "2 destinataire(s)" in out and "Étapes en retard relancées : 1." in out
    call_command("documents", "remind-overdue")
    assert "Étapes en retard relancées : 0." in capsys.readouterr().out


def test_a_role_step_reminds_the_holders_of_the_role_on_the_organisation(
        editor, document, make_user, territory):
    first = make_user("dgs.compiegne@exemple.fr",
                      roles=[(territory["compiegne"], "documents.archivist")])
    above = make_user("archives.arc@exemple.fr", roles=[(territory["arc"], "documents.archivist")])
    make_user("archives.venette@exemple.fr", roles=[(territory["venette"], "documents.archivist")])
    gone = make_user("parti.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "documents.archivist")])
    User.objects.filter(pk=gone.pk).update(is_active=False)
    circuit_start(actor=editor, document=document, steps=[
        StepSpec(kind="signature", role="documents.archivist", deadline=_yesterday())])
    [reminder] = circuit_remind_overdue()
    assert reminder.recipients == sorted([first.email, above.email, editor.email])


def test_reminders_are_idempotent_per_day_and_journaled(editor, chief, document):
    circuit = circuit_start(actor=editor, document=document,
                            steps=[StepSpec(assignee=chief, deadline=_yesterday())])
    today = timezone.localdate()
    [reminder] = circuit_remind_overdue(today=today)
    assert reminder.recipients == sorted([chief.email, editor.email])
    assert circuit_remind_overdue(today=today) == []
    tomorrow = today + timedelta(days=1)
    assert len(circuit_remind_overdue(today=tomorrow)) == 1
    step = CircuitStep.objects.get(circuit=circuit)
    assert step.reminded_on == tomorrow
    events = AuditEvent.objects.filter(action="documents.step_remind", target_id=str(step.pk))
    assert events.count() == 2
    event = events.first()
    assert event is not None and event.organisation_slug == "compiegne"
    assert event.data["notified"] == sorted([chief.email, editor.email])
    assert event.data["deadline"] == _yesterday().isoformat()


def test_steps_on_time_decided_or_in_a_closed_circuit_are_not_reminded(editor, chief, mayor,
                                                                        document, file_document,
                                                                        territory):
    today = timezone.localdate()
    circuit = circuit_start(actor=editor, document=document, steps=[
        StepSpec(assignee=chief, order=1, deadline=today),
        StepSpec(kind="signature", assignee=mayor, order=2, deadline=_yesterday())])
    other = file_document(editor, territory["compiegne"], title="Autre")
    cancelled = circuit_start(actor=editor, document=other,
                              steps=[StepSpec(assignee=chief, deadline=_yesterday())])
    circuit_cancel(actor=editor, circuit=cancelled)
    assert circuit_remind_overdue() == []
    # Once the chief approves, the mayor's overdue signature is the one awaited.
    step_decide(actor=chief, step=circuit.steps.get(order=1), decision="approved")
    [reminder] = circuit_remind_overdue()
    assert reminder.step.order == 2 and reminder.recipients == sorted([mayor.email, editor.email])
