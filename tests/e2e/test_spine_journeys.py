"""The spine's journeys in Chromium: a visitor, a citizen, an agent, and the keyboard.

Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA) through ``audit``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from socle.core.models import Organisation, User
from tests.conftest import PASSWORD

from .accessibility import PageAudit

pytestmark = pytest.mark.e2e

Territory = dict[str, Organisation]
MakeUser = Callable[..., User]


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()


def wrong_code(secret: str) -> str:
    """A six-digit code that no step near now accepts."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + drift * totp.interval) for drift in range(-3, 4)}
    return next(code for code in ("123456", "654321", "111111", "222222") if code not in near)


def test_visitor_finds_a_commune_by_name_and_by_postal_code(
    audit: PageAudit, territory: Territory
) -> None:
    page = audit.open()
    page.goto("/")
    audit.check(page, title="Accueil", h1="Les services en ligne de votre agglomération")
    expect(page.get_by_role("heading", name="Ce que vous pouvez faire ici")).to_be_visible()
    expect(page.get_by_role("heading", name="Les 22 communes de l'agglomération")).to_be_visible()
    expect(page.locator(".commune-list li")).to_have_count(22)
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()

    page.get_by_label("Nom de la commune ou code postal").fill("compi")
    page.get_by_role("button", name="Rechercher").click()
    audit.check(page, title="Recherche « compi » — Les communes",
                h1="Les communes de l'agglomération")
    expect(page.get_by_role("status")).to_contain_text("2 communes trouvées pour « compi »")
    results = page.get_by_role("table")
    expect(results.get_by_role("link", name="Compiègne", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Margny-lès-Compiègne")).to_be_visible()

    page.get_by_label("Nom de la commune ou code postal").fill("Paris")
    page.get_by_role("button", name="Rechercher").click()
    audit.check(page, title="Recherche « Paris » — Les communes",
                h1="Les communes de l'agglomération")
    expect(page.get_by_text("Aucune commune de l'agglomération ne correspond.")).to_be_visible()

    # A search that finds one commune opens its page.
    page.get_by_label("Nom de la commune ou code postal").fill("60200")
    page.get_by_role("button", name="Rechercher").click()
    audit.check(page, title="Compiègne", h1="Compiègne")
    expect(page).to_have_url(f"{audit.base_url}/communes/compiegne/")
    expect(page.locator(".facts").last).to_contain_text("60200")
    expect(page.locator(".facts").last).to_contain_text(territory["arc"].name)

    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    audit.check(page, title="Déclaration d'accessibilité", h1="Déclaration d'accessibilité")


@pytest.mark.parametrize("javascript", [True, False], ids=["avec-javascript", "sans-javascript"])
def test_citizen_signs_in_sees_their_account_and_signs_out(
    audit: PageAudit, territory: Territory, make_user: MakeUser, javascript: bool
) -> None:
    citizen = make_user("habitante@exemple.fr", commune=territory["compiegne"])
    page = audit.open(javascript=javascript)
    page.goto("/")
    audit.check(page, title="Accueil")
    page.get_by_role("banner").get_by_role("link", name="Se connecter").click()
    audit.check(page, title="Se connecter", h1="Se connecter")

    page.get_by_role("button", name="Se connecter").click()
    audit.check(page, title="Erreur — Se connecter", h1="Se connecter")
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("Le formulaire contient des erreurs")
    email_error = summary.get_by_role(
        "link", name="Adresse électronique : Indiquez votre adresse électronique.")
    email = page.get_by_role("textbox", name="Adresse électronique")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "id_email_error")
    expect(page.locator("#id_email_error")).to_have_text(
        "Erreur : Indiquez votre adresse électronique.")
    email_error.click()
    expect(email).to_be_focused()

    sign_in(page, citizen.email, "pas-le-bon-mot-de-passe")
    audit.check(page, title="Erreur — Se connecter", h1="Se connecter")
    expect(summary).to_contain_text("Adresse électronique ou mot de passe incorrect.")
    expect(page.get_by_label("Adresse électronique")).to_have_value(citizen.email)

    sign_in(page, citizen.email, PASSWORD)
    # A citizen lands on their requests; their account is one link away.
    expect(page).to_have_url(f"{audit.base_url}/mes-demandes/")
    audit.check(page, title="Mes demandes", h1="Mes demandes")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mon compte").click()
    audit.check(page, title="Mon compte", h1="Mon compte")
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Commune de résidence")
    expect(facts.locator("dt:has-text('Commune de résidence') + dd")).to_have_text("Compiègne")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Mon compte")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Espace agent")).to_have_count(0)

    sign_out(page)
    audit.check(page, title="Accueil")
    expect(page.get_by_role("banner").get_by_role("link", name="Se connecter")).to_be_visible()
    expect(nav.get_by_role("link", name="Mon compte")).to_have_count(0)


def test_agent_enrols_a_second_factor_then_signs_in_again_with_a_fresh_code(
    audit: PageAudit, territory: Territory, make_user: MakeUser
) -> None:
    agent = make_user("agent@compiegne.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    page = audit.open()
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")

    sign_in(page, agent.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    secret = page.locator("code.secret").inner_text().strip()
    totp = pyotp.TOTP(secret)

    page.get_by_label("Code à 6 chiffres").fill(wrong_code(secret))
    page.get_by_role("button", name="Valider").click()
    audit.check(page, title="Erreur — Second facteur", h1="Vérification en deux étapes")
    expect(page.locator(".error-summary")).to_contain_text("Ce code ne correspond pas.")
    assert page.locator("code.secret").inner_text().strip() == secret

    page.get_by_label("Code à 6 chiffres").fill(totp.now())
    page.get_by_role("button", name="Valider").click()
    audit.check(page, title="Mes tâches", h1="Mes tâches")
    expect(page.get_by_role("navigation", name="Navigation principale")
           .get_by_role("link", name="Mes tâches")).to_have_attribute("aria-current", "page")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Espace agent").click()
    audit.check(page, title="Espace agent", h1="Espace agent")
    roles = page.get_by_role("table", name="Mes organisations et mes rôles")
    row = roles.get_by_role("row", name="Compiègne")
    expect(row).to_contain_text("Instructeur des démarches")
    expect(page.get_by_role("navigation", name="Navigation principale")
           .get_by_role("link", name="Espace agent")).to_have_attribute("aria-current", "page")

    sign_out(page)
    audit.check(page, title="Accueil")
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, agent.email, PASSWORD)
    audit.check(page, title="Second facteur")
    expect(page.locator("code.secret")).to_have_count(0)
    # The code of the current step was spent at enrolment: the next one is accepted
    # (one step of clock drift), without waiting thirty seconds.
    page.get_by_label("Code à 6 chiffres").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Valider").click()
    audit.check(page, title="Mes tâches")


def test_sign_up_with_errors_and_a_missing_page_are_accessible(
    audit: PageAudit, territory: Territory
) -> None:
    page = audit.open(javascript=False)
    page.goto("/inscription/")
    audit.check(page, title="Créer un compte", h1="Créer un compte d'usager")
    page.get_by_label("Commune de résidence").select_option(label="Compiègne")
    page.get_by_role("button", name="Créer mon compte").click()
    audit.check(page, title="Erreur — Créer un compte")
    expect(page.locator(".error-summary").get_by_role("link")).to_have_count(4)
    expect(page.get_by_label("Commune de résidence")).to_have_value("compiegne")

    response = page.goto("/communes/nulle-part/")
    assert response is not None and response.status == 404
    audit.check(page, title="Page introuvable", h1="Page introuvable")


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    audit: PageAudit, territory: Territory
) -> None:
    page = audit.open()
    page.goto("/communes/")
    audit.check(page, title="Les communes")
    skip = page.get_by_role("link", name="Aller au contenu")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "lien d'évitement invisible"
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Nom de la commune ou code postal")).to_be_focused()


@pytest.mark.parametrize("javascript", [True, False], ids=["avec-javascript", "sans-javascript"])
def test_the_accessibility_check_fails_on_a_page_with_a_violation(
    audit: PageAudit, javascript: bool
) -> None:
    page = audit.open(javascript=javascript)
    page.route("**/page-fautive/", lambda route: route.fulfill(
        content_type="text/html; charset=utf-8",
        body='<!DOCTYPE html><html lang="fr"><head><title>Fautive</title></head>'
             '<body><main><h1>Fautive</h1><input type="text"></main></body></html>'))
    page.goto("/page-fautive/")
    with pytest.raises(AssertionError, match="label"):
        audit.assert_accessible(page)


def test_a_page_loaded_and_never_checked_is_reported(browser: Browser, live_server: LiveServer) -> None:
    checker = PageAudit(browser, live_server.url, settings.PLATFORM_NAME, "controle")
    page = checker.open()
    page.goto("/")
    page.goto("/communes/")
    checker.assert_accessible(page)
    page.goto("/accessibilite/")
    assert checker.close() == [f"{live_server.url}/", f"{live_server.url}/accessibilite/"]
