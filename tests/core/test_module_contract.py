"""The module contract: a new app declared in its own folder appears everywhere it should."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from socle.core import checks, modules
from socle.core.journal import UndeclaredAction, audit_record

ROOT = Path(__file__).resolve().parents[2]

WORKED_EXAMPLE = r"""
import json, django
from django.test import Client
from django.core.management import call_command
django.setup()
call_command("migrate", verbosity=0)
from django.urls import reverse
from socle.core import modules
from socle.core.journal import audit_record
from socle.core.models import Organisation
from socle.core.roles import role_get, roles_granting
from socle.core.selectors import agent_modules_for
from socle.core.services import membership_grant, user_create
from socle.core.territory import territory_load
from pathlib import Path
territory_load(actor=None, path=Path("socle/core/data/territory/arc.json"))
user = user_create(actor=None, email="lecteur@exemple.fr", password="x", check_password=False)
membership_grant(actor=None, user=user, organisation=Organisation.objects.get(slug="compiegne"),
                 role="example.viewer")
schema = Client().get("/api/schema").json()
client = Client()
client.force_login(user)
session = client.session
session["socle_auth"] = {"method": "password+totp", "second_factor": True, "at": 0}
session.save()
stranger = user_create(actor=None, email="autre@exemple.fr", password="x", check_password=False)
membership_grant(actor=None, user=stranger, organisation=Organisation.objects.get(slug="compiegne"),
                 role="portal.caseworker")
other = Client()
other.force_login(stranger)
other_session = other.session
other_session["socle_auth"] = {"method": "password+totp", "second_factor": True, "at": 0}
other_session.save()
from socle.core.services import token_create
from socle.core.scheduler import job_run_now
_, secret = token_create(actor=None, user=user, name="exemple", scope="read")
ran = job_run_now(actor=None, name="example.tick")
event = audit_record(actor=None, action="example.hello")
print(json.dumps({
    "url": reverse("example:home"),
    "page_visitor": Client().get("/exemple/").status_code,
    "api_paths": sorted(p for p in schema["paths"] if "exemple" in p),
    "api_answer": Client().get("/api/v1/exemple/ping").status_code,
    "api_holder": Client().get("/api/v1/exemple/ping",
                               HTTP_AUTHORIZATION=f"Bearer {secret}").json(),
    "page_holder": client.get("/exemple/").status_code,
    "page_holder_text": "Exemple" in client.get("/exemple/").content.decode(),
    "page_stranger": other.get("/exemple/").status_code,
    "job_run": [ran.status, ran.summary],
    "role": sorted(role_get("example.viewer").permissions),
    "granting": roles_granting("example.view"),
    "navigation": [i.label for i in agent_modules_for(actor=user)],
    "jobs": [j.name for j in modules.jobs()],
    "journal_label": modules.journal_action_label("example.hello"),
    "event": event.action,
    "indicators": [i.name for i in modules.indicators()],
    "panels": [p.label for p in modules.panels_for("portal.case")],
}))
"""


def _run(code: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOCLE_EXTRA_APPS": "tests.example_module", "SOCLE_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "socle.settings", "PYTHONPATH": str(ROOT)}
    env.pop("SOCLE_DATABASE_URL", None)  # its own SQLite file under tmp_path
    return subprocess.run([sys.executable, *(["-c", code] if code else []), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_new_module_appears_everywhere_with_no_edit_outside_its_folder(tmp_path):
    result = _run(WORKED_EXAMPLE, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["url"] == "/exemple/"
    assert seen["page_visitor"] == 302  # sent to sign in: the page is there and guarded
    assert seen["api_paths"] == ["/api/v1/exemple/ping"]
    assert seen["api_answer"] == 401  # mounted under the API's authentication
    assert seen["api_holder"] == {"answer": "pong"}  # and answers a token
    assert (seen["page_holder"], seen["page_holder_text"]) == (200, True)  # the role opens it
    assert seen["page_stranger"] == 403  # an agent without the role is refused
    assert seen["job_run"] == ["succeeded", "Un."]  # the declared job runs its function
    assert seen["role"] == ["core.view_organisation", "example.view"]
    assert seen["granting"] == ["example.viewer"]
    assert "Exemple" in seen["navigation"]
    assert "example.tick" in seen["jobs"]
    assert seen["journal_label"] == "Bonjour de l'exemple"
    assert seen["event"] == "example.hello"
    assert "example.answers" in seen["indicators"]
    assert "Exemple sur un dossier" in seen["panels"]  # beside the installed modules' panels


def test_socle_check_passes_with_the_new_module_and_modules_lists_it(tmp_path):
    check = _run("", tmp_path, "-m", "socle.cli", "check")
    assert check.returncode == 0, check.stderr
    listed = _run("", tmp_path, "-m", "socle.cli", "modules", "--json")
    names = [module["name"] for module in json.loads(listed.stdout)]
    assert names[0] == "core" and "example" in names


def test_modules_json_lists_every_module_with_its_declarations(capsys):
    call_command("modules", "--json")
    listed = {module["name"]: module for module in json.loads(capsys.readouterr().out)}
    assert {"core", "portal", "documents", "mail", "archives"} <= set(listed)
    assert "portal.caseworker" in [role["name"] for role in listed["portal"]["roles"]]
    assert "mail.escalate" in [job["name"] for job in listed["mail"]["jobs"]]
    assert listed["portal"]["api"] == "socle.portal.api:router"
    assert listed["archives"]["journal_actions"]["archives.verify"] == "Contrôle d'intégrité"
    assert listed["core"]["switchable"] is False


def test_demo_loaders_run_after_the_modules_they_require():
    order = [module.name for module in modules.modules()]
    assert order[0] == "core"
    assert order.index("documents") < order.index("portal") < order.index("mail")
    assert order.index("documents") < order.index("archives")


@pytest.mark.django_db
def test_an_undeclared_journal_action_is_refused():
    with pytest.raises(UndeclaredAction):
        audit_record(actor=None, action="portal.nothing_of_the_sort")


def test_the_checks_pass_on_the_code_as_it_is():
    assert checks.check_declared_names() == []
    assert checks.check_journal_actions() == []
    assert checks.check_declarations_resolve() == []


def _scan(tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "views.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(checks, "_module_roots", lambda: [("portal", tmp_path)])
    monkeypatch.setattr(checks, "SOCLE", tmp_path.parent)
    checks._tree.cache_clear()
    return [e.msg for e in checks.check_declared_names() + checks.check_journal_actions()]


def test_a_permission_no_role_grants_fails_the_check(tmp_path, monkeypatch):
    found = _scan(tmp_path, 'scope(qs, actor, "portal.view_cases")\n', monkeypatch)
    assert any("portal.view_cases" in message for message in found)


def test_an_undeclared_action_in_the_code_fails_the_check(tmp_path, monkeypatch):
    found = _scan(tmp_path, 'audit_record(actor=None, action="x" if a else "portal.oops")\n',
                  monkeypatch)
    assert any("portal.oops" in message for message in found)


def test_a_computed_action_fails_the_check(tmp_path, monkeypatch):
    found = _scan(tmp_path, 'audit_record(actor=None, action=f"portal.{kind}")\n', monkeypatch)
    assert any("toutes lettres" in message for message in found)


def test_declared_names_and_docstrings_pass_the_check(tmp_path, monkeypatch):
    source = '"""About "portal.whatever"."""\nscope(qs, actor, "portal.view_case")\n'
    assert _scan(tmp_path, source, monkeypatch) == []


@pytest.mark.django_db
def test_the_panels_tag_shows_what_other_modules_declare_for_the_object(monkeypatch):
    from django.template import Context, Template

    from socle.core.modules import Module, Panel, PanelContent, PanelLink

    shown = PanelContent(title="Courrier d'origine", links=(PanelLink("2026-ARR-000001", "/c/1/"),))
    fake = Module(name="fake", label="Faux", panels=(Panel("portal.case", "x", "fake:f"),))
    monkeypatch.setitem(modules._registry, "fake", fake)
    monkeypatch.setattr(modules, "resolve", lambda dotted: (lambda *, actor, ref: shown
                                                             if ref == "portal.case:7" else None))

    class Case:
        pk = 7

    html = Template('{% load socle_panels %}{% panels "portal.case" case %}').render(
        Context({"case": Case()}))
    assert "Courrier d&#x27;origine" in html and 'href="/c/1/"' in html
    Case.pk = 8
    html = Template('{% load socle_panels %}{% panels "portal.case" case %}').render(
        Context({"case": Case()}))
    assert "Courrier" not in html


def test_an_account_declared_by_several_modules_gets_every_modules_roles(db):
    from socle.core.management.commands.demo import demo_load
    from socle.core.models import Membership

    demo_load()
    demo_load()  # run again: nothing doubles
    roles = set(Membership.objects.filter(user__email="agent.compiegne@demo.socle.fr",
                                          revoked_at__isnull=True).values_list("role", flat=True))
    assert {"portal.caseworker", "helpdesk.requester"} <= roles
    dcsi = set(Membership.objects.filter(user__email="dcsi@demo.socle.fr").values_list("role", flat=True))
    assert {"core.admin", "opendata.steward"} <= dcsi
    assert Membership.objects.filter(user__email="dcsi@demo.socle.fr", role="core.admin").count() == 1
