"""Mobility in Chromium: a subscriber rents and returns a bike; a stop display at kiosk size."""

from __future__ import annotations

import io
import json
import urllib.request

import pytest
from playwright.sync_api import expect

from socle.mobility import velotic
from socle.mobility.services import gtfs_import, gtfs_publish
from tests.conftest import PASSWORD
from tests.mobility.conftest import locks  # noqa: F401 - the lock simulator fixture
from tests.mobility.test_realtime import live_feed

from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e


def _dock(server, lock_id: str, station: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}/locks/{lock_id}/dock",
                                     data=json.dumps({"station": station}).encode(), method="POST")
    urllib.request.urlopen(request, timeout=5).close()


def test_a_subscriber_rents_a_bike_and_returns_it_through_the_pages(audit, territory, make_user,
                                                                    locks):  # noqa: F811
    arc = territory["arc"]
    gare = velotic.station_create(actor=None, organisation=arc, station_id="gare", name="Gare de Compiègne",
                                  lat=49.4218, lon=2.8236, capacity=4)
    velotic.station_create(actor=None, organisation=arc, station_id="venette", name="Venette",
                           lat=49.43, lon=2.80, capacity=4)
    velotic.bike_create(actor=None, station=gare, number="001", kind="electric", lock_id="lock-1",
                        battery_percent=75)
    rider = make_user("cycliste@exemple.fr", commune=territory["compiegne"])
    velotic.subscription_create(actor=None, organisation=arc, user=rider, plan="mois")

    page = audit.open()
    page.goto("/mobilite/velos/")
    audit.check(page, title="VéloTIC — stations et vélos disponibles", h1="VéloTIC : louer un vélo")
    page.get_by_role("main").get_by_role("link", name="Connectez-vous").click()
    audit.check(page, title="Se connecter", h1="Se connecter")
    sign_in(page, rider.email, PASSWORD)
    audit.check(page, title="VéloTIC — stations et vélos disponibles", h1="VéloTIC : louer un vélo")
    page.get_by_role("link", name="Gare de Compiègne").click()
    audit.check(page, title="Station Gare de Compiègne — VéloTIC", h1="Station Gare de Compiègne")
    page.get_by_role("button", name="Louer le vélo 001").click()
    audit.check(page, title="Ma location VéloTIC", h1="Ma location VéloTIC")
    expect(page.get_by_text("Le vélo 001 est déverrouillé")).to_be_visible()

    page.get_by_role("button", name="J'ai rendu le vélo").click()
    audit.check(page, title="Ma location VéloTIC", h1="Ma location VéloTIC")
    expect(page.locator(".error-summary")).to_contain_text("pas encore verrouillé")
    _dock(locks, "lock-1", "venette")
    page.get_by_role("button", name="J'ai rendu le vélo").click()
    audit.check(page, title="Ma location VéloTIC", h1="Ma location VéloTIC")
    expect(page.get_by_text("Location terminée")).to_be_visible()
    expect(page.get_by_role("cell", name="Gare de Compiègne → Venette")).to_be_visible()


def test_a_stop_display_is_readable_at_kiosk_size(audit, territory, browser, live_server):
    version = gtfs_import(actor=None, organisation=territory["arc"], source=io.BytesIO(live_feed()),
                          filename="reseau.zip")
    gtfs_publish(actor=None, version=version)
    screen = browser.new_context(base_url=live_server.url, viewport={"width": 1920, "height": 1080})
    kiosk = screen.new_page()
    kiosk.goto("/mobilite/arrets/s1/affichage")
    assert kiosk.locator('meta[http-equiv="refresh"]').count() == 1  # the screen refreshes itself
    assert kiosk.locator("nav").count() == 0
    expect(kiosk.locator(".boards li")).to_have_count(2)
    size = kiosk.locator(".boards .time").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 48, f"departure times at {size}px cannot be read from three metres"
    screen.close()
    # A person reading the same screen on a device may stop the refresh (RGAA 13.1.2).
    page = audit.open()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/mobilite/arrets/s1/affichage?pause=1")
    audit.assert_accessible(page)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
