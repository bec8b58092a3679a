"""Online payment: starting it, the bank's notification, the simulated bank, refunds, reconciliation."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socle.core.models import AuditEvent
from socle.core.services import ServiceError
from socle.portal import selectors
from socle.portal.models import Case, CaseEvent, CaseEventKind, Payment, PaymentStatus
from socle.portal.payment_config import PaymentConfigError, backend_resolve, backends_parse
from socle.portal.payments import (
    _dummy_mac,
    case_amount_outstanding,
    dummy_notification_query,
    payment_case_number,
    payment_notify,
    payment_reconcile_task,
    payment_reference,
    payment_refund,
    payment_start,
)
from socle.portal.services import Conflict, case_set_amount, case_submit, case_transition
from socle.portal.workflow import TransitionRefused
from tests.conftest import ROOT
from tests.support.clients import sign_in
from tests.support.concurrency import run_concurrently
from tests.support.payfip_server import running_payfip_server

GOOD = {"nom": "Martin", "motif": "perte"}
NOTIFY_URL = "/paiement/notification/dummy/"


def file_case(territory, publish, citizen, **values):
    procedure = publish(territory["compiegne"], "abonnement-velotic", **values)
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data=GOOD)


def file_again(territory, citizen, case):
    """Another case of the same procedure, by the same citizen."""
    offered = selectors.procedure_offered_get(slug=case.procedure.slug, commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data=GOOD)


@pytest.fixture
def paying_case(territory, publish, citizen, caseworker):
    """A VéloTIC subscription at 12.30 €, waiting for its payment as soon as it is filed."""
    case = file_case(territory, publish, citizen, fee_kind="fixed", fee_amount=Decimal("12.30"))
    assert case.status == "awaiting_payment"
    return case


def logged_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def start(client: Client, case) -> tuple[Payment, str]:
    response = client.post(reverse("portal:case_pay", args=[case.number]))
    assert response.status_code == 302, response.content
    return Payment.objects.filter(case=case).latest("pk"), response["Location"]


def bank_notifies(query: str, method: str = "post"):
    """The bank calls us server to server: no session, CSRF checks on."""
    bank = Client(enforce_csrf_checks=True)
    if method == "post":
        return bank.post(NOTIFY_URL, data=query, content_type="application/x-www-form-urlencoded")
    return bank.get(f"{NOTIFY_URL}?{query}")


def journal(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_paid_notification_settles_the_payment_and_moves_the_case_on(paying_case, citizen):
    client = logged_in(citizen)
    payment, location = start(client, paying_case)
    # The citizen stays on our own host: the simulated bank, with eopayment's query.
    target = urlsplit(location)
    assert target.netloc == "testserver" and target.path == reverse("portal:dummy_bank")
    query = parse_qs(target.query)
    assert query["transaction_id"] == [payment.transaction_id]
    assert query["amount"] == ["12.30"]
    assert query["direct_notification_url"] == ["http://testserver" + NOTIFY_URL]
    assert payment.amount == Decimal("12.30") and payment.backend == "dummy"

    response = bank_notifies(dummy_notification_query(payment, accepted=True))

    assert response.status_code == 200
    assert response.content == b"signature ok"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.settled_at is not None
    paying_case.refresh_from_db()
    assert paying_case.status == "in_instruction"
    assert case_amount_outstanding(paying_case) == Decimal("0.00")
    [paid] = journal("payment.paid")
    assert paid.data["amount"] == "12.30" and paid.data["number"] == paying_case.number
    moved = journal("case.transition")[-1]
    assert (moved.data["from"], moved.data["to"]) == ("awaiting_payment", "in_instruction")
    page = client.get(reverse("portal:payment_return") + f"?transaction_id={payment.transaction_id}")
    assert "a bien été reçu" in page.content.decode()
    # A receipt is issued with the payment, shown on the case page and downloadable.
    [receipt] = paying_case.documents.filter(kind="payment")
    case_page = client.get(reverse("portal:case_detail", args=[paying_case.number])).content.decode()
    assert receipt.name in case_page and "Reçu de paiement" in case_page
    from pypdf import PdfReader

    from socle.core.blobs import blob_open

    with blob_open(receipt.blob) as handle:
        text = " ".join(PdfReader(handle).pages[0].extract_text().split())
    assert "Reçu de paiement" in text and "12,30 €" in text and paying_case.number in text
    assert payment.reference in text and "ne vaut pas décision" in text


def test_the_notification_also_arrives_as_a_get(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    response = bank_notifies(dummy_notification_query(payment, accepted=True), method="get")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_the_simulated_bank_shows_the_amount_and_accepts(paying_case, citizen):
    client = logged_in(citizen)
    payment, location = start(client, paying_case)
    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    assert "12,30" in html and "Simuler un paiement accepté" in html and "refusé" in html

    response = client.post(reverse("portal:dummy_bank"),
                           {"transaction_id": payment.transaction_id, "outcome": "accepted"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:payment_return"))
    payment.refresh_from_db()
    paying_case.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert paying_case.status == "in_instruction"


def test_a_refused_payment_fails_and_the_case_keeps_waiting(paying_case, citizen):
    client = logged_in(citizen)
    payment, _ = start(client, paying_case)
    client.post(reverse("portal:dummy_bank"),
                {"transaction_id": payment.transaction_id, "outcome": "refused"})
    payment.refresh_from_db()
    paying_case.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert paying_case.status == "awaiting_payment"
    assert len(journal("payment.failed")) == 1
    retry, _ = start(client, paying_case)  # the citizen may try again
    assert retry.pk != payment.pk


def test_the_same_notification_twice_changes_nothing(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    query = dummy_notification_query(payment, accepted=True)
    assert bank_notifies(query).status_code == 200
    transitions = len(journal("case.transition"))
    events = CaseEvent.objects.filter(case=paying_case).count()

    again = bank_notifies(query)

    assert again.status_code == 200
    assert len(journal("payment.paid")) == 1
    assert len(journal("case.transition")) == transitions
    assert CaseEvent.objects.filter(case=paying_case).count() == events


def test_a_refusal_after_the_payment_does_not_undo_it(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    bank_notifies(dummy_notification_query(payment, accepted=True))
    bank_notifies(dummy_notification_query(payment, accepted=False))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert journal("payment.failed") == []


def rejected_reason() -> str:
    [event] = journal("payment.rejected")
    return event.data["reason"]


def assert_still_pending(payment, case) -> None:
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert case.status == "awaiting_payment"
    assert journal("payment.paid") == []


def test_an_unsigned_notification_is_refused(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    fields = parse_qs(dummy_notification_query(payment, accepted=True))
    del fields["signed"]
    response = bank_notifies(urlencode(fields, doseq=True))
    assert response.status_code == 400
    assert_still_pending(payment, paying_case)
    assert rejected_reason() == "unsigned"


def test_a_forged_notification_is_refused(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    # What anyone can type: eopayment's dummy fields, "signed" included, without our key.
    query = urlencode({"transaction_id": payment.transaction_id, "amount": "12.30",
                       "signed": "1", "ok": "1"})
    response = bank_notifies(query)
    assert response.status_code == 400
    assert_still_pending(payment, paying_case)
    assert rejected_reason() == "bad_signature"


def test_a_notification_for_an_unknown_transaction_is_refused(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    query = dummy_notification_query(payment, accepted=True).replace(
        payment.transaction_id, "0" * 32)
    response = bank_notifies(query)
    assert response.status_code == 400
    assert_still_pending(payment, paying_case)
    assert rejected_reason() == "unknown_transaction"


def test_a_notification_of_another_amount_is_refused(paying_case, citizen):
    payment, _ = start(logged_in(citizen), paying_case)
    # Signed by the bank, but not for what we asked: 12.300001 is not 12.30.
    for amount in ["1.23", "12.300001"]:
        query = urlencode({"transaction_id": payment.transaction_id, "amount": amount,
                           "signed": "1", "ok": "1",
                           "mac": _dummy_mac(payment.transaction_id, amount, "ok")})
        assert bank_notifies(query).status_code == 400
    assert_still_pending(payment, paying_case)
    assert [e.data["reason"] for e in journal("payment.rejected")] == ["wrong_amount"] * 2


def test_an_unknown_backend_is_not_a_notification_address(db):
    assert Client().post("/paiement/notification/paypal/", data="x=1",
                         content_type="application/x-www-form-urlencoded").status_code == 404


def test_amounts_stay_exact_decimals(territory, publish, citizen, caseworker):
    case = file_case(territory, publish, citizen, fee_kind="agent")
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; a penalty of 0.30 € stays 0.30 €.
    case_set_amount(actor=caseworker, case=case, amount=Decimal("0.1") + Decimal("0.2"))
    case.refresh_from_db()
    assert case.amount_due == Decimal("0.30")
    with pytest.raises(ServiceError):
        case_set_amount(actor=caseworker, case=case, amount=Decimal("0.301"))
    case_set_amount(actor=caseworker, case=case, amount=Decimal("12.30"))
    case_transition(actor=caseworker, case=case, to="awaiting_payment")
    case.refresh_from_db()
    payment, location = start(logged_in(citizen), case)
    assert parse_qs(urlsplit(location).query)["amount"] == ["12.30"]
    assert isinstance(payment.amount, Decimal)
    payment.refresh_from_db()
    assert payment.amount == Decimal("12.30") and str(payment.amount) == "12.30"


def test_an_agent_sets_the_amount_then_the_citizen_pays_it(territory, publish, citizen,
                                                           caseworker, other_caseworker):
    case = file_case(territory, publish, citizen, fee_kind="agent")
    client = logged_in(citizen)
    assert case.amount_due == Decimal("0.00")
    with pytest.raises(Conflict):
        payment_start(actor=citizen, case=case, base_url="http://testserver")
    with pytest.raises(TransitionRefused):
        case_set_amount(actor=other_caseworker, case=case, amount=Decimal("35.00"))
    case_set_amount(actor=caseworker, case=case, amount=Decimal("35.00"))
    assert journal("case.amount")[-1].data["amount"] == "35.00"
    case_transition(actor=caseworker, case=case, to="awaiting_payment")
    case.refresh_from_db()
    payment, _ = start(client, case)
    assert payment.amount == Decimal("35.00")
    bank_notifies(dummy_notification_query(payment, accepted=True))
    case.refresh_from_db()
    assert case.status == "in_instruction"


def test_nothing_is_paid_twice(paying_case, citizen):
    client = logged_in(citizen)
    payment, _ = start(client, paying_case)
    bank_notifies(dummy_notification_query(payment, accepted=True))

    response = client.post(reverse("portal:case_pay", args=[paying_case.number]))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_detail", args=[paying_case.number])
    assert Payment.objects.filter(case=paying_case).count() == 1
    with pytest.raises(Conflict):
        payment_start(actor=citizen, case=paying_case, base_url="http://testserver")


def test_only_the_citizen_of_the_case_can_pay_it_or_see_its_payment(paying_case, citizen,
                                                                    caseworker, other_caseworker,
                                                                    make_user, territory):
    payment, location = start(logged_in(citizen), paying_case)
    pay_url = reverse("portal:case_pay", args=[paying_case.number])
    stranger = logged_in(make_user("voisin@exemple.fr", commune=territory["compiegne"]))
    # Neither another citizen, nor the commune's caseworker, nor another commune's agent.
    for other in (stranger, logged_in(caseworker), logged_in(other_caseworker)):
        assert other.post(pay_url).status_code == 404
        assert other.get(location).status_code == 404
        assert other.post(reverse("portal:dummy_bank"), {
            "transaction_id": payment.transaction_id, "outcome": "accepted"}).status_code == 404
        page = other.get(reverse("portal:payment_return")
                         + f"?transaction_id={payment.transaction_id}").content.decode()
        assert paying_case.number not in page and "12,30" not in page
    assert Client().post(pay_url).status_code == 302  # to the sign-in page
    assert Payment.objects.filter(case=paying_case).count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_citizens_return_never_settles_the_payment(paying_case, citizen):
    client = logged_in(citizen)
    payment, _ = start(client, paying_case)
    # Even with the bank's fields in the address, the return page only shows the state.
    query = dummy_notification_query(payment, accepted=True)
    page = client.get(reverse("portal:payment_return") + "?" + query)
    assert "en cours de confirmation" in page.content.decode()
    posted = client.post(reverse("portal:payment_return"), {"transaction_id": payment.transaction_id,
                                                            "ok": "1", "signed": "1"})
    assert posted.status_code == 303
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_refunds_are_journaled_and_shown_to_the_citizen(paying_case, citizen, caseworker,
                                                        other_caseworker):
    payment, _ = start(logged_in(citizen), paying_case)
    with pytest.raises(Conflict):
        payment_refund(actor=caseworker, payment=payment)  # nothing received yet
    bank_notifies(dummy_notification_query(payment, accepted=True))
    payment.refresh_from_db()
    for intruder in (other_caseworker, citizen):
        with pytest.raises(TransitionRefused):
            payment_refund(actor=intruder, payment=payment)

    payment_refund(actor=caseworker, payment=payment, reason="Abonnement annulé.")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    [refund] = journal("payment.refund")
    assert refund.actor_id == caseworker.pk
    assert refund.data == {"number": paying_case.number, "amount": "12.30",
                           "transaction": payment.transaction_id, "reason": "Abonnement annulé."}
    event = CaseEvent.objects.filter(case=paying_case, kind=CaseEventKind.PAYMENT).last()
    assert event.visible_to_citizen and "remboursé" in event.text
    with pytest.raises(Conflict):
        payment_refund(actor=caseworker, payment=payment)
    assert len(journal("payment.refund")) == 1


def test_reconciliation_expires_forgotten_dummy_payments_only_once_stale(territory, publish,
                                                                          citizen):
    stale_case = file_case(territory, publish, citizen, fee_kind="fixed",
                           fee_amount=Decimal("12.30"))
    fresh_case = file_again(territory, citizen, stale_case)
    client = logged_in(citizen)
    stale, _ = start(client, stale_case)
    Payment.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh, _ = start(client, fresh_case)

    call_command("portal", "reconcile-payments", "--older-than", "30")

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == PaymentStatus.FAILED and fresh.status == PaymentStatus.PENDING
    [failed] = journal("payment.failed")
    assert failed.data["via"] == "reconcile"
    # A late notification of the stale one still counts: the money was taken.
    bank_notifies(dummy_notification_query(stale, accepted=True))
    stale.refresh_from_db()
    assert stale.status == PaymentStatus.PAID


@pytest.mark.django_db(transaction=True)  # the worker runs outside any test transaction
def test_reconciliation_runs_as_a_background_task(paying_case, citizen, settings):
    payment, _ = start(logged_in(citizen), paying_case)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    settings.PAYMENT_PENDING_MINUTES = 60
    result = payment_reconcile_task.enqueue()
    call_command("worker", batch=True)
    result.refresh()
    assert result.return_value == {"checked": 1, "paid": 0, "failed": 1, "pending": 0, "errors": 0}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_no_configured_backend_means_no_online_payment(paying_case, citizen, settings):
    settings.PAYMENT_BACKENDS = backends_parse("", production=True)
    client = logged_in(citizen)
    response = client.post(reverse("portal:case_pay", args=[paying_case.number]), follow=True)
    assert "paiement en ligne est indisponible" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_started_payment_is_still_settled_after_the_configuration_changed(paying_case, citizen,
                                                                            settings):
    payment, _ = start(logged_in(citizen), paying_case)
    settings.PAYMENT_BACKENDS = backends_parse("", production=True)
    assert bank_notifies(dummy_notification_query(payment, accepted=True)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_payfip_needs_its_client_number_per_organisation_or_regie():
    with pytest.raises(PaymentConfigError, match="numcli"):
        backends_parse('{"*": {"kind": "payfip_ws"}}', production=True)
    with pytest.raises(PaymentConfigError, match="cantine"):
        backends_parse('{"*": {"kind": "payfip_ws", "regies": {"cantine": {"numcli": "12"}}}}',
                       production=True)
    with pytest.raises(PaymentConfigError, match="kind"):
        backends_parse('{"*": {"kind": "paypal"}}', production=False)
    config = backends_parse(
        '{"*": {"kind": "payfip_ws", "options": {"numcli": "111111", "saisie": "W"},'
        ' "regies": {"cantine": {"numcli": "222222"}}},'
        ' "venette": {"kind": "dummy"}}', production=True)
    assert backend_resolve(config, "/arc/compiegne/", "cantine").options["numcli"] == "222222"
    assert backend_resolve(config, "/arc/compiegne/", "").options == {"numcli": "111111",
                                                                      "saisie": "W"}
    assert backend_resolve(config, "/arc/venette/", "cantine").kind == "dummy"
    assert backends_parse("", production=False)["*"]["kind"] == "dummy"


def test_the_platform_refuses_to_start_with_payfip_but_no_client_number(tmp_path):
    script = "import django; django.setup()"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "socle.settings",
           "SOCLE_DATA_DIR": str(tmp_path),
           "SOCLE_PAYMENT_BACKENDS": '{"compiegne": {"kind": "payfip_ws", "options": {}}}'}
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "numcli" in run.stderr


# ------------------------------------------------------------- PayFiP (DGFiP)


def payfip_notifies(idop: str):
    # PayFiP posts the operation id, and nothing else, to the notification address.
    return Client(enforce_csrf_checks=True).post(
        "/paiement/notification/payfip_ws/", data=urlencode({"idOp": idop}),
        content_type="application/x-www-form-urlencoded")


def test_payfip_is_asked_for_the_regies_payment_and_confirms_it(payfip, payfip_case, citizen):
    payment, location = start(logged_in(citizen), payfip_case)

    assert location == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={payment.transaction_id}"
    request = payfip.operations[payment.transaction_id].request
    assert request["numcli"] == "123456" and request["saisie"] == "T"
    assert request["montant"] == "1230"  # cents, from Decimal("12.30")
    assert request["mel"] == citizen.email
    assert request["urlnotif"] == "http://testserver/paiement/notification/payfip_ws/"
    assert request["urlredirect"] == "http://testserver/paiement/retour/"
    assert payment.backend == "payfip_ws"

    # Notified before the citizen paid: PayFiP says it does not know yet, nothing changes.
    assert payfip_notifies(payment.transaction_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING

    payfip.settle(payment.transaction_id, "P")
    assert payfip_notifies(payment.transaction_id).status_code == 200
    assert payfip_notifies(payment.transaction_id).status_code == 200

    payment.refresh_from_db()
    payfip_case.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.bank_status == "paid CB"
    assert payfip_case.status == "in_instruction"
    assert len(journal("payment.paid")) == 1


def test_payfip_confirming_another_amount_is_refused(payfip, payfip_case, citizen):
    payment, _ = start(logged_in(citizen), payfip_case)
    payfip.settle(payment.transaction_id, "P", montant="1000")
    assert payfip_notifies(payment.transaction_id).status_code == 400
    assert_still_pending(payment, payfip_case)
    assert rejected_reason() == "wrong_amount"


def test_payfip_notification_of_an_unknown_operation_is_refused(payfip, payfip_case):
    assert payfip_notifies("inconnu").status_code == 400
    assert rejected_reason() == "unknown_transaction"
    assert payfip.calls == []  # PayFiP is not even asked


def test_reconciliation_asks_payfip_about_pending_payments(payfip, payfip_case, territory,
                                                           citizen):
    client = logged_in(citizen)
    cases = [payfip_case, *(file_again(territory, citizen, payfip_case) for _ in range(2))]
    refused, paid, waiting = (start(client, case)[0] for case in cases)
    payfip.settle(refused.transaction_id, "R")
    payfip.settle(paid.transaction_id, "P")

    call_command("portal", "reconcile-payments", "--older-than", "0")

    for payment in (refused, paid, waiting):
        payment.refresh_from_db()
    assert refused.status == PaymentStatus.FAILED
    assert paid.status == PaymentStatus.PAID
    assert waiting.status == PaymentStatus.PENDING  # the citizen may still be on PayFiP's page
    assert [case.status for case in Case.objects.filter(pk__in=[c.pk for c in cases])
            .order_by("pk")] == ["awaiting_payment", "in_instruction", "awaiting_payment"]
    assert [e.data["via"] for e in journal("payment.paid")] == ["reconcile"]


def test_an_unreachable_payfip_is_retried_not_refused(payfip_case, citizen, settings, tmp_path):
    with running_payfip_server(tmp_path) as server:
        settings.PAYMENT_BACKENDS = backends_parse(json.dumps({"*": {
            "kind": "payfip_ws", "options": {"numcli": "123456", "wsdl_url": server.wsdl_url}}}),
            production=True)
        payment, _ = start(logged_in(citizen), payfip_case)
        server.settle(payment.transaction_id, "P")
    # PayFiP is down: the bank is told to notify again; nothing is journaled as rejected.
    assert payfip_notifies(payment.transaction_id).status_code == 503
    with pytest.raises(CommandError):
        call_command("portal", "reconcile-payments", "--older-than", "0")
    assert_still_pending(payment, payfip_case)
    assert journal("payment.rejected") == []


# ------------------------------------------------- one payment in progress, nothing due


def test_paying_again_while_a_payment_is_in_progress_returns_to_it(paying_case, citizen):
    client = logged_in(citizen)
    first, location = start(client, paying_case)

    again, second_location = start(client, paying_case)

    assert again.pk == first.pk and second_location == location
    assert Payment.objects.filter(case=paying_case).count() == 1
    assert len(journal("payment.start")) == 1
    bank_notifies(dummy_notification_query(first, accepted=True))
    paid = Payment.objects.filter(case=paying_case, status=PaymentStatus.PAID)
    assert [p.amount for p in paid] == [Decimal("12.30")]


def test_the_database_holds_at_most_one_payment_in_progress_per_case(paying_case):
    Payment.objects.create(case=paying_case, amount=Decimal("12.30"), backend="dummy",
                           transaction_id="a")
    Payment.objects.create(case=paying_case, amount=Decimal("12.30"), backend="dummy",
                           transaction_id="b", status=PaymentStatus.FAILED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(case=paying_case, amount=Decimal("12.30"), backend="dummy",
                               transaction_id="c")
    assert Payment.objects.filter(case=paying_case).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_on_postgresql_make_one_payment(paying_case, citizen):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the constraint is tested above)")
    started: list[str] = []

    def pay(n: int) -> None:
        case = Case.objects.get(pk=paying_case.pk)
        payment, _, _ = payment_start(actor=citizen, case=case, base_url="http://testserver")
        started.append(payment.transaction_id)

    assert run_concurrently(4, pay) == []
    [payment] = Payment.objects.filter(case=paying_case)
    assert started == [payment.transaction_id] * 4


def age(payment: Payment, *, minutes: int) -> None:
    """Make a payment look as if it started that long ago."""
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes))


def test_a_stale_payfip_payment_blocks_another_until_payfip_says_what_became_of_it(
        payfip, payfip_case, citizen):
    client = logged_in(citizen)
    pay_url = reverse("portal:case_pay", args=[payfip_case.number])
    old, _ = start(client, payfip_case)
    # Its page closed, but PayFiP may still report it paid: eopayment calls an unknown
    # operation (P5) waiting for two hours. Starting another one is how a fee got paid twice.
    age(old, minutes=30)

    refused = client.post(pay_url, follow=True)

    assert "encore en cours de traitement par la banque" in refused.content.decode()
    with pytest.raises(Conflict) as conflict:
        payment_start(actor=citizen, case=payfip_case, base_url="http://testserver")
    assert conflict.value.code == "payment_in_progress" and conflict.value.status == 409
    assert Payment.objects.filter(case=payfip_case).count() == 1
    old.refresh_from_db()
    assert old.status == PaymentStatus.PENDING

    # Still unknown past two hours: it will never be paid, and another one starts.
    age(old, minutes=125)
    new, location = start(client, payfip_case)

    old.refresh_from_db()
    assert new.pk != old.pk and old.status == PaymentStatus.FAILED
    assert journal("payment.failed")[-1].data["via"] == "start"
    assert location.endswith(f"idop={new.transaction_id}")
    # Paid on PayFiP meanwhile: nothing is due any more, no other payment starts.
    payfip.settle(new.transaction_id, "P")
    age(new, minutes=30)
    response = client.post(pay_url)
    assert response["Location"] == reverse("portal:case_detail", args=[payfip_case.number])
    new.refresh_from_db()
    payfip_case.refresh_from_db()
    assert new.status == PaymentStatus.PAID and payfip_case.status == "in_instruction"
    assert Payment.objects.filter(case=payfip_case).count() == 2


def expired_then_paid_again(client, case) -> tuple[Payment, Payment]:
    """A payment the bank never told about (expired by reconciliation), then one paid."""
    abandoned, _ = start(client, case)
    call_command("portal", "reconcile-payments", "--older-than", "0")
    abandoned.refresh_from_db()
    assert abandoned.status == PaymentStatus.FAILED
    paid, _ = start(client, case)
    assert bank_notifies(dummy_notification_query(paid, accepted=True)).status_code == 200
    return abandoned, paid


def test_money_taken_after_the_fee_was_paid_is_flagged_for_refund_not_counted_twice(
        paying_case, citizen, caseworker, api_client):
    client = logged_in(citizen)
    abandoned, paid = expired_then_paid_again(client, paying_case)
    paying_case.refresh_from_db()
    assert paying_case.status == "in_instruction"

    # The bank finally reports the abandoned one paid: it took the money a second time.
    late = bank_notifies(dummy_notification_query(abandoned, accepted=True))

    assert late.status_code == 200  # believed: refusing it would not give the money back
    abandoned.refresh_from_db()
    paid.refresh_from_db()
    assert abandoned.status == PaymentStatus.PAID and abandoned.excess == Decimal("12.30")
    assert paid.excess == Decimal("0.00")
    assert case_amount_outstanding(paying_case) == Decimal("0.00")
    [excess] = journal("payment.excess")
    assert excess.data["excess"] == "12.30" and excess.data["owed"] == "0.00"
    assert [e.data["excess"] for e in journal("payment.paid")] == ["0.00", "12.30"]
    assert len([e for e in journal("case.transition")
                if e.data["from"] == "awaiting_payment"]) == 1
    assert CaseEvent.objects.filter(case=paying_case, visible_to_citizen=True,
                                    text__contains="il vous sera remboursé").count() == 1
    back_office = logged_in(caseworker).get(reverse("portal:agent_case",
                                                    args=[paying_case.number])).content.decode()
    assert "à rembourser" in back_office
    followed = api_client(citizen).get(f"/api/v1/cases/{paying_case.number}/payments").json()
    assert {p["id"]: p["excess"] for p in followed["items"]} == {abandoned.pk: "12.30",
                                                                 paid.pk: "0.00"}
    returned = client.get(reverse("portal:payment_return"),
                          {"transaction_id": abandoned.transaction_id}).content.decode()
    assert "vous les remboursera" in returned
    # The régie refunds it; what was paid for the case is still the fee, once.
    payment_refund(actor=caseworker, payment=abandoned, reason="Payé deux fois.")
    assert case_amount_outstanding(paying_case) == Decimal("0.00")


def test_a_partial_excess_is_flagged_and_the_case_moves_on(paying_case, citizen, caseworker):
    client = logged_in(citizen)
    payment, _ = start(client, paying_case)
    # The agent lowers the amount while the citizen is at the bank.
    case_set_amount(actor=caseworker, case=paying_case, amount=Decimal("10.00"))

    bank_notifies(dummy_notification_query(payment, accepted=True))

    payment.refresh_from_db()
    paying_case.refresh_from_db()
    assert payment.excess == Decimal("2.30") and paying_case.status == "in_instruction"
    assert journal("payment.excess")[-1].data["excess"] == "2.30"


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_case_settled_at_once_on_postgresql_count_once(paying_case,
                                                                           citizen):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (row locks)")
    client = logged_in(citizen)
    abandoned, _ = start(client, paying_case)
    call_command("portal", "reconcile-payments", "--older-than", "0")
    other, _ = start(client, paying_case)
    queries = [dummy_notification_query(p, accepted=True)
               for p in Payment.objects.filter(case=paying_case).order_by("pk")]
    assert abandoned.pk != other.pk

    def notify(n: int) -> None:
        payment_notify(backend="dummy", query=queries[n])

    assert run_concurrently(2, notify) == []
    excesses = sorted(p.excess for p in Payment.objects.filter(case=paying_case))
    assert excesses == [Decimal("0.00"), Decimal("12.30")]
    assert Payment.objects.filter(case=paying_case, status=PaymentStatus.PAID).count() == 2
    assert len(journal("payment.excess")) == 1
    assert Case.objects.get(pk=paying_case.pk).status == "in_instruction"


def test_nothing_is_due_after_a_refund_on_a_case_in_instruction(paying_case, citizen,
                                                                caseworker):
    client = logged_in(citizen)
    payment, _ = start(client, paying_case)
    bank_notifies(dummy_notification_query(payment, accepted=True))
    payment.refresh_from_db()
    payment_refund(actor=caseworker, payment=payment, reason="Erreur de tarif.")
    paying_case.refresh_from_db()
    assert paying_case.status == "in_instruction"
    assert "Payer" not in client.get(reverse("portal:case_detail",
                                             args=[paying_case.number])).content.decode()

    response = client.post(reverse("portal:case_pay", args=[paying_case.number]), follow=True)

    assert "attend pas de paiement" in response.content.decode()
    assert Payment.objects.filter(case=paying_case).count() == 1
    with pytest.raises(Conflict) as refused:
        payment_start(actor=citizen, case=paying_case, base_url="http://testserver")
    assert refused.value.code == "nothing_due"


def test_payfip_receives_the_case_number_as_the_debt_reference(payfip, payfip_case, citizen,
                                                               territory):
    client = logged_in(citizen)
    other_case = file_again(territory, citizen, payfip_case)
    payment, _ = start(client, payfip_case)
    other, _ = start(client, other_case)

    request = payfip.operations[payment.transaction_id].request
    # eopayment passes refdet as given, or replaces anything outside [A-Za-z0-9]{1,30}
    # (payfip_ws.REFDET_RE) by a timestamp: "2026-000001" must lose its hyphen.
    assert request["refdet"] == payfip_case.number.replace("-", "")
    assert len(request["refdet"]) <= 30 and request["refdet"].isalnum()
    assert payfip.operations[other.transaction_id].request["refdet"] == \
        other_case.number.replace("-", "")
    assert payment.reference == request["refdet"]
    assert payment_case_number(request["refdet"]) == payfip_case.number
    assert journal("payment.start")[0].data["reference"] == request["refdet"]

    # Each notification names its operation; PayFiP's answer carries the debt reference,
    # which maps back to the same payment and case.
    payfip.settle(other.transaction_id, "P")
    assert payfip_notifies(other.transaction_id).status_code == 200
    [paid] = journal("payment.paid")
    assert paid.target_id == str(other.pk) and paid.data["number"] == other_case.number
    payment.refresh_from_db()
    other.refresh_from_db()
    assert (payment.status, other.status) == (PaymentStatus.PENDING, PaymentStatus.PAID)
    assert payment_case_number(other.reference) == other_case.number


def test_a_payfip_answer_about_another_debt_is_refused(payfip, payfip_case, citizen):
    payment, _ = start(logged_in(citizen), payfip_case)
    # PayFiP says the operation paid another debt (another case's reference).
    payfip.settle(payment.transaction_id, "P", refdet="2026999999")

    assert payfip_notifies(payment.transaction_id).status_code == 400

    assert_still_pending(payment, payfip_case)
    assert rejected_reason() == "reference_mismatch"


@pytest.mark.parametrize("number", ["2026-000001", "2026-1234567", "1999-000042"])
def test_a_debt_reference_maps_back_to_its_case_number(number):
    reference = payment_reference(number)
    assert reference.isalnum() and len(reference) <= 30
    assert payment_case_number(reference) == number


PRODUCTION_ENV = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "socle.settings",
                  "SOCLE_PRODUCTION": "1", "SOCLE_SECRET_KEY": "k" * 60,
                  "SOCLE_ALLOWED_HOSTS": "socle.exemple.fr"}


def production(tmp_path, backends: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**PRODUCTION_ENV, "SOCLE_DATA_DIR": str(tmp_path), "SOCLE_PAYMENT_BACKENDS": backends}
    return subprocess.run([sys.executable, "-m", "socle.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_deploy_check_refuses_the_simulated_bank_in_production(tmp_path):
    run = production(tmp_path, '{"*": {"kind": "dummy"}, "venette": {"kind": "payfip_ws",'
                               ' "options": {"numcli": "123456"}}}', "check", "--deploy")
    assert run.returncode != 0
    assert "socle.portal.E001" in run.stderr and "banque simulée" in run.stderr
    run = production(tmp_path, '{"*": {"kind": "payfip_ws", "options": {"numcli": "123456"}}}',
                     "check", "--deploy")
    assert "socle.portal.E001" not in run.stderr + run.stdout
    # The operator finds what the error means and how to fix it.
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "`socle.portal.E001`" in operations


def test_the_simulated_bank_has_no_page_in_production(tmp_path):
    script = ("from django.urls import Resolver404, resolve\n"
              "for path in ['/paiement/simulateur/', '/paiement/notification/dummy/']:\n"
              "    try:\n        resolve(path)\n    except Resolver404:\n        print('absent', path)\n"
              "resolve('/paiement/notification/payfip_ws/'); print('payfip')\n")
    env = {**PRODUCTION_ENV, "SOCLE_DATA_DIR": str(tmp_path),
           "SOCLE_PAYMENT_BACKENDS": '{"*": {"kind": "dummy"}}'}
    run = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + script],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == ["absent /paiement/simulateur/",
                                          "absent /paiement/notification/dummy/", "payfip"]


def test_a_payment_started_before_its_address_was_kept_is_resumed_at_the_bank(
        payfip, payfip_case, citizen):
    client = logged_in(citizen)
    payment, location = start(client, payfip_case)
    Payment.objects.filter(pk=payment.pk).update(bank_url="")
    again, second = start(client, payfip_case)
    assert again.pk == payment.pk and second == location
