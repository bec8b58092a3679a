"""In Chromium, without JavaScript: a traveller subscribes to a line's alerts, confirms from the
mail, receives an agent's alert, and unsubscribes in one click (RFC 8058). Every page passes axe-core."""

from __future__ import annotations

import io
import urllib.request

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from socle.mobility import realtime
from socle.mobility.models import AlertStatus, AlertSubscription
from socle.mobility.services import gtfs_import, gtfs_publish
from tests.e2e.conftest import _chromium_missing, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.support.smtp_server import smtp_server  # noqa: F401

from .test_alerts import _link, _path
from .test_realtime import live_feed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(_chromium_missing()), reason=_chromium_missing() or "-"),
]


@pytest.mark.django_db(transaction=True)
def test_a_traveller_subscribes_confirms_receives_an_alert_and_unsubscribes_in_one_click(
        audit, smtp_server, territory, make_user, live_server, settings):  # noqa: F811
    settings.BASE_URL = live_server.url
    version = gtfs_import(actor=None, organisation=territory["arc"], source=io.BytesIO(live_feed()),
                          filename="reseau.zip")
    gtfs_publish(actor=None, version=version)
    transport = make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])

    page = audit.open(javascript=False)
    page.goto("/mobilite/lignes/r1/")
    audit.check(page, title="Ligne 1", h1="Ligne 1 — Gare - Hôpital")
    page.get_by_role("link", name="Recevoir par courriel les perturbations de cette ligne").click()
    audit.check(page, title="Alertes du réseau par courriel", h1="Recevoir les alertes du réseau")
    expect(page.get_by_label("Ligne 1 — Gare - Hôpital")).to_be_checked()
    page.get_by_role("button", name="M'abonner").click()
    audit.check(page, title="Alertes du réseau par courriel", h1="Recevoir les alertes du réseau")
    expect(page.locator(".error-summary")).to_contain_text("adresse électronique valide")
    page.get_by_label("Adresse électronique").fill("voyageuse@exemple.fr")
    page.get_by_label("Élève ou étudiant").check()
    page.get_by_role("button", name="M'abonner").click()
    audit.check(page, title="Confirmez votre abonnement", h1="Confirmez votre abonnement")

    call_command("worker", batch=True)
    [confirmation] = smtp_server.to("voyageuse@exemple.fr")
    page.goto(_path(_link(confirmation.body, "/alertes/confirmer/")))
    audit.check(page, title="Confirmer l'abonnement aux alertes", h1="Confirmer l'abonnement aux alertes")
    page.get_by_role("button", name="Confirmer mon abonnement").click()
    audit.check(page, title="Abonnement confirmé", h1="Abonnement confirmé")
    assert AlertSubscription.objects.get().status == AlertStatus.ACTIVE

    realtime.disruption_create(actor=transport, title="Ligne 1 déviée rue de Paris", route_ids=["r1"])
    call_command("worker", batch=True)  # the fan-out
    call_command("worker", batch=True)  # the mail it queued
    alert = next(m for m in smtp_server.to("voyageuse@exemple.fr") if "déviée" in m.subject)
    assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = str(alert.message["List-Unsubscribe"]).strip().strip("<>")

    # What a mail reader does for its « Se désabonner » button: a bare POST, no cookie, no token.
    request = urllib.request.Request(target, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert AlertSubscription.objects.get().status == AlertStatus.ENDED
    page.goto(_path(target))
    audit.check(page, title="Se désabonner des alertes", h1="Se désabonner des alertes")
    expect(page.get_by_text("Cet abonnement est déjà terminé")).to_be_visible()
