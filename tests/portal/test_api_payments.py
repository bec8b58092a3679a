"""Paying a case through the API, as through its page, and following the payment."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socle.portal import selectors
from socle.portal.models import Payment, PaymentStatus
from socle.portal.payment_config import backends_parse
from socle.portal.payments import dummy_notification_query, payment_refund
from socle.portal.services import case_submit
from tests.support.payfip_server import running_payfip_server

GOOD = {"nom": "Martin", "motif": "perte"}


@pytest.fixture
def paying_case(territory, publish, citizen):
    procedure = publish(territory["compiegne"], "abonnement-velotic", fee_kind="fixed",
                        fee_amount=Decimal("12.30"))
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    assert case.status == "awaiting_payment"
    return case


def notify(payment: Payment, *, accepted: bool = True) -> None:
    response = Client().post("/paiement/notification/dummy/",
                             data=dummy_notification_query(payment, accepted=accepted),
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_a_citizen_pays_through_the_api_and_follows_the_payment(api_client, paying_case,
                                                                citizen):
    client = api_client(citizen)
    url = f"/api/v1/cases/{paying_case.number}/payments"
    assert client.get(f"/api/v1/cases/{paying_case.number}").json()["payment_due"] == "12.30"

    started = client.post(url)

    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "pending" and body["amount"] == "12.30"
    assert body["reference"] == paying_case.number.replace("-", "")
    target = urlsplit(body["bank_url"])
    assert target.path == reverse("portal:dummy_bank")
    payment = Payment.objects.get(pk=body["id"])
    assert parse_qs(target.query)["transaction_id"] == [payment.transaction_id]
    # Asked again while it is in progress: the same payment, not a second one.
    again = client.post(url)
    assert again.status_code == 200 and again.json()["id"] == body["id"]

    notify(payment)

    followed = client.get(f"{url}/{body['id']}").json()
    assert followed["status"] == "paid" and followed["settled_at"] is not None
    assert followed["bank_url"] is None
    listed = client.get(url).json()
    assert [p["id"] for p in listed["items"]] == [body["id"]] and listed["next"] is None
    case = client.get(f"/api/v1/cases/{paying_case.number}").json()
    assert case["status"] == "in_instruction" and case["payment_due"] == "0.00"
    refused = client.post(url)
    assert refused.status_code == 409 and refused.json()["code"] == "nothing_due"


def test_nothing_is_started_through_the_api_after_a_refund(api_client, paying_case, citizen,
                                                           caseworker):
    client = api_client(citizen)
    url = f"/api/v1/cases/{paying_case.number}/payments"
    notify(Payment.objects.get(pk=client.post(url).json()["id"]))
    payment_refund(actor=caseworker, payment=Payment.objects.get(case=paying_case))

    response = client.post(url)

    assert response.status_code == 409 and response.json()["code"] == "nothing_due"
    assert Payment.objects.filter(case=paying_case).count() == 1


def test_only_the_citizen_starts_a_payment_and_agents_see_no_bank_address(
        api_client, paying_case, citizen, caseworker, other_caseworker, make_user, territory):
    url = f"/api/v1/cases/{paying_case.number}/payments"
    body = api_client(citizen).post(url).json()
    stranger = make_user("voisin@exemple.fr", commune=territory["compiegne"])
    for other in (stranger, other_caseworker):
        assert api_client(other).post(url).status_code == 404
        assert api_client(other).get(f"{url}/{body['id']}").status_code == 404
    refused = api_client(caseworker).post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    seen = api_client(caseworker).get(f"{url}/{body['id']}").json()
    assert seen["status"] == "pending" and seen["bank_url"] is None
    assert api_client(None).post(url).status_code == 401
    assert Payment.objects.filter(case=paying_case).count() == 1


def test_a_payment_of_another_case_is_not_found_through_this_one(api_client, paying_case,
                                                                 citizen, territory):
    other = case_submit(actor=citizen, offered=selectors.procedure_offered_get(
        slug=paying_case.procedure.slug, commune=territory["compiegne"]), data=GOOD)
    client = api_client(citizen)
    body = client.post(f"/api/v1/cases/{other.number}/payments").json()
    response = client.get(f"/api/v1/cases/{paying_case.number}/payments/{body['id']}")
    assert response.status_code == 404
    assert Payment.objects.get(pk=body["id"]).status == PaymentStatus.PENDING


def test_the_api_refuses_a_second_payment_while_payfip_has_not_said_what_became_of_the_first(
        api_client, payfip, payfip_case, citizen):
    client = api_client(citizen)
    url = f"/api/v1/cases/{payfip_case.number}/payments"
    first = client.post(url).json()
    assert urlsplit(first["bank_url"]).netloc == "www.payfip.gouv.fr"
    # The bank's page closed long ago, PayFiP still calls the operation unknown (P5).
    Payment.objects.filter(pk=first["id"]).update(
        created_at=timezone.now() - timedelta(minutes=30))

    response = client.post(url)

    assert response.status_code == 409 and response.json()["code"] == "payment_in_progress"
    assert "encore en cours de traitement" in response.json()["message"]
    assert [p["status"] for p in client.get(url).json()["items"]] == ["pending"]


def test_the_api_says_503_when_the_bank_does_not_answer(api_client, payfip_case, citizen,
                                                        settings, tmp_path):
    with running_payfip_server(tmp_path) as server:
        wsdl_url = server.wsdl_url
    settings.PAYMENT_BACKENDS = backends_parse(json.dumps({"*": {
        "kind": "payfip_ws", "options": {"numcli": "123456", "wsdl_url": wsdl_url}}}),
        production=True)

    response = api_client(citizen).post(f"/api/v1/cases/{payfip_case.number}/payments")

    assert response.status_code == 503 and response.json()["code"] == "bank_unavailable"
    assert not Payment.objects.filter(case=payfip_case).exists()
