"""The tickets API: each answer validated against the published OpenAPI schema (the
platform's contract checker), success, wrong role, another commune, hostile input."""

from __future__ import annotations

import pytest
from django.test import Client

from socle.helpdesk.models import Ticket
from tests.test_api_contract import Contract, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db) -> Contract:
    return Contract(Client().get("/api/schema").json())


def test_opening_a_ticket_answers_201_with_id_number_and_status(api, api_client, agent, slas):
    body = api.call(api_client(agent), "post", "/api/v1/tickets", 201, **post_json({
        "title": "Messagerie inaccessible", "description": "Outlook ne démarre plus.",
        "category": "messaging"}))
    ticket = Ticket.objects.get(pk=body["id"])
    assert body == {"id": ticket.pk, "number": ticket.number, "status": "new"}
    assert ticket.organisation.slug == "margny-les-compiegne" and ticket.channel == "api"
    assert ticket.sla is not None and ticket.due_resolve_at is not None


def test_opening_refuses_bad_input_with_a_machine_code(api, api_client, agent, slas):
    client = api_client(agent)
    base = {"title": "Titre", "description": "Texte", "category": "software"}
    refused = api.call(client, "post", "/api/v1/tickets", 400,
                       **post_json({**base, "category": "licorne"}))
    assert refused["code"] == "invalid_category"
    assert api.call(client, "post", "/api/v1/tickets", 400,
                    **post_json({**base, "urgency": 7}))["code"] == "invalid"
    assert api.call(client, "post", "/api/v1/tickets", 400,
                    **post_json({**base, "extra": 1}))["code"] == "invalid"
    assert api.call(client, "post", "/api/v1/tickets", 400,
                    data="{not json", content_type="application/json")["code"] == "malformed_json"
    assert api.call(client, "post", "/api/v1/tickets", 404,
                    **post_json({**base, "organisation": "venette"}))["code"] == "not_found"
    assert not Ticket.objects.exists()


def test_a_caller_without_a_helpdesk_role_is_refused(api, api_client, make_user, margny):
    clerk = api_client(make_user(roles=[(margny, "mail.clerk")]))
    api.call(clerk, "post", "/api/v1/tickets", 403, **post_json({
        "title": "x", "description": "y", "category": "other"}))
    api.call(clerk, "get", "/api/v1/tickets", 403)
    api.call(Client(), "get", "/api/v1/tickets", 401)


def test_a_technician_must_name_the_commune(api, api_client, technician, slas):
    body = api.call(api_client(technician), "post", "/api/v1/tickets", 400, **post_json({
        "title": "x", "description": "y", "category": "other"}))
    assert body["code"] == "organisation_required"
    api.call(api_client(technician), "post", "/api/v1/tickets", 201, **post_json({
        "title": "x", "description": "y", "category": "other", "organisation": "venette"}))


def test_listing_pages_with_a_cursor(api, api_client, agent, open_ticket):
    made = [open_ticket(title=f"Ticket {n}") for n in range(3)]
    client = api_client(agent)
    first = api.call(client, "get", "/api/v1/tickets?limit=2", 200)
    assert [i["id"] for i in first["items"]] == [made[2].pk, made[1].pk]
    second = api.call(client, "get", f"/api/v1/tickets?limit=2&cursor={first['next']}", 200)
    assert [i["id"] for i in second["items"]] == [made[0].pk] and second["next"] is None
    assert api.call(client, "get", "/api/v1/tickets?cursor=zzz", 400)["code"] == "invalid_cursor"
    assert api.call(client, "get", "/api/v1/tickets?status=open&mine=true", 200)["items"]


def test_reading_a_ticket_and_its_comments(api, api_client, agent, technician, open_ticket,
                                           outsider):
    ticket = open_ticket()
    tech = api_client(technician)
    api.call(tech, "post", f"/api/v1/tickets/{ticket.pk}/comments", 201,
             **post_json({"text": "Note pour l'équipe", "internal": True}))
    api.call(tech, "post", f"/api/v1/tickets/{ticket.pk}/comments", 201,
             **post_json({"text": "Bonjour, nous regardons."}))
    client = api_client(agent)
    detail = api.call(client, "get", f"/api/v1/tickets/{ticket.pk}", 200)
    assert detail["number"] == ticket.number and detail["status"] == "new"
    comments = api.call(client, "get", f"/api/v1/tickets/{ticket.pk}/comments?limit=1", 200)
    assert [c["text"] for c in comments["items"]] == ["Bonjour, nous regardons."]
    assert comments["next"] is None
    all_of_them = api.call(tech, "get", f"/api/v1/tickets/{ticket.pk}/comments?limit=1", 200)
    assert all_of_them["next"] is not None
    refused = api.call(client, "post", f"/api/v1/tickets/{ticket.pk}/comments", 403,
                       **post_json({"text": "x", "internal": True}))
    assert refused["code"] == "forbidden"
    api.call(client, "post", f"/api/v1/tickets/{ticket.pk}/comments", 201,
             **post_json({"text": "Merci"}))
    api.call(api_client(outsider), "get", f"/api/v1/tickets/{ticket.pk}", 404)
    api.call(client, "get", "/api/v1/tickets/0", 404)
    api.call(client, "get", f"/api/v1/tickets/{2**63}", 404)
    api.call(client, "post", f"/api/v1/tickets/{ticket.pk}/comments", 400,
             **post_json({"text": ""}))


def test_a_closed_ticket_refuses_comments_with_409(api, api_client, agent, technician,
                                                   open_ticket):
    from socle.helpdesk.services import ticket_answer_solution, ticket_solve

    ticket = ticket_solve(actor=technician, ticket=open_ticket(), solution="Fait.")
    ticket_answer_solution(actor=agent, ticket=ticket, accept=True)
    body = api.call(api_client(agent), "post", f"/api/v1/tickets/{ticket.pk}/comments", 409,
                    **post_json({"text": "Encore"}))
    assert body["code"] == "ticket_closed"


def test_every_helpdesk_operation_was_called_with_success(api, api_client, agent, open_ticket,
                                                          monkeypatch):
    monkeypatch.setenv("SOCLE_HELPDESK_INTAKE_SECRET", "s3cret")
    ticket = open_ticket()
    client = api_client(agent)
    api.call(client, "post", "/api/v1/tickets", 201, **post_json({
        "title": "x", "description": "y", "category": "other"}))
    api.call(client, "get", "/api/v1/tickets", 200)
    api.call(client, "get", f"/api/v1/tickets/{ticket.pk}", 200)
    api.call(client, "get", f"/api/v1/tickets/{ticket.pk}/comments", 200)
    api.call(client, "post", f"/api/v1/tickets/{ticket.pk}/comments", 201,
             **post_json({"text": "x"}))
    api.call(Client(), "post", "/api/v1/helpdesk/inbound", 202,
             data=b"From: inconnu@exemple.fr\r\nSubject: test\r\n\r\nbonjour\r\n",
             content_type="message/rfc822", headers={"X-Socle-Intake-Secret": "s3cret"})
    ours = {key for key in api.operations if key[1].startswith(("/api/v1/tickets",
                                                               "/api/v1/helpdesk"))}
    assert ours and ours <= api.succeeded
