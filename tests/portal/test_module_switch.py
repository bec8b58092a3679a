"""A commune without the portal module sees none of its pages, navigation or API data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from socle.core.models import AuditEvent, ModuleActivation
from socle.core.module_activation import module_disable, module_enable
from socle.portal import selectors
from socle.portal.models import Case
from tests.portal.test_backoffice import file_case
from tests.support.clients import signed_in


@pytest.fixture
def parking(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")


@pytest.fixture
def filed(territory, parking, citizen):
    return file_case(parking, citizen, territory["compiegne"])


def test_switching_the_portal_off_hides_the_catalogue_and_the_procedure_pages(
        territory, parking, citizen, client):
    module_disable(actor=None, module="portal", organisation=territory["compiegne"])
    assert selectors.procedures_offered(commune=territory["compiegne"]) == []
    page = signed_in(citizen).get(reverse("portal:procedure", args=[parking.slug]))
    assert page.status_code == 404
    module_enable(actor=None, module="portal", organisation=territory["compiegne"])
    assert [p.slug for p in selectors.procedures_offered(commune=territory["compiegne"])] == [parking.slug]


def test_an_agent_of_a_commune_without_the_module_loses_the_queue_navigation_and_api(
        territory, filed, caseworker, api_client):
    agent = signed_in(caseworker)
    assert agent.get(reverse("portal:queue")).status_code == 200
    module_disable(actor=None, module="portal", organisation=territory["compiegne"])
    assert agent.get(reverse("portal:queue")).status_code == 403
    home = agent.get(reverse("core:agent_home"))
    assert "Dossiers à instruire" not in home.content.decode()
    listed = api_client(caseworker).get("/api/v1/cases")
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert api_client(caseworker).get(f"/api/v1/cases/{filed.number}").status_code == 404


def test_disabling_hides_and_enabling_again_shows_everything_nothing_deleted(
        territory, filed, make_user):
    arc_agent = make_user("arc@exemple.fr", roles=[(territory["arc"], "portal.caseworker")])
    assert selectors.cases_for_agent(actor=arc_agent).filter(pk=filed.pk).exists()
    module_disable(actor=None, module="portal", organisation=territory["compiegne"])
    arc_agent = type(arc_agent).objects.get(pk=arc_agent.pk)  # a new request
    # An agent of the whole agglomeration no longer sees the commune's cases either ...
    assert not selectors.cases_for_agent(actor=arc_agent).filter(pk=filed.pk).exists()
    assert Case.objects.filter(pk=filed.pk).exists()  # ... which are still there.
    module_enable(actor=None, module="portal", organisation=territory["compiegne"])
    arc_agent = type(arc_agent).objects.get(pk=arc_agent.pk)
    assert selectors.cases_for_agent(actor=arc_agent).filter(pk=filed.pk).exists()


def test_other_communes_keep_the_module(territory, other_caseworker):
    module_disable(actor=None, module="portal", organisation=territory["compiegne"])
    assert signed_in(other_caseworker).get(reverse("portal:queue")).status_code == 200


def test_the_command_switches_a_module_and_journals_it(territory, capsys):
    call_command("module", "disable", "portal", "--org", "compiegne")
    assert "désactivé" in capsys.readouterr().out
    row = ModuleActivation.objects.get(organisation=territory["compiegne"], module="portal")
    assert row.enabled is False
    assert AuditEvent.objects.filter(action="module.disable", organisation_slug="compiegne").exists()
    call_command("module", "enable", "portal", "--org", "compiegne")
    row.refresh_from_db()
    assert row.enabled is True
