"""The DCSI switches modules on and off per organisation, from the command line and its page."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from socle.core.errors import ServiceError
from socle.core.models import AuditEvent, ModuleActivation
from socle.core.module_activation import module_disable, module_enable_everywhere, module_enabled
from socle.core.modules import modules
from tests.support.clients import signed_in


@pytest.fixture
def dcsi(territory, make_user):
    return make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])


def test_a_module_is_on_until_switched_off_and_off_below_the_node(territory):
    assert module_enabled("mail", territory["compiegne"])
    module_disable(actor=None, module="mail", organisation=territory["arc"])
    assert not module_enabled("mail", territory["compiegne"])
    assert module_enabled("documents", territory["compiegne"])


def test_the_core_cannot_be_switched_off(territory):
    with pytest.raises(ServiceError):
        module_disable(actor=None, module="core", organisation=territory["verberie"])


def test_the_command_refuses_an_unknown_module_or_organisation(territory):
    with pytest.raises(CommandError, match="Module inconnu"):
        call_command("module", "disable", "parking", "--org", "verberie")
    with pytest.raises(CommandError, match="Organisation inconnue"):
        call_command("module", "disable", "mail", "--org", "atlantis")


def test_switching_the_same_state_twice_journals_once(territory):
    module_disable(actor=None, module="mail", organisation=territory["verberie"])
    module_disable(actor=None, module="mail", organisation=territory["verberie"])
    assert AuditEvent.objects.filter(action="module.disable", organisation_slug="verberie").count() == 1


def test_the_demo_switches_every_module_on_everywhere(territory):
    switchable = [m for m in modules() if m.switchable]
    count = module_enable_everywhere(actor=None)
    assert count == len(switchable) * len(territory)
    assert not ModuleActivation.objects.filter(enabled=False).exists()


def test_the_dcsi_page_lists_organisations_and_saves_a_choice(territory, dcsi):
    client = signed_in(dcsi)
    page = client.get(reverse("core:modules"))
    assert page.status_code == 200
    assert "Verberie" in page.content.decode()
    kept = [m.name for m in modules() if m.switchable and m.name != "mail"]
    response = client.post(reverse("core:modules"), {"organisation": "verberie", "modules": kept})
    assert response.status_code == 302
    assert not module_enabled("mail", territory["verberie"])
    assert module_enabled("portal", territory["verberie"])


def test_an_agent_without_the_dcsi_role_gets_403(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["verberie"], "portal.caseworker")])
    client = signed_in(agent)
    assert client.get(reverse("core:modules")).status_code == 403
    assert client.post(reverse("core:modules"), {"organisation": "verberie"}).status_code == 403
    assert module_enabled("portal", territory["verberie"])


def test_a_commune_admin_cannot_switch_another_communes_modules(territory, make_user):
    admin = make_user("admin.verberie@exemple.fr", roles=[(territory["verberie"], "core.admin")])
    client = signed_in(admin)
    page = client.get(reverse("core:modules")).content.decode()
    assert 'id="org-compiegne"' not in page and 'id="org-verberie"' in page
    response = client.post(reverse("core:modules"), {"organisation": "compiegne", "modules": []})
    assert response.status_code == 404
    assert module_enabled("portal", territory["compiegne"])
