"""Payment as citizens and agents follow it: a fixed fee waits for payment as soon as the
case is filed, nothing waits for a payment of nothing, amounts read the French way, and
agents record refunds from the case page."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from socle.core.models import AuditEvent
from socle.portal import selectors
from socle.portal.models import CaseEvent, CaseEventKind, Payment, PaymentStatus
from socle.portal.payments import amount_label, dummy_notification_query, payment_notify
from socle.portal.services import (
    case_available_transitions,
    case_set_amount,
    case_submit,
    case_transition,
)
from socle.portal.workflow import CASEWORKER, DEFAULT_WORKFLOW, SYSTEM, TransitionRefused
from tests.support.clients import signed_in
from tests.support.smtp_server import smtp_server  # noqa: F401

GOOD = {"nom": "Martin", "motif": "perte"}


def file_case(territory, publish, citizen, slug="abonnement-velotic", **values):
    procedure = publish(territory["compiegne"], slug, title="Abonnement VéloTIC", **values)
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data=GOOD)


@pytest.fixture
def fixed_fee_case(territory, publish, citizen):
    return file_case(territory, publish, citizen, fee_kind="fixed", fee_amount=Decimal("12.30"))


def paid(case, citizen) -> Payment:
    """Pay what the case owes through the simulated bank, as the citizen does."""
    response = signed_in(citizen).post(reverse("portal:case_pay", args=[case.number]))
    assert response.status_code == 302
    payment = Payment.objects.filter(case=case, status=PaymentStatus.PENDING).latest("pk")
    payment_notify(backend="dummy", query=dummy_notification_query(payment, accepted=True))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    return payment


# ------------------------------------------------------------- a fixed fee, once filed


def test_a_case_with_a_fixed_fee_waits_for_its_payment_as_soon_as_it_is_filed(fixed_fee_case):
    case = fixed_fee_case
    assert case.status == "awaiting_payment" and case.amount_due == Decimal("12.30")
    moves = [(e.from_status, e.to_status) for e in case.events.filter(kind=CaseEventKind.STATUS)]
    assert moves == [("draft", "submitted"), ("submitted", "awaiting_payment")]
    waiting = case.events.get(to_status="awaiting_payment")
    assert waiting.visible_to_citizen and waiting.actor is None and not waiting.from_citizen
    assert "Montant à régler : 12,30\u00a0€" in waiting.text
    journaled = AuditEvent.objects.filter(action="case.transition").latest("seq")
    assert journaled.actor is None and journaled.actor_label == f"plateforme:{SYSTEM}"
    assert (journaled.data["from"], journaled.data["to"]) == ("submitted", "awaiting_payment")


def test_the_citizen_pays_the_fixed_fee_online_and_the_case_goes_to_instruction(
        fixed_fee_case, citizen):
    client = signed_in(citizen)
    page = client.get(reverse("portal:case_detail", args=[fixed_fee_case.number])).content.decode()
    assert "Payer en ligne" in page and "Montant à régler : <strong>12,30\u00a0€</strong>" in page

    started = client.post(reverse("portal:case_pay", args=[fixed_fee_case.number]))
    bank = client.get(started["Location"])
    assert "Banque simulée — paiement de 12,30\u00a0€" in bank.content.decode()
    payment = Payment.objects.get(case=fixed_fee_case)
    client.post(reverse("portal:dummy_bank"), {"transaction_id": payment.transaction_id,
                                               "outcome": "accepted"})

    fixed_fee_case.refresh_from_db()
    assert fixed_fee_case.status == "in_instruction"
    page = client.get(reverse("portal:case_detail", args=[fixed_fee_case.number])).content.decode()
    assert "Payer en ligne" not in page and "En cours d&#x27;instruction" in page


def test_free_cases_and_fees_set_by_the_agent_are_not_sent_to_payment_when_filed(
        territory, publish, citizen):
    free = file_case(territory, publish, citizen, slug="carte-stationnement")
    by_agent = file_case(territory, publish, citizen, slug="penalite-allotic", fee_kind="agent")
    assert free.status == by_agent.status == "submitted"
    assert not CaseEvent.objects.filter(to_status="awaiting_payment").exists()


def test_a_workflow_that_does_not_let_the_platform_ask_for_payment_leaves_the_case_filed(
        territory, publish, citizen, caseworker):
    # Revisions published before the platform had this role keep the agent's click.
    workflow = copy.deepcopy(DEFAULT_WORKFLOW)
    for transition in workflow["transitions"]:
        if transition["to"] == "awaiting_payment":
            transition["roles"] = [CASEWORKER]
    case = file_case(territory, publish, citizen, fee_kind="fixed", fee_amount=Decimal("12.30"),
                     workflow=workflow)
    assert case.status == "submitted"
    case_transition(actor=caseworker, case=case, to="awaiting_payment")
    case.refresh_from_db()
    assert case.status == "awaiting_payment"


@pytest.mark.django_db(transaction=True)
def test_the_citizen_is_told_by_email_what_to_pay(smtp_server, territory, publish,  # noqa: F811
                                                  citizen):
    case = file_case(territory, publish, citizen, fee_kind="fixed", fee_amount=Decimal("1234.50"))
    call_command("worker", batch=True)
    [notice] = [m for m in smtp_server.to(citizen.email)
                if m.subject == f"Demande n° {case.number} : En attente de votre paiement"]
    assert "Montant à régler : 1\u202f234,50\u00a0€, à payer en ligne." in notice.body


# ------------------------------------------------------------- nothing due, no waiting


def test_a_case_with_nothing_due_cannot_be_sent_to_payment(territory, publish, citizen,
                                                           caseworker):
    case = file_case(territory, publish, citizen, slug="penalite-allotic", fee_kind="agent")
    assert "awaiting_payment" not in case_available_transitions(caseworker, case)
    with pytest.raises(TransitionRefused, match="Aucun montant n'est dû sur ce dossier"):
        case_transition(actor=caseworker, case=case, to="awaiting_payment")
    case.refresh_from_db()
    assert case.status == "submitted"

    case_set_amount(actor=caseworker, case=case, amount=Decimal("35.00"))
    assert "awaiting_payment" in case_available_transitions(caseworker, case)
    case_transition(actor=caseworker, case=case, to="awaiting_payment")
    case.refresh_from_db()
    assert case.status == "awaiting_payment"


def test_the_back_office_refuses_to_ask_a_payment_of_nothing_in_french(
        territory, publish, citizen, caseworker):
    case = file_case(territory, publish, citizen, slug="penalite-allotic", fee_kind="agent")
    client = signed_in(caseworker)
    page = client.get(reverse("portal:agent_case", args=[case.number]))
    assert "awaiting_payment" not in {t.target for t in page.context["transitions"]}
    response = client.post(reverse("portal:agent_case_transition", args=[case.number]),
                           {"to": "awaiting_payment"})
    assert response.status_code == 409
    assert "Aucun montant n&#x27;est dû sur ce dossier" in response.content.decode()


# ------------------------------------------------------------------- French amounts


@pytest.mark.parametrize(("amount", "label"), [
    (Decimal("12.3"), "12,30\u00a0€"),
    (Decimal("0"), "0,00\u00a0€"),
    (Decimal("1234.5"), "1\u202f234,50\u00a0€"),
    (Decimal("1000000"), "1\u202f000\u202f000,00\u00a0€"),
])
def test_amounts_are_written_the_french_way(amount, label):
    assert amount_label(amount) == label
    rendered = Template("{% load portal_format %}{{ amount|euros }}").render(
        Context({"amount": amount}))
    assert rendered == label


def test_the_euros_filter_leaves_an_empty_amount_empty():
    assert Template("{% load portal_format %}[{{ amount|euros }}]").render(
        Context({"amount": None})) == "[]"


def test_the_catalogue_and_the_procedure_show_the_fee_in_french(territory, publish, citizen):
    procedure = publish(territory["compiegne"], "abonnement-velotic", title="Abonnement VéloTIC",
                        fee_kind="fixed", fee_amount=Decimal("1234.50"))
    client = signed_in(citizen)
    catalogue = client.get(reverse("portal:catalogue")).content.decode()
    assert "tarif : 1\u202f234,50\u00a0€" in catalogue
    page = client.get(reverse("portal:procedure", args=[procedure.slug])).content.decode()
    assert "1\u202f234,50\u00a0€, à payer en ligne après le dépôt de la demande" in page


# ------------------------------------------------------------------------- refunds


def test_the_case_page_offers_a_refund_only_for_a_received_payment(fixed_fee_case, citizen,
                                                                   caseworker):
    client = signed_in(caseworker)
    url = reverse("portal:agent_case", args=[fixed_fee_case.number])
    signed_in(citizen).post(reverse("portal:case_pay", args=[fixed_fee_case.number]))
    pending = client.get(url).content.decode()
    assert "En attente" in pending and "Rembourser" not in pending

    payment = paid(fixed_fee_case, citizen)

    page = client.get(url).content.decode()
    assert payment.transaction_id in page
    assert reverse("portal:agent_payment_refund", args=[fixed_fee_case.number, payment.pk]) in page
    assert "Rembourser 12,30\u00a0€" in page
    assert "Montant dû</dt><dd>12,30\u00a0€" in page


def test_an_agent_refunds_a_payment_from_the_case_page(fixed_fee_case, citizen, caseworker):
    payment = paid(fixed_fee_case, citizen)
    client = signed_in(caseworker)
    url = reverse("portal:agent_payment_refund", args=[fixed_fee_case.number, payment.pk])

    response = client.post(url, {"reason": "Abonnement annulé par la commune."}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:agent_case",
                                                     args=[fixed_fee_case.number])
    assert "Le remboursement de 12,30\u00a0€ est enregistré" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    refund = AuditEvent.objects.get(action="payment.refund")
    assert refund.actor_id == caseworker.pk
    assert refund.data["reason"] == "Abonnement annulé par la commune."
    assert refund.data["amount"] == "12.30"
    mine = signed_in(citizen).get(reverse("portal:case_detail", args=[fixed_fee_case.number]))
    assert "Paiement de 12,30\u00a0€ remboursé. Abonnement annulé par la commune." in \
        mine.content.decode()

    again = client.post(url, {"reason": "Deux fois ?"})
    assert again.status_code == 409
    assert "Seul un paiement reçu peut être remboursé." in again.content.decode()
    assert AuditEvent.objects.filter(action="payment.refund").count() == 1


def test_only_an_agent_of_the_commune_refunds(fixed_fee_case, citizen, other_caseworker):
    payment = paid(fixed_fee_case, citizen)
    url = reverse("portal:agent_payment_refund", args=[fixed_fee_case.number, payment.pk])
    assert signed_in(other_caseworker).post(url).status_code == 404
    assert signed_in(citizen).post(url).status_code == 403
    assert Client().post(url).status_code == 302  # to the sign-in page
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert not AuditEvent.objects.filter(action="payment.refund").exists()


def test_a_payment_of_another_case_is_not_refunded_through_this_one(
        fixed_fee_case, citizen, caseworker, territory, publish):
    payment = paid(fixed_fee_case, citizen)
    offered = selectors.procedure_offered_get(slug="abonnement-velotic", commune=territory["compiegne"])
    other = case_submit(actor=citizen, offered=offered, data=GOOD)
    url = reverse("portal:agent_payment_refund", args=[other.number, payment.pk])
    assert signed_in(caseworker).post(url).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
