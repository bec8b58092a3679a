"""The agendas API: every operation answers as the published schema says, refuses in French,
writes nothing on refusal, and another commune's private agenda or booking does not exist."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from socle.agendas import services
from socle.agendas.models import Booking
from tests.test_api_contract import Contract, post_json

from .conftest import at


@pytest.fixture
def api(client):
    return Contract(client.get("/api/schema").json())


@pytest.fixture
def private_rooms(territory):
    """Margny's private meeting rooms: invisible to Compiègne."""
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
    services.meeting_type_create(
        actor=None, agenda=agenda, slug="reunion", name="Réunion", duration_minutes=60
    )
    return agenda


def _slots_url(agenda, day, kind="passeport"):
    start, end = at(day, 0).isoformat(), at(day + timedelta(days=1), 0).isoformat()
    from urllib.parse import urlencode

    return f"/api/v1/agendas/{agenda.pk}/slots?" + urlencode({"from": start, "to": end, "type": kind})


def test_list_slots_book_and_cancel_as_the_schema_says(
    api, api_client, counter, citizen, monday, private_rooms
):
    anonymous, camille = Client(), api_client(citizen)
    listed = api.call(anonymous, "get", "/api/v1/agendas", 200)
    assert [a["title"] for a in listed["items"]] == ["Titres d'identité"]  # the private one is not listed
    [item] = listed["items"]
    assert item["kind"] == "meetings" and item["organisation"] == "compiegne" and item["id"] == counter.pk
    assert item["types"][0]["slug"] == "passeport" and item["ical_url"].endswith(
        f"/agendas/{counter.pk}/agenda.ics"
    )
    api.call(anonymous, "get", f"/api/v1/agendas/{counter.pk}", 200)
    page = api.call(anonymous, "get", _slots_url(counter, monday) + "&limit=5", 200)
    assert len(page["items"]) == 5 and page["next"]
    assert page["items"][0]["start"].startswith(f"{monday.isoformat()}T09:00:00")
    rest = api.call(anonymous, "get", _slots_url(counter, monday) + f"&limit=100&cursor={page['next']}", 200)
    assert len(rest["items"]) == 7 and rest["next"] is None
    booked = api.call(
        camille,
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        201,
        **post_json({"start": page["items"][0]["start"], "type": "passeport"}),
    )
    assert booked["status"] == "booked" and booked["type"] == "passeport"
    api.call(camille, "get", "/api/v1/bookings", 200)
    api.call(camille, "get", f"/api/v1/bookings/{booked['id']}", 200)
    cancelled = api.call(camille, "delete", f"/api/v1/bookings/{booked['id']}?reason=Imprévu", 200)
    assert cancelled["status"] == "cancelled"
    api.call(camille, "delete", f"/api/v1/bookings/{booked['id']}", 409)
    api.call(
        anonymous,
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        401,
        **post_json({"start": page["items"][0]["start"], "type": "passeport"}),
    )


def test_the_second_booking_of_a_full_slot_is_a_409(api, api_client, counter, make_user, monday):
    start = at(monday, 9).isoformat()
    for _ in range(2):  # two desks
        api.call(
            api_client(make_user()),
            "post",
            f"/api/v1/agendas/{counter.pk}/bookings",
            201,
            **post_json({"start": start, "type": "passeport"}),
        )
    late = api_client(make_user())
    body = api.call(
        late,
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        409,
        **post_json({"start": start, "type": "passeport"}),
    )
    assert body["code"] == "slot_taken" and "pris" in body["message"]


@pytest.mark.parametrize(
    ("start", "kind", "code"),
    [
        ("08:00", "passeport", "outside_opening_hours"),
        ("09:07", "passeport", "invalid_slot"),
        ("09:00", "inconnu", "unknown_type"),
    ],
)
def test_bad_bookings_are_400_in_french_and_write_nothing(
    api, api_client, counter, citizen, monday, start, kind, code
):
    hour, minute = map(int, start.split(":"))
    body = api.call(
        api_client(citizen),
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        400,
        **post_json({"start": at(monday, hour, minute).isoformat(), "type": kind}),
    )
    assert body["code"] == code and body["message"]
    assert Booking.objects.count() == 0


def test_hostile_bodies_are_refused(api, api_client, counter, citizen, monday):
    camille = api_client(citizen)
    url = f"/api/v1/agendas/{counter.pk}/bookings"
    past = at(timezone.localdate() - timedelta(days=2), 9).isoformat()
    assert (
        api.call(camille, "post", url, 400, **post_json({"start": past, "type": "passeport"}))["code"]
        == "past"
    )
    assert (
        api.call(
            camille, "post", url, 400, **post_json({"start": f"{monday}T09:00:00", "type": "passeport"})
        )["code"]
        == "naive_datetime"
    )
    api.call(camille, "post", url, 400, **post_json({"start": "pas une date", "type": "passeport"}))
    api.call(camille, "post", url, 400, **post_json({"type": "passeport"}))
    api.call(
        camille,
        "post",
        url,
        400,
        **post_json({"start": at(monday, 9).isoformat(), "type": "passeport", "note": "a\x00b"}),
    )
    api.call(camille, "post", url, 400, data="{pas du json", content_type="application/json")
    api.call(Client(), "get", _slots_url(counter, monday).replace("from=", "from=demain&x="), 400)
    too_long = (
        f"/api/v1/agendas/{counter.pk}/slots?from={at(monday, 0).isoformat()}&to="
        f"{at(monday + timedelta(days=90), 0).isoformat()}&type=passeport".replace("+", "%2B")
    )
    assert api.call(Client(), "get", too_long, 400)["code"] == "range_too_long"
    assert Booking.objects.count() == 0


def test_another_communes_private_agenda_and_booking_are_404(
    api, api_client, private_rooms, make_user, territory, counter, citizen, monday
):
    margny_agent = make_user(roles=[(territory["margny-les-compiegne"], "agendas.booker")])
    compiegne_agent = make_user(roles=[(territory["compiegne"], "agendas.manager")])
    margny, compiegne = api_client(margny_agent), api_client(compiegne_agent)
    assert [a["title"] for a in api.call(margny, "get", "/api/v1/agendas", 200)["items"]] == [
        "Salles de Margny",
        "Titres d'identité",
    ]
    booked = api.call(
        margny,
        "post",
        f"/api/v1/agendas/{private_rooms.pk}/bookings",
        201,
        **post_json({"start": at(monday, 10).isoformat(), "type": "reunion"}),
    )
    for client in (compiegne, api_client(citizen), Client()):
        api.call(client, "get", f"/api/v1/agendas/{private_rooms.pk}", 404)
        api.call(client, "get", _slots_url(private_rooms, monday, "reunion"), 404)
    api.call(
        compiegne,
        "post",
        f"/api/v1/agendas/{private_rooms.pk}/bookings",
        404,
        **post_json({"start": at(monday, 11).isoformat(), "type": "reunion"}),
    )
    api.call(compiegne, "get", f"/api/v1/bookings/{booked['id']}", 404)
    api.call(compiegne, "delete", f"/api/v1/bookings/{booked['id']}", 404)
    api.call(api_client(citizen), "delete", f"/api/v1/bookings/{booked['id']}", 404)
    assert Booking.objects.get(pk=booked["id"]).status == "booked"
    # Compiègne's agent sees the bookings of Compiègne's agendas, not Margny's.
    mine = api.call(
        api_client(citizen),
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        201,
        **post_json({"start": at(monday, 9).isoformat(), "type": "passeport"}),
    )
    api.call(compiegne, "get", f"/api/v1/bookings/{mine['id']}", 200)
    api.call(margny, "get", f"/api/v1/bookings/{mine['id']}", 404)


def test_events_registrations_and_the_waiting_list(
    api, api_client, workshops, workshop, make_user, mediator, territory
):
    anonymous = Client()
    api.call(anonymous, "get", f"/api/v1/agendas/{workshops.pk}/events", 200)
    url = f"/api/v1/agendas/{workshops.pk}/bookings"
    people = [api_client(make_user()) for _ in range(5)]
    statuses = [api.call(p, "post", url, 201, **post_json({"event": workshop.pk})) for p in people[:4]]
    assert [s["status"] for s in statuses] == ["booked", "booked", "waiting", "waiting"]
    assert statuses[3]["waiting_position"] == 2
    assert api.call(people[4], "post", url, 409, **post_json({"event": workshop.pk}))["code"] == "full"
    assert (
        api.call(people[0], "post", url, 409, **post_json({"event": workshop.pk}))["code"]
        == "already_registered"
    )
    api.call(people[4], "post", url, 400, **post_json({}))
    api.call(people[4], "post", url, 404, **post_json({"event": 999999}))
    shown = api.call(anonymous, "get", f"/api/v1/events/{workshop.pk}", 200)
    assert shown["booked"] == 2 and shown["waiting"] == 2 and shown["host"] == "venette"
    api.call(people[0], "delete", f"/api/v1/bookings/{statuses[0]['id']}", 200)
    promoted = api.call(people[2], "get", f"/api/v1/bookings/{statuses[2]['id']}", 200)
    assert promoted["status"] == "booked" and promoted["waiting_position"] is None
    listing = api.call(api_client(mediator), "get", f"/api/v1/events/{workshop.pk}/registrations", 200)
    assert [r["status"] for r in listing["items"]] == ["booked", "booked", "waiting"]
    other = make_user(roles=[(territory["compiegne"], "agendas.mediator")])
    api.call(api_client(other), "get", f"/api/v1/events/{workshop.pk}/registrations", 404)
    api.call(people[1], "get", f"/api/v1/events/{workshop.pk}/registrations", 404)
    services.attendance_record(actor=mediator, event=workshop, present=[statuses[1]["id"]], themes=["email"])
    records = api.call(api_client(mediator), "get", "/api/v1/mediation/activities", 200)
    assert records["items"][0]["participants"] == 1 and records["items"][0]["commune"] == "Venette"
    assert api.call(api_client(other), "get", "/api/v1/mediation/activities", 200)["items"] == []
    api.call(anonymous, "get", "/api/v1/mediation/places", 200)
    api.call(anonymous, "get", "/api/v1/agendas", 200)
    api.call(anonymous, "get", f"/api/v1/agendas/{workshops.pk}", 200)
    api.call(people[2], "get", "/api/v1/bookings", 200)
    assert (
        api.call(anonymous, "get", _slots_url(workshops, workshop.start.date()), 400)["code"] == "wrong_kind"
    )


def test_every_operation_of_the_module_is_called_with_success_here(
    api, api_client, counter, citizen, monday, workshops, workshop, mediator
):
    """tests/test_api_contract.py calls the operations of the modules it knows; this one calls ours."""
    camille, anonymous = api_client(citizen), Client()
    api.call(anonymous, "get", "/api/v1/agendas", 200)
    api.call(anonymous, "get", f"/api/v1/agendas/{counter.pk}", 200)
    [slot, *_] = api.call(anonymous, "get", _slots_url(counter, monday), 200)["items"]
    booked = api.call(
        camille,
        "post",
        f"/api/v1/agendas/{counter.pk}/bookings",
        201,
        **post_json({"start": slot["start"], "type": "passeport"}),
    )
    api.call(camille, "get", "/api/v1/bookings", 200)
    api.call(camille, "delete", f"/api/v1/bookings/{booked['id']}", 200)
    registered = api.call(
        camille, "post", f"/api/v1/agendas/{workshops.pk}/bookings", 201, **post_json({"event": workshop.pk})
    )
    api.call(camille, "get", f"/api/v1/agendas/{workshops.pk}/events", 200)
    api.call(camille, "get", f"/api/v1/events/{workshop.pk}", 200)
    api.call(api_client(mediator), "get", f"/api/v1/events/{workshop.pk}/registrations", 200)
    api.call(api_client(mediator), "get", "/api/v1/mediation/activities", 200)
    api.call(Client(), "get", "/api/v1/mediation/places", 200)
    api.call(camille, "get", f"/api/v1/bookings/{registered['id']}", 200)
    ours = {
        key
        for key in api.operations
        if key[1].startswith(("/api/v1/agendas", "/api/v1/bookings", "/api/v1/events",
                              "/api/v1/mediation/"))
    }
    assert len(ours) == 12 and ours <= api.succeeded, sorted(ours - api.succeeded)


def test_a_bad_token_on_a_public_list_is_a_401_not_a_silent_visitor(api, counter):
    forged = Client(headers={"Authorization": "Bearer socle_pas-un-jeton"})
    assert api.call(forged, "get", "/api/v1/agendas", 401)["code"] == "unauthenticated"
