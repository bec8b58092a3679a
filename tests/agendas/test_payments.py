"""Priced bookings (the park's coworking, the fab lab's machines): held « à payer », paid through
the payment backend (the test bank here), freed when unpaid in time; nobody pays for another."""

from __future__ import annotations

import html
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from socle.agendas import jobs, selectors, services
from socle.agendas.models import Booking
from socle.agendas.payment_backend import PAYMENT_MINUTES, TEST_BACKEND
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from tests.support.clients import signed_in

from .conftest import at

pytestmark = pytest.mark.usefixtures("test_bank")


@pytest.fixture
def test_bank():
    with override_settings(AGENDAS_PAYMENT_BACKEND=TEST_BACKEND):
        yield


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def lab(territory):
    """The fab lab: one laser cutter, 2-hour slots at 15 €."""
    arc = territory["arc"]
    cutter = services.resource_create(actor=None, organisation=arc, name="Découpeuse laser", kind="machine")
    agenda = services.agenda_create(
        actor=None, organisation=arc, title="Fab lab", kind="meetings", resources=[cutter]
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(d, time(9), time(17)) for d in range(5)])
    services.meeting_type_create(
        actor=None,
        agenda=agenda,
        slug="creneau-2h",
        name="Créneau machine",
        duration_minutes=120,
        price=Decimal("15.00"),
    )
    return agenda


@pytest.fixture
def slot_type(lab):
    return lab.meeting_types.get()


def test_a_price_is_positive_to_the_cent(lab):
    for price in (Decimal("-1"), Decimal("1.234"), Decimal("10000")):
        with pytest.raises(ServiceError):
            services.meeting_type_create(
                actor=None, agenda=lab, slug="x", name="X", duration_minutes=60, price=price
            )
    assert lab.meeting_types.count() == 1


def test_a_priced_booking_holds_the_slot_until_paid_then_is_confirmed(
    lab, slot_type, citizen, make_user, monday
):
    client = signed_in(citizen, method="password")
    done = client.post(
        f"/agendas/{lab.pk}/reserver/", {"type": "creneau-2h", "start": at(monday, 9).isoformat()}
    )
    booking = Booking.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/agendas/reservations/{booking.pk}/payer/"
    assert booking.status == "to_pay" and booking.amount == Decimal("15.00")
    assert booking.payment_reference == f"AGD{booking.pk:012d}" and booking.payment_due_by is not None
    # Held: nobody else gets the machine meanwhile, and the slot is not offered.
    with pytest.raises(Conflict):
        services.booking_create(
            actor=make_user("autre@exemple.fr"), agenda=lab, meeting_type=slot_type, start=at(monday, 9)
        )
    free = selectors.slots_for(
        actor=None, agenda=lab, meeting_type=slot_type, start=at(monday, 8), end=at(monday, 18)
    )
    assert at(monday, 9).timestamp() not in [s.start for s in free]
    page = text(client.get(f"/agendas/reservations/{booking.pk}/payer/"))
    assert "15.00\u00a0€" in page or "15,00\u00a0€" in page
    assert "Payer" in text(client.get("/agendas/mes-reservations/"))
    bank = client.post(f"/agendas/reservations/{booking.pk}/payer/")
    assert (
        bank.status_code == 302 and bank["Location"] == f"/agendas/paiement-test/{booking.payment_reference}/"
    )
    assert "Simuler un paiement accepté" in text(client.get(bank["Location"]))
    client.post(bank["Location"], {"result": "accepted"})
    booking.refresh_from_db()
    assert booking.status == "booked" and booking.paid_at is not None
    assert AuditEvent.objects.filter(action="agendas.payment_settle").count() == 1
    # Told twice (the bank's notification and the return): nothing changes.
    assert (
        services.booking_payment_settle(reference=booking.payment_reference, accepted=True).paid_at
        == booking.paid_at
    )
    assert AuditEvent.objects.filter(action="agendas.payment_settle").count() == 1


def test_a_refused_payment_keeps_the_hold_and_an_unpaid_one_frees_the_slot(
    lab, slot_type, citizen, make_user, monday
):
    booking = services.booking_create(actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9))
    services.booking_payment_settle(reference=booking.payment_reference, accepted=False)
    booking.refresh_from_db()
    assert booking.status == "to_pay"
    assert services.bookings_expire_unpaid() == 0  # not due yet
    later = booking.payment_due_by + timedelta(seconds=1)
    assert services.bookings_expire_unpaid(now=later) == 1
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == "Non payée à temps"
    assert jobs.unpaid() == "0 réservation(s) non payée(s) à temps, créneau(x) libéré(s)."
    # Paid after the slot was freed: kept cancelled, journalled for a refund.
    late = services.booking_payment_settle(reference=booking.payment_reference, accepted=True)
    assert late.status == "cancelled" and late.paid_at is not None
    assert AuditEvent.objects.filter(action="agendas.payment_late").exists()
    with pytest.raises(Conflict):
        services.booking_payment_start(actor=citizen, booking=late, base_url="http://testserver")


def test_an_overdue_hold_is_freed_by_the_next_booking_even_before_the_job(
    lab, slot_type, citizen, make_user, monday
):
    booking = services.booking_create(actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9))
    Booking.objects.filter(pk=booking.pk).update(
        payment_due_by=booking.created_at - timedelta(minutes=PAYMENT_MINUTES)
    )
    other = services.booking_create(
        actor=make_user("autre@exemple.fr"), agenda=lab, meeting_type=slot_type, start=at(monday, 9)
    )
    booking.refresh_from_db()
    assert other.status == "to_pay" and other.lane == booking.lane and booking.status == "cancelled"


def test_without_a_payment_backend_a_priced_slot_is_refused_not_given(lab, slot_type, citizen, monday):
    with override_settings(AGENDAS_PAYMENT_BACKEND=""):
        with pytest.raises(ServiceError) as caught:
            services.booking_create(actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9))
        assert caught.value.code == "payment_unavailable"
        assert Booking.objects.count() == 0
    booking = services.booking_create(actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9))
    with override_settings(AGENDAS_PAYMENT_BACKEND=""):
        client = signed_in(citizen, method="password")
        assert client.get(f"/agendas/paiement-test/{booking.payment_reference}/").status_code == 404


def test_nobody_pays_or_settles_for_someone_else(lab, slot_type, citizen, make_user, monday, territory):
    booking = services.booking_create(actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9))
    stranger = make_user("autre@exemple.fr")
    with pytest.raises(Forbidden):
        services.booking_payment_start(actor=stranger, booking=booking, base_url="http://testserver")
    client = signed_in(stranger, method="password")
    assert client.get(f"/agendas/reservations/{booking.pk}/payer/").status_code == 404
    assert client.post(f"/agendas/reservations/{booking.pk}/payer/").status_code == 404
    assert client.get(f"/agendas/paiement-test/{booking.payment_reference}/").status_code == 404
    assert (
        client.post(
            f"/agendas/paiement-test/{booking.payment_reference}/", {"result": "accepted"}
        ).status_code
        == 404
    )
    margny = make_user("agent@margny.fr", roles=[(territory["margny-les-compiegne"], "agendas.manager")])
    assert (
        signed_in(margny, method="password").get(f"/agendas/reservations/{booking.pk}/payer/").status_code
        == 404
    )
    for forged in ("AGD", "AGDabc", "XYZ000000000001", "AGD" + "9" * 12):
        assert (
            signed_in(citizen, method="password").get(f"/agendas/paiement-test/{forged}/").status_code == 404
        )
    booking.refresh_from_db()
    assert booking.status == "to_pay" and booking.paid_at is None


def _postgresql_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL")


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_of_a_priced_slot_get_one_hold_on_postgresql(lab, slot_type, make_user, monday):
    _postgresql_only()
    from tests.support.concurrency import run_concurrently

    people = [make_user() for _ in range(5)]
    refused: list[str] = []

    def writer(n: int) -> None:
        try:
            services.booking_create(actor=people[n], agenda=lab, meeting_type=slot_type, start=at(monday, 9))
        except Conflict as exc:
            refused.append(exc.code)

    with override_settings(AGENDAS_PAYMENT_BACKEND=TEST_BACKEND):
        assert run_concurrently(5, writer) == []
    assert Booking.objects.filter(status="to_pay").count() == 1 and refused == ["slot_taken"] * 4


@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_the_expiry_ends_paid_or_freed_never_both_on_postgresql(
    lab, slot_type, citizen, monday
):
    _postgresql_only()
    from tests.support.concurrency import run_concurrently

    with override_settings(AGENDAS_PAYMENT_BACKEND=TEST_BACKEND):
        for round_ in range(4):
            booking = services.booking_create(
                actor=citizen, agenda=lab, meeting_type=slot_type, start=at(monday, 9 + 2 * (round_ % 4))
            )
            after = booking.payment_due_by + timedelta(seconds=1)

            def writer(n: int, booking=booking, after=after) -> None:
                if n == 0:
                    services.booking_payment_settle(reference=booking.payment_reference, accepted=True)
                else:
                    services.bookings_expire_unpaid(now=after)

            assert run_concurrently(2, writer) == []
            booking.refresh_from_db()
            assert booking.paid_at is not None
            late = AuditEvent.objects.filter(
                action="agendas.payment_late", target_id=str(booking.pk)
            ).exists()
            assert (booking.status == "booked" and not late) or (booking.status == "cancelled" and late)
