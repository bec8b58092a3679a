"""Alerts to travellers through a real SMTP server: double opt-in, delivery once, RFC 8058 unsubscribe."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socle.mobility import alerts, jobs, realtime
from socle.mobility.models import AlertDelivery, AlertStatus, AlertSubscription
from tests.support.clients import signed_in
from tests.support.smtp_server import smtp_server  # noqa: F401

from .test_realtime import _operator_feed, network, transport  # noqa: F401

LINK = re.compile(r"https?://\S+")


def _worker() -> None:
    call_command("worker", "--batch")


def _link(text: str, part: str) -> str:
    return next(link for link in LINK.findall(text) if part in link)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def subscribe_and_confirm(smtp, captured, email: str, **choices) -> AlertSubscription:
    with captured(execute=True):
        alerts.alert_subscribe(email=email, **choices)
    _worker()
    [mail] = [m for m in smtp.to(email) if "Confirmez" in m.subject]
    client = Client(enforce_csrf_checks=False)
    path = _path(_link(mail.body, "/alertes/confirmer/"))
    assert client.get(path).status_code == 200  # opening the link alone confirms nothing
    assert AlertSubscription.objects.get(email=email).status == AlertStatus.PENDING
    assert client.post(path).status_code == 200
    return AlertSubscription.objects.get(email=email)


def test_a_subscription_is_confirmed_once_by_its_link_which_expires(
        network, smtp_server, django_capture_on_commit_callbacks, client):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mobility:alerts"), {"email": "Voyageur@Exemple.fr",
                                                            "profile": "student", "ligne": ["r1"]})
    assert response.status_code == 200 and "Confirmez votre abonnement" in response.content.decode()
    subscription = AlertSubscription.objects.get()
    assert subscription.email == "voyageur@exemple.fr" and subscription.status == AlertStatus.PENDING
    _worker()
    [mail] = smtp_server.to("voyageur@exemple.fr")
    link = _link(mail.body, "/alertes/confirmer/")
    assert "ligne 1" in mail.body and mail.message["Auto-Submitted"] == "auto-generated"
    page = client.get(_path(link))
    assert "Confirmer mon abonnement" in page.content.decode()
    assert client.post(_path(link)).status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == AlertStatus.ACTIVE and subscription.confirm_digest == ""
    again = client.post(_path(link))
    assert again.status_code == 400 and "déjà servi" in again.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        alerts.alert_subscribe(email="tard@exemple.fr")
    _worker()
    late = _link(smtp_server.to("tard@exemple.fr")[0].body, "/alertes/confirmer/")
    AlertSubscription.objects.filter(email="tard@exemple.fr").update(
        confirm_expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.post(_path(late))
    assert expired.status_code == 400 and "expiré" in expired.content.decode()
    assert AlertSubscription.objects.get(email="tard@exemple.fr").status == AlertStatus.PENDING
    assert jobs.alerts_dispatch().endswith("1 abonnements non confirmés supprimés.")
    assert not AlertSubscription.objects.filter(email="tard@exemple.fr").exists()


def test_an_agents_alert_reaches_the_right_subscribers_once_with_one_click_unsubscribe(
        network, transport, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    captured = django_capture_on_commit_callbacks
    line = subscribe_and_confirm(smtp_server, captured, "ligne@exemple.fr", route_ids=["r1"])
    stop_student = subscribe_and_confirm(smtp_server, captured, "eleve@exemple.fr", profile="student",
                                         stop_ids=["s2"])
    subscribe_and_confirm(smtp_server, captured, "actif@exemple.fr", profile="worker", stop_ids=["s2"])
    subscribe_and_confirm(smtp_server, captured, "ailleurs@exemple.fr", stop_ids=["s3"])
    whole = subscribe_and_confirm(smtp_server, captured, "tout@exemple.fr")
    with captured(execute=True):
        alerts.alert_subscribe(email="jamais@exemple.fr", route_ids=["r1"])  # never confirmed
    _worker()
    smtp_server.messages.clear()

    with captured(execute=True):
        disruption = realtime.disruption_create(actor=transport, title="Arrêt Mairie déplacé",
                                                description="Arrêt provisoire rue de Paris.",
                                                route_ids=["r1"], stop_ids=["s2"], audience="student")
    _worker()
    received = sorted(address for m in smtp_server.messages for address in m.rcpt_tos)
    # Student-only: the line's and network's "any" subscribers do not get it, the student does.
    assert received == ["eleve@exemple.fr"]
    with captured(execute=True):
        everyone = realtime.disruption_create(actor=transport, title="Déviation ligne 1", route_ids=["r1"])
    _worker()
    to_all = sorted(a for m in smtp_server.messages if "Déviation" in m.subject for a in m.rcpt_tos)
    assert to_all == ["ligne@exemple.fr", "tout@exemple.fr"]  # s2 and s3 subscribers: not on r1's list

    # Once: the fan-out again, the safety-net job, the worker again send nothing more.
    assert alerts.alerts_fanout(disruption_id=everyone.pk) == 0
    assert alerts.alerts_fanout(disruption_id=disruption.pk) == 0
    jobs.alerts_dispatch()
    _worker()
    assert len(smtp_server.messages) == 3
    assert AlertDelivery.objects.filter(sent_at__isnull=False).count() == 3

    [mail] = smtp_server.to("ligne@exemple.fr")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mail.message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe in mail.body and "Déviation ligne 1" in mail.subject and "ligne 1" in mail.body
    # The mail reader's POST: no session, no cookie, no CSRF token, the RFC 8058 body.
    reader = Client(enforce_csrf_checks=True)
    done = reader.post(_path(unsubscribe), data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "désabonné" in done.content.decode()
    line.refresh_from_db()
    assert line.status == AlertStatus.ENDED and line.email == ""
    assert reader.post(_path(unsubscribe)).status_code == 200  # twice is harmless
    assert "déjà terminé" in reader.get(_path(unsubscribe)).content.decode()

    smtp_server.messages.clear()
    with captured(execute=True):
        realtime.disruption_create(actor=transport, title="Travaux", route_ids=["r1"], stop_ids=["s2"])
    _worker()
    assert sorted(a for m in smtp_server.messages for a in m.rcpt_tos) == ["actif@exemple.fr",
                                                                           "eleve@exemple.fr",
                                                                           "tout@exemple.fr"]
    assert stop_student.status == AlertStatus.ACTIVE and whole.status == AlertStatus.ACTIVE


def test_an_unsubscribe_token_opens_nothing_else_and_cannot_be_forged(
        network, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    one = subscribe_and_confirm(smtp_server, django_capture_on_commit_callbacks, "un@exemple.fr")
    two = subscribe_and_confirm(smtp_server, django_capture_on_commit_callbacks, "deux@exemple.fr")
    reader = Client(enforce_csrf_checks=True)
    token = alerts.unsubscribe_token(one)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    other_nonce = signing.dumps([two.pk, one.nonce], salt=alerts.UNSUBSCRIBE_SALT)  # signed, wrong pair
    other_salt = signing.dumps([one.pk, one.nonce])  # signed for another use
    for bad in (forged, "1", "x" * 400, other_nonce, other_salt):
        response = reader.post(reverse("mobility:alerts_unsubscribe", args=[bad]))
        assert response.status_code == 400 and "pas valide" in response.content.decode()
    # Not a confirmation secret, and a re-created nonce voids the old token.
    assert reader.post(reverse("mobility:alerts_confirm",
                               args=[token])).status_code == 403  # CSRF: a page form
    assert Client().post(reverse("mobility:alerts_confirm", args=[token])).status_code == 400
    old = alerts.unsubscribe_token(two)
    two.nonce = "renouvele"
    two.save(update_fields=["nonce"])
    assert reader.post(reverse("mobility:alerts_unsubscribe", args=[old])).status_code == 400
    assert reader.post(reverse("mobility:alerts_unsubscribe",
                               args=[alerts.unsubscribe_token(two)])).status_code == 200
    assert AlertSubscription.objects.get(pk=one.pk).status == AlertStatus.ACTIVE


def test_an_operators_alert_read_at_every_poll_is_mailed_once(
        network, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    subscribe_and_confirm(smtp_server, django_capture_on_commit_callbacks, "flux@exemple.fr",
                          route_ids=["r1"])
    smtp_server.messages.clear()
    now = int(timezone.now().timestamp())
    for second in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            realtime.realtime_ingest(data=_operator_feed(timestamp=now + second, entities=[
                {"id": "greve", "alert": "Grève du 4 décembre"}]), kind="alerts")
        _worker()
    [mail] = smtp_server.to("flux@exemple.fr")
    assert "Grève du 4 décembre" in mail.subject


def test_a_subscriber_who_leaves_before_the_mail_is_sent_is_skipped(
        network, transport, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    gone = subscribe_and_confirm(smtp_server, django_capture_on_commit_callbacks, "parti@exemple.fr")
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        disruption = realtime.disruption_create(actor=transport, title="Grève", route_ids=["r1"])
        alerts.alerts_fanout(disruption_id=disruption.pk)
        alerts.alert_unsubscribe(token=alerts.unsubscribe_token(gone))
    _worker()
    assert smtp_server.messages == [] and AlertDelivery.objects.get().skipped


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": "pas-une-adresse"}, "adresse électronique valide"),
    ({"email": "a@exemple.fr", "profile": "retraite"}, "profil"),
    ({"email": "a@exemple.fr", "ligne": ["r1", "ligne-fantome"]}, "inconnus : ligne-fantome"),
    ({"email": "a@exemple.fr", "arret": [f"s{i}" for i in range(40)]}, "au plus 30"),
    ({"email": "=HYPERLINK(\"http://x\")@exemple.fr"}, "adresse électronique valide"),
])
def test_bad_subscriptions_are_refused_in_french_and_nothing_written(network, client, fields, message):  # noqa: F811
    response = client.post(reverse("mobility:alerts"), fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    assert not AlertSubscription.objects.exists()


def test_a_flood_of_requests_for_one_address_is_dropped_and_the_page_says_the_same(network, client):  # noqa: F811
    for _ in range(5):
        response = client.post(reverse("mobility:alerts"), {"email": "cible@exemple.fr"})
        assert response.status_code == 200
    kept = AlertSubscription.objects.filter(email="cible@exemple.fr").count()
    assert kept == alerts.PENDING_PER_ADDRESS_PER_DAY


def test_the_api_asks_for_a_subscription_and_refuses_bad_input_with_a_code(network, client):  # noqa: F811
    url = "/api/v1/mobility/alert-subscriptions"
    accepted = client.post(url, json.dumps({"email": "api@exemple.fr", "route_ids": ["r1"]}),
                           content_type="application/json")
    assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
    refused = client.post(url, json.dumps({"email": "api@exemple.fr", "stop_ids": ["nulle-part"]}),
                          content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_subscription"
    assert AlertSubscription.objects.count() == 1


def test_the_pages_offer_alerts_and_agents_see_counts_only_of_their_network(
        network, transport, territory, make_user, client, smtp_server,  # noqa: F811
        django_capture_on_commit_callbacks):
    subscribe_and_confirm(smtp_server, django_capture_on_commit_callbacks, "compte@exemple.fr")
    assert "?ligne=r1" in client.get(reverse("mobility:route", args=["r1"])).content.decode()
    form = client.get(reverse("mobility:alerts") + "?ligne=r1").content.decode()
    assert 'value="r1" checked' in form
    page = signed_in(transport).get(reverse("mobility:realtime")).content.decode()
    assert "1 voyageur abonné" in page and "compte@exemple.fr" not in page
    other = make_user("transport.compiegne@exemple.fr", roles=[(territory["compiegne"], "mobility.agent")])
    assert "0 voyageur abonné" in signed_in(other).get(reverse("mobility:realtime")).content.decode()
    from socle.mobility.indicators import alert_subscriptions

    today = timezone.localdate()
    assert alert_subscriptions(actor=transport, start=today, end=today + timedelta(days=1)) == 1
    assert alert_subscriptions(actor=other, start=today, end=today + timedelta(days=1)) == 0
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    assert signed_in(citizen).get(reverse("mobility:realtime")).status_code == 403
