"""Penetration-test findings: scored by their CVSS 3.1 vector, followed to a retest, counted
per commune on a dashboard that shows each commune only its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from socle.core.errors import Forbidden, ServiceError
from socle.security import selectors
from socle.security.models import Finding
from socle.security.services import (
    charter_accept,
    finding_create,
    finding_retest,
    finding_status_set,
)
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"


def record(organisation, *, vector=CRITICAL, due=10, asset="Serveur web", **values):
    return finding_create(actor=values.pop("actor", None), organisation=organisation,
                          title=values.pop("title", "Apache vulnérable"), asset=asset,
                          cvss_vector=vector, recommendation="Mettre à jour.", owner="DCSI",
                          due_on=timezone.localdate() + timedelta(days=due))


def test_a_finding_is_scored_from_its_vector_and_points_at_an_inventory_asset(margny):
    finding = record(margny, asset="inventory.asset:42")
    assert (float(finding.cvss_score), finding.severity) == (9.8, "critical")
    assert finding.inventory_asset_id == 42 and finding.asset == "inventory.asset:42"
    free = record(margny, vector=MEDIUM, asset="Pare-feu de la mairie")
    assert free.inventory_asset_id is None and free.asset == "Pare-feu de la mairie"
    with pytest.raises(ServiceError, match=r"inventory\.asset:<numéro>"):
        record(margny, asset="inventory.asset:abc")
    with pytest.raises(ServiceError, match="CVSS"):
        record(margny, vector="CVSS:3.1/AV:N")
    assert Finding.objects.count() == 2


def test_a_finding_closes_only_after_a_passed_retest_and_a_failed_one_reopens_it(margny):
    finding = record(margny)
    with pytest.raises(ServiceError, match="revérification"):
        finding_status_set(actor=None, finding=finding, status="closed")
    finding_status_set(actor=None, finding=finding, status="fixed")
    finding_retest(actor=None, finding=finding, passed=False)
    assert (finding.status, finding.retest) == ("open", "failed")
    finding_retest(actor=None, finding=finding, passed=True)
    assert (finding.status, finding.retest) == ("closed", "passed")


def test_only_the_officer_records_and_follows_findings(lead, margny):
    with pytest.raises(Forbidden):
        record(margny, actor=lead)
    finding = record(margny)
    with pytest.raises(Forbidden):
        finding_status_set(actor=lead, finding=finding, status="fixed")
    with pytest.raises(Forbidden):
        finding_retest(actor=lead, finding=finding, passed=True)


def test_the_dashboard_counts_by_severity_status_and_overdue_per_commune(margny, venette, lead,
                                                                         officer):
    record(margny, due=-2)
    record(margny, vector=MEDIUM)
    closed = record(margny, vector=MEDIUM, due=-5)
    finding_retest(actor=None, finding=closed, passed=True)
    record(venette)
    [row] = selectors.findings_dashboard(actor=lead)
    assert row.organisation == margny
    assert row.by_severity["critical"] == 1 and row.by_severity["medium"] == 1
    assert row.by_status["open"] == 2 and row.by_status["closed"] == 1
    assert (row.overdue, row.total) == (1, 3)
    assert {r.organisation.slug for r in selectors.findings_dashboard(actor=officer)} == {
        margny.slug, venette.slug}
    overdue = selectors.findings_for(actor=lead, filters=selectors.FindingFilters(overdue=True))
    assert overdue.count() == 1


def test_the_findings_pages_keep_to_the_commune(margny, venette, lead, other_lead, charter):
    ours, theirs = record(margny, title="Chez Margny"), record(venette, title="Chez Venette")
    charter_accept(actor=lead, version=charter)
    client = signed_in(lead)
    page = client.get("/agent/securite/vulnerabilites/").content.decode()
    assert "Chez Margny" in page and "Chez Venette" not in page
    assert client.get(f"/agent/securite/vulnerabilites/{ours.pk}/").status_code == 200
    assert client.get(f"/agent/securite/vulnerabilites/{theirs.pk}/").status_code == 404
    assert client.post(f"/agent/securite/vulnerabilites/{ours.pk}/",
                       {"action": "status", "status": "fixed"}).status_code == 403
    assert client.post("/agent/securite/vulnerabilites/", {"title": "X"}).status_code == 403


def test_the_officer_records_and_retests_a_finding_from_the_pages(officer, margny, charter):
    charter_accept(actor=officer, version=charter)
    client = signed_in(officer)
    values = {"organisation": margny.slug, "title": "Pare-feu", "asset": "Pare-feu",
              "cvss_vector": "CVSS:3.1/AV:N", "recommendation": "Changer le mot de passe.",
              "owner": "DCSI", "due_on": "31/12/2026"}
    bad = client.post("/agent/securite/vulnerabilites/", values)
    assert bad.status_code == 400 and "il manque" in bad.content.decode()
    values["cvss_vector"] = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    response = client.post("/agent/securite/vulnerabilites/", values)
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (float(finding.cvss_score), finding.severity) == (10.0, "critical")
    client.post(f"/agent/securite/vulnerabilites/{finding.pk}/",
                {"action": "status", "status": "fixed"})
    client.post(f"/agent/securite/vulnerabilites/{finding.pk}/",
                {"action": "retest", "result": "passed"})
    finding.refresh_from_db()
    assert finding.status == "closed"
    refused = client.post(f"/agent/securite/vulnerabilites/{finding.pk}/",
                          {"action": "status", "status": "nope"})
    assert refused.status_code == 400
