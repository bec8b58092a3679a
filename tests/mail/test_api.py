"""The register's API: POST /api/v1/mail and GET /api/v1/mail, tenant-scoped."""

from __future__ import annotations

import json

import pytest

from socle.mail.models import Contact, Mail
from tests.mail.conftest import VALID_SIRET


def post(client, body):
    return client.post("/api/v1/mail", data=json.dumps(body), content_type="application/json")


BODY = {"organisation": "compiegne", "direction": "in", "channel": "email",
        "subject": "Demande de subvention", "type": "Réclamation", "priority": "high",
        "sender": {"name": "Bâtiments de l'Oise", "kind": "organisation", "siret": VALID_SIRET},
        "received_on": "2026-03-02"}


def test_a_clerk_registers_a_letter_with_a_new_sender(api_client, clerk, reclamation):
    response = post(api_client(clerk), BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["chrono"] == "2026-ARR-000001" and body["deadline"] == "2026-04-01"
    mail = Mail.objects.get(pk=body["id"])
    assert (mail.contact.siret, mail.priority, mail.channel) == (VALID_SIRET, "high", "email")


def test_a_sender_from_the_directory_is_given_by_id(api_client, clerk, reclamation, sender):
    response = post(api_client(clerk), {**BODY, "sender": sender.pk, "type": reclamation.pk})
    assert response.status_code == 201
    assert Mail.objects.get().contact == sender


@pytest.mark.parametrize(("change", "code"), [
    ({"sender": {"name": "X", "kind": "organisation", "siret": "55201649600011"}},
     "invalid_siret"),
    ({"type": "Inconnu"}, "unknown_type"),
    ({"sender": None}, "invalid"),
    ({"subject": "   "}, "invalid"),
    ({"channel": "pigeon"}, "invalid"),
    ({"received_on": "2999-01-01"}, "invalid"),
])
def test_bad_input_is_a_400_in_french(api_client, clerk, reclamation, change, code):
    response = post(api_client(clerk), {**BODY, **change})
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]
    assert not Mail.objects.exists() and not Contact.objects.exists()


def test_a_contact_of_another_commune_is_refused(api_client, clerk, other_clerk, territory):
    from socle.mail.services import contact_create

    foreign = contact_create(actor=other_clerk, organisation=territory["venette"],
                             kind="person", name="Paul")
    response = post(api_client(clerk), {**BODY, "type": None, "sender": foreign.pk})
    assert response.status_code == 400 and response.json()["code"] == "unknown_contact"


def test_without_a_mail_role_it_is_a_403(api_client, make_user, territory):
    caseworker = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    assert post(api_client(caseworker), BODY).status_code == 403
    assert api_client(caseworker).get("/api/v1/mail").status_code == 403


def test_another_commune_register_is_a_404(api_client, other_clerk):
    response = post(api_client(other_clerk), {**BODY, "type": None})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_anonymous_callers_are_refused(api_client):
    assert post(api_client(None), BODY).status_code == 401


def test_the_list_shows_only_the_callers_communes(api_client, clerk, other_clerk, register):
    mine = register()
    client = api_client(other_clerk)
    assert client.get("/api/v1/mail").json()["items"] == []
    assert client.get(f"/api/v1/mail/{mine.pk}").status_code == 404
    items = api_client(clerk).get("/api/v1/mail").json()["items"]
    assert [item["chrono"] for item in items] == [mine.chrono]


def test_the_list_filters_by_status_and_pages(api_client, clerk, register):
    from socle.mail.services import mail_close

    letters = [register() for _ in range(3)]
    mail_close(actor=clerk, mail=letters[0])
    client = api_client(clerk)
    closed = client.get("/api/v1/mail?status=closed").json()["items"]
    assert [item["id"] for item in closed] == [letters[0].pk]
    first = client.get("/api/v1/mail?status=registered&limit=1").json()
    assert [item["id"] for item in first["items"]] == [letters[2].pk]
    second = client.get("/api/v1/mail", {"status": "registered", "limit": 1,
                                         "cursor": first["next"]}).json()
    assert [item["id"] for item in second["items"]] == [letters[1].pk]
    assert second["next"] is None
    assert client.get("/api/v1/mail?status=bogus").status_code == 400


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/mail"])
    assert "get" in paths["/api/v1/mail/{mail_id}"]
