"""Elimination pages and API: proposals, hold, the director's visa, archivists only, per commune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage, PackageStatus
from socle.core.models import AuditEvent, Organisation, User
from tests.archives.conftest import stored_files
from tests.support.clients import sign_in

VISA = {"visa_name": "Mme Dupont", "visa_date": "2025-03-01", "visa_reference": "AD60-2025-12"}


@pytest.fixture
def package(arc: Organisation, good_sip: Path) -> ArchivalPackage:
    return transfer_ingest(actor=None, organisation=arc, package=good_sip).package


@pytest.fixture
def venette_archivist(territory: dict, make_user: Any) -> User:
    return make_user("archiviste.venette@exemple.fr",
                     roles=[(territory["venette"], "archives.archivist")])


def test_api_lists_and_eliminates_with_the_visa(package: ArchivalPackage, archivist: User,
                                                api_client: Any, offers: list[Path]) -> None:
    client = api_client(archivist)
    listed = client.get("/api/v1/archives/eliminations").json()["items"]
    assert [p["identifier"] for p in listed] == [package.identifier]
    assert listed[0]["hold"] is False
    response = client.post(f"/api/v1/archives/packages/{package.identifier}/eliminate", VISA,
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["visa_reference"] == "AD60-2025-12"
    package.refresh_from_db()
    assert package.status == PackageStatus.DESTROYED
    assert [p for p in stored_files(offers) if package.identifier in str(p)] == []
    certificate = AuditEvent.objects.get(action="archives.eliminate")
    assert certificate.data["visa"]["name"] == "Mme Dupont"
    again = client.post(f"/api/v1/archives/packages/{package.identifier}/eliminate", VISA,
                        content_type="application/json")
    assert again.status_code == 404


def test_api_refuses_without_visa_and_while_on_hold(package: ArchivalPackage, archivist: User,
                                                    api_client: Any) -> None:
    client = api_client(archivist)
    url = f"/api/v1/archives/packages/{package.identifier}/eliminate"
    blank = client.post(url, {**VISA, "visa_name": " "}, content_type="application/json")
    assert blank.status_code == 422 and blank.json()["code"] == "visa_required"
    package.hold, package.hold_reason = True, "Contentieux en cours"
    package.save()
    held = client.post(url, VISA, content_type="application/json")
    assert held.status_code == 409 and held.json()["code"] == "on_hold"
    assert "Contentieux" in held.json()["message"]
    package.refresh_from_db()
    assert package.status == PackageStatus.KEPT


def test_api_hides_other_communes_and_non_archivists(package: ArchivalPackage, api_client: Any,
                                                     venette_archivist: User, make_user: Any,
                                                     territory: dict) -> None:
    clerk = make_user("ged@exemple.fr", roles=[(territory["arc"], "documents.editor")])
    for user in (venette_archivist, clerk):
        client = api_client(user)
        assert client.get("/api/v1/archives/eliminations").json()["items"] == []
        response = client.post(f"/api/v1/archives/packages/{package.identifier}/eliminate", VISA,
                               content_type="application/json")
        assert response.status_code == 404
    package.refresh_from_db()
    assert package.status == PackageStatus.KEPT


def test_pages_hold_release_and_eliminate(package: ArchivalPackage, archivist: User,
                                          client: Client) -> None:
    sign_in(client, archivist)
    page = client.get("/archives/eliminations/")
    assert page.status_code == 200 and package.title in page.content.decode()
    base = f"/archives/paquets/{package.identifier}"
    refused = client.post(f"{base}/gel/", {"hold": "1", "reason": ""})
    assert refused.status_code == 400 and "motif" in refused.content.decode()
    assert client.post(f"{base}/gel/", {"hold": "1", "reason": "Contentieux"}).status_code == 302
    package.refresh_from_db()
    assert package.hold
    blocked = client.post(f"{base}/eliminer/", VISA)
    assert blocked.status_code == 400 and "gelé" in blocked.content.decode()
    assert client.post(f"{base}/gel/", {"hold": "0"}).status_code == 302
    assert client.post(f"{base}/eliminer/", VISA).status_code == 302
    package.refresh_from_db()
    assert package.status == PackageStatus.DESTROYED


def test_pages_of_another_commune_are_invisible(package: ArchivalPackage, client: Client,
                                                venette_archivist: User) -> None:
    sign_in(client, venette_archivist)
    assert package.title not in client.get("/archives/eliminations/").content.decode()
    base = f"/archives/paquets/{package.identifier}"
    assert client.post(f"{base}/gel/", {"hold": "1", "reason": "x"}).status_code == 404
    assert client.post(f"{base}/eliminer/", VISA).status_code == 404
