"""In Chromium, with and without JavaScript: an agent of Margny signs in, is sent to the IT
charter in force before any page, accepts it and lands on their tasks, where the awareness
module assigned to their commune waits; they take its quiz. The commune's security lead
then finds the acceptance in the register. Every page is checked by axe-core."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from socle.security.models import CharterAcceptance
from socle.security.services import assignment_add, charter_accept
from tests.conftest import PASSWORD
from tests.e2e.accessibility import PageAudit
from tests.e2e.conftest import (  # noqa: F401 - fixtures of the browser tests
    _chromium_missing,
    _orm_beside_playwright,
    audit,
    browser,
)
from tests.e2e.test_spine_journeys import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_chromium_missing()),
                                                  reason=_chromium_missing() or "-")]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_agent_accepts_the_charter_at_sign_in_and_lands_on_their_tasks(
        audit: PageAudit, live_server, agent, lead, charter, awareness, margny,  # noqa: F811
        javascript: bool) -> None:
    assignment_add(actor=None, module=awareness, organisation=margny)
    page = audit.open(javascript=javascript)
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, agent.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    audit.check(page, title="Charte informatique", h1="Charte informatique")
    expect(page.locator("main")).to_contain_text("Soyez prudents")
    page.get_by_label("J'ai lu la charte informatique").check()
    page.get_by_role("button", name="Accepter la charte").click()
    audit.check(page, title="Mes tâches", h1="Mes tâches")
    assert CharterAcceptance.objects.filter(user=agent, version=charter).exists()
    page.get_by_role("link", name="Hameçonnage").click()
    audit.check(page, title="Hameçonnage", h1="Hameçonnage")
    page.get_by_role("radio", name="Je le signale à la DCSI").check()
    page.get_by_role("radio", name="Je ne clique pas").check()
    page.get_by_role("button", name="Valider mes réponses").click()
    audit.check(page, title="Hameçonnage", h1="Hameçonnage")
    expect(page.get_by_role("status").filter(has_text="Votre résultat")).to_contain_text("100 %")

    charter_accept(actor=lead, version=charter)
    lead_page = audit.open(javascript=javascript)
    lead_page.goto("/connexion/")
    audit.check(lead_page, title="Se connecter")
    sign_in(lead_page, lead.email, PASSWORD)
    audit.check(lead_page, title="Second facteur", h1="Vérification en deux étapes")
    secret = lead_page.locator("code.secret").inner_text().strip()
    lead_page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    lead_page.get_by_role("button", name="Valider").click()
    audit.check(lead_page, title="Mes tâches", h1="Mes tâches")  # accepted: no detour
    lead_page.goto("/agent/securite/registre/")
    audit.check(lead_page, title="Registre des acceptations de la charte")
    row = lead_page.get_by_role("row").filter(has_text=agent.email)
    expect(row).not_to_contain_text("Non acceptée")


def test_every_page_of_the_dcsi_passes_axe(audit: PageAudit, live_server, officer, agent,  # noqa: F811
                                          charter, awareness, margny) -> None:
    from django.conf import settings
    from django.utils import timezone

    from socle.security import gophish
    from socle.security.services import finding_create, phishing_import, quiz_submit
    from tests.support.clients import signed_in

    charter_accept(actor=officer, version=charter)
    charter_accept(actor=agent, version=charter)
    assignment_add(actor=None, module=awareness, organisation=margny)
    quiz_submit(actor=agent, module=awareness, answers=[1, 1])
    campaign = phishing_import(actor=None, organisation=margny, name="Faux colis", source="csv",
                               module=awareness, recipients=gophish.parse_csv(
                                   f"email,status,reported\n{agent.email},Clicked Link,false\n"
                                   .encode()))
    finding = finding_create(actor=None, organisation=margny, title="Pare-feu exposé",
                             asset="inventory.asset:4",
                             cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                             recommendation="Fermer l'administration.", owner="DCSI",
                             due_on=timezone.localdate())
    session = signed_in(officer).cookies[settings.SESSION_COOKIE_NAME].value
    page = audit.open()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                               "url": live_server.url}])
    for url, title in [
        ("/agent/securite/pilotage/", "Pilotage de la sécurité"),
        ("/agent/securite/registre/", "Registre des acceptations de la charte"),
        ("/agent/securite/versions/", "Versions de la charte informatique"),
        ("/agent/securite/avancement/", "Avancement de la sensibilisation"),
        ("/agent/securite/catalogue/", "Modules de sensibilisation"),
        (f"/agent/securite/catalogue/{awareness.pk}/", "Hameçonnage — groupes"),
        ("/agent/securite/hameconnage/", "Simulations d'hameçonnage"),
        (f"/agent/securite/hameconnage/{campaign.pk}/", "Faux colis"),
        ("/agent/securite/vulnerabilites/", "Vulnérabilités des tests d'intrusion"),
        (f"/agent/securite/vulnerabilites/{finding.pk}/", "Pare-feu exposé"),
        ("/agent/securite/", "Sensibilisation à la cybersécurité"),
    ]:
        page.goto(url)
        audit.check(page, title=title)
