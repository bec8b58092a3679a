"""A citizen who forgot their password resets it in Chromium, through a real SMTP server.

The link arrives by email (the worker sends it, as in production), opens once, sets the
new password; the old one no longer works; the citizen lands on « Mes demandes ».
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from socle.core.models import Organisation, User
from tests.conftest import PASSWORD
from tests.support.smtp_server import smtp_server  # noqa: F401

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"


@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
def test_a_citizen_resets_a_forgotten_password_by_email(
        audit: PageAudit, territory: dict[str, Organisation], make_user: Callable[..., User],
        smtp_server, javascript: bool) -> None:  # noqa: F811
    citizen = make_user("camille.martin@exemple.fr", commune=territory["compiegne"])
    page = audit.open(javascript=javascript)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    audit.check(page, title="Mot de passe oublié", h1="Mot de passe oublié")
    page.get_by_label("Adresse électronique de votre compte").fill(citizen.email)
    page.get_by_role("button", name="Recevoir le lien").click()
    audit.check(page, title="Vérifiez votre messagerie")

    call_command("worker", batch=True)
    [mail] = smtp_server.to(citizen.email)
    assert mail.subject == "Choisir un nouveau mot de passe"
    link = re.search(r"https?://\S+/mot-de-passe-oublie/\S+/", mail.body)
    assert link is not None, mail.body
    path = urlsplit(link.group(0)).path

    page.goto(path)
    audit.check(page, title="Choisir un nouveau mot de passe")
    page.get_by_label("Nouveau mot de passe (10 caractères au moins)").fill(NEW_PASSWORD)
    page.get_by_label("Le même mot de passe, une seconde fois").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    audit.check(page, title="Se connecter")
    # The link works once only.
    page.goto(path)
    audit.check(page, title="Lien refusé")

    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, citizen.email, PASSWORD)
    audit.check(page, title="Erreur — Se connecter")
    sign_in(page, citizen.email, NEW_PASSWORD)
    audit.check(page, title="Mes demandes")
