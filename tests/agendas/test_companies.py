"""Company accounts of the park: members book its rooms in the company's name and see all its
bookings; nobody else sees them, and only its manager changes who is a member."""

from __future__ import annotations

import html
from datetime import time

import pytest

from socle.agendas import selectors, services
from socle.agendas.models import Booking
from socle.core.errors import Conflict, Forbidden, ServiceError
from tests.support.clients import signed_in

from .conftest import at


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def park_rooms(territory):
    arc = territory["arc"]
    room = services.resource_create(actor=None, organisation=arc, name="Salle Oise")
    agenda = services.agenda_create(
        actor=None, organisation=arc, title="Salles du parc", kind="meetings", public=False, resources=[room]
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(d, time(8), time(19)) for d in range(5)])
    services.meeting_type_create(
        actor=None, agenda=agenda, slug="h", name="Réunion d'une heure", duration_minutes=60
    )
    return agenda


@pytest.fixture
def people(make_user):
    return {name: make_user(f"{name}@exemple.fr") for name in ("ines", "theo", "autre", "rival")}


@pytest.fixture
def company(park_rooms, people, territory):
    made = services.company_create(
        actor=None,
        organisation=territory["arc"],
        name="Rives Numériques",
        siren="912 345 678",
        agendas=[park_rooms],
        manager=people["ines"],
    )
    services.company_member_add(actor=people["ines"], company=made, email="THEO@exemple.fr")
    return made


@pytest.fixture
def rival(park_rooms, people, territory):
    return services.company_create(
        actor=None,
        organisation=territory["arc"],
        name="Concurrent",
        agendas=[park_rooms],
        manager=people["rival"],
    )


def test_a_member_books_for_the_company_and_every_member_sees_it(company, park_rooms, people, monday):
    theo = signed_in(people["theo"], method="password")
    assert "Salles du parc" in text(theo.get("/agendas/"))
    form = text(
        theo.get(f"/agendas/{park_rooms.pk}/reserver/", {"type": "h", "start": at(monday, 10).isoformat()})
    )
    assert "Réserver au nom de" in form and "Rives Numériques" in form
    done = theo.post(
        f"/agendas/{park_rooms.pk}/reserver/",
        {"type": "h", "start": at(monday, 10).isoformat(), "entreprise": company.pk},
    )
    assert done.status_code == 302
    booking = Booking.objects.get()
    assert booking.company == company and booking.user == people["theo"]
    page = text(signed_in(people["ines"], method="password").get(f"/agendas/entreprises/{company.pk}/"))
    assert "Réservations à venir de l'entreprise" in page and booking.name in page
    assert selectors.booking_get(actor=people["ines"], pk=booking.pk) == booking  # its .ics too
    assert (
        signed_in(people["ines"], method="password")
        .get(f"/agendas/reservations/{booking.pk}.ics")
        .status_code
        == 200
    )


def test_nobody_else_sees_or_books_in_the_companys_name(
    company, rival, park_rooms, people, monday, territory, make_user
):
    booking = services.booking_create(
        actor=people["theo"],
        agenda=park_rooms,
        meeting_type=park_rooms.meeting_types.get(),
        start=at(monday, 10),
        company=company,
    )
    for name in ("autre", "rival"):
        client = signed_in(people[name], method="password")
        assert client.get(f"/agendas/entreprises/{company.pk}/").status_code == 404
        assert client.get(f"/agendas/reservations/{booking.pk}.ics").status_code == 404
    assert signed_in(people["autre"], method="password").get(f"/agendas/{park_rooms.pk}/").status_code == 404
    margny = make_user("agent@margny.fr", roles=[(territory["margny-les-compiegne"], "agendas.manager")])
    assert signed_in(margny, method="password").get(f"/agendas/entreprises/{company.pk}/").status_code == 404
    with pytest.raises(ServiceError) as caught:  # the rival's member, in the company's name
        services.booking_create(
            actor=people["rival"],
            agenda=park_rooms,
            meeting_type=park_rooms.meeting_types.get(),
            start=at(monday, 11),
            company=company,
        )
    assert caught.value.code == "unknown_company"
    forged = signed_in(people["rival"], method="password").post(
        f"/agendas/{park_rooms.pk}/reserver/",
        {"type": "h", "start": at(monday, 11).isoformat(), "entreprise": company.pk},
    )
    assert forged.status_code == 400 and Booking.objects.count() == 1


def test_only_the_manager_changes_the_members_and_the_last_manager_stays(company, people):
    theo = company.members.get(user=people["theo"])
    with pytest.raises(Forbidden):
        services.company_member_add(actor=people["theo"], company=company, email="autre@exemple.fr")
    with pytest.raises(Conflict):
        services.company_member_add(actor=people["ines"], company=company, email="theo@exemple.fr")
    with pytest.raises(ServiceError) as caught:
        services.company_member_add(actor=people["ines"], company=company, email="personne@exemple.fr")
    assert caught.value.code == "unknown_person"
    ines = company.members.get(user=people["ines"])
    with pytest.raises(Conflict):
        services.company_member_remove(actor=people["ines"], company=company, member_id=ines.pk)
    client = signed_in(people["ines"], method="password")
    added = client.post(f"/agendas/entreprises/{company.pk}/", {"email": "autre@exemple.fr"})
    assert added.status_code == 302 and company.members.filter(user=people["autre"]).exists()
    bad = client.post(f"/agendas/entreprises/{company.pk}/", {"email": "pas une adresse"})
    assert bad.status_code == 400
    client.post(f"/agendas/entreprises/{company.pk}/", {"remove": theo.pk})
    assert not company.members.filter(user=people["theo"]).exists()
    page = signed_in(people["autre"], method="password").get(f"/agendas/entreprises/{company.pk}/")
    assert page.status_code == 200 and "Ajouter un membre" not in text(page)


def test_a_company_is_opened_by_an_agent_of_its_organisation_with_its_own_rooms(
    park_rooms, territory, make_user
):
    margny = make_user("agent@margny.fr", roles=[(territory["margny-les-compiegne"], "agendas.manager")])
    with pytest.raises(Forbidden):
        services.company_create(actor=margny, organisation=territory["arc"], name="X")
    with pytest.raises(ServiceError):
        services.company_create(actor=None, organisation=territory["arc"], name="X", siren="123")
    with pytest.raises(ServiceError):
        services.company_create(
            actor=None, organisation=territory["margny-les-compiegne"], name="X", agendas=[park_rooms]
        )
