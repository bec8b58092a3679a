"""The inventory's API: assets, licences and hotspots; the project's pagination and error
shape, creation for managers only, and another commune's objects a 404."""

from __future__ import annotations

import pytest

from socle.inventory.services import hotspot_save, licence_save, software_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(manager, arc, margny, venette, venette_site, make_asset):
    ours = [make_asset() for _ in range(3)]
    theirs = make_asset(organisation=venette, site=venette_site)
    title = software_save(actor=manager, organisation=arc, name="LibreOffice")
    licence = licence_save(actor=manager, organisation=venette, name="Venette", seats=2,
                           titles=[title])
    hotspot = hotspot_save(actor=manager, organisation=venette, name="Parc", status="planned",
                           latitude=49.41, longitude=2.8)
    return {"ours": ours, "theirs": theirs, "title": title, "licence": licence,
            "hotspot": hotspot}


def test_assets_are_paged_with_the_projects_cursor(data, api_client, manager):
    client = api_client(manager)
    first = client.get("/api/v1/inventory/assets?limit=2").json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(f"/api/v1/inventory/assets?limit=2&cursor={first['next']}").json()
    assert len(second["items"]) == 2 and second["next"] is None
    assert client.get("/api/v1/inventory/assets?cursor=garbage").json()["code"] == (
        "invalid_cursor")
    one = client.get(f"/api/v1/inventory/assets/{data['ours'][0].pk}").json()
    assert one["organisation"] == "margny-les-compiegne" and one["site"] == "Mairie"


def test_a_viewer_lists_their_commune_and_gets_404_for_another(data, api_client, viewer):
    client = api_client(viewer)
    items = client.get("/api/v1/inventory/assets").json()["items"]
    assert {item["organisation"] for item in items} == {"margny-les-compiegne"}
    for url in (f"/api/v1/inventory/assets/{data['theirs'].pk}",
                f"/api/v1/inventory/licences/{data['licence'].pk}",
                f"/api/v1/inventory/hotspots/{data['hotspot'].pk}",
                "/api/v1/inventory/assets/0", "/api/v1/inventory/assets/99999999999999999999"):
        response = client.get(url)
        assert response.status_code in (404, 422, 400), url
        assert "code" in response.json()
    assert client.get("/api/v1/inventory/licences").json()["items"] == []
    assert client.get("/api/v1/inventory/hotspots").json()["items"] == []


def test_only_managers_create_and_bad_values_are_a_400_with_its_field(data, api_client,
                                                                       manager, viewer):
    body = {"organisation": "margny-les-compiegne", "inventory_number": "API-1",
            "kind": "tablet", "name": "Tablette", "cost": "459.00"}
    assert api_client(viewer).post("/api/v1/inventory/assets", body,
                                   content_type="application/json").status_code == 403
    response = api_client(manager).post("/api/v1/inventory/assets", body,
                                        content_type="application/json")
    assert response.status_code == 201 and response.json()["kind"] == "tablet"
    again = api_client(manager).post("/api/v1/inventory/assets", body,
                                     content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    bad = api_client(manager).post("/api/v1/inventory/assets", {**body, "inventory_number": "X",
                                                                 "kind": "toaster"},
                                   content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "kind"
    formula = api_client(manager).post("/api/v1/inventory/assets", {
        **body, "inventory_number": "Y", "name": "=cmd|' /C calc'!A0"},
        content_type="application/json")
    assert formula.status_code == 400 and formula.json()["code"] == "formula"
    extra = api_client(manager).post("/api/v1/inventory/assets", {**body, "admin": True},
                                     content_type="application/json")
    assert extra.status_code in (400, 422)


def test_a_commune_manager_gets_404_for_another_communes_creation(data, api_client, make_user,
                                                                  margny):
    local = make_user(roles=[(margny, "inventory.manager")])
    response = api_client(local).post("/api/v1/inventory/hotspots", {
        "organisation": "venette", "name": "Pirate", "latitude": 49.4, "longitude": 2.8},
        content_type="application/json")
    assert response.status_code == 404


def test_licences_and_hotspots_are_created_and_listed(data, api_client, manager):
    client = api_client(manager)
    response = client.post("/api/v1/inventory/licences", {
        "organisation": "arc", "name": "Suite", "seats": 10, "titles": [data["title"].pk],
        "expires_on": "2030-01-31"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["titles"] == ["LibreOffice"] and response.json()["used"] == 0
    unknown = client.post("/api/v1/inventory/licences", {
        "organisation": "arc", "name": "Suite", "seats": 10, "titles": [999999]},
        content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "titles"
    response = client.post("/api/v1/inventory/hotspots", {
        "organisation": "margny-les-compiegne", "name": "Gare", "status": "in_service",
        "latitude": 49.43, "longitude": 2.82}, content_type="application/json")
    assert response.status_code == 201
    off_globe = client.post("/api/v1/inventory/hotspots", {
        "organisation": "margny-les-compiegne", "name": "Lune", "latitude": 95,
        "longitude": 2.82}, content_type="application/json")
    assert off_globe.status_code in (400, 422)
    names = [h["name"] for h in client.get("/api/v1/inventory/hotspots").json()["items"]]
    assert names == ["Parc", "Gare"]
    assert len(client.get("/api/v1/inventory/licences?expiring=true").json()["items"]) == 0


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get("/api/v1/inventory/assets").status_code == 401
