"""The security API: each answer validated against the published OpenAPI schema, success,
wrong role, another commune, hostile input, the project's pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from socle.security.models import Finding
from socle.security.services import charter_accept, finding_create
from tests.test_api_contract import Contract, post_json

pytestmark = pytest.mark.django_db
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def api(db) -> Contract:
    return Contract(Client().get("/api/schema").json())


def finding_payload(slug: str, **values) -> dict:
    return {"organisation": slug, "title": "Apache vulnérable", "asset": "inventory.asset:3",
            "cvss_vector": VECTOR, "recommendation": "Mettre à jour.", "owner": "DCSI",
            "due_on": (timezone.localdate() + timedelta(days=10)).isoformat(), **values}


def test_the_officer_publishes_a_version_and_lists_them(api, api_client, officer, charter):
    client = api_client(officer)
    body = api.call(client, "post", "/api/v1/security/charter/versions", 201, **post_json({
        "number": "2027.1", "title": "Charte", "text": "Nouveau texte."}))
    assert body["in_force"] is True and body["number"] == "2027.1"
    api.call(client, "post", "/api/v1/security/charter/versions", 409, **post_json({
        "number": "2027.1", "title": "Charte", "text": "Encore.",
        "in_force_from": (timezone.now() + timedelta(days=3)).isoformat()}))
    api.call(client, "post", "/api/v1/security/charter/versions", 400, **post_json({
        "number": "2027.2", "title": "Charte", "text": "x", "extra": 1}))
    page = api.call(client, "get", "/api/v1/security/charter/versions?limit=1", 200)
    assert [v["number"] for v in page["items"]] == ["2027.1"] and page["next"]
    rest = api.call(client, "get",
                    f"/api/v1/security/charter/versions?limit=1&cursor={page['next']}", 200)
    assert [v["number"] for v in rest["items"]] == ["2026.1"] and rest["next"] is None
    api.call(client, "get", "/api/v1/security/charter/versions?cursor=%%%", 400)


def test_a_lead_reads_but_does_not_publish_and_an_agent_reads_nothing(api, api_client, lead,
                                                                      agent, charter):
    api.call(api_client(lead), "get", "/api/v1/security/charter/versions", 200)
    api.call(api_client(lead), "post", "/api/v1/security/charter/versions", 403,
             **post_json({"number": "9", "title": "T", "text": "X"}))
    api.call(api_client(agent), "get", "/api/v1/security/charter/versions", 403)
    api.call(api_client(agent), "get", "/api/v1/security/charter/acceptances", 403)
    api.call(api_client(agent), "get", "/api/v1/security/findings", 403)
    api.call(Client(), "get", "/api/v1/security/findings", 401)


def test_acceptances_keep_to_the_leads_commune(api, api_client, lead, agent, outsider, charter):
    charter_accept(actor=agent, version=charter)
    charter_accept(actor=outsider, version=charter)
    body = api.call(api_client(lead), "get", "/api/v1/security/charter/acceptances", 200)
    assert [a["email"] for a in body["items"]] == [agent.email]
    assert body["items"][0]["version"] == "2026.1"
    api.call(api_client(lead), "get",
             "/api/v1/security/charter/acceptances?organisation=venette", 404)
    filtered = api.call(api_client(lead), "get",
                        f"/api/v1/security/charter/acceptances?version={charter.pk}", 200)
    assert len(filtered["items"]) == 1


def test_the_officer_records_a_finding_scored_by_the_server(api, api_client, officer, margny):
    body = api.call(api_client(officer), "post", "/api/v1/security/findings", 201,
                    **post_json(finding_payload(margny.slug)))
    assert (body["cvss_score"], body["severity"], body["asset"]) == (9.8, "critical",
                                                                     "inventory.asset:3")
    bad = api.call(api_client(officer), "post", "/api/v1/security/findings", 400,
                   **post_json(finding_payload(margny.slug, cvss_vector="CVSS:3.1/AV:Z")))
    assert bad["code"] == "invalid_cvss"
    api.call(api_client(officer), "post", "/api/v1/security/findings", 404,
             **post_json(finding_payload("nowhere")))
    assert Finding.objects.count() == 1


def test_findings_of_another_commune_are_404_and_never_listed(api, api_client, lead, margny,
                                                              venette):
    def make(organisation):
        return finding_create(actor=None, organisation=organisation, title="T", asset="A",
                              cvss_vector=VECTOR, recommendation="R", owner="O",
                              due_on=timezone.localdate())

    ours, theirs = make(margny), make(venette)
    api.call(api_client(lead), "post", "/api/v1/security/findings", 403,
             **post_json(finding_payload(margny.slug)))
    listed = api.call(api_client(lead), "get", "/api/v1/security/findings", 200)
    assert [f["id"] for f in listed["items"]] == [ours.pk]
    api.call(api_client(lead), "get", f"/api/v1/security/findings/{ours.pk}", 200)
    api.call(api_client(lead), "get", f"/api/v1/security/findings/{theirs.pk}", 404)
