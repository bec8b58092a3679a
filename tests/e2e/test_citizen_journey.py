"""A citizen's journey in Chromium, with and without JavaScript, at 1280 and 390 px wide.

A resident of Compiègne signs in and lands on « Mes demandes », finds their commune's page
and its procedures, reads the legal pages, and files a procedure in steps: the question on
the company appears only when « SCI » is chosen (in place with JavaScript, as a hint on
the page without), the step on works only when there are works (decided by the server
between steps); the summary lets them change an answer before sending. Every page is
checked by axe-core (``audit``) and must not scroll sideways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from socle.core.models import Organisation, User
from socle.portal.models import Case
from socle.portal.services import procedure_create, procedure_publish
from tests.conftest import PASSWORD

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e

FIELDS: list[dict[str, Any]] = [
    {"name": "nom", "label": "Votre nom", "type": "text", "required": True},
    {"name": "statut", "label": "Vous demandez", "type": "choice", "required": True,
     "choices": [{"value": "particulier", "label": "En votre nom"},
                 {"value": "sci", "label": "Pour une société civile immobilière (SCI)"}]},
    {"name": "raison_sociale", "label": "Nom de la société", "type": "text", "required": True,
     "show_if": {"field": "statut", "equals": "sci"}},
    {"name": "etape_projet", "label": "Le projet", "type": "step"},
    {"name": "travaux", "label": "Le projet comporte-t-il des travaux ?", "type": "yesno",
     "required": True},
    {"name": "etape_travaux", "label": "Les travaux", "type": "step",
     "show_if": {"field": "travaux", "equals": True}},
    {"name": "surface", "label": "Surface créée (m²)", "type": "number", "required": True},
]


def _fits(page: Page) -> None:
    """RGAA 10.11: no horizontal scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _check(audit: PageAudit, page: Page, title: str, h1: str | None = None) -> None:
    audit.check(page, title=title, h1=h1)
    _fits(page)


@pytest.mark.parametrize(("javascript", "width"), [(True, 1280), (False, 390), (True, 390),
                                                   (False, 1280)],
                         ids=["js-1280", "nojs-390", "js-390", "nojs-1280"])
def test_a_citizen_files_a_procedure_in_steps(audit: PageAudit, territory: dict[str, Organisation],
                                              make_user: Callable[..., User], javascript: bool,
                                              width: int) -> None:
    editor = make_user("redaction@compiegne.fr", roles=[(territory["compiegne"], "portal.editor")])
    procedure = procedure_create(actor=editor, organisation=territory["compiegne"],
                                 slug="declaration-travaux", fields=FIELDS, category="Urbanisme",
                                 title="Déclaration de travaux",
                                 summary="Avant de commencer, lisez https://www.service-public.fr/.")
    procedure_publish(actor=editor, procedure=procedure)
    citizen = make_user("camille@exemple.fr", commune=territory["compiegne"])

    page = audit.open(javascript=javascript)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    _check(audit, page, "Accueil", "Les services en ligne de votre agglomération")
    page.get_by_label("Nom de la commune ou code postal").fill("Compiègne")
    page.get_by_role("button", name="Rechercher").click()
    # Two communes hold the name: the list, then the commune's own page.
    _check(audit, page, "Recherche « Compiègne » — Les communes")
    page.get_by_role("link", name="Compiègne", exact=True).click()
    _check(audit, page, "Compiègne", "Compiègne")
    panel = page.get_by_role("region", name="Démarches en ligne")
    expect(panel.get_by_role("heading", name="Urbanisme")).to_be_visible()
    expect(panel.get_by_role("link", name="Déclaration de travaux")).to_be_visible()

    footer = page.get_by_role("contentinfo")
    for link, title in (("Mentions légales", "Mentions légales"),
                        ("Données personnelles", "Données personnelles"), ("Contact", "Contact")):
        footer.get_by_role("link", name=link).click()
        _check(audit, page, title)

    page.goto("/connexion/")
    _check(audit, page, "Se connecter")
    sign_in(page, citizen.email, PASSWORD)
    _check(audit, page, "Mes demandes")

    page.goto("/demarches/?q=travaux")
    _check(audit, page, "Recherche « travaux » — Démarches en ligne — Compiègne")
    page.get_by_role("link", name="Déclaration de travaux").click()
    _check(audit, page, "Étape 1 sur 3 : Votre demande — Déclaration de travaux")
    expect(page.get_by_role("link", name="https://www.service-public.fr/")).to_be_visible()

    company = page.get_by_label("Nom de la société")
    page.get_by_role("textbox", name="Votre nom").fill("Camille Martin")
    if javascript:
        expect(company).to_be_hidden()  # it does not apply yet
        page.get_by_label("Pour une société civile immobilière (SCI)").check()
        expect(company).to_be_visible()
        page.get_by_label("En votre nom").check()
        expect(company).to_be_hidden()
        page.get_by_label("Pour une société civile immobilière (SCI)").check()
    else:
        expect(page.get_by_text("À remplir seulement si vous avez répondu « Pour une société "
                                "civile immobilière (SCI) » à « Vous demandez ».")).to_be_visible()
        page.get_by_label("Pour une société civile immobilière (SCI)").check()
    page.get_by_role("button", name="Continuer").click()
    _check(audit, page, "Erreur — Étape 1 sur 3 : Votre demande — Déclaration de travaux")
    expect(page.get_by_role("alert")).to_contain_text("Nom de la société : Ce champ est obligatoire.")
    page.get_by_label("Nom de la société").fill("SCI des Lilas")
    page.get_by_role("button", name="Continuer").click()

    _check(audit, page, "Étape 2 sur 3 : Le projet — Déclaration de travaux")
    page.get_by_label("Non", exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    _check(audit, page, "Vérifier vos réponses — Déclaration de travaux")
    expect(page.get_by_role("heading", name="Les travaux")).to_have_count(0)
    expect(page.get_by_role("cell", name="Pour une société civile immobilière (SCI)")).to_be_visible()

    page.get_by_role("link", name="Modifier l'étape « Le projet »").click()
    _check(audit, page, "Étape 2 sur 3 : Le projet — Déclaration de travaux")
    page.get_by_label("Oui", exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    # The step on works applies now: the server brings it in.
    _check(audit, page, "Étape 3 sur 4 : Les travaux — Déclaration de travaux")
    page.get_by_label("Surface créée (m²)").fill("12,5")
    page.get_by_role("button", name="Continuer").click()
    _check(audit, page, "Vérifier vos réponses — Déclaration de travaux")
    expect(page.get_by_role("cell", name="12,5")).to_be_visible()
    page.get_by_role("button", name="Envoyer ma demande").click()

    case = Case.objects.get(citizen=citizen)
    _check(audit, page, f"Demande n° {case.number}")
    assert case.data == {"nom": "Camille Martin", "statut": "sci",
                         "raison_sociale": "SCI des Lilas", "travaux": True, "surface": "12.5"}

    page.goto("/compte/")
    _check(audit, page, "Mon compte", "Mon compte")
    expect(page.get_by_text("changer de commune change donc les démarches du catalogue")).to_be_visible()
    page.get_by_role("link", name="Supprimer mon compte…").click()
    _check(audit, page, "Supprimer mon compte", "Supprimer mon compte")
