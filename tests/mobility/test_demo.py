"""The mobility demo: network, VéloTIC and AlloTIC, loaded twice without doubling."""

from __future__ import annotations

from socle.mobility.demo import DEMO_TRAVELLER, demo_load
from socle.mobility.models import OnDemandBooking, OnDemandRun, OnDemandZone


def test_the_demo_opens_an_allotic_zone_with_runs_and_a_booking_and_loads_twice(territory, make_user):
    make_user(DEMO_TRAVELLER, commune=territory["verberie"])
    lines = demo_load()
    assert any(line.startswith("AlloTIC : zone « Basse Automne »") for line in lines), lines
    again = demo_load()
    assert "AlloTIC : zone de démonstration déjà en place." in again
    assert OnDemandZone.objects.count() == 1 and OnDemandRun.objects.count() == 14
    assert OnDemandBooking.objects.get().user.email == DEMO_TRAVELLER
