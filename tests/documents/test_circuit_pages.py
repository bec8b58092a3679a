"""Circuit pages: send a document, my visas, decide, delegations; roles and tenancy."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from socle.core.models import AuditEvent
from socle.documents.circuits import StepSpec, circuit_start
from socle.documents.models import Circuit, CircuitStatus, Delegation, DocumentStatus
from tests.support.clients import signed_in


def test_the_send_form_has_three_rows_and_adds_one_without_javascript(editor, chief, document):
    client = signed_in(editor)
    page = client.get(f"/documents/{document.pk}/circuit").content.decode()
    assert page.count("<fieldset>") == 3 and 'name="step-2-assignee"' in page
    page = client.post(f"/documents/{document.pk}/circuit", {
        "rows": "3", "add": "1", "step-0-assignee": str(chief.pk)}).content.decode()
    assert page.count("<fieldset>") == 4
    assert f'<option value="{chief.pk}" selected>{chief.display_name}</option>' in page
    assert not Circuit.objects.exists()


def test_the_send_form_starts_a_two_step_circuit(editor, chief, mayor, document):
    deadline = timezone.localdate() + timedelta(days=7)
    response = signed_in(editor).post(f"/documents/{document.pk}/circuit", {
        "rows": "3",
        "step-0-kind": "visa", "step-0-assignee": str(chief.pk), "step-0-order": "1",
        "step-0-deadline": deadline.isoformat(),
        "step-1-kind": "signature", "step-1-role": "documents.reader", "step-1-order": "2",
        "step-2-kind": "visa"})
    assert response.status_code == 302
    circuit = Circuit.objects.get()
    assert [(s.kind, s.assignee, s.role) for s in circuit.steps.all()] == [
        ("visa", chief, ""), ("signature", None, "documents.reader")]
    document.refresh_from_db()
    assert document.status == DocumentStatus.IN_CIRCUIT
    page = signed_in(editor).get(f"/documents/{document.pk}/").content.decode()
    assert "En cours" in page and "Annuler le circuit" in page and "Envoyer en circuit" not in page


def test_steps_choose_agents_by_name_and_a_forged_choice_is_refused(editor, chief, other_editor,
                                                                    document):
    page = signed_in(editor).get(f"/documents/{document.pk}/circuit").content.decode()
    assert f'<option value="{chief.pk}">{chief.display_name}</option>' in page
    # Someone who may not read the document is not offered, and cannot be forced in.
    assert f'<option value="{other_editor.pk}"' not in page
    response = signed_in(editor).post(f"/documents/{document.pk}/circuit", {
        "rows": "3", "step-0-assignee": str(other_editor.pk)})
    assert response.status_code == 400 and "Sélectionnez un choix valide" in response.content.decode()
    assert not Circuit.objects.exists()


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_a_delegation_to_a_citizen_or_a_stranger_gets_the_same_answer(
        chief, other_editor, make_user):
    citizen = make_user("habitant@exemple.fr")
    today = timezone.localdate().isoformat()
    answers = [signed_in(chief).post("/documents/delegations/", {
        "delegate": email, "starts_on": today, "ends_on": today})
        for email in (citizen.email, other_editor.email, "personne@ailleurs.fr")]
    pages = {_without_csrf(r.content.decode()).replace(citizen.email, "X").replace(other_editor.email, "X")
             .replace("personne@ailleurs.fr", "X") for r in answers}
    assert [r.status_code for r in answers] == [400, 400, 400] and len(pages) == 1
    assert "Aucun agent de vos organisations" in pages.pop()
    assert not Delegation.objects.exists()


def test_a_reader_cannot_send_and_another_commune_gets_404(reader, other_editor, document):
    assert signed_in(reader).get(f"/documents/{document.pk}/circuit").status_code == 404
    assert signed_in(other_editor).get(f"/documents/{document.pk}/circuit").status_code == 404


def test_my_visas_then_decide(editor, chief, mayor, document):
    circuit = circuit_start(actor=editor, document=document, steps=[
        StepSpec(assignee=chief, order=1, deadline=timezone.localdate() - timedelta(days=1)),
        StepSpec(kind="signature", assignee=mayor, order=2)])
    first = circuit.steps.get(order=1)
    page = signed_in(chief).get("/documents/visas/").content.decode()
    assert "Délibération budget" in page and "(en retard)" in page
    mayors = signed_in(mayor).get("/documents/visas/").content.decode()
    assert "Aucune étape n'attend votre décision" in mayors and "Étapes en retard" in mayors
    assert signed_in(mayor).get(f"/documents/visas/{first.pk}").status_code == 404
    response = signed_in(chief).post(f"/documents/visas/{first.pk}",
                                     {"decision": "approved", "comment": "Vu"})
    assert response.status_code == 302
    second = circuit.steps.get(order=2)
    signed_in(mayor).post(f"/documents/visas/{second.pk}", {"decision": "approved"})
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.APPROVED
    page = signed_in(editor).get(f"/documents/{document.pk}/").content.decode()
    assert "Figé" in page and "Version finale figée" in page


def test_a_rejection_without_comment_is_refused_in_french(editor, chief, document):
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    response = signed_in(chief).post(f"/documents/visas/{circuit.steps.get().pk}",
                                     {"decision": "rejected"})
    assert response.status_code == 400 and "Expliquez le refus" in response.content.decode()


def test_another_communes_agent_cannot_open_a_step(editor, chief, document, other_editor):
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    step = circuit.steps.get()
    assert signed_in(other_editor).get(f"/documents/visas/{step.pk}").status_code == 404
    assert signed_in(other_editor).post(f"/documents/visas/{step.pk}",
                                        {"decision": "approved"}).status_code == 404
    assert signed_in(other_editor).post(
        f"/documents/circuits/{circuit.pk}/annuler").status_code == 404
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.RUNNING


def test_cancel_from_the_document_page(editor, chief, document):
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    assert signed_in(editor).post(f"/documents/circuits/{circuit.pk}/annuler").status_code == 302
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.CANCELLED


def test_the_delegation_page_lets_a_deputy_decide(editor, chief, mayor, document):
    today = timezone.localdate()
    response = signed_in(chief).post("/documents/delegations/", {
        "delegate": mayor.email, "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=2)).isoformat()})
    assert response.status_code == 302 and Delegation.objects.filter(user=chief).exists()
    circuit = circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    page = signed_in(mayor).get("/documents/visas/").content.decode()
    assert "Délibération budget" in page and chief.email in page
    signed_in(mayor).post(f"/documents/visas/{circuit.steps.get().pk}", {"decision": "approved"})
    step = circuit.steps.get()
    assert step.decided_by == mayor and step.on_behalf_of == chief
    assert AuditEvent.objects.filter(action="documents.delegation_set", actor=chief).exists()


def test_the_agent_home_offers_my_visas(editor):
    page = signed_in(editor).get("/agent/").content.decode()
    assert "Mes visas à donner" in page and "/documents/visas/" in page
