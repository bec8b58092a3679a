"""The portal's appointment step, held on the agendas side: a meeting type linked to a procedure
is offered on the citizen's filed case, booked for it, moved, cancelled; closed cases free it."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from socle.agendas import appointment_selectors, jobs, services
from socle.agendas.models import Booking
from socle.agendas.panels import appointment_on_case
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.modules import object_ref
from socle.portal import selectors as portal_selectors
from socle.portal.services import case_submit, case_transition, procedure_create, procedure_publish
from tests.support.clients import signed_in

from .conftest import at

FIELDS = [{"name": "nom", "label": "Nom", "type": "text", "required": True, "max_length": 80}]


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def procedure(territory, make_user, compiegne):
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    created = procedure_create(
        actor=editor,
        organisation=compiegne,
        slug="attestation-accueil",
        title="Attestation d'accueil",
        fields=FIELDS,
    )
    procedure_publish(actor=editor, procedure=created)
    return created


@pytest.fixture
def step(procedure, counter):
    """The counter's type of appointment that follows the procedure."""
    return services.meeting_type_create(
        actor=None,
        agenda=counter,
        slug="signature",
        name="Signature de l'attestation",
        duration_minutes=30,
        portal_procedure="attestation-accueil",
    )


def _file(citizen, compiegne):
    offered = portal_selectors.procedure_offered_get(slug="attestation-accueil", commune=compiegne)
    return case_submit(actor=citizen, data={"nom": "Martin"}, offered=offered)


@pytest.fixture
def case(step, citizen, compiegne):
    return _file(citizen, compiegne)


def test_a_meeting_type_links_only_to_a_procedure_offered_where_the_agenda_is(procedure, counter, territory):
    with pytest.raises(ServiceError) as caught:
        services.meeting_type_create(
            actor=None, agenda=counter, slug="x", name="X", duration_minutes=30, portal_procedure="inconnue"
        )
    assert caught.value.code == "unknown_procedure"
    margny = services.agenda_create(
        actor=None, organisation=territory["margny-les-compiegne"], title="M", kind="meetings"
    )
    with pytest.raises(ServiceError):  # Compiègne's own procedure is not offered in Margny
        services.meeting_type_create(
            actor=None,
            agenda=margny,
            slug="x",
            name="X",
            duration_minutes=30,
            portal_procedure="attestation-accueil",
        )
    assert not counter.meeting_types.filter(slug="x").exists()


def test_the_case_offers_its_citizen_the_free_slots_and_the_booking_shows_on_it(
    case, step, citizen, counter, monday
):
    panel = appointment_on_case(actor=citizen, ref=object_ref("portal.case", case.pk))
    assert panel is not None and panel.links[0].text == "Prendre rendez-vous"
    assert panel.links[0].url == f"/agendas/dossiers/{case.pk}/rendez-vous/"
    assert len(panel.links) == 4 and all(f"dossier={case.pk}" in link.url for link in panel.links[1:])
    assert "rendez-vous" in panel.lines[0]
    client = signed_in(citizen, method="password")
    # The citizen's own case page offers it (the portal shows the modules' panels there too).
    own = text(client.get(f"/mes-demandes/{case.number}/"))
    assert "Prendre rendez-vous" in own and "Courrier lié" not in own
    mine = text(client.get("/agendas/mes-reservations/"))
    assert "Dossiers qui attendent un rendez-vous" in mine and case.number in mine
    step_page = client.get(f"/agendas/dossiers/{case.pk}/rendez-vous/")
    assert step_page.status_code == 302 and f"type=signature&dossier={case.pk}" in step_page["Location"]
    week = text(client.get(f"{step_page['Location']}&du={monday}"))
    assert "Créneaux libres : Signature de l'attestation" in week and f"dossier={case.pk}" in week
    done = client.post(
        f"/agendas/{counter.pk}/reserver/",
        {"type": "signature", "start": at(monday, 9).isoformat(), "dossier": case.pk},
    )
    assert done.status_code == 302
    booking = Booking.objects.get()
    assert booking.portal_case_id == case.pk and booking.meeting_type == step and booking.user == citizen
    panel = appointment_on_case(actor=citizen, ref=object_ref("portal.case", case.pk))
    texts = [link.text for link in panel.links]
    assert texts[0].startswith("Signature de l'attestation, le ") and "Prendre rendez-vous" not in texts
    assert texts[1:] == ["Déplacer ce rendez-vous", "Annuler ce rendez-vous"]
    ics = Client().get(panel.links[0].url)
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content
    assert appointment_selectors.appointment_offers(actor=citizen) == []
    # Booked: the step's page sends to the booking rather than to a second appointment.
    assert client.get(f"/agendas/dossiers/{case.pk}/rendez-vous/")["Location"] == "/agendas/mes-reservations/"


def test_nobody_else_is_offered_the_appointment_of_a_case(case, make_user, territory):
    stranger = make_user("autre@exemple.fr", commune=territory["compiegne"])
    margny_agent = make_user(
        "agent@margny.fr", roles=[(territory["margny-les-compiegne"], "agendas.manager")]
    )
    for person in (stranger, margny_agent):
        assert appointment_on_case(actor=person, ref=object_ref("portal.case", case.pk)) is None
        assert (
            signed_in(person, method="password").get(f"/agendas/dossiers/{case.pk}/rendez-vous/").status_code
            == 404
        )
    assert Client().get(f"/agendas/dossiers/{case.pk}/rendez-vous/").status_code == 302  # to the login
    assert appointment_on_case(actor=None, ref=object_ref("portal.case", case.pk)) is None


def test_a_draft_or_a_case_of_an_unlinked_procedure_offers_nothing(step, citizen, compiegne, counter):
    assert appointment_selectors.appointment_offers(actor=citizen) == []  # nothing filed yet
    case = _file(citizen, compiegne)
    step.portal_procedure_id = step.portal_procedure_id + 1000
    step.save(update_fields=["portal_procedure_id"])
    assert appointment_on_case(actor=citizen, ref=object_ref("portal.case", case.pk)) is None


def test_a_citizen_moves_the_appointment_and_the_old_slot_is_freed(case, step, citizen, counter, monday):
    booking = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=step, start=at(monday, 9), portal_case_id=case.pk
    )
    client = signed_in(citizen, method="password")
    page = text(client.get(f"/agendas/reservations/{booking.pk}/deplacer/?du={monday}"))
    assert "Créneaux libres : Signature de l'attestation" in page and ">09:30<" in page
    new = at(monday, 9, 30).isoformat()
    confirm = text(client.get(f"/agendas/reservations/{booking.pk}/deplacer/", {"start": new}))
    assert "Confirmer le déplacement" in confirm
    done = client.post(f"/agendas/reservations/{booking.pk}/deplacer/", {"start": new})
    assert done.status_code == 302
    booking.refresh_from_db()
    moved = Booking.objects.get(status="booked")
    assert booking.status == "cancelled" and booking.cancel_reason == "Déplacé"
    assert moved.start == at(monday, 9, 30) and moved.portal_case_id == case.pk and moved.user == citizen
    with pytest.raises(Conflict):  # the old booking does not move twice
        services.booking_move(actor=citizen, booking=booking, start=at(monday, 10))


def test_a_move_to_a_taken_or_forged_slot_changes_nothing(case, step, citizen, counter, monday, make_user):
    booking = services.booking_create(actor=citizen, agenda=counter, meeting_type=step, start=at(monday, 9))
    for n in (1, 2):  # both desks taken at 10:00
        other = make_user(f"p{n}@exemple.fr")
        services.booking_create(actor=other, agenda=counter, meeting_type=step, start=at(monday, 10))
    with pytest.raises(Conflict) as caught:
        services.booking_move(actor=citizen, booking=booking, start=at(monday, 10))
    assert caught.value.code == "slot_taken"
    for start, code in ((at(monday, 9, 7), "invalid_slot"), (at(monday, 20), "outside_opening_hours")):
        with pytest.raises(ServiceError) as caught:
            services.booking_move(actor=citizen, booking=booking, start=start)
        assert caught.value.code == code
    booking.refresh_from_db()
    assert booking.status == "booked" and booking.start == at(monday, 9) and Booking.objects.count() == 3
    page = signed_in(citizen, method="password").post(
        f"/agendas/reservations/{booking.pk}/deplacer/", {"start": "pas une date"}
    )
    assert page.status_code == 400 and "illisible" in text(page)


def test_only_the_person_or_the_organisation_moves_an_appointment(
    case, step, citizen, counter, monday, make_user, territory
):
    booking = services.booking_create(actor=citizen, agenda=counter, meeting_type=step, start=at(monday, 9))
    stranger = make_user("autre@exemple.fr")
    with pytest.raises(Forbidden):
        services.booking_move(actor=stranger, booking=booking, start=at(monday, 11))
    margny = make_user("agent@margny.fr", roles=[(territory["margny-les-compiegne"], "agendas.manager")])
    for person in (stranger, margny):
        client = signed_in(person, method="password")
        assert client.get(f"/agendas/reservations/{booking.pk}/deplacer/").status_code == 404
        assert (
            client.post(
                f"/agendas/reservations/{booking.pk}/deplacer/", {"start": at(monday, 11).isoformat()}
            ).status_code
            == 404
        )
    manager = make_user("accueil2@compiegne.fr", roles=[(territory["compiegne"], "agendas.manager")])
    moved = services.booking_move(actor=manager, booking=booking, start=at(monday, 11))
    assert moved.user == citizen and moved.booked_by == citizen


def test_closing_the_case_cancels_its_coming_appointment(
    case, step, citizen, counter, monday, make_user, compiegne
):
    booking = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=step, start=at(monday, 9), portal_case_id=case.pk
    )
    unrelated = services.booking_create(
        actor=citizen, agenda=counter, meeting_type=step, start=at(monday, 10)
    )
    assert jobs.closed_cases() == "0 rendez-vous de dossiers clos annulé(s)."
    caseworker = make_user("instructeur@compiegne.fr", roles=[(compiegne, "portal.caseworker")])
    case_transition(actor=caseworker, case=case, to="closed", comment="Demande retirée par l'usager.")
    assert jobs.closed_cases() == "1 rendez-vous de dossiers clos annulé(s)."
    booking.refresh_from_db()
    unrelated.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == "Dossier clos"
    assert unrelated.status == "booked"
    assert jobs.closed_cases() == "0 rendez-vous de dossiers clos annulé(s)."
    # A closed case offers no new appointment.
    assert appointment_selectors.appointment_offers(actor=citizen) == []
