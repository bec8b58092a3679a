"""The core's API: territory (public), identity, bearer tokens, error shape, schema."""

import json

from django.core.management import call_command

from socle.core.journal import audit_verify
from socle.core.models import ApiToken, AuditEvent
from socle.core.services import token_create, token_revoke


def test_organisations_is_public_and_lists_the_territory(client, territory):
    response = client.get("/api/v1/organisations")
    assert response.status_code == 200
    body = response.json()
    rows = body["items"]
    by_slug = {row["slug"]: row for row in rows}
    assert len(rows) == 25 and body["next"] is None
    assert by_slug["arc"] == {**by_slug["arc"], "kind": "epci", "parent": None}
    compiegne = by_slug["compiegne"]
    assert compiegne["kind"] == "commune" and compiegne["parent"] == "arc"
    assert compiegne["name"] == "Compiègne"
    assert compiegne["insee_code"] == "60159"
    assert by_slug["dcsi"]["kind"] == "service"
    assert by_slug["dcsi"]["insee_code"] is None


def test_me_requires_a_token(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated" and "jeton" in body["message"]


def test_me_with_a_bearer_token_describes_the_caller(api_client, territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    body = api_client(agent).get("/api/v1/me").json()
    assert body["email"] == "agent@exemple.fr"
    assert body["memberships"] == [{"organisation": "compiegne", "role": "portal.caseworker"}]


def test_a_revoked_token_is_refused(client, make_user):
    user = make_user()
    token, clear = token_create(actor=None, user=user)
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token_revoke(actor=None, token=token)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_forged_token_with_a_known_prefix_is_refused(client, make_user):
    _, clear = token_create(actor=None, user=make_user())
    forged = clear[:-4] + ("AAAA" if not clear.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_token_of_a_deactivated_account_is_refused(client, make_user):
    user = make_user()
    _, clear = token_create(actor=None, user=user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401


def test_tokens_are_stored_hashed_and_their_creation_journaled(make_user):
    user = make_user()
    token, clear = token_create(actor=None, user=user)
    stored = ApiToken.objects.get(pk=token.pk)
    assert clear not in (stored.digest, stored.prefix)
    assert len(stored.digest) == 64
    event = AuditEvent.objects.filter(action="token.create").last()
    assert event.data["prefix"] == token.prefix and clear not in json.dumps(event.data)


def test_token_create_command_prints_a_working_token(client, make_user, capsys):
    make_user("operateur@exemple.fr")
    call_command("token", "create", "operateur@exemple.fr")
    clear = capsys.readouterr().out.strip()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200 and response.json()["email"] == "operateur@exemple.fr"
    assert audit_verify().ok


def test_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_openapi_schema_documents_the_api(client, db):
    response = client.get("/api/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/organisations" in schema["paths"]
    assert "/api/v1/me" in schema["paths"]


def test_healthz_reports_database_and_storage(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["blobs"] == "ok"
