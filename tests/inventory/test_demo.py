"""The demo: a few hundred assets across communes with schools, licences expiring soon,
software out of line, hotspots and loans; loaded once, quickly."""

from __future__ import annotations

import time

import pytest

from socle.core.management.commands.demo import demo_load as core_demo_load
from socle.core.models import User
from socle.inventory import selectors
from socle.inventory.demo import demo_load
from socle.inventory.models import Asset, Hotspot, Licence, Loan, ProcurementRequest, Site

pytestmark = pytest.mark.django_db


def test_the_demo_has_hundreds_of_assets_licences_schools_and_hotspots_and_loads_once():
    core_demo_load()
    started = time.monotonic()
    [summary] = demo_load()
    elapsed = time.monotonic() - started
    assert Asset.objects.count() >= 250
    assert Asset.objects.values("organisation").distinct().count() >= 8
    assert Site.objects.filter(kind="school").count() >= 8
    assert Hotspot.objects.values("status").distinct().count() == 4
    manager = User.objects.get(email="parc@demo.socle.fr")
    assert selectors.licences_for(actor=manager, expiring=True).count() == 2
    assert any(line.out_of_line for line in selectors.homogenisation_for(actor=manager))
    assert set(ProcurementRequest.objects.values_list("status", flat=True)) == {
        "submitted", "favourable", "unfavourable", "ordered"}
    assert Loan.objects.filter(returned_on__isnull=True).count() == 2
    assert "matériels" in summary
    assert elapsed < 30
    count = Asset.objects.count()
    assert demo_load() == ["Inventaire : déjà présent."]
    assert Asset.objects.count() == count
    assert Licence.objects.count() == 4
