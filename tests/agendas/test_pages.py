"""The agendas pages, without JavaScript: booking, my bookings, .ics, agents' pages, attendance."""

from __future__ import annotations

import html
from datetime import time
from decimal import Decimal

import icalendar
import pytest
from django.test import Client

from socle.agendas import services
from socle.agendas.models import ActivityRecord, Booking
from tests.support.clients import signed_in

from .conftest import at


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def rooms(territory):
    margny = territory["margny-les-compiegne"]
    room = services.resource_create(actor=None, organisation=margny, name="Salle des mariages")
    agenda = services.agenda_create(
        actor=None,
        organisation=margny,
        title="Salles de Margny",
        kind="meetings",
        public=False,
        resources=[room],
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=[(d, time(8), time(18)) for d in range(5)])
    return agenda


def test_a_citizen_picks_a_slot_books_it_gets_the_ics_and_cancels(counter, citizen, monday, rooms):
    client = signed_in(citizen, method="password")
    listing = text(client.get("/agendas/"))
    assert "Titres d'identité" in listing and "Salles de Margny" not in listing
    week = text(client.get(f"/agendas/{counter.pk}/?type=passeport&du={monday}"))
    assert "Créneaux libres : Passeport" in week and ">09:00<" in week
    start = at(monday, 9).isoformat()
    form = client.get(f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": start})
    assert form.status_code == 200 and "Confirmer le rendez-vous" in text(form)
    done = client.post(
        f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": start, "note": "2 enfants"}
    )
    assert done.status_code == 302 and done["Location"] == "/agendas/mes-reservations/"
    booking = Booking.objects.get()
    assert booking.note == "2 enfants" and booking.user == citizen
    mine = text(client.get("/agendas/mes-reservations/"))
    assert "Passeport" in mine and f"/agendas/reservations/{booking.pk}.ics" in mine
    ics = client.get(f"/agendas/reservations/{booking.pk}.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert event["summary"] == "Passeport" and event.decoded("dtstart") == booking.start
    assert Client().get(f"/agendas/reservations/lien/{booking.secret}.ics").status_code == 200
    assert Client().get(f"/agendas/reservations/{booking.pk}.ics").status_code == 302  # sign in first
    assert client.post(f"/agendas/reservations/{booking.pk}/annuler/", {"reason": ""}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_a_forged_or_taken_slot_is_refused_on_the_page_in_french(counter, citizen, make_user, monday):
    client = signed_in(citizen, method="password")
    forged = client.post(
        f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": at(monday, 9, 7).isoformat()}
    )
    assert forged.status_code == 400 and "ne fait pas partie de ceux proposés" in text(forged)
    unreadable = client.post(f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": "lundi"})
    assert unreadable.status_code == 400 and "illisible" in text(unreadable)
    for _ in range(2):
        services.booking_create(
            actor=make_user(), agenda=counter, meeting_type=counter.meeting_types.get(), start=at(monday, 10)
        )
    taken = client.post(
        f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": at(monday, 10).isoformat()}
    )
    assert taken.status_code == 409 and "vient d'être pris" in text(taken)
    assert Booking.objects.filter(user=citizen).count() == 0


def test_an_agent_books_at_the_counter_for_someone_without_email(counter, manager, monday):
    client = signed_in(manager)
    page = client.get(
        f"/agendas/{counter.pk}/reserver/", {"type": "passeport", "start": at(monday, 9).isoformat()}
    )
    assert "Nom de la personne" in text(page)
    client.post(
        f"/agendas/{counter.pk}/reserver/",
        {
            "type": "passeport",
            "start": at(monday, 9).isoformat(),
            "name": "Jeanne Martin",
            "phone": "0344400000",
        },
    )
    booking = Booking.objects.get()
    assert booking.name == "Jeanne Martin" and booking.user is None
    week = text(client.get(f"/agent/agendas/{counter.pk}/?vue=semaine&date={monday}"))
    assert "Jeanne Martin" in week and "0344400000" in week


def test_a_full_workshop_puts_the_resident_on_the_waiting_list(workshop, make_user):
    for _ in range(2):
        services.registration_create(actor=make_user(), event=workshop)
    resident = make_user("louis@exemple.fr")
    client = signed_in(resident, method="password")
    page = text(client.get(f"/agendas/seances/{workshop.pk}/"))
    assert "M'inscrire sur la liste d'attente" in page
    answer = client.post(f"/agendas/seances/{workshop.pk}/", follow=True)
    assert "vous êtes n° 1 sur la liste d'attente" in text(answer)
    assert Booking.objects.get(user=resident).status == "waiting"
    assert "Premiers pas sur une tablette" in text(Client().get("/agendas/ateliers/"))


def test_agents_pages_are_for_agents_and_another_communes_agenda_is_404(
    counter, rooms, manager, citizen, territory, make_user
):
    assert signed_in(citizen, method="password").get("/agent/agendas/").status_code == 403
    client = signed_in(manager)
    page = text(client.get("/agent/agendas/"))
    assert "Titres d'identité" in page and "Salles de Margny" not in page
    assert client.get(f"/agent/agendas/{rooms.pk}/").status_code == 404
    assert client.get(f"/agent/agendas/ressources/{rooms.resources.get().pk}/").status_code == 404
    assert client.get(f"/agendas/{rooms.pk}/").status_code == 404
    assert Client().get(f"/agendas/{rooms.pk}/agenda.ics").status_code == 404
    feed = Client().get(f"/agendas/flux/{rooms.ical_secret}.ics")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    assert Client().get("/agendas/flux/pas-le-secret.ics").status_code == 404


def test_an_agent_creates_a_resource_an_agenda_hours_and_a_type(manager, compiegne, citizen, monday):
    client = signed_in(manager)
    client.post(
        "/agent/agendas/",
        {
            "form": "resource",
            "r-organisation": compiegne.pk,
            "r-name": "Guichet A",
            "r-kind": "counter",
            "r-capacity": 1,
        },
    )
    from socle.agendas.models import Agenda, Resource

    resource = Resource.objects.get(name="Guichet A")
    created = client.post(
        "/agent/agendas/",
        {
            "form": "agenda",
            "a-organisation": compiegne.pk,
            "a-title": "Urbanisme",
            "a-kind": "meetings",
            "a-public": "on",
            "a-resources": [resource.pk],
            "a-buffer_minutes": 0,
            "a-min_notice_minutes": 0,
            "a-max_advance_days": 60,
        },
    )
    agenda = Agenda.objects.get(title="Urbanisme")
    assert created["Location"] == f"/agent/agendas/{agenda.pk}/"
    bad = client.post(f"/agent/agendas/{agenda.pk}/", {"form": "hours", "hours-hours": "lundi 9h-midi"})
    assert bad.status_code == 400 and "Plage illisible" in text(bad)
    client.post(f"/agent/agendas/{agenda.pk}/", {"form": "hours", "hours-hours": "lundi 09:00-12:00"})
    client.post(
        f"/agent/agendas/{agenda.pk}/",
        {"form": "type", "type-slug": "permis", "type-name": "Permis", "type-duration_minutes": 60},
    )
    week = text(signed_in(citizen, method="password").get(f"/agendas/{agenda.pk}/?type=permis&du={monday}"))
    assert ">09:00<" in week and ">11:00<" in week and ">12:00<" not in week
    assert agenda.meeting_types.get(slug="permis").price == 0
    priced = {"form": "type", "type-slug": "conseil", "type-name": "Conseil", "type-duration_minutes": 30}
    unknown = client.post(f"/agent/agendas/{agenda.pk}/", {**priced, "type-portal_procedure": "inconnue"})
    assert unknown.status_code == 400 and "n'est pas proposée" in text(unknown)
    client.post(f"/agent/agendas/{agenda.pk}/", {**priced, "type-price": "12.50"})
    assert agenda.meeting_types.get(slug="conseil").price == Decimal("12.50")


def test_a_mediator_takes_attendance_and_exports_the_activity_records(
    workshop, mediator, make_user, territory
):
    bookings = [services.registration_create(actor=make_user(), event=workshop) for _ in range(2)]
    client = signed_in(mediator)
    page = client.get(f"/agent/mediation/seances/{workshop.pk}/")
    assert page.status_code == 200 and bookings[0].name in text(page)
    counter = client.post(
        f"/agent/mediation/seances/{workshop.pk}/",
        {"form": "counter", "name": "Monique Dubois", "phone": "0344001122"},
    )
    assert counter.status_code == 302
    assert Booking.objects.get(name="Monique Dubois").status == "waiting"
    saved = client.post(
        f"/agent/mediation/seances/{workshop.pk}/",
        {
            "form": "attendance",
            "present": [bookings[0].pk],
            f"age_{bookings[0].pk}": "60_70",
            f"status_{bookings[0].pk}": "retraite",
            f"commune_{bookings[0].pk}": "60665",
            "walk_ins": 1,
            "themes": ["email", "navigation_internet"],
        },
    )
    assert saved.status_code == 302
    record = ActivityRecord.objects.get()
    assert record.participants == 2 and record.beneficiaries[0]["age_band"] == "60_70"
    csv_body = text(client.get("/agent/mediation/activites.csv"))
    assert (
        "collectif" in csv_body
        and "email|navigation_internet" in csv_body
        and bookings[0].name not in csv_body
    )
    assert client.get("/agent/mediation/activites.json").json()[0]["participants"] == 2
    assert "Venette" in text(client.get("/agent/mediation/"))
    other = make_user(roles=[(territory["compiegne"], "agendas.mediator")])
    assert signed_in(other).get(f"/agent/mediation/seances/{workshop.pk}/").status_code == 404
    assert signed_in(other).get("/agent/mediation/activites.json").json() == []


def test_the_commune_lending_a_room_sees_who_booked_it(workshop, make_user, territory):
    services.registration_create(actor=make_user(), event=workshop)
    venette_agent = make_user(roles=[(territory["venette"], "agendas.manager")])
    client = signed_in(venette_agent)
    page = text(client.get("/agent/agendas/"))
    assert "Salles que vous prêtez" in page and "Salle polyvalente" in page and territory["arc"].name in page
    room = workshop.resource
    day = workshop.start.date()
    seen = text(client.get(f"/agent/agendas/ressources/{room.pk}/?vue=semaine&date={day}"))
    assert "Premiers pas sur une tablette" in seen
    assert (
        signed_in(make_user(roles=[(territory["jaux"], "agendas.manager")]))
        .get(f"/agent/agendas/ressources/{room.pk}/")
        .status_code
        == 404
    )


def test_public_feed_and_places(counter, citizen, monday):
    services.booking_create(
        actor=citizen, agenda=counter, meeting_type=counter.meeting_types.get(), start=at(monday, 9)
    )
    feed = Client().get(f"/agendas/{counter.pk}/agenda.ics")
    calendar = icalendar.Calendar.from_ical(feed.content)
    [busy] = calendar.walk("VEVENT")
    assert busy["summary"] == "Occupé" and citizen.email not in text(feed)
    private = text(Client().get(f"/agendas/flux/{counter.ical_secret}.ics"))
    assert "Passeport" in private
    assert Client().get("/mediation-numerique/lieux/").status_code == 200
    assert text(Client().get("/mediation-numerique/lieux.csv")).startswith("id,pivot,nom,")


def test_the_creation_space_asks_age_and_a_parents_consent_on_the_page(workshop, citizen):
    workshop.min_age, workshop.max_age = 14, 25
    workshop.save()
    client = signed_in(citizen, method="password")
    assert "Âge de la personne inscrite" in text(client.get(f"/agendas/seances/{workshop.pk}/"))
    refused = client.post(f"/agendas/seances/{workshop.pk}/", {"age": "15"})
    assert refused.status_code == 400 and "accord d'un parent" in text(refused)
    assert not Booking.objects.exists()
    done = client.post(f"/agendas/seances/{workshop.pk}/", {"age": "15", "guardian_consent": "on"})
    assert done.status_code == 302 and Booking.objects.get().guardian_consent
