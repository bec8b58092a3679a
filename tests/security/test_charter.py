"""The IT charter: every agent accepts the version in force before any page, again when a new
one comes into force; who accepted what and when is kept, read by organisation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden
from socle.core.models import AuditEvent
from socle.security import selectors
from socle.security.models import CharterAcceptance
from socle.security.services import charter_accept, charter_publish
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db
CHARTER_URL = "/agent/securite/charte/"


def test_an_agent_is_sent_to_the_charter_then_back_where_they_were_going(charter, agent):
    client = signed_in(agent)
    response = client.get("/agent/taches/")
    assert response.status_code == 302
    assert response["Location"] == f"{CHARTER_URL}?next=%2Fagent%2Ftaches%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Soyez prudents" in page.content.decode()
    accepted = client.post(CHARTER_URL, {"accept": "on", "version": charter.pk,
                                         "next": "/agent/taches/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/agent/taches/"
    assert client.get("/agent/taches/").status_code == 200
    acceptance = CharterAcceptance.objects.get(user=agent)
    assert acceptance.version == charter and acceptance.organisation.slug == "margny-les-compiegne"
    assert AuditEvent.objects.filter(action="security.charter_accept", actor=agent).count() == 1


def test_accepting_needs_the_box_ticked_and_never_goes_to_another_site(charter, agent):
    client = signed_in(agent)
    refused = client.post(CHARTER_URL, {"version": charter.pk})
    assert refused.status_code == 400 and "Cochez la case" in refused.content.decode()
    assert not CharterAcceptance.objects.exists()
    away = client.post(CHARTER_URL, {"accept": "on", "version": charter.pk,
                                     "next": "https://ailleurs.example/"})
    assert away["Location"] == "/agent/taches/"


def test_a_new_version_in_force_is_accepted_again(charter, agent, territory):
    client = signed_in(agent)
    client.post(CHARTER_URL, {"accept": "on", "version": charter.pk})
    assert client.get("/agent/taches/").status_code == 200
    second = charter_publish(actor=None, organisation=territory["arc"], number="2026.2",
                             title="Charte", text_body="Nouvel article.")
    response = client.get("/agent/taches/")
    assert response.status_code == 302 and response["Location"].startswith(CHARTER_URL)
    client.post(CHARTER_URL, {"accept": "on", "version": second.pk})
    assert client.get("/agent/taches/").status_code == 200
    assert CharterAcceptance.objects.filter(user=agent).count() == 2


def test_a_version_comes_into_force_at_its_date_not_before(charter, agent, territory, settings):
    client = signed_in(agent)
    client.post(CHARTER_URL, {"accept": "on", "version": charter.pk})
    later = charter_publish(actor=None, organisation=territory["arc"], number="2027.1",
                            title="Charte", text_body="Plus tard.",
                            in_force_from=timezone.now() + timedelta(days=10))
    assert client.get("/agent/taches/").status_code == 200
    assert selectors.charter_in_force() == charter
    with pytest.raises(Conflict):
        charter_accept(actor=agent, version=later)
    assert selectors.charter_in_force(at=timezone.now() + timedelta(days=11)) == later


def test_citizens_and_visitors_are_not_held_by_the_agents_charter(charter, make_user, territory):
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    assert signed_in(citizen, method="password").get("/compte/").status_code == 200
    assert Client().get("/").status_code == 200
    with pytest.raises(Forbidden):
        charter_accept(actor=citizen, version=charter)


def test_the_api_is_not_held_by_the_charter(charter, api_client, officer):
    assert api_client(officer).get("/api/v1/security/charter/versions").status_code == 200


def test_only_the_officer_publishes_and_a_number_is_used_once(charter, lead, officer, territory):
    with pytest.raises(Forbidden):
        charter_publish(actor=lead, organisation=territory["arc"], number="9",
                        title="T", text_body="X")
    with pytest.raises(Conflict):
        charter_publish(actor=officer, organisation=territory["arc"], number="2026.1",
                        title="T", text_body="X", in_force_from=timezone.now() + timedelta(1))


def test_the_register_shows_each_agent_of_the_leads_commune_only(charter, agent, outsider,
                                                                 lead, officer):
    charter_accept(actor=agent, version=charter)
    mine = selectors.acceptance_register(actor=lead, version=charter)
    assert {r.user.email for r in mine} == {agent.email, lead.email}
    assert [r.accepted_at is not None for r in mine if r.user == agent] == [True]
    everyone = {r.user.email for r in selectors.acceptance_register(actor=officer,
                                                                    version=charter)}
    assert {agent.email, outsider.email, lead.email, officer.email} <= everyone
    assert list(selectors.acceptances_for(actor=lead)) == list(
        CharterAcceptance.objects.filter(user=agent))


def test_the_register_page_and_csv_keep_to_the_commune_and_neutralise_formulas(
        charter, agent, outsider, lead):
    agent.last_name = "=HYPERLINK(\"http://x\")"
    agent.save()
    charter_accept(actor=agent, version=charter)
    client = signed_in(lead)
    charter_accept(actor=lead, version=charter)
    page = client.get("/agent/securite/registre/")
    assert page.status_code == 200
    assert agent.email in page.content.decode() and outsider.email not in page.content.decode()
    response = client.get("/agent/securite/registre.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "version"
    emails = {row[4] for row in rows[1:]}
    assert agent.email in emails and outsider.email not in emails
    assert "'=HYPERLINK(\"http://x\")" in [row[2] for row in rows[1:]]
    assert client.get("/agent/securite/registre/?organisation=venette").status_code == 404
    assert client.get("/agent/securite/registre.csv?organisation=venette").status_code == 404


def test_the_register_is_refused_to_an_agent_without_a_security_role(charter, agent):
    client = signed_in(agent)
    charter_accept(actor=agent, version=charter)
    assert client.get("/agent/securite/registre/").status_code == 403
    assert client.get("/agent/securite/registre.csv").status_code == 403


def test_the_officer_publishes_a_version_from_the_page(charter, officer):
    client = signed_in(officer)
    charter_accept(actor=officer, version=charter)
    bad = client.post("/agent/securite/versions/", {"number": "", "title": "", "text": ""})
    assert bad.status_code == 400 and "Le formulaire contient des erreurs" in bad.content.decode()
    response = client.post("/agent/securite/versions/", {
        "number": "2026.2", "title": "Charte", "text": "Article unique."})
    assert response.status_code == 302
    assert selectors.charter_in_force().number == "2026.2"
    # The officer too accepts the new version before anything else.
    assert client.get("/agent/securite/versions/")["Location"].startswith(CHARTER_URL)


def test_a_lead_may_read_the_versions_but_not_publish(charter, lead):
    client = signed_in(lead)
    charter_accept(actor=lead, version=charter)
    assert client.get("/agent/securite/versions/").status_code == 200
    refused = client.post("/agent/securite/versions/", {"number": "3", "title": "T",
                                                        "text": "X"})
    assert refused.status_code == 403
    assert selectors.charter_in_force() == charter
