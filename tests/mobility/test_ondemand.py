"""AlloTIC: booking seats on a vehicle run, cancelling, no-shows, and the penalty handed to the portal."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.mobility import ondemand, selectors
from socle.mobility.models import BookingStatus, OnDemandBooking, OnDemandRun
from socle.portal import services as portal_services
from tests.support.clients import signed_in
from tests.support.concurrency import run_concurrently

from .test_realtime import network, transport  # noqa: F401


@pytest.fixture
def run(network, territory):  # noqa: F811
    zone = ondemand.zone_create(actor=None, organisation=territory["arc"], zone_id="nord", name="Zone nord",
                                stop_ids=["s1", "s2", "s3"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    return ondemand.run_create(actor=None, zone=zone, day=tomorrow, window_start=time(10),
                               window_end=time(12),
                               vehicle="Minibus 1", capacity=3)


@pytest.fixture
def rider(make_user, territory):
    return make_user("voyageur@exemple.fr", commune=territory["compiegne"])


def _at(run: OnDemandRun, hours_before: float) -> datetime:
    return ondemand.run_start(run) - timedelta(hours=hours_before)


def test_a_traveller_books_through_the_page_and_cancels_for_free(run, rider, client):
    assert "Connectez-vous" in client.get(reverse("mobility:allotic")).content.decode()
    page = signed_in(rider, method="password")
    listed = page.get(reverse("mobility:allotic")).content.decode()
    assert "Zone nord" in listed and "3 places libres" in listed
    response = page.post(reverse("mobility:allotic"), {"action": "book", "run": run.pk, "pickup": "s1",
                                                        "dropoff": "s3", "seats": "2"})
    assert response.status_code == 302
    booking = OnDemandBooking.objects.get()
    assert booking.reference.startswith("AT-") and booking.seats == 2
    run.refresh_from_db()
    assert run.seats_booked == 2
    shown = page.get(reverse("mobility:allotic")).content.decode()
    assert "Gare → Hôpital" in shown and "1 place libre" in shown and booking.reference in shown
    page.post(reverse("mobility:allotic"), {"action": "cancel", "reference": booking.reference})
    booking.refresh_from_db()
    run.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.penalty_reason == ""
    assert run.seats_booked == 0
    assert AuditEvent.objects.filter(action="mobility.booking_cancel").exists()


def test_seats_are_never_sold_beyond_the_vehicles_capacity(run, make_user):
    first, second = make_user("un@exemple.fr"), make_user("deux@exemple.fr")
    ondemand.booking_create(actor=first, run=run, pickup_stop_id="s1", dropoff_stop_id="s2", seats=2)
    with pytest.raises(Conflict, match="pas assez de places"):
        ondemand.booking_create(actor=second, run=run, pickup_stop_id="s1", dropoff_stop_id="s2", seats=2)
    with pytest.raises(Conflict, match="déjà une réservation"):
        ondemand.booking_create(actor=first, run=run, pickup_stop_id="s2", dropoff_stop_id="s3", seats=1)
    ondemand.booking_create(actor=second, run=run, pickup_stop_id="s1", dropoff_stop_id="s2", seats=1)
    run.refresh_from_db()
    assert run.seats_booked == run.capacity == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_the_last_seats_on_postgresql_only_fit_the_capacity(territory, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL (the sequential case is above)")
    import io

    from socle.mobility.services import gtfs_import, gtfs_publish

    from .test_realtime import live_feed

    version = gtfs_import(actor=None, organisation=territory["arc"], source=io.BytesIO(live_feed()),
                          filename="reseau.zip")
    gtfs_publish(actor=None, version=version)
    zone = ondemand.zone_create(actor=None, organisation=territory["arc"], zone_id="z", name="Z",
                                stop_ids=["s1", "s2"])
    run = ondemand.run_create(actor=None, zone=zone, day=timezone.localdate() + timedelta(days=1),
                              window_start=time(9), window_end=time(10), vehicle="V", capacity=2)
    riders = [make_user(f"r{n}@exemple.fr") for n in range(5)]
    errors = run_concurrently(5, lambda n: ondemand.booking_create(actor=riders[n], run=run,
                                                                   pickup_stop_id="s1",
                                                                   dropoff_stop_id="s2"))
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert OnDemandRun.objects.get(pk=run.pk).seats_booked == 2


@pytest.mark.parametrize(("choice", "message"), [
    ({"pickup_stop_id": "s1", "dropoff_stop_id": "s1"}, "doit différer"),
    ({"pickup_stop_id": "s1", "dropoff_stop_id": "ailleurs"}, "deux arrêts de la zone"),
    ({"seats": 0}, "de 1 à 4 places"),
    ({"seats": 99}, "de 1 à 4 places"),
])
def test_bad_bookings_are_refused_in_french_and_take_no_seat(run, rider, choice, message):
    arguments = {"pickup_stop_id": "s1", "dropoff_stop_id": "s2", "seats": 1, **choice}
    with pytest.raises(ServiceError, match=message):
        ondemand.booking_create(actor=rider, run=run, **arguments)
    run.refresh_from_db()
    assert run.seats_booked == 0 and not OnDemandBooking.objects.exists()


def test_bookings_close_an_hour_before_and_open_fourteen_days_before(run, rider):
    with pytest.raises(ServiceError, match="closes"):
        ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                now=_at(run, 0.5))
    with pytest.raises(ServiceError, match="quatorze jours"):
        ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                now=_at(run, 24 * 15))


def test_a_late_cancellation_and_a_no_show_make_a_penalty_due(run, rider, make_user, transport):  # noqa: F811
    late = ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                   now=_at(run, 5))
    late = ondemand.booking_cancel(actor=rider, booking=late, now=_at(run, 1))
    assert late.status == BookingStatus.LATE_CANCELLED and late.penalty_amount == Decimal("5.00")
    assert late.penalty_reason == "annulation_tardive"
    absent_rider = make_user("absent@exemple.fr")
    absent = ondemand.booking_create(actor=absent_rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                     now=_at(run, 5))
    with pytest.raises(Conflict, match="pas commencé"):
        ondemand.booking_no_show(actor=transport, booking=absent, now=_at(run, 1))
    with pytest.raises(Conflict, match="a commencé"):
        ondemand.booking_cancel(actor=absent_rider, booking=absent, now=_at(run, -0.5))
    absent = ondemand.booking_no_show(actor=transport, booking=absent, now=_at(run, -0.5))
    assert absent.status == BookingStatus.NO_SHOW and absent.penalty_reason == "absence"
    assert selectors.penalty_state(booking=absent).label == "À payer : pénalité de 5,00 €"
    with pytest.raises(Forbidden):
        ondemand.booking_no_show(actor=rider, booking=absent)


def test_only_the_networks_agents_see_bookings_and_record_no_shows(run, rider, transport, territory,  # noqa: F811
                                                                   make_user):
    booking = ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2")
    page = signed_in(transport).get(reverse("mobility:allotic_service")).content.decode()
    assert booking.reference in page and "Minibus 1" in page
    other = make_user("transport.compiegne@exemple.fr", roles=[(territory["compiegne"], "mobility.agent")])
    theirs = signed_in(other)
    assert booking.reference not in theirs.get(reverse("mobility:allotic_service")).content.decode()
    refused = theirs.post(reverse("mobility:allotic_service"), {"action": "no_show", "booking": booking.pk})
    assert refused.status_code == 404
    assert signed_in(rider, method="password").get(reverse("mobility:allotic_service")).status_code == 403
    # Another traveller's reference is not found, on the page as in the API.
    anonymous = Client().post(reverse("mobility:allotic_pay", args=[booking.reference]))
    assert anonymous.status_code in (302, 401) and OnDemandBooking.objects.get().penalty_case == ""
    assert Client().post(reverse("mobility:allotic"), {"action": "book", "run": run.pk}).status_code == 302
    intruder = make_user("intrus@exemple.fr")
    assert signed_in(intruder, method="password").post(
        reverse("mobility:allotic_pay", args=[booking.reference])).status_code == 404


def test_an_agent_opens_a_run_from_the_page_and_bad_input_is_refused(network, transport, territory):  # noqa: F811
    zone = ondemand.zone_create(actor=None, organisation=territory["arc"], zone_id="sud", name="Zone sud",
                                stop_ids=["s1", "s2"])
    page = signed_in(transport)
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    bad = page.post(reverse("mobility:allotic_service"), {"action": "run", "zone": zone.pk, "day": day,
                                                           "window_start": "12:00", "window_end": "11:00",
                                                           "vehicle": "V", "capacity": "8"})
    assert bad.status_code == 400 and "doit suivre" in bad.content.decode()
    opened = page.post(reverse("mobility:allotic_service"), {"action": "run", "zone": zone.pk, "day": day,
                                                              "window_start": "08:00", "window_end": "09:30",
                                                              "vehicle": "Taxi 4", "capacity": "4"})
    assert opened.status_code == 302
    assert OnDemandRun.objects.get().capacity == 4
    with pytest.raises(ServiceError, match="au moins deux arrêts"):
        ondemand.zone_create(actor=None, organisation=territory["arc"], zone_id="x", name="X",
                             stop_ids=["s1"])


@pytest.fixture
def penalty_procedure(tmp_path):
    shutil.copy(portal_services.DEMO_PROCEDURES_DIR / "penalite-allotic.json", tmp_path)
    portal_services.demo_procedures_load(directory=tmp_path)


def test_the_penalty_is_paid_through_the_portals_procedure_filed_by_the_travellers_own_click(
        run, rider, transport, penalty_procedure):  # noqa: F811
    booking = ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                      now=_at(run, 5))
    booking = ondemand.booking_no_show(actor=transport, booking=booking, now=_at(run, -1))
    page = signed_in(rider, method="password")
    response = page.post(reverse("mobility:allotic_pay", args=[booking.reference]))
    booking.refresh_from_db()
    assert booking.penalty_case
    assert response.status_code == 302
    assert response["Location"] == f"/demarches/penalite-allotic/?brouillon={booking.penalty_case}"
    from socle.portal import selectors as portal_selectors

    case = portal_selectors.cases_of_citizen(actor=rider).get(number=booking.penalty_case)
    assert case.status == "draft" and case.data["numero_reservation"] == booking.reference
    assert case.data["motif"] == "absence" and case.data["date_trajet"] == run.day.isoformat()
    assert selectors.penalty_state(booking=booking).label == "Démarche de paiement à déposer"
    # The portal's own page opens the draft, filled in.
    draft_page = page.get(response["Location"]).content.decode()
    assert booking.reference in draft_page
    # Clicking again goes back to the same case.
    again = page.post(reverse("mobility:allotic_pay", args=[booking.reference]))
    assert again["Location"] == response["Location"]
    assert portal_selectors.cases_of_citizen(actor=rider).count() == 1
    shown = page.get(reverse("mobility:allotic")).content.decode()
    assert f"demande n° {booking.penalty_case}" in shown


def test_without_the_portals_procedure_paying_is_refused_plainly(run, rider, transport):  # noqa: F811
    booking = ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2",
                                      now=_at(run, 5))
    booking = ondemand.booking_no_show(actor=transport, booking=booking, now=_at(run, -1))
    response = signed_in(rider, method="password").post(reverse("mobility:allotic_pay",
                                                                args=[booking.reference]))
    assert response.status_code == 503 and "agence TIC" in response.content.decode()
    booking.refresh_from_db()
    assert booking.penalty_case == ""


def test_the_api_lists_runs_books_lists_and_cancels(run, rider, api_client):
    anonymous = api_client()
    runs = anonymous.get("/api/v1/mobility/ondemand-runs").json()
    assert runs["items"][0]["seats_free"] == 3 and runs["items"][0]["stops"][0]["stop_id"] == "s1"
    assert anonymous.post("/api/v1/mobility/bookings", json.dumps({"run": run.pk, "pickup_stop_id": "s1",
                                                                    "dropoff_stop_id": "s2"}),
                          content_type="application/json").status_code == 401
    caller = api_client(rider)
    made = caller.post("/api/v1/mobility/bookings", json.dumps({"run": run.pk, "pickup_stop_id": "s1",
                                                                 "dropoff_stop_id": "s2", "seats": 1}),
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["status"] == "booked"
    reference = made.json()["reference"]
    bad = caller.post("/api/v1/mobility/bookings", json.dumps({"run": run.pk, "pickup_stop_id": "s1",
                                                                "dropoff_stop_id": "s1"}),
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_booking"
    assert caller.get("/api/v1/mobility/bookings").json()["items"][0]["reference"] == reference
    cancelled = caller.post(f"/api/v1/mobility/bookings/{reference}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert caller.post(f"/api/v1/mobility/bookings/{reference}/cancel").status_code == 409
    assert caller.post("/api/v1/mobility/bookings/AT-INCONNU/cancel").status_code == 404


def test_the_indicators_count_seats_and_no_shows_for_the_networks_agents_only(run, rider, make_user,
                                                                              transport,  # noqa: F811
                                                                              territory):
    from socle.mobility import indicators

    ondemand.booking_create(actor=rider, run=run, pickup_stop_id="s1", dropoff_stop_id="s2", seats=2)
    absent = ondemand.booking_create(actor=make_user("absent@exemple.fr"), run=run, pickup_stop_id="s1",
                                     dropoff_stop_id="s2", now=_at(run, 5))
    ondemand.booking_no_show(actor=transport, booking=absent, now=_at(run, -1))
    period = {"start": run.day, "end": run.day + timedelta(days=1)}
    assert indicators.ondemand_seats(actor=transport, **period) == 3
    assert indicators.ondemand_no_shows(actor=transport, **period) == 1
    other = make_user("transport.compiegne@exemple.fr", roles=[(territory["compiegne"], "mobility.agent")])
    assert indicators.ondemand_seats(actor=other, **period) == 0
    assert indicators.ondemand_seats(actor=transport, start=run.day + timedelta(days=1),
                                     end=run.day + timedelta(days=2)) == 0
