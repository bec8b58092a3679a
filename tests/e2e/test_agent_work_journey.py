"""An agent's working day in Chromium, at 1280 and at 320 px (RGAA 10.11), with and without JavaScript.

A caseworker of Compiègne signs in and lands on « Mes tâches », where the case a citizen
has just filed waits, marked new; the queue marks it too; opening the case reads the
notice; the agent chooses a daily digest and sets the function printed under their name;
a communication officer gives the commune its colour. Every page is checked by axe-core
and must not scroll sideways.
"""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Page, expect

from socle.core.models import Organisation, User
from socle.portal import selectors
from socle.portal.services import case_submit, procedure_create, procedure_publish
from tests.conftest import PASSWORD

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def enrol_and_land(audit: PageAudit, page: Page, user: User) -> None:
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, user.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    audit.check(page, title="Mes tâches", h1="Mes tâches")


@pytest.mark.parametrize(("javascript", "width"), [(True, 1280), (False, 320)],
                         ids=["js-1280", "nojs-320"])
def test_a_caseworker_finds_new_work_in_their_tasks(
        audit: PageAudit, territory: dict[str, Organisation], make_user: Callable[..., User],
        javascript: bool, width: int) -> None:
    editor = make_user("redaction@compiegne.fr", roles=[(territory["compiegne"], "portal.editor")])
    procedure = procedure_create(
        actor=editor, organisation=territory["compiegne"], slug="carte-stationnement",
        title="Carte de stationnement résident pour les habitants du centre historique",
        fields=[{"name": "nom", "label": "Nom", "type": "text", "required": True}])
    procedure_publish(actor=editor, procedure=procedure)
    citizen = make_user("habitante.avec.une.adresse.tres.longue@exemple-de-fournisseur.fr",
                        commune=territory["compiegne"])
    agent = make_user("agent@compiegne.fr", roles=[(territory["compiegne"], "portal.caseworker"),
                                                   (territory["compiegne"], "mail.clerk"),
                                                   (territory["compiegne"], "documents.editor")])
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data={"nom": "Martin"})

    page = audit.open(javascript=javascript)
    page.set_viewport_size({"width": width, "height": 900})
    enrol_and_land(audit, page, agent)
    fits(page)
    tasks = page.get_by_role("region", name="Dossiers à instruire")
    expect(tasks).to_contain_text(case.number)
    expect(tasks).to_contain_text("Nouveau")

    page.goto("/agent/dossiers/")
    audit.check(page, title="Dossiers à instruire")
    fits(page)
    row = page.get_by_role("row").filter(has_text=case.number)
    expect(row).to_contain_text("Nouveau")
    row.get_by_role("link", name=case.number).click()
    audit.check(page, title=f"Dossier n° {case.number}")
    fits(page)
    page.goto("/agent/dossiers/")
    audit.check(page, title="Dossiers à instruire")
    expect(page.get_by_role("row").filter(has_text=case.number)).not_to_contain_text("Nouveau")

    page.goto("/compte/avis/")
    audit.check(page, title="Mes réglages d'agent")
    fits(page)
    page.get_by_label("Un courriel récapitulatif par jour").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    audit.check(page, title="Mes réglages d'agent")
    expect(page.get_by_label("Un courriel récapitulatif par jour")).to_be_checked()
    page.get_by_label("Fonction").fill("Responsable du stationnement")
    page.get_by_role("button", name="Enregistrer ma fonction").click()
    audit.check(page, title="Mes réglages d'agent")
    expect(page.get_by_label("Fonction")).to_have_value("Responsable du stationnement")

    for url, title in (("/courrier/", "Registre du courrier"), ("/documents/", "Documents")):
        page.goto(url)
        audit.check(page, title=title)
        fits(page)


def test_a_communication_officer_gives_the_commune_its_colour(
        audit: PageAudit, territory: dict[str, Organisation], make_user: Callable[..., User]) -> None:
    officer = make_user("communication@compiegne.fr",
                        roles=[(territory["compiegne"], "core.communication")])
    page = audit.open()
    page.set_viewport_size({"width": 320, "height": 900})
    enrol_and_land(audit, page, officer)
    page.goto("/agent/identite/compiegne/")
    audit.check(page, title="Identité : Compiègne")
    fits(page)
    page.get_by_label("Couleur de l'en-tête").fill("#ffdd00")
    page.get_by_role("button", name="Enregistrer").click()
    audit.check(page, title="Identité : Compiègne")
    expect(page.get_by_role("alert")).to_contain_text("trop claire")
    page.get_by_label("Couleur de l'en-tête").fill("#7a1f3d")
    page.get_by_role("button", name="Enregistrer").click()
    audit.check(page, title="Identité : Compiègne")
    page.goto("/communes/compiegne/")
    audit.check(page, title="Compiègne")
    fits(page)
    expect(page.get_by_role("banner")).to_contain_text("Services en ligne de Compiègne")
    color = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert color.strip() == "#7a1f3d"
