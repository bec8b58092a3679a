"""VéloTIC: renting and returning bikes through connected locks, incidents, GBFS."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden, Unavailable
from socle.core.models import AuditEvent
from socle.mobility import gbfs, jobs, selectors, velotic
from socle.mobility.models import Bike, BikeStatus, Rental, RentalStatus
from tests.support.clients import signed_in
from tests.support.concurrency import run_concurrently
from tests.support.reference import reference_path


def _lock(server, lock_id: str, action: str = "", body: dict | None = None) -> dict:
    url = f"http://127.0.0.1:{server.server_port}/locks/{lock_id}" + (f"/{action}" if action else "")
    data = json.dumps(body or {}).encode() if action else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST" if action else "GET"),
                                timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def fleet(territory, make_user, locks):
    arc = territory["arc"]
    gare = velotic.station_create(actor=None, organisation=arc, station_id="gare", name="Gare de Compiègne",
                                  lat=49.4218, lon=2.8236, capacity=4)
    mairie = velotic.station_create(actor=None, organisation=arc, station_id="mairie", name="Hôtel de ville",
                                    lat=49.4179, lon=2.8261, capacity=2)
    bikes = [velotic.bike_create(actor=None, station=gare, number=f"00{n}", kind=kind, lock_id=f"lock-{n}",
                                 battery_percent=80 if kind == "electric" else None)
             for n, kind in ((1, "classic"), (2, "electric"))]
    for bike in bikes:
        _lock(locks, bike.lock_id, "dock", {"station": "gare"})
    rider = make_user("cycliste@exemple.fr", commune=territory["compiegne"])
    subscription = velotic.subscription_create(actor=None, organisation=arc, user=rider, plan="mois")
    return {"gare": gare, "mairie": mairie, "bikes": bikes, "rider": rider, "subscription": subscription}


def test_a_subscriber_rents_a_bike_and_returns_it_at_another_station(fleet, locks, client, make_user,
                                                                     territory):
    rider = signed_in(fleet["rider"])
    page = rider.post(reverse("mobility:velotic_station", args=["gare"]), {"bike": "001"})
    assert page.status_code == 302
    rental = Rental.objects.get()
    assert rental.status == RentalStatus.OPEN and len(rental.unlock_code) == 4
    assert _lock(locks, "lock-1")["state"] == "unlocked"
    status = client.get(reverse("mobility:gbfs", args=["vehicle_status"])).json()
    assert [v["vehicle_id"] for v in status["data"]["vehicles"]] == ["velo-002"]  # not the rented one

    early = rider.post(reverse("mobility:velotic_rental"), {"action": "end"})
    assert early.status_code == 400 and "pas encore verrouillé" in early.content.decode()
    _lock(locks, "lock-1", "dock", {"station": "mairie"})
    assert rider.post(reverse("mobility:velotic_rental"), {"action": "end"}).status_code == 302
    rental.refresh_from_db()
    bike = Bike.objects.get(number="001")
    assert rental.status == RentalStatus.CLOSED and rental.end_station == fleet["mairie"]
    assert bike.station == fleet["mairie"] and bike.status == BikeStatus.AVAILABLE
    assert list(AuditEvent.objects.filter(action__startswith="mobility.rental").values_list(
        "action", flat=True).order_by("pk")) == ["mobility.rental_start", "mobility.rental_end"]
    from socle.mobility.indicators import bike_rentals

    today = timezone.localdate()
    agent = make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])
    assert bike_rentals(actor=agent, start=today, end=today + timedelta(days=1)) == 1


def test_without_a_running_subscription_or_when_suspended_no_bike_is_unlocked(fleet, locks, make_user):
    stranger = make_user("passant@exemple.fr")
    with pytest.raises(Forbidden, match="abonnement"):
        velotic.rental_start(actor=stranger, bike=fleet["bikes"][0], station=fleet["gare"])
    velotic.subscription_suspend(actor=None, subscription=fleet["subscription"], reason="Vélo non rendu")
    station = reverse("mobility:velotic_station", args=["gare"])
    refused = signed_in(fleet["rider"]).post(station, {"bike": "001"})
    assert refused.status_code == 403 and "suspendu" in refused.content.decode()
    assert _lock(locks, "lock-1")["state"] == "locked" and not Rental.objects.exists()


def test_a_lock_that_does_not_answer_leaves_no_rental_half_open(fleet, locks):
    _lock(locks, "lock-1", "offline")
    with pytest.raises(Unavailable):
        velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    rental = Rental.objects.get()
    bike = Bike.objects.get(number="001")
    assert rental.status == RentalStatus.FAILED and "injoignable" in rental.failure
    assert bike.status == BikeStatus.AVAILABLE and bike.station == fleet["gare"]
    assert AuditEvent.objects.filter(action="mobility.rental_failed").count() == 1
    # the subscriber may take another bike at once
    assert velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][1],
                                station=fleet["gare"]).status == RentalStatus.OPEN


def test_unlocking_again_is_idempotent_and_one_rental_at_a_time(fleet, locks):
    first = velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    again = velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    assert again.pk == first.pk and Rental.objects.count() == 1
    assert AuditEvent.objects.filter(action="mobility.rental_start").count() == 1
    with pytest.raises(Conflict):
        velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][1], station=fleet["gare"])


def test_a_bike_taken_by_someone_else_is_refused(fleet, locks, territory, make_user):
    other = make_user("autre@exemple.fr")
    velotic.subscription_create(actor=None, organisation=territory["arc"], user=other, plan="jour")
    velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    bike = Bike.objects.get(number="001")
    with pytest.raises(Conflict):
        velotic.rental_start(actor=other, bike=bike, station=fleet["gare"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_rentals_of_one_bike_on_postgresql_only_one_wins(territory, make_user, locks):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the sequential case is above)")
    arc = territory["arc"]
    gare = velotic.station_create(actor=None, organisation=arc, station_id="gare", name="Gare",
                                  lat=49.42, lon=2.82, capacity=2)
    bike = velotic.bike_create(actor=None, station=gare, number="001", kind="classic", lock_id="lock-c")
    riders = [make_user(f"c{n}@exemple.fr") for n in range(4)]
    for rider in riders:
        velotic.subscription_create(actor=None, organisation=arc, user=rider, plan="jour")
    errors = run_concurrently(4, lambda n: velotic.rental_start(actor=riders[n], bike=bike, station=gare))
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert Rental.objects.filter(status=RentalStatus.OPEN).count() == 1


def test_the_reconcile_job_settles_pending_unlocks_and_reported_returns(fleet, locks):
    pending = velotic._claim(fleet["subscription"], fleet["bikes"][0], fleet["gare"])
    Rental.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert "1 non ouvertes" in jobs.rentals_reconcile()  # the lock never unlocked
    assert Bike.objects.get(number="001").status == BikeStatus.AVAILABLE

    rental = velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][1], station=fleet["gare"])
    jobs.rentals_reconcile()
    assert Rental.objects.get(pk=rental.pk).status == RentalStatus.OPEN  # still out
    _lock(locks, "lock-2", "dock", {"station": "mairie"})
    assert "1 closes" in jobs.rentals_reconcile()
    assert Rental.objects.get(pk=rental.pk).end_station == fleet["mairie"]


def test_an_incident_sends_the_bike_to_maintenance_until_resolved(fleet, locks, territory, make_user):
    rider = signed_in(fleet["rider"])
    rider.post(reverse("mobility:velotic_station", args=["gare"]), {"bike": "001"})
    rider.post(reverse("mobility:velotic_rental"), {"action": "incident", "kind": "crevaison",
                                                    "description": "Roue arrière à plat"})
    _lock(locks, "lock-1", "dock", {"station": "gare"})
    rider.post(reverse("mobility:velotic_rental"), {"action": "end"})
    assert Bike.objects.get(number="001").status == BikeStatus.MAINTENANCE
    assert "001" not in [b.number for b in selectors.bikes_available_at(station=fleet["gare"])]
    agent = make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])
    page = signed_in(agent).get(reverse("mobility:velotic_fleet")).content.decode()
    assert "Roue arrière à plat" in page
    incident = selectors.incidents_for(actor=agent).get()
    signed_in(agent).post(reverse("mobility:velotic_fleet"), {"incident": incident.pk})
    assert Bike.objects.get(number="001").status == BikeStatus.AVAILABLE


def test_the_fleet_is_for_the_networks_transport_agents_only(fleet, territory, make_user):
    caseworker = make_user("instructeur@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    assert signed_in(caseworker).get(reverse("mobility:velotic_fleet")).status_code == 403
    commune_agent = make_user("commune@exemple.fr", roles=[(territory["compiegne"], "mobility.agent")])
    page = signed_in(commune_agent).get(reverse("mobility:velotic_fleet"))
    assert page.status_code == 200 and "Aucun vélo." in page.content.decode()
    assert not selectors.bikes_for(actor=commune_agent).exists()


def test_a_traveller_sees_only_their_own_rentals(fleet, locks, make_user):
    velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    other = make_user("curieux@exemple.fr")
    page = signed_in(other).get(reverse("mobility:velotic_rental")).content.decode()
    assert "Aucune location en cours" in page and "001" not in page


def _schemas(version: str):
    return reference_path(f"gbfs/v{version}")


@pytest.mark.parametrize(("version", "prefix"), [("3.0", "mobility:gbfs"), ("2.3", "mobility:gbfs_v2")])
def test_every_gbfs_file_is_valid_against_the_official_schemas_and_cross_file_rules(
        fleet, locks, client, version, prefix):
    schemas = _schemas(version)
    velotic.rental_start(actor=fleet["rider"], bike=fleet["bikes"][0], station=fleet["gare"])
    discovery = client.get(reverse(prefix, args=["gbfs"])).json()
    feeds = discovery["data"]["feeds"] if version == "3.0" else discovery["data"]["fr"]["feeds"]
    files = {"gbfs": discovery}
    for feed in feeds:
        path = feed["url"].removeprefix("http://testserver")
        response = client.get(path)
        assert response.status_code == 200, path
        files[feed["name"]] = response.json()
    assert set(files) >= {"system_information", "station_information", "station_status", "vehicle_types",
                          "system_pricing_plans", "gbfs_versions"}
    assert gbfs.gbfs_check(files, version=version, schemas=schemas) == []
    status = {s["station_id"]: s for s in files["station_status"]["data"]["stations"]}
    available = "num_vehicles_available" if version == "3.0" else "num_bikes_available"
    assert status["gare"][available] == 1 and status["gare"]["num_docks_available"] == 3


def test_the_cross_file_rules_catch_what_a_schema_cannot(fleet, client):
    files = {name: client.get(reverse("mobility:gbfs", args=[name])).json()
             for name in ("station_information", "station_status", "vehicle_types", "vehicle_status",
                          "system_pricing_plans")}
    stations = files["station_information"]["data"]["stations"]
    stations.append(dict(stations[0]))
    files["station_status"]["data"]["stations"] = files["station_status"]["data"]["stations"][:1]
    files["vehicle_status"]["data"]["vehicles"][0]["vehicle_type_id"] = "trottinette"
    codes = {p["code"] for p in gbfs.gbfs_check(files, version="3.0", schemas=None)}
    assert codes == {"duplicate_station_id", "missing_station_status", "unknown_vehicle_type_id"}


def test_the_lock_simulator_runs_as_its_own_process():
    command = [sys.executable, "-m", "socle.cli", "mobility", "lock-simulator", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        url = f"http://127.0.0.1:{port}/locks/x/unlock"
        request = urllib.request.Request(url, data=b'{"rental": "r1"}', method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == {"state": "unlocked"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
