"""In Chromium without JavaScript: an agent of Margny opens a ticket by email (through the
inbound-mail hook of the live server) and follows it in the pages; a DCSI technician finds it
in the queue and resolves it with a knowledge base article; the agent accepts; the SLA report
shows it on time. Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA)."""

from __future__ import annotations

import urllib.request
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from socle.helpdesk.models import Status, Ticket
from socle.helpdesk.services import article_save
from tests.e2e.accessibility import PageAudit
from tests.e2e.conftest import (  # noqa: F401 - fixtures of the browser tests
    _chromium_missing,
    _orm_beside_playwright,
    audit,
    browser,
)
from tests.e2e.test_portal_journey import agent_signs_in

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_chromium_missing()),
                                                  reason=_chromium_missing() or "-")]


def test_a_ticket_sent_by_email_is_followed_and_solved_with_an_article(
        audit: PageAudit, live_server, agent, technician, slas, territory,  # noqa: F811
        monkeypatch) -> None:
    monkeypatch.setenv("SOCLE_HELPDESK_INTAKE_SECRET", "secret-du-banc")
    article = article_save(actor=technician, organisation=territory["arc"],
                           title="Débloquer une imprimante réseau", category="printing",
                           body="Éteindre l'imprimante trente secondes, puis la rallumer.")
    mail = EmailMessage()
    mail["From"] = f"Agent de Margny <{agent.email}>"
    mail["Subject"] = "L'imprimante de l'accueil clignote"
    mail["Message-ID"] = "<e2e-1@margny.exemple.fr>"
    mail.set_content("Bonjour, le voyant est orange depuis ce matin.")
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/helpdesk/inbound", data=mail.as_bytes(), method="POST",
        headers={"Content-Type": "message/rfc822", "X-Socle-Intake-Secret": "secret-du-banc"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202
    ticket = Ticket.objects.get()

    page = audit.open(javascript=False)
    agent_signs_in(audit, page, agent)
    page.goto("/assistance/")
    audit.check(page, title="Mes tickets")
    page.get_by_role("link", name=ticket.number).click()
    audit.check(page, title=f"Ticket {ticket.number}")
    expect(page.locator(".facts")).to_contain_text("par courriel")

    tech = audit.open(javascript=False)
    agent_signs_in(audit, tech, technician)
    tech.goto("/assistance/file?organisation=margny-les-compiegne")
    audit.check(tech, title="File des tickets")
    tech.get_by_role("link", name=ticket.number).click()
    audit.check(tech, title=f"Ticket {ticket.number}")
    solve = tech.get_by_role("region", name="Résoudre")
    solve.get_by_label("Ou répondre par un article").select_option(label=article.title)
    solve.get_by_role("button", name="Proposer la solution").click()
    audit.check(tech, title=f"Ticket {ticket.number}")
    expect(tech.get_by_role("status")).to_contain_text("Solution proposée")

    page.reload()
    audit.check(page, title=f"Ticket {ticket.number}")
    avis = page.get_by_role("region", name="Votre avis sur la solution")
    avis.get_by_label("Oui, clore le ticket").check()
    avis.get_by_label("Votre satisfaction").select_option("5")
    avis.get_by_role("button", name="Envoyer").click()
    audit.check(page, title=f"Ticket {ticket.number}")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.resolve_met is True

    tech.goto("/assistance/engagements")
    audit.check(tech, title="Engagements de service")
    expect(tech.locator("tfoot")).to_contain_text("100,0 %")
    expect(tech.get_by_text("Aucun ticket hors délai.")).to_be_visible()
