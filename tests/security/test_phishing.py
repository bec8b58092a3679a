"""Phishing simulations imported from GoPhish, by its CSV export and by its API: recipients
matched to the organisation's agents by email, those who clicked enrolled into a module.

GoPhish cannot run here: the API is served by a tiny fake server started by the test on
127.0.0.1, answering ``/api/campaigns/<id>/results`` with JSON in GoPhish's format (as its
API documentation and source describe it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from socle.core.errors import Forbidden, ServiceError
from socle.security import gophish, selectors
from socle.security.models import Enrolment, PhishingCampaign
from socle.security.services import charter_accept, phishing_import
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db
API_KEY = "cle-de-test-gophish"
HEADER = ("id,status,ip,latitude,longitude,send_date,reported,modified_date,email,first_name,"
          "last_name,position\n")


def export(*rows: tuple[str, str, str]) -> bytes:
    """A GoPhish « Export CSV » of results: (email, status, reported) per recipient."""
    lines = [f"r{n},{status},192.0.2.{n},0,0,2026-11-03T09:00:00Z,{reported},"
             f"2026-11-03T09:10:00Z,{email},Prénom,Nom,Poste"
             for n, (email, status, reported) in enumerate(rows)]
    return (HEADER + "\n".join(lines) + "\n").encode()


def results_json(campaign_id: int, rows: list[tuple[str, str]]) -> dict:
    """The body of GoPhish's ``GET /api/campaigns/<id>/results``."""
    return {"id": campaign_id, "name": "Faux avis de colis", "status": "Completed",
            "results": [{"id": f"r{n}", "first_name": "Prénom", "last_name": "Nom",
                         "position": "", "status": status, "ip": "192.0.2.1",
                         "latitude": 0, "longitude": 0, "send_date": "2026-11-03T09:00:00Z",
                         "reported": status == "Email Reported",
                         "modified_date": "2026-11-03T09:10:00Z", "email": email}
                        for n, (email, status) in enumerate(rows)],
            "timeline": []}


class FakeGoPhish(BaseHTTPRequestHandler):
    campaigns: dict[int, bytes] = {}

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.send_response(401)
            self.end_headers()
            self.wfile.write(b'{"success":false,"message":"Invalid API Key"}')
            return
        parts = self.path.strip("/").split("/")
        body = (self.campaigns.get(int(parts[2])) if len(parts) == 4 and parts[:2] == [
            "api", "campaigns"] and parts[3] == "results" and parts[2].isdigit() else None)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b'{"success":false,"message":"Campaign not found"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_gophish() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoPhish)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_csv_export_matches_agents_and_enrols_those_who_clicked(awareness, agent, lead,
                                                                    outsider, margny):
    data = export((agent.email.upper(), "Clicked Link", "false"),
                  (lead.email, "Submitted Data", "false"),
                  (outsider.email, "Clicked Link", "false"),  # Venette's: not matched here
                  ("inconnu@margny.exemple.fr", "Email Opened", "true"))
    campaign = phishing_import(actor=None, organisation=margny, name="Colis",
                               recipients=gophish.parse_csv(data), source="csv",
                               module=awareness)
    results = {r.email: r for r in campaign.results.all()}
    assert results[agent.email].user == agent and results[agent.email].clicked
    assert results[lead.email].submitted and results[lead.email].user == lead
    assert results[outsider.email].user is None
    assert results["inconnu@margny.exemple.fr"].reported
    assert set(Enrolment.objects.values_list("user__email", flat=True)) == {agent.email,
                                                                             lead.email}
    assert [m.reason for m in selectors.modules_of_agent(actor=agent)] == [
        "Inscription après la simulation « Colis »"]


def test_the_api_results_are_fetched_from_gophish(fake_gophish, awareness, agent, margny):
    FakeGoPhish.campaigns[7] = json.dumps(results_json(7, [
        (agent.email, "Submitted Data"), ("x@margny.exemple.fr", "Email Reported")])).encode()
    name, recipients = gophish.parse_json(gophish.fetch_results(
        base_url=fake_gophish, api_key=API_KEY, campaign_id=7))
    assert name == "Faux avis de colis"
    campaign = phishing_import(actor=None, organisation=margny, name=name, recipients=recipients,
                               source="api", module=awareness, gophish_id=7)
    assert campaign.enrolments.get().user == agent


def test_a_wrong_api_key_or_campaign_or_an_absent_server_is_a_clear_refusal(fake_gophish):
    with pytest.raises(ServiceError, match="401"):
        gophish.fetch_results(base_url=fake_gophish, api_key="faux", campaign_id=7)
    with pytest.raises(ServiceError, match="404"):
        gophish.fetch_results(base_url=fake_gophish, api_key=API_KEY, campaign_id=999)
    with pytest.raises(ServiceError, match="ne répond pas"):
        gophish.fetch_results(base_url="http://127.0.0.1:9", api_key=API_KEY, campaign_id=1)
    with pytest.raises(ServiceError, match="http"):
        gophish.fetch_results(base_url="file:///etc/passwd", api_key=API_KEY, campaign_id=1)


@pytest.mark.parametrize(("data", "says"), [
    (b"email;status\nx@y.fr;Clicked Link\n", "colonnes"),
    (HEADER.encode(), "aucun destinataire"),
    (export(("pas-une-adresse", "Clicked Link", "false")), "invalide"),
    (export(("a@b.fr", "=cmd|' /C calc'!A0", "false")), "inconnu"),
    (b"\xff\xfe" + "é".encode("utf-16"), "UTF-8"),
    (b"x" * (gophish.MAX_BYTES + 1), "5 Mo"),
])
def test_a_bad_csv_export_is_refused_and_nothing_is_written(data, says):
    with pytest.raises(ServiceError, match=says):
        gophish.parse_csv(data)
    assert not PhishingCampaign.objects.exists()


@pytest.mark.parametrize(("data", "says"), [
    (b"not json", "JSON"), (b"[]", "results"), (b'{"results": []}', "aucun destinataire"),
    (b'{"results": [{"email": "a@b.fr", "status": "Hacked"}]}', "inconnu"),
])
def test_a_bad_api_answer_is_refused(data, says):
    with pytest.raises(ServiceError, match=says):
        gophish.parse_json(data)


def test_only_the_officer_imports(lead, margny):
    with pytest.raises(Forbidden):
        phishing_import(actor=lead, organisation=margny, name="X", source="csv",
                        recipients=gophish.parse_csv(export(("a@b.fr", "Email Sent", "false"))))


def test_the_officer_imports_a_csv_from_the_page_and_the_lead_reads_it(
        officer, lead, other_lead, awareness, agent, margny, charter):
    for person in (officer, lead, other_lead):
        charter_accept(actor=person, version=charter)
    client = signed_in(officer)
    upload = SimpleUploadedFile("resultats.csv", export((agent.email, "Clicked Link", "false")),
                                content_type="text/csv")
    response = client.post("/agent/securite/hameconnage/", {
        "organisation": margny.slug, "name": "Colis", "module": str(awareness.pk),
        "file": upload})
    assert response.status_code == 302
    campaign = PhishingCampaign.objects.get()
    page = signed_in(lead).get(f"/agent/securite/hameconnage/{campaign.pk}/")
    assert page.status_code == 200 and agent.email in page.content.decode()
    assert signed_in(other_lead).get(
        f"/agent/securite/hameconnage/{campaign.pk}/").status_code == 404
    assert campaign.name not in signed_in(other_lead).get(
        "/agent/securite/hameconnage/").content.decode()
    refused = signed_in(lead).post("/agent/securite/hameconnage/", {
        "organisation": margny.slug, "name": "X"})
    assert refused.status_code == 403


def test_the_import_page_explains_a_bad_file(officer, margny, charter):
    charter_accept(actor=officer, version=charter)
    upload = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = signed_in(officer).post("/agent/securite/hameconnage/", {
        "organisation": margny.slug, "name": "X", "file": upload})
    assert response.status_code == 400
    assert "les colonnes « email » et « status » manquent" in response.content.decode()
    assert not PhishingCampaign.objects.exists()


def test_the_officer_imports_from_the_gophish_api_on_the_page(fake_gophish, officer, agent,
                                                              awareness, margny, charter):
    charter_accept(actor=officer, version=charter)
    FakeGoPhish.campaigns[12] = json.dumps(results_json(12, [
        (agent.email, "Clicked Link")])).encode()
    client = signed_in(officer)
    wrong = client.post("/agent/securite/hameconnage/", {
        "organisation": margny.slug, "module": str(awareness.pk), "base_url": fake_gophish,
        "api_key": "fausse-cle", "gophish_id": "12"})
    assert wrong.status_code == 400 and "a répondu 401" in wrong.content.decode()
    response = client.post("/agent/securite/hameconnage/", {
        "organisation": margny.slug, "module": str(awareness.pk), "base_url": fake_gophish,
        "api_key": API_KEY, "gophish_id": "12"})
    assert response.status_code == 302
    campaign = PhishingCampaign.objects.get()
    assert (campaign.name, campaign.source, campaign.gophish_id) == ("Faux avis de colis",
                                                                     "api", 12)
    assert campaign.enrolments.get().user == agent
    assert API_KEY not in str(list(PhishingCampaign.objects.values()))
