"""API and pages of the archives: roles, scoping across communes, search, elimination, export."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.management import call_command
from django.test import Client

from socle.archives.export import archives_export
from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage
from socle.archives.selectors import eliminable_for
from socle.archives.services import package_eliminate, package_hold_set
from socle.core.consultations import consultations_fold
from socle.core.models import AuditEvent, Consultation, Organisation, User
from socle.core.services import ServiceError
from tests.archives.conftest import manifest_xml, sip_zip, stored_files
from tests.support.clients import sign_in
from tests.support.downloads import served_name


@pytest.fixture
def package(arc: Organisation, good_sip: Path) -> ArchivalPackage:
    return transfer_ingest(actor=None, organisation=arc, package=good_sip).package


@pytest.fixture
def venette_archivist(territory: dict, make_user: Any) -> User:
    return make_user("archiviste.venette@exemple.fr",
                     roles=[(territory["venette"], "archives.archivist")])


def post_package(client: Client, content: bytes, organisation: str = "arc") -> Any:
    return client.post("/api/v1/archives/transfers",
                       {"organisation": organisation,
                        "package": _named(content)})


def _named(content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = "sip.zip"
    return handle


def test_an_archivist_transfers_through_the_api(archivist: User, api_client: Any,
                                                good_files: dict, seda_schemas: dict,
                                                clamd: Any) -> None:
    response = post_package(api_client(archivist), sip_zip(manifest_xml(good_files), good_files))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["package"]
    assert all(step["ok"] and step["outcome"] == "OK" for step in body["steps"])
    times = [step["at"] for step in body["steps"]]
    assert times == sorted(times)
    reply = api_client(archivist).get(f"/api/v1/archives/transfers/{body['reply_identifier']}/reply")
    assert reply.status_code == 200 and b"<ReplyCode>OK</ReplyCode>" in reply.content


def test_the_api_and_the_page_say_the_schema_step_only_warned_without_a_schema(
        archivist: User, api_client: Any, good_files: dict, settings: Any, client: Client) -> None:
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {"2.1": "", "2.2": "", "2.3": ""}
    response = post_package(api_client(archivist), sip_zip(manifest_xml(good_files), good_files))
    assert response.status_code == 201, response.content
    body = response.json()
    schema = next(step for step in body["steps"] if step["name"] == "schema")
    assert (schema["ok"], schema["outcome"]) == (True, "WARNING")
    reply = api_client(archivist).get(f"/api/v1/archives/transfers/{body['reply_identifier']}/reply")
    assert b"<ReplyCode>WARNING</ReplyCode>" in reply.content
    page = signed_in(client, archivist).get(
        f"/archives/versements/{body['reply_identifier']}/").content.decode()
    row = next(line for line in page.splitlines() if "Validation par le schéma SEDA" in line)
    assert "<strong>Avertissement</strong>" in row and ">OK<" not in row


def test_a_transfer_package_may_exceed_the_cap_of_other_uploads(
        archivist: User, api_client: Any, good_files: dict, settings: Any) -> None:
    package = sip_zip(manifest_xml(good_files), good_files)
    settings.BLOB_MAX_SIZE = len(package) // 2
    settings.REQUEST_MAX_SIZE = len(package) // 2 + 1024
    settings.UPLOAD_LIMITS = {"/api/v1/archives/transfers": len(package) + 1024}
    client = api_client(archivist)
    # Any other endpoint refuses the same bytes, before or while reading them.
    refused = client.post("/api/v1/blobs", {"file": _named(package)})
    assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
    response = post_package(client, package)
    assert response.status_code == 201, response.content


def test_a_transfer_package_past_its_own_cap_is_refused_with_413(
        archivist: User, api_client: Any, good_files: dict, settings: Any,
        offers: list[Path]) -> None:
    package = sip_zip(manifest_xml(good_files), good_files)
    settings.UPLOAD_LIMITS = {"/api/v1/archives/transfers": len(package) // 2}
    response = post_package(api_client(archivist), package)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert f"({len(package) // 2} octets)" in response.json()["message"]
    assert stored_files(offers) == []


def test_a_refused_transfer_answers_422_with_its_steps(archivist: User, api_client: Any,
                                                       offers: list[Path]) -> None:
    response = post_package(api_client(archivist), b"pas une archive")
    assert response.status_code == 422
    assert response.json()["steps"][-1]["ok"] is False
    assert stored_files(offers) == []


def test_a_person_without_the_role_cannot_transfer(territory: dict, make_user: Any,
                                                   api_client: Any, good_files: dict) -> None:
    clerk = make_user(roles=[(territory["arc"], "mail.clerk")])
    response = post_package(api_client(clerk), sip_zip(manifest_xml(good_files), good_files))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_commune_archivist_cannot_transfer_for_the_arc(venette_archivist: User, arc: Organisation,
                                                         api_client: Any, good_files: dict) -> None:
    response = post_package(api_client(venette_archivist),
                            sip_zip(manifest_xml(good_files), good_files))
    assert response.status_code == 404


def test_packages_are_visible_only_within_the_archivists_organisations(
        package: ArchivalPackage, archivist: User, venette_archivist: User, api_client: Any
) -> None:
    url = f"/api/v1/archives/packages/{package.identifier}"
    assert api_client(archivist).get(url).status_code == 200
    assert api_client(venette_archivist).get(url).status_code == 404
    assert api_client(venette_archivist).get("/api/v1/archives/packages").json()["items"] == []
    assert api_client(venette_archivist).get(url + "/dip").status_code == 404


def test_search_by_metadata(package: ArchivalPackage, archivist: User, api_client: Any) -> None:
    client = api_client(archivist)

    def found(**params: str) -> list[str]:
        return [p["identifier"] for p in client.get("/api/v1/archives/packages", params).json()[
            "items"]]

    assert found(q="délibérations") == [package.identifier]
    assert found(q="budget") == []
    assert found(agency="compiegne") == [package.identifier]
    assert found(rule="ACC-25Y") == [package.identifier]
    assert found(date_from="2011-01-01", date_to="2011-12-31") == [package.identifier]
    assert found(date_from="2015-01-01") == []
    body = client.get(f"/api/v1/archives/packages/{package.identifier}").json()
    assert body["communicable"] is False and body["access_end_date"] == "2037-12-31"


def test_search_finds_a_word_by_its_french_root(package: ArchivalPackage, archivist: User,
                                                api_client: Any) -> None:
    client = api_client(archivist)
    package.title = "Plans cadastraux de la commune"
    package.save(update_fields=["title"])

    def found(q: str) -> list[str]:
        return [p["identifier"] for p in client.get("/api/v1/archives/packages", {"q": q}).json()[
            "items"]]

    for query in ("cadastre", "cadastrale", "CADASTRAL", "plan cadastre", "communal"):
        assert found(query) == [package.identifier], query
    assert found("cadastre voirie") == [], "every word must be found"


def test_the_dip_downloads_as_a_valid_bag(package: ArchivalPackage, archivist: User,
                                          api_client: Any, tmp_path: Path) -> None:
    response = api_client(archivist).get(f"/api/v1/archives/packages/{package.identifier}/dip")
    assert response.status_code == 200
    assert served_name(response) == f"{package.identifier}.zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        archive.extractall(tmp_path)
    bagit.Bag(str(tmp_path / package.identifier)).validate()
    [row] = Consultation.objects.exclude(action="token.use")
    assert (row.action, row.actor, row.organisation_slug, row.target_id, row.data) == (
        "archives.dip_consult", archivist, package.organisation.slug, str(package.pk),
        {"identifier": package.identifier})


def test_a_dip_downloaded_from_the_page_is_recorded_and_not_across_communes(
        package: ArchivalPackage, archivist: User, venette_archivist: User,
        client: Client) -> None:
    signed_in(client, venette_archivist)
    assert client.get(f"/archives/paquets/{package.identifier}/diffusion.zip").status_code == 404
    assert not Consultation.objects.exists()
    signed_in(client, archivist)
    assert client.get(f"/archives/paquets/{package.identifier}/diffusion.zip").status_code == 200
    [row] = Consultation.objects.exclude(action="token.use")
    assert (row.action, row.actor, row.organisation_slug) == (
        "archives.dip_consult", archivist, package.organisation.slug)
    consultations_fold()
    assert AuditEvent.objects.filter(action="archives.dip_consult", actor=archivist,
                                     organisation_slug=package.organisation.slug).exists()


# --- pages -----------------------------------------------------------------------------------


def signed_in(client: Client, user: User) -> Client:
    sign_in(client, user)
    return client


def test_the_pages_of_an_archivist(package: ArchivalPackage, archivist: User, client: Client
                                   ) -> None:
    signed_in(client, archivist)
    listing = client.get("/archives/?q=délibérations")
    assert listing.status_code == 200 and package.identifier in listing.content.decode()
    page = client.get(f"/archives/paquets/{package.identifier}/")
    assert "Télécharger le paquet de diffusion" in page.content.decode()
    dip = client.get(f"/archives/paquets/{package.identifier}/diffusion.zip")
    assert dip.status_code == 200 and dip["Content-Type"] == "application/zip"
    assert served_name(dip) == f"{package.identifier}.zip"
    reply = package.transfer.reply_identifier
    steps = client.get(f"/archives/versements/{reply}/").content.decode()
    assert "Identification des formats" in steps and "siegfried" in steps
    answer = client.get(f"/archives/versements/{reply}/reponse.xml")
    assert answer.status_code == 200 and served_name(answer) == f"{reply}.xml"
    assert reply in client.get("/archives/versements/").content.decode()


def test_an_archivist_deposits_a_package_from_the_page(archivist: User, client: Client,
                                                       good_files: dict) -> None:
    signed_in(client, archivist)
    response = client.post("/archives/versements/", {
        "organisation": "arc", "package": _named(sip_zip(manifest_xml(good_files), good_files))})
    assert response.status_code == 302
    assert "accepté" in client.get(response["Location"]).content.decode()


def test_pages_are_closed_to_others(package: ArchivalPackage, venette_archivist: User,
                                    territory: dict, make_user: Any, client: Client) -> None:
    signed_in(client, venette_archivist)
    assert client.get(f"/archives/paquets/{package.identifier}/").status_code == 404
    assert client.get(f"/archives/versements/{package.transfer.reply_identifier}/").status_code == 404
    signed_in(client, make_user(roles=[(territory["arc"], "mail.clerk")]))
    assert client.get("/archives/").status_code == 403
    client.logout()
    assert client.get("/archives/").status_code == 302


# --- elimination -----------------------------------------------------------------------------


def test_an_expired_package_is_proposed_then_eliminated_with_the_visa(
        package: ArchivalPackage, archivist: User, offers: list[Path]) -> None:
    assert list(eliminable_for(actor=archivist)) == [package]  # APP-10Y from 2010: ended in 2020
    package_eliminate(actor=archivist, package=package, visa_name="Mme la Directrice des AD60",
                      visa_date=dt.date(2025, 3, 1), visa_reference="AD60-2025-014")
    package.refresh_from_db()
    assert package.status == "destroyed"
    assert stored_files(offers) == []
    certificate = AuditEvent.objects.get(action="archives.eliminate")
    assert certificate.data["package"] == package.identifier
    assert certificate.data["visa"]["reference"] == "AD60-2025-014"
    assert set(certificate.data["objects"]) == {"manifest.xml", "Content/deliberation.pdf",
                                                "Content/pv.txt"}


def test_a_hold_blocks_the_elimination(package: ArchivalPackage, archivist: User,
                                       offers: list[Path]) -> None:
    package_hold_set(actor=archivist, package=package, hold=True, reason="Contentieux en cours")
    assert list(eliminable_for(actor=archivist)) == []
    with pytest.raises(ServiceError):
        package_eliminate(actor=archivist, package=package, visa_name="X",
                          visa_date=dt.date(2025, 3, 1), visa_reference="R")
    assert stored_files(offers)


def test_a_package_to_keep_cannot_be_eliminated(arc: Organisation, archivist: User,
                                                good_files: dict, tmp_path: Path) -> None:
    path = tmp_path / "keep.zip"
    path.write_bytes(sip_zip(manifest_xml(good_files, appraisal=("APP-KEEP", "2010-01-01", "Keep")),
                             good_files))
    package = transfer_ingest(actor=None, organisation=arc, package=path).package
    with pytest.raises(ServiceError):
        package_eliminate(actor=archivist, package=package, visa_name="X",
                          visa_date=dt.date(2025, 3, 1), visa_reference="R")


def test_the_visa_is_required(package: ArchivalPackage, archivist: User) -> None:
    with pytest.raises(ServiceError):
        package_eliminate(actor=archivist, package=package, visa_name="",
                          visa_date=dt.date(2025, 3, 1), visa_reference="")


# --- export ----------------------------------------------------------------------------------


def test_the_export_writes_bags_manifests_and_the_journal(package: ArchivalPackage,
                                                          tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("archives", "export", str(tmp_path / "export"), "--org", "compiegne", stdout=out)
    report = json.loads(out.getvalue())
    assert report["packages"] == [package.identifier]
    bagit.Bag(str(tmp_path / "export" / "bags" / package.identifier)).validate()
    assert (tmp_path / "export" / "seda" / f"{package.identifier}.xml").read_bytes().startswith(
        b"<?xml")
    events = [json.loads(line) for line in
              (tmp_path / "export" / "journal.jsonl").read_text().splitlines()]
    assert any(e["action"] == "archives.transfer_accept" for e in events)
    assert all(e["organisation"] == "compiegne" for e in events)
    export = AuditEvent.objects.get(action="archives.export")
    assert export.organisation_slug == "compiegne" and export.data["packages"] == 1


def test_folded_consultations_leave_with_their_organisations_journal(
        package: ArchivalPackage, archivist: User, api_client: Any, territory: dict,
        tmp_path: Path) -> None:
    api_client(archivist).get(f"/api/v1/archives/packages/{package.identifier}/dip")
    consultations_fold()
    archives_export(actor=archivist, organisation=territory["compiegne"], directory=tmp_path / "c")
    events = [json.loads(line) for line in (tmp_path / "c" / "journal.jsonl").read_text().splitlines()]
    assert any(e["action"] == "archives.dip_consult" and e["actor"] == archivist.pk for e in events)
    archives_export(actor=None, organisation=territory["venette"], directory=tmp_path / "v")
    assert "archives.dip_consult" not in (tmp_path / "v" / "journal.jsonl").read_text()


def test_the_export_of_another_commune_holds_nothing_of_compiegne(package: ArchivalPackage,
                                                                  territory: dict,
                                                                  tmp_path: Path) -> None:
    report = archives_export(actor=None, organisation=territory["venette"],
                             directory=tmp_path / "export")
    assert report["packages"] == []


def test_the_demo_seeds_the_rules_referential_once(territory: dict) -> None:
    from socle.archives.demo import DEMO_RULES, demo_load
    from socle.archives.models import Rule

    demo_load()
    demo_load()
    assert Rule.objects.filter(organisation=territory["arc"]).count() == len(DEMO_RULES)
