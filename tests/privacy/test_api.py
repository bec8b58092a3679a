"""GET /api/v1/privacy/activities, breaches, requests: scoped like the pages, paged by the one
cursor, every body valid against the published OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone

from socle.privacy import services
from socle.privacy.models import Activity

OPERATIONS = ["/api/v1/privacy/activities", "/api/v1/privacy/breaches",
              "/api/v1/privacy/requests"]


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    return client.get("/api/schema").json()


def call(schema: dict[str, Any], client: Client, url: str, expect: int) -> Any:
    response = client.get(url)
    assert response.status_code == expect, response.content[:300]
    operation = schema["paths"][url.split("?")[0]]["get"]
    declared = operation["responses"][str(expect)]["content"]["application/json"]["schema"]
    body = response.json()
    errors = list(jsonschema.Draft202012Validator(
        {**declared, "components": schema["components"]},
        format_checker=jsonschema.FormatChecker()).iter_errors(body))
    assert not errors, errors[0].message
    return body


@pytest.fixture
def registers(dpo, referent, margny, venette, new_breach, new_request):
    services.platform_sync(organisations=[margny, venette])
    new_breach()
    new_breach(organisation=venette, actor=dpo, title="Rançongiciel à Venette")
    new_request(received_on=timezone.localdate() - timedelta(days=45))
    new_request(organisation=venette, actor=dpo, requester_name="Personne de Venette")


def test_the_three_operations_are_published_with_their_errors(schema):
    for path in OPERATIONS:
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "400", "401", "403", "404"} <= set(responses)


def test_the_dpo_reads_every_register_and_a_referent_only_their_own(
        schema, registers, api_client, dpo, referent):
    for path in OPERATIONS:
        everything = call(schema, api_client(dpo), f"{path}?limit=100", 200)["items"]
        own = call(schema, api_client(referent), f"{path}?limit=100", 200)["items"]
        assert {i["organisation"] for i in everything} == {"margny-les-compiegne", "venette"}
        assert {i["organisation"] for i in own} == {"margny-les-compiegne"}


def test_another_communes_register_is_a_404(schema, registers, api_client, referent):
    for path in OPERATIONS:
        body = call(schema, api_client(referent), f"{path}?organisation=venette", 404)
        assert body["code"] == "not_found"


def test_a_caller_without_a_register_role_is_a_403_and_a_visitor_a_401(
        schema, registers, api_client, make_user, territory):
    clerk = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    for path in OPERATIONS:
        assert call(schema, api_client(clerk), path, 403)["code"] == "forbidden"
        assert call(schema, api_client(None), path, 401)["code"] == "unauthenticated"


def test_bad_parameters_are_a_400(schema, registers, api_client, dpo):
    for path in OPERATIONS:
        assert call(schema, api_client(dpo), f"{path}?cursor=%%%", 400)["code"] == "invalid_cursor"
        call(schema, api_client(dpo), f"{path}?limit=1000", 400)
    call(schema, api_client(dpo), "/api/v1/privacy/requests?state=late", 400)


def test_lists_page_with_the_cursor_to_the_end(schema, registers, api_client, dpo):
    client, seen, cursor = api_client(dpo), [], ""
    while True:
        page = call(schema, client, f"/api/v1/privacy/activities?limit=4&cursor={cursor}", 200)
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        cursor = page["next"]
    assert len(seen) == len(set(seen)) and len(seen) > 4
    everything = call(schema, client, "/api/v1/privacy/activities?limit=100", 200)["items"]
    assert sorted(seen) == sorted(item["id"] for item in everything)


def test_activities_say_what_the_platform_declares(schema, registers, api_client, referent):
    items = call(schema, api_client(referent), "/api/v1/privacy/activities?limit=100", 200)["items"]
    mail = next(i for i in items if i["platform_module"] == "mail")
    assert mail["platform_declared"] is True and mail["missing"] == []


def test_breaches_carry_their_clock_and_requests_their_due_dates(schema, registers, api_client,
                                                                 referent):
    breaches = call(schema, api_client(referent), "/api/v1/privacy/breaches", 200)["items"]
    assert breaches[0]["clock"] == "running" and "Il reste" in breaches[0]["clock_text"]
    late = call(schema, api_client(referent), "/api/v1/privacy/requests?state=overdue", 200)
    assert [r["overdue"] for r in late["items"]] == [True]
    assert "requester_name" not in late["items"][0]


def test_a_page_costs_the_same_queries_whatever_its_length(registers, api_client, dpo, margny):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(dpo)
    processor = services.processor_create(actor=dpo, organisation=margny, name="Hébergeur",
                                          service="Hébergement")
    for activity in Activity.objects.filter(organisation=margny):
        services.activity_update(actor=dpo, activity=activity, processors=[processor])
    for path in OPERATIONS:
        counts = []
        for limit in (2, 20):
            client.get(f"{path}?limit=1")
            with CaptureQueriesContext(connection) as captured:
                assert client.get(f"{path}?limit={limit}").status_code == 200
            counts.append(len(captured))
        assert counts[0] == counts[1], path
