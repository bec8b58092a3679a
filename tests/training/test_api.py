"""The training API: the catalogue and sessions for any agent, registrations asked for,
decided and cancelled, the one pagination and error shape, and bad input refused."""

from __future__ import annotations

import pytest

from socle.training.models import Registration
from socle.training.services import course_save

pytestmark = pytest.mark.django_db


def test_the_catalogue_pages_with_a_cursor(agent, arc, course, api_client):
    for n in range(3):
        course_save(actor=None, organisation=arc, code=f"C-{n}", title=f"Cours {n}",
                    kind="cnfpt", duration_hours=2, objectives="x")
    client = api_client(agent)
    first = client.get("/api/v1/training/courses?limit=2").json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(f"/api/v1/training/courses?limit=2&cursor={first['next']}").json()
    assert len(second["items"]) == 2 and second["next"] is None
    codes = {i["code"] for i in first["items"] + second["items"]}
    assert codes == {"BUR-01", "C-0", "C-1", "C-2"}
    only = client.get("/api/v1/training/courses?kind=workshop").json()["items"]
    assert [c["code"] for c in only] == ["BUR-01"]
    bad = client.get("/api/v1/training/courses?cursor=nimportequoi")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    assert client.get(f"/api/v1/training/courses/{course.pk}").json()["duration_hours"] == "3.5"
    assert client.get("/api/v1/training/courses/99999999999999999999").status_code == 404


def test_someone_who_is_no_agent_is_refused(make_user, api_client, session):
    client = api_client(make_user("usager@exemple.fr"))
    assert client.get("/api/v1/training/courses").status_code == 403
    assert client.get("/api/v1/training/sessions").status_code == 403
    asked = client.post("/api/v1/training/registrations", {"session": session.pk},
                        content_type="application/json")
    assert asked.status_code == 403
    assert api_client().get("/api/v1/training/courses").status_code == 401


def test_an_agent_asks_and_the_manager_decides_through_the_api(agent, manager, session,
                                                               api_client):
    sessions = api_client(agent).get("/api/v1/training/sessions?upcoming=true").json()
    assert [s["id"] for s in sessions["items"]] == [session.pk]
    asked = api_client(agent).post("/api/v1/training/registrations",
                                   {"session": session.pk, "motivation": "Pour l'accueil"},
                                   content_type="application/json")
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    pk = asked.json()["id"]
    again = api_client(agent).post("/api/v1/training/registrations", {"session": session.pk},
                                   content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    own = api_client(agent).post(f"/api/v1/training/registrations/{pk}/decision",
                                 {"approve": True}, content_type="application/json")
    assert own.status_code == 403
    refused = api_client(manager).post(f"/api/v1/training/registrations/{pk}/decision",
                                       {"approve": False}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["errors"]
    decided = api_client(manager).post(f"/api/v1/training/registrations/{pk}/decision",
                                       {"approve": True}, content_type="application/json")
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    twice = api_client(manager).post(f"/api/v1/training/registrations/{pk}/decision",
                                     {"approve": True}, content_type="application/json")
    assert twice.status_code == 409
    seats = api_client(agent).get(f"/api/v1/training/sessions/{session.pk}").json()
    assert seats["seats_taken"] == 1
    cancelled = api_client(agent).post(f"/api/v1/training/registrations/{pk}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert api_client(agent).post(f"/api/v1/training/registrations/{pk}/cancel").status_code == 409


def test_bad_payloads_are_refused_whole(agent, session, api_client):
    client = api_client(agent)
    extra = client.post("/api/v1/training/registrations",
                        {"session": session.pk, "admin": True}, content_type="application/json")
    assert extra.status_code == 400 and extra.json()["code"] == "invalid"
    long = client.post("/api/v1/training/registrations",
                       {"session": session.pk, "motivation": "x" * 2001},
                       content_type="application/json")
    assert long.status_code == 400
    unknown = client.post("/api/v1/training/registrations", {"session": 99999},
                          content_type="application/json")
    assert unknown.status_code == 404
    assert not Registration.objects.exists()


def test_the_operations_are_in_the_openapi_schema(agent, api_client):
    schema = api_client(agent).get("/api/schema").json()
    paths = set(schema["paths"])
    assert {"/api/v1/training/courses", "/api/v1/training/sessions",
            "/api/v1/training/registrations",
            "/api/v1/training/registrations/{registration_id}/decision"} <= paths
    assert "TrainingRegistrationOut" in schema["components"]["schemas"]
