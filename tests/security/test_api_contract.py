"""The security API's own contract test: every operation under /api/v1/security/, called
with real data, answers as the published OpenAPI schema says (tests/test_api_contract.py
calls the operations of the modules it knows; this one calls ours)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from socle.security.services import charter_accept, finding_create
from tests.test_api_contract import Contract, post_json

PREFIX = "/api/v1/security/"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def api(client):
    return Contract(client.get("/api/schema").json())


def finding_payload(slug: str, **values: Any) -> dict[str, Any]:
    return {"organisation": slug, "title": "Apache vulnérable", "asset": "inventory.asset:3",
            "cvss_vector": VECTOR, "recommendation": "Mettre à jour.", "owner": "DCSI",
            "due_on": (timezone.localdate() + timedelta(days=10)).isoformat(), **values}


def test_every_operation_of_the_module_is_called_with_success_here(
    api, api_client, officer, lead, agent, outsider, margny, venette, charter
):
    """Each operation of the module at least once with success, and errors it declares."""
    rssi, margny_lead, anonymous = api_client(officer), api_client(lead), Client()
    charter_accept(actor=agent, version=charter)
    charter_accept(actor=outsider, version=charter)

    # ---- the charter
    versions = "/api/v1/security/charter/versions"
    published = api.call(rssi, "post", versions, 201, **post_json({
        "number": "2027.1", "title": "Charte", "text": "Nouveau texte."}))
    assert published["in_force"] is True
    api.call(rssi, "post", versions, 409, **post_json({
        "number": "2027.1", "title": "Charte", "text": "Encore."}))
    api.call(rssi, "post", versions, 400, **post_json({
        "number": "2027.2", "title": "Charte", "text": "x", "extra": 1}))
    api.call(margny_lead, "post", versions, 403, **post_json({
        "number": "9", "title": "T", "text": "X"}))
    api.call(anonymous, "post", versions, 401, **post_json({
        "number": "9", "title": "T", "text": "X"}))
    page = api.call(rssi, "get", f"{versions}?limit=1", 200)
    assert [v["number"] for v in page["items"]] == ["2027.1"] and page["next"]
    api.call(rssi, "get", f"{versions}?limit=1&cursor={page['next']}", 200)
    api.call(margny_lead, "get", versions, 200)
    api.call(rssi, "get", f"{versions}?cursor=pas-un-curseur", 400)
    api.call(api_client(agent), "get", versions, 403)
    api.call(anonymous, "get", versions, 401)

    acceptances = "/api/v1/security/charter/acceptances"
    accepted = api.call(margny_lead, "get", acceptances, 200)
    assert [a["email"] for a in accepted["items"]] == [agent.email]
    api.call(rssi, "get", f"{acceptances}?version={charter.pk}&organisation={venette.slug}", 200)
    api.call(margny_lead, "get", f"{acceptances}?organisation={venette.slug}", 404)
    api.call(margny_lead, "get", f"{acceptances}?version=99999999", 404)
    api.call(margny_lead, "get", f"{acceptances}?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", acceptances, 401)

    # ---- the findings
    findings = "/api/v1/security/findings"
    recorded = api.call(rssi, "post", findings, 201, **post_json(finding_payload(margny.slug)))
    assert (recorded["cvss_score"], recorded["severity"]) == (9.8, "critical")
    bad = api.call(rssi, "post", findings, 400,
                   **post_json(finding_payload(margny.slug, cvss_vector="CVSS:3.1/AV:Z")))
    assert bad["code"] == "invalid_cvss"
    api.call(rssi, "post", findings, 404, **post_json(finding_payload("nulle-part")))
    api.call(margny_lead, "post", findings, 403, **post_json(finding_payload(margny.slug)))
    api.call(anonymous, "post", findings, 401, **post_json(finding_payload(margny.slug)))
    theirs = finding_create(actor=None, organisation=venette, title="T", asset="A",
                            cvss_vector=VECTOR, recommendation="R", owner="O",
                            due_on=timezone.localdate())
    listed = api.call(margny_lead, "get", f"{findings}?status=active", 200)
    assert [f["id"] for f in listed["items"]] == [recorded["id"]]
    api.call(rssi, "get", f"{findings}?limit=1", 200)
    api.call(rssi, "get", f"{findings}?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", findings, 401)
    api.call(margny_lead, "get", f"{findings}/{recorded['id']}", 200)
    api.call(rssi, "get", f"{findings}/{theirs.pk}", 200)
    api.call(margny_lead, "get", f"{findings}/{theirs.pk}", 404)  # another commune's
    api.call(rssi, "get", f"{findings}/99999999", 404)
    api.call(api_client(agent), "get", f"{findings}/{recorded['id']}", 403)
    api.call(anonymous, "get", f"{findings}/{recorded['id']}", 401)

    ours = {key for key in api.operations if key[1].startswith(PREFIX)}
    assert len(ours) == 6 and ours <= api.succeeded, sorted(ours - api.succeeded)
