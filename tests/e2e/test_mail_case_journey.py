"""A letter becomes a portal case, in Chromium without JavaScript.

Compiègne's reception agent (mail clerk and caseworker) opens a registered letter,
chooses the procedure the sender asks for, sends the form once incomplete, then
complete with its attachment and a vehicle; the mail and the case then link to each
other. Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from socle.mail.services import contact_create, mail_register
from socle.portal.models import Case

from .accessibility import PageAudit
from .test_portal_journey import (
    MakeUser,
    Territory,
    agent_signs_in,
    fill_identity,
    pdf_file,
    publish_parking,
    vehicle,
)

pytestmark = pytest.mark.e2e


def test_a_letter_is_filed_as_a_case_and_both_link_to_each_other(
    audit: PageAudit, territory: Territory, make_user: MakeUser, tmp_path: Path
) -> None:
    compiegne = territory["compiegne"]
    publish_parking(territory, make_user)
    agent = make_user("accueil@compiegne.fr", roles=[(compiegne, "mail.clerk"),
                                                      (compiegne, "portal.caseworker")])
    writer = contact_create(actor=agent, organisation=compiegne, kind="person",
                            name="Camille Martin", address="12 rue Solférino, 60200 Compiègne")
    letter = mail_register(actor=agent, organisation=compiegne, direction="in", channel="paper",
                           contact=writer, subject="Demande de carte de stationnement",
                           received_on=date(2026, 3, 2))

    page = audit.open(javascript=False)
    agent_signs_in(audit, page, agent)
    page.goto(f"/courrier/{letter.pk}/")
    audit.check(page, title=f"Courrier {letter.chrono}")
    section = page.get_by_role("region", name="Créer un dossier du portail")
    section.get_by_label("Démarche").select_option(label="Carte de stationnement résident")
    section.get_by_role("button", name="Continuer vers le formulaire").click()
    audit.check(page, title=f"Dossier du portail depuis le courrier {letter.chrono}",
                h1="Créer un dossier du portail")
    expect(page.locator(".notice")).to_contain_text("aucun courriel")

    page.get_by_role("button", name="Créer le dossier").click()
    audit.check(page, title=f"Erreur — Dossier du portail depuis le courrier {letter.chrono}")
    expect(page.locator(".error-summary")).to_contain_text("Nom et prénom")
    assert not Case.objects.exists()

    fill_identity(page)
    vehicle(page, 0, "AB-123-CD", "Renault")
    page.get_by_label("Justificatif de domicile").set_input_files(
        str(pdf_file(tmp_path, "justificatif.pdf")))
    page.get_by_role("button", name="Créer le dossier").click()
    audit.check(page, title=f"Courrier {letter.chrono}")
    case = Case.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"Dossier du portail n° {case.number}")

    page.get_by_role("link", name=case.number).click()
    audit.check(page, title=f"Dossier n° {case.number}")
    expect(page.locator(".case-facts")).to_contain_text("Déposé par courrier")
    expect(page.get_by_role("link", name="justificatif.pdf").first).to_be_visible()
    page.get_by_role("link", name=f"courrier n° {letter.chrono}").click()
    audit.check(page, title=f"Courrier {letter.chrono}")
