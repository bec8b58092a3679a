"""The portal's services: publishing, templates, filing, routing, workflow, tenancy."""

from decimal import Decimal

import pytest
from django.http import Http404

from socle.core.services import ServiceError
from socle.portal import selectors
from socle.portal.models import Case, CaseDocument, DocumentKind
from socle.portal.services import (
    CaseInvalid,
    Conflict,
    adoption_set,
    case_acknowledge,
    case_assign,
    case_available_transitions,
    case_comment,
    case_resubmit,
    case_submit,
    case_transition,
    procedure_publish,
    procedure_update,
)
from socle.portal.workflow import TransitionRefused
from tests.portal.conftest import SIMPLE_FIELDS

GOOD = {"nom": "Martin", "motif": "perte"}


def offered_in(procedure, commune=None):
    return selectors.procedure_offered_get(slug=procedure.slug, commune=commune)


def test_a_citizen_files_a_case_routed_to_the_commune_that_owns_the_procedure(
    territory, publish, citizen, django_capture_on_commit_callbacks
):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = case_submit(actor=citizen, offered=offered_in(procedure, territory["compiegne"]),
                           data=GOOD)
    assert not callbacks, "no email from the filing itself: the worker mails the acknowledgements"
    assert case.status == "submitted"
    assert case.organisation.slug == "compiegne"
    assert case.number.count("-") == 1 and len(case.number) == 11
    assert case.decision_due_on is not None
    assert not case.documents.exists(), "the acknowledgements are the worker's, not the filing's"
    with django_capture_on_commit_callbacks(execute=False) as mailed:
        case_acknowledge(case_id=case.pk)
    kinds = set(case.documents.values_list("kind", flat=True))
    assert kinds == {DocumentKind.REGISTRATION, DocumentKind.RECEIPT}
    assert mailed, "the acknowledgement email is queued after the drawing commits"


def test_field_errors_are_reported_per_field_in_french(territory, publish, citizen):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    with pytest.raises(CaseInvalid) as caught:
        case_submit(actor=citizen, offered=offered_in(procedure), data={"motif": "autre"})
    assert caught.value.errors == {"nom": "Ce champ est obligatoire.",
                                   "motif": "Choisissez une des réponses proposées."}
    assert not Case.objects.exists()


def test_agents_see_only_their_communes_cases(territory, publish, citizen, caseworker,
                                              other_caseworker):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    assert selectors.case_get_for(actor=caseworker, number=case.number) == case
    assert list(selectors.cases_for_agent(actor=caseworker)) == [case]
    assert list(selectors.cases_for_agent(actor=other_caseworker)) == []
    with pytest.raises(Http404):
        selectors.case_get_for(actor=other_caseworker, number=case.number)


def test_a_mutualised_role_on_the_arc_sees_every_communes_cases(territory, publish, citizen,
                                                                 make_user):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    arc_agent = make_user(roles=[(territory["arc"], "portal.caseworker")])
    assert selectors.case_get_for(actor=arc_agent, number=case.number) == case


def test_default_workflow_with_information_request(territory, publish, citizen, caseworker,
                                                   other_caseworker):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    # A free procedure: the case never waits for a payment.
    assert set(case_available_transitions(caseworker, case)) == {"in_instruction", "closed"}
    assert case_available_transitions(citizen, case) == []
    assert case_available_transitions(other_caseworker, case) == []
    with pytest.raises(TransitionRefused):
        case_transition(actor=other_caseworker, case=case, to="in_instruction")
    with pytest.raises(TransitionRefused):
        case_transition(actor=caseworker, case=case, to="accepted")
    case_transition(actor=caseworker, case=case, to="in_instruction")
    with pytest.raises(TransitionRefused, match="motivation"):
        case_transition(actor=caseworker, case=case, to="info_requested")
    case_transition(actor=caseworker, case=case, to="info_requested",
                    comment="Merci de préciser le motif.")
    case = case_resubmit(actor=citizen, case=Case.objects.get(pk=case.pk),
                         data={**GOOD, "precisions": "Perdue le 3 mars."})
    assert case.status == "in_instruction"
    assert case.data["precisions"] == "Perdue le 3 mars."
    case = case_transition(actor=caseworker, case=case, to="accepted", comment="")
    assert case.closed_at is not None
    assert CaseDocument.objects.filter(case=case, kind=DocumentKind.DECISION).exists()
    statuses = [e.to_status for e in case.events.filter(kind="status")]
    assert statuses == ["submitted", "in_instruction", "info_requested", "in_instruction",
                        "accepted"]


def test_an_information_request_suspends_the_delay_which_runs_again_in_full(
        territory, publish, citizen, caseworker, client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.support.clients import signed_in

    procedure = publish(territory["compiegne"], "carte-stationnement", implicit_decision_days=60)
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    today = timezone.localdate()
    assert case.decision_due_on == today + timedelta(days=60)
    case_transition(actor=caseworker, case=case, to="in_instruction")
    case = case_transition(actor=caseworker, case=case, to="info_requested",
                           comment="Merci de joindre un justificatif.")
    assert case.decision_due_on is None
    from django.urls import reverse

    page = signed_in(citizen, method="password").get(reverse("portal:case_detail", args=[case.number])).text
    assert "Suspendu : il court de nouveau" in page
    assert "Suspendue dans l" in signed_in(caseworker).get(f"/agent/dossiers/{case.number}/").text
    # Completed ten days later: the full delay runs from that day.
    from unittest import mock

    later = timezone.now() + timedelta(days=10)
    with mock.patch("django.utils.timezone.now", return_value=later):
        case = case_resubmit(actor=citizen, case=Case.objects.get(pk=case.pk), data=GOOD)
    case.refresh_from_db()
    assert case.decision_due_on == timezone.localtime(later).date() + timedelta(days=60)


def test_a_citizen_sees_messages_but_not_private_comments(territory, publish, citizen,
                                                           caseworker):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    case_comment(actor=caseworker, case=case, text="Dossier suspect, vérifier.")
    texts_citizen = [e.text for e in selectors.case_events_visible(actor=citizen, case=case)]
    texts_agent = [e.text for e in selectors.case_events_visible(actor=caseworker, case=case)]
    assert "Dossier suspect, vérifier." in texts_agent
    assert "Dossier suspect, vérifier." not in texts_citizen


def test_assignment_only_to_agents_of_the_competent_commune(territory, publish, citizen,
                                                           caseworker, other_caseworker):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    case_assign(actor=caseworker, case=case, agent=caseworker)
    assert case.assigned_to == caseworker
    with pytest.raises(ServiceError):
        case_assign(actor=caseworker, case=case, agent=other_caseworker)


def test_publishing_freezes_a_revision_and_cases_keep_theirs(territory, publish, editor,
                                                             citizen):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    first = procedure.published_revision
    case = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    new_fields = [*SIMPLE_FIELDS, {"name": "plaque", "label": "Immatriculation", "type": "text",
                                   "required": True}]
    procedure_update(actor=editor, procedure=procedure, fields=new_fields)
    first.refresh_from_db()
    assert first.fields == SIMPLE_FIELDS, "a published revision never changes"
    second = procedure_publish(actor=editor, procedure=procedure)
    assert second.number == 2
    case.refresh_from_db()
    assert case.revision == first
    with pytest.raises(CaseInvalid):
        case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)


def test_a_revision_changed_while_filing_is_a_conflict(territory, publish, editor, citizen):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    procedure_update(actor=editor, procedure=procedure, fields=SIMPLE_FIELDS[:2])
    procedure_publish(actor=editor, procedure=procedure)
    with pytest.raises(Conflict, match="modifiée pendant votre saisie"):
        case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD, expected_revision=1)


def test_idempotency_key_returns_the_same_case(territory, publish, citizen):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    first = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD,
                        idempotency_key="abc")
    again = case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD,
                        idempotency_key="abc")
    assert first.pk == again.pk and Case.objects.count() == 1


def test_an_arc_template_is_offered_only_where_adopted_with_overrides(territory, publish, editor,
                                                                     citizen, make_user):
    template = publish(territory["arc"], "inscription-scolaire", is_template=True,
                       fee_kind="fixed", fee_amount=Decimal("10.00"))
    assert template.slug not in [e.slug for e in selectors.procedures_offered(commune=territory["compiegne"])]
    adoption_set(actor=editor, template=template, organisation=territory["compiegne"],
                 overrides={"fee_amount": "12.50", "extra_fields": [
                     {"name": "ecole", "label": "École", "type": "text", "required": True}]})
    adoption_set(actor=editor, template=template, organisation=territory["venette"])
    in_compiegne = selectors.procedure_offered_get(slug=template.slug, commune=territory["compiegne"])
    in_venette = selectors.procedure_offered_get(slug=template.slug, commune=territory["venette"])
    assert in_compiegne.fee_amount == Decimal("12.50")
    assert in_venette.fee_amount == Decimal("10.00")
    assert [f.name for f in in_compiegne.fields()][-1] == "ecole"
    with pytest.raises(Http404):
        selectors.procedure_offered_get(slug=template.slug, commune=territory["jaux"])
    # A change to the template reaches communes that did not override that part.
    procedure_update(actor=editor, procedure=template, title="Inscription à l'école")
    assert selectors.procedure_offered_get(slug=template.slug, commune=territory["venette"]).title == \
        "Inscription à l'école"
    case = case_submit(actor=citizen, offered=in_compiegne, data={**GOOD, "ecole": "Jules Ferry"})
    assert case.organisation.slug == "compiegne"
    assert case.amount_due == Decimal("12.50")


def test_a_commune_editor_cannot_edit_another_communes_procedure(territory, publish, make_user):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    venette_editor = make_user(roles=[(territory["venette"], "portal.editor")])
    with pytest.raises(ServiceError, match="droit"):
        procedure_update(actor=venette_editor, procedure=procedure, title="Piraté")
    with pytest.raises(Http404):
        selectors.procedure_editable_get(actor=venette_editor, slug=procedure.slug)


def test_requires_account_and_franceconnect(territory, publish, citizen):
    procedure = publish(territory["arc"], "penalite-allotic", requires_franceconnect=True)
    with pytest.raises(ServiceError, match="FranceConnect"):
        case_submit(actor=citizen, offered=offered_in(procedure), data=GOOD)
    with pytest.raises(ServiceError, match="compte"):
        case_submit(actor=None, offered=offered_in(procedure), data=GOOD, email="a@b.fr")


def test_group_errors_keep_the_position_of_the_row_as_sent(territory, publish, citizen):
    fields = [{"name": "enfants", "label": "Enfants", "type": "group", "fields": [
        {"name": "prenom", "label": "Prénom", "type": "text", "required": True},
        {"name": "age", "label": "Âge", "type": "number"}]}]
    procedure = publish(territory["compiegne"], "groupes", fields=fields)
    data = {"enfants": [{"prenom": "", "age": ""}, {"prenom": "", "age": "7"}]}
    with pytest.raises(CaseInvalid) as caught:
        case_submit(actor=citizen, offered=offered_in(procedure), data=data)
    assert caught.value.errors == {"enfants.1.prenom": "Ce champ est obligatoire."}
