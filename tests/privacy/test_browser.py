"""In Chromium without JavaScript: the DPO records a breach and sees its 72-hour clock.

Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA) by the browser
tests' ``audit`` fixture, borrowed from tests/e2e.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from socle.privacy.models import Breach
from tests.e2e.accessibility import PageAudit
from tests.e2e.conftest import CHROMIUM, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.e2e.test_portal_journey import agent_signs_in

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason=f"Chromium est introuvable ({CHROMIUM}).")]


def test_the_dpo_records_a_breach_and_sees_its_72_hour_clock(
        audit: PageAudit, territory, make_user) -> None:  # noqa: F811 - fixtures imported above
    dpo = make_user("dpo@exemple.fr", roles=[(territory["arc"], "privacy.dpo")])
    page = audit.open(javascript=False)
    agent_signs_in(audit, page, dpo)
    page.goto("/rgpd/")
    audit.check(page, title="Registres RGPD", h1="Registres RGPD")
    page.get_by_role("link", name="Violations de données").first.click()
    audit.check(page, title="Violations de données")
    form = page.get_by_role("region", name="Enregistrer une violation")
    form.get_by_label("Structure concernée").select_option(label="Margny-lès-Compiègne")
    form.get_by_label("Titre").fill("Clé USB perdue")
    form.get_by_label("Description des faits").fill("Une clé USB non chiffrée perdue en réunion.")
    aware = timezone.localtime() - timedelta(hours=3, minutes=30)
    form.get_by_label("Pris connaissance le").fill(aware.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Perte de confidentialité (accès, divulgation)").check()
    form.get_by_label("Niveau de risque pour les personnes").select_option("high")
    form.get_by_role("button", name="Enregistrer la violation").click()
    audit.check(page, title="Clé USB perdue — Violation de données", h1="Clé USB perdue")
    breach = Breach.objects.get()
    clock = page.get_by_role("region", name="Délai de notification à la CNIL")
    expect(clock).to_contain_text("Il reste 2 j 20 h")
    expect(clock).to_contain_text("pour notifier la CNIL")
    deadline = timezone.localtime(breach.aware_at + timedelta(hours=72))
    expect(clock).to_contain_text(deadline.strftime("%H:%M"))

    notify = page.get_by_role("region", name="Enregistrer une notification")
    notify.get_by_label("Référence de la notification (CNIL)").fill("NOTIF-2026-7")
    notify.get_by_role("button", name="Enregistrer la notification").click()
    audit.check(page, title="Clé USB perdue — Violation de données")
    expect(page.get_by_role("region", name="Délai de notification à la CNIL")).to_contain_text(
        "Notifiée à la CNIL dans le délai de 72 heures.")


def test_a_referents_register_requests_and_assessment_pages_pass_the_audit(
        audit: PageAudit, territory, make_user) -> None:  # noqa: F811 - fixtures imported above
    from socle.privacy import services

    margny = territory["margny-les-compiegne"]
    dpo = make_user("dpo@exemple.fr", roles=[(territory["arc"], "privacy.dpo")])
    referent = make_user("rgpd@margny.fr", roles=[(margny, "privacy.referent")])
    services.platform_sync(organisations=[margny])
    camera = services.activity_create(actor=referent, organisation=margny, name="Vidéoprotection",
                                      purpose="Protéger la mairie.", legal_basis="public_task")
    template = services.template_create(actor=dpo, organisation=territory["arc"], name="AIPD")
    assessment = services.assessment_start(actor=referent, activity=camera, template=template)
    late = services.request_create(actor=referent, organisation=margny, kind="access",
                                   requester_name="Camille Martin",
                                   received_on=timezone.localdate() - timedelta(days=40))
    page = audit.open(javascript=False)
    agent_signs_in(audit, page, referent)
    page.goto("/rgpd/registres/margny-les-compiegne/")
    audit.check(page, title="Registre RGPD — Margny-lès-Compiègne")
    expect(page.locator("table").first).to_contain_text("Déclaré par la plateforme")
    page.goto(f"/rgpd/traitements/{camera.pk}/")
    audit.check(page, title="Vidéoprotection — Registre RGPD")
    page.goto(f"/rgpd/analyses/{assessment.pk}/")
    audit.check(page, title="Analyse d'impact — Vidéoprotection")
    page.goto("/rgpd/demandes/")
    audit.check(page, title="Demandes d'exercice des droits")
    expect(page.locator("table")).to_contain_text("En retard de")
    page.goto(f"/rgpd/demandes/{late.pk}/")
    audit.check(page, title="Demande d'exercice des droits")
