"""An appointment booked for a portal case: tied by the case's key, shown on the case by a panel,
cancelled when the portal closes the case; nobody ties a booking to a case they cannot see."""

from __future__ import annotations

import pytest

from socle.agendas import services
from socle.agendas.models import Booking
from socle.agendas.panels import appointment_on_case
from socle.core.errors import ServiceError
from socle.core.modules import object_ref
from socle.portal import selectors as portal_selectors
from socle.portal.services import case_submit, procedure_create, procedure_publish
from tests.support.clients import signed_in

from .conftest import at

FIELDS = [{"name": "nom", "label": "Nom", "type": "text", "required": True, "max_length": 80}]


@pytest.fixture
def case(territory, make_user, citizen, compiegne):
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    procedure = procedure_create(
        actor=editor, organisation=compiegne, slug="passeport", title="Passeport", fields=FIELDS
    )
    procedure_publish(actor=editor, procedure=procedure)
    offered = portal_selectors.procedure_offered_get(slug="passeport", commune=compiegne)
    return case_submit(actor=citizen, data={"nom": "Martin"}, offered=offered)


def test_a_citizen_books_the_appointment_of_a_filed_case_and_the_case_shows_it(
    case, counter, citizen, monday, make_user
):
    client = signed_in(citizen, method="password")
    week = client.get(f"/agendas/{counter.pk}/?type=passeport&du={monday}&dossier={case.pk}").content.decode()
    assert f"dossier={case.pk}" in week
    client.post(
        f"/agendas/{counter.pk}/reserver/",
        {"type": "passeport", "start": at(monday, 9).isoformat(), "dossier": case.pk},
    )
    booking = Booking.objects.get()
    assert booking.portal_case_id == case.pk
    panel = appointment_on_case(actor=citizen, ref=object_ref("portal.case", case.pk))
    assert panel is not None and panel.title == "Rendez-vous" and "Passeport" in panel.links[0].text
    assert appointment_on_case(actor=make_user(), ref=object_ref("portal.case", case.pk)) is None
    assert services.bookings_cancel_for_case(actor=None, case_id=case.pk) == 1
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == "Dossier clos"
    assert services.bookings_cancel_for_case(actor=None, case_id=case.pk) == 0


def test_nobody_ties_a_booking_to_someone_elses_case(case, counter, make_user, monday):
    stranger = make_user("autre@exemple.fr")
    with pytest.raises(ServiceError) as caught:
        services.booking_create(
            actor=stranger,
            agenda=counter,
            meeting_type=counter.meeting_types.get(),
            start=at(monday, 9),
            portal_case_id=case.pk,
        )
    assert caught.value.code == "unknown_case"
    assert Booking.objects.count() == 0
