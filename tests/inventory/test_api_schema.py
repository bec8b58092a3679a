"""Every inventory operation of /api/schema, called with real data, answers as the schema
says (the check of tests/test_api_contract.py, applied to this module's operations; the
same calls belong in that test's world once the module is merged)."""

from __future__ import annotations

import pytest

from socle.inventory.services import software_save
from tests.test_api_contract import Contract, post_json

pytestmark = pytest.mark.django_db


def test_every_inventory_operation_answers_as_the_published_schema_says(
        client, api_client, manager, viewer, arc, town_hall):
    document = client.get("/api/schema").json()
    api = Contract(document)
    dcsi, agent, anonymous = api_client(manager), api_client(viewer), api_client(None)
    title = software_save(actor=manager, organisation=arc, name="LibreOffice")
    asset = api.call(dcsi, "post", "/api/v1/inventory/assets", 201, **post_json({
        "organisation": "margny-les-compiegne", "inventory_number": "API-1", "kind": "laptop",
        "name": "Portable", "site": town_hall.pk, "cost": "1090.00",
        "purchased_on": "2025-09-01"}))
    api.call(dcsi, "post", "/api/v1/inventory/assets", 409, **post_json({
        "organisation": "margny-les-compiegne", "inventory_number": "API-1", "kind": "laptop",
        "name": "Portable"}))
    api.call(dcsi, "post", "/api/v1/inventory/assets", 400, **post_json({
        "organisation": "margny-les-compiegne", "inventory_number": "API-2", "kind": "x",
        "name": "Portable"}))
    api.call(agent, "post", "/api/v1/inventory/assets", 403, **post_json({
        "organisation": "margny-les-compiegne", "inventory_number": "API-3", "kind": "laptop",
        "name": "Portable"}))
    api.call(dcsi, "post", "/api/v1/inventory/assets", 404, **post_json({
        "organisation": "inconnue", "inventory_number": "API-3", "kind": "laptop",
        "name": "Portable"}))
    api.call(agent, "get", "/api/v1/inventory/assets?limit=1", 200)
    api.call(agent, "get", "/api/v1/inventory/assets?cursor=x", 400)
    api.call(anonymous, "get", "/api/v1/inventory/assets", 401)
    api.call(agent, "get", f"/api/v1/inventory/assets/{asset['id']}", 200)
    api.call(agent, "get", "/api/v1/inventory/assets/999999", 404)
    licence = api.call(dcsi, "post", "/api/v1/inventory/licences", 201, **post_json({
        "organisation": "margny-les-compiegne", "name": "Suite", "seats": 5,
        "titles": [title.pk], "expires_on": "2027-06-30"}))
    api.call(dcsi, "post", "/api/v1/inventory/licences", 400, **post_json({
        "organisation": "arc", "name": "Suite", "seats": 5, "titles": [999999]}))
    api.call(agent, "post", "/api/v1/inventory/licences", 403, **post_json({
        "organisation": "arc", "name": "Suite", "seats": 5, "titles": [title.pk]}))
    api.call(agent, "get", "/api/v1/inventory/licences?expiring=true", 200)
    api.call(agent, "get", f"/api/v1/inventory/licences/{licence['id']}", 200)
    api.call(agent, "get", "/api/v1/inventory/licences/999999", 404)
    hotspot = api.call(dcsi, "post", "/api/v1/inventory/hotspots", 201, **post_json({
        "organisation": "margny-les-compiegne", "name": "Gare", "status": "in_service",
        "latitude": 49.43, "longitude": 2.82}))
    api.call(agent, "post", "/api/v1/inventory/hotspots", 403, **post_json({
        "organisation": "margny-les-compiegne", "name": "Gare", "latitude": 49.43,
        "longitude": 2.82}))
    api.call(agent, "get", "/api/v1/inventory/hotspots", 200)
    api.call(agent, "get", f"/api/v1/inventory/hotspots/{hotspot['id']}", 200)
    api.call(agent, "get", "/api/v1/inventory/hotspots/999999", 404)
    ours = {key for key in api.operations if key[1].startswith("/api/v1/inventory/")}
    assert ours - api.succeeded == set()
