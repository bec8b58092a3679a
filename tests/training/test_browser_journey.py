"""In Chromium: an agent of Margny asks for a place in a session, her manager approves it
from "Mes tâches", the trainer takes attendance once the day has come, and the agent
downloads her certificate of attendance as a PDF. Every page loaded is checked (title,
lang, one h1, axe-core WCAG 2.1 AA)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from socle.training.models import Registration
from tests.e2e.accessibility import PageAudit
from tests.e2e.conftest import (  # noqa: F401 - fixtures of the browser tests
    _chromium_missing,
    _orm_beside_playwright,
    audit,
    browser,
)
from tests.e2e.test_portal_journey import agent_signs_in

from .conftest import passed

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_chromium_missing()),
                                                  reason=_chromium_missing() or "-")]


def test_an_agent_registers_the_manager_approves_and_the_certificate_downloads(
        audit: PageAudit, live_server, agent, manager, trainer, session,  # noqa: F811
        tmp_path) -> None:
    page = audit.open()
    agent_signs_in(audit, page, agent)
    page.goto("/formation/")
    audit.check(page, title="Formations")
    page.get_by_role("link", name="Tableur au quotidien").first.click()
    audit.check(page, title="Tableur au quotidien")
    page.get_by_role("link", name=timezone.localtime(session.start).strftime("%d/%m/%Y")).first.click()
    audit.check(page, title="Session : Tableur au quotidien")
    page.get_by_label("Ce que vous attendez de la formation").fill("Suivre les congés du service.")
    page.get_by_role("button", name="Demander à m'inscrire").click()
    audit.check(page, title="Demande de formation")
    expect(page.locator(".facts")).to_contain_text("En attente de l'avis du responsable")

    boss = audit.open()
    agent_signs_in(audit, boss, manager)
    boss.get_by_role("link", name="Hugo Petit — Tableur au quotidien").click()
    audit.check(boss, title="Demande de formation")
    boss.get_by_label("J'accepte cette demande").check()
    boss.get_by_role("button", name="Enregistrer mon avis").click()
    audit.check(boss, title="Demandes de formation à valider")
    expect(boss.get_by_role("status")).to_contain_text("Votre avis est enregistré")
    registration = Registration.objects.get()
    assert registration.status == "confirmed"

    passed(session)  # the day of the session comes
    teacher = audit.open()
    agent_signs_in(audit, teacher, trainer)
    teacher.get_by_role("link", name="Présences : Tableur au quotidien").click()
    audit.check(teacher, title="Session : Tableur au quotidien")
    teacher.get_by_label("Hugo Petit (Margny-lès-Compiègne)").check()
    teacher.get_by_role("button", name="Enregistrer les présences").click()
    audit.check(teacher, title="Session : Tableur au quotidien")
    expect(teacher.get_by_role("status")).to_contain_text("1 présent")

    page.goto("/formation/mes-formations/")
    audit.check(page, title="Mes formations")
    with page.expect_download() as event:
        page.get_by_role("link", name="Attestation du").click()
    target = tmp_path / "attestation.pdf"
    event.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert event.value.suggested_filename.endswith(".pdf")

    # The manager's report counts the hours, and the census takes a need of her commune.
    boss.goto(f"/formation/plan/?annee={timezone.localtime(session.start).year}")
    audit.check(boss, title=f"Plan de formation {timezone.localtime(session.start).year}")
    expect(boss.get_by_role("table", name=re.compile("par commune"))).to_contain_text(
        "Margny-lès-Compiègne")
    boss.goto("/formation/besoins/")
    audit.check(boss, title="Recensement des besoins de formation")
    boss.get_by_label("Besoin de formation").fill("Tableaux croisés dynamiques")
    boss.get_by_role("button", name="Déclarer ce besoin").click()
    audit.check(boss, title="Recensement des besoins de formation")
    expect(boss.locator("table")).to_contain_text("Déclaré par un responsable")
