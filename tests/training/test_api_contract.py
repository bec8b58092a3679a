"""The training API's own contract test: every operation under /api/v1/training/, called
with real data, answers as the published OpenAPI schema says (tests/test_api_contract.py
calls the operations of the modules it knows; this one calls ours)."""

from __future__ import annotations

import pytest
from django.test import Client

from socle.training.services import course_save
from tests.test_api_contract import Contract, post_json

PREFIX = "/api/v1/training/"


@pytest.fixture
def api(client):
    return Contract(client.get("/api/schema").json())


def test_every_operation_of_the_module_is_called_with_success_here(
    api, api_client, agent, colleague, manager, compiegne_manager, compiegne_agent, arc, course,
    session, make_session
):
    """Each operation of the module at least once with success, and errors it declares."""
    hugo, lea, anne, marc = (api_client(user) for user in (agent, colleague, manager,
                                                           compiegne_manager))
    anonymous = Client()
    course_save(actor=None, organisation=arc, code="CNF-01", title="Marchés publics",
                kind="cnfpt", duration_hours=6, objectives="Rédiger un cahier des charges.")

    # ---- catalogue
    page = api.call(hugo, "get", "/api/v1/training/courses?limit=1", 200)
    assert len(page["items"]) == 1 and page["next"]
    api.call(hugo, "get", f"/api/v1/training/courses?limit=1&cursor={page['next']}", 200)
    api.call(hugo, "get", "/api/v1/training/courses?kind=workshop", 200)
    api.call(hugo, "get", "/api/v1/training/courses?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", "/api/v1/training/courses", 401)
    shown = api.call(hugo, "get", f"/api/v1/training/courses/{course.pk}", 200)
    assert shown["code"] == "BUR-01"
    api.call(hugo, "get", "/api/v1/training/courses/99999999", 404)
    api.call(anonymous, "get", f"/api/v1/training/courses/{course.pk}", 401)

    # ---- sessions
    listed = api.call(hugo, "get", f"/api/v1/training/sessions?upcoming=true&course={course.pk}",
                      200)
    assert [s["id"] for s in listed["items"]] == [session.pk]
    api.call(hugo, "get", "/api/v1/training/sessions?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", "/api/v1/training/sessions", 401)
    api.call(hugo, "get", f"/api/v1/training/sessions/{session.pk}", 200)
    api.call(hugo, "get", "/api/v1/training/sessions/99999999", 404)
    api.call(anonymous, "get", f"/api/v1/training/sessions/{session.pk}", 401)

    # ---- registrations: asked for, decided, cancelled
    url = "/api/v1/training/registrations"
    asked = api.call(hugo, "post", url, 201,
                     **post_json({"session": session.pk, "motivation": "Pour l'accueil"}))
    assert asked["status"] == "pending" and asked["organisation"] == "margny-les-compiegne"
    api.call(hugo, "post", url, 409, **post_json({"session": session.pk}))
    api.call(hugo, "post", url, 400, **post_json({"session": session.pk, "admin": True}))
    api.call(hugo, "post", url, 404, **post_json({"session": 99999999}))
    api.call(anonymous, "post", url, 401, **post_json({"session": session.pk}))
    theirs = api.call(api_client(compiegne_agent), "post", url, 201,
                      **post_json({"session": session.pk}))

    api.call(hugo, "get", url, 200)
    api.call(hugo, "get", f"{url}?mine=true&status=pending", 200)
    to_decide = api.call(anne, "get", f"{url}?to_decide=true", 200)
    assert [r["id"] for r in to_decide["items"]] == [asked["id"]]
    api.call(hugo, "get", f"{url}?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", url, 401)

    mine = f"{url}/{asked['id']}"
    api.call(hugo, "get", mine, 200)
    api.call(anne, "get", mine, 200)
    api.call(marc, "get", mine, 404)  # another commune's registration does not exist
    api.call(anne, "get", f"{url}/{theirs['id']}", 404)
    api.call(hugo, "get", f"{url}/99999999", 404)
    api.call(anonymous, "get", mine, 401)

    decision = f"{mine}/decision"
    api.call(hugo, "post", decision, 403, **post_json({"approve": True}))  # one's own request
    api.call(anne, "post", decision, 400, **post_json({"approve": False}))  # a refusal needs a reason
    api.call(marc, "post", decision, 404, **post_json({"approve": True}))
    api.call(anonymous, "post", decision, 401, **post_json({"approve": True}))
    decided = api.call(anne, "post", decision, 200, **post_json({"approve": True}))
    assert decided["status"] == "confirmed" and decided["decided_at"]
    api.call(anne, "post", decision, 409, **post_json({"approve": True}))
    seats = api.call(hugo, "get", f"/api/v1/training/sessions/{session.pk}", 200)
    assert seats["seats_taken"] == 1

    cancel = f"{mine}/cancel"
    api.call(marc, "post", cancel, 404)
    api.call(anonymous, "post", cancel, 401)
    api.call(lea, "post", cancel, 404)  # a colleague does not see it
    cancelled = api.call(hugo, "post", cancel, 200)
    assert cancelled["status"] == "cancelled"
    api.call(hugo, "post", cancel, 409)

    ours = {key for key in api.operations if key[1].startswith(PREFIX)}
    assert len(ours) == 9 and ours <= api.succeeded, sorted(ours - api.succeeded)
