"""The GED and the mail register in Chromium: file, search, a two-step circuit, a letter answered.

Agents sign in with their password and a TOTP code; every page is checked by axe-core.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from socle.core.models import Organisation, User
from socle.documents.demo import NODES
from socle.documents.models import Circuit, CircuitStatus, Document, DocumentStatus
from socle.documents.services import node_create, plan_create
from socle.mail.models import Mail
from socle.mail.services import contact_create, mail_type_create
from tests.conftest import PASSWORD

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e

Territory = dict[str, Organisation]
MakeUser = Callable[..., User]


def agent_with_second_factor(make_user: MakeUser, email: str,
                             roles: list[tuple[Organisation, str]]) -> tuple[User, pyotp.TOTP]:
    user = make_user(email, roles=roles)
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user, pyotp.TOTP(secret)


def signed_in_agent(audit: PageAudit, user: User, totp: pyotp.TOTP) -> Page:
    page = audit.open()
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, user.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    page.get_by_label("Code à 6 chiffres").fill(totp.at(time.time()))
    page.get_by_role("button", name="Valider").click()
    # An agent lands on their tasks (issue #12).
    audit.check(page, title="Mes tâches", h1="Mes tâches")
    return page


@pytest.fixture
def reference_plan(territory: Territory) -> None:
    plan = plan_create(actor=None, organisation=territory["arc"], code="arc-reference",
                       title="Plan de référence")
    created: dict = {}
    for code, parent, title, period, unit, start, action, access, naming, types in NODES:
        created[code] = node_create(actor=None, plan=plan, code=code, title=title,
                                    parent=created.get(parent), retention_period=period,
                                    retention_unit=unit, retention_start_event=start,
                                    final_action=action, access_rule=access, naming_rule=naming,
                                    document_types=types)


def test_file_search_circuit_then_register_instruct_and_answer_a_letter(
    audit: PageAudit, territory: Territory, make_user: MakeUser, reference_plan: None,
    tmp_path: Path,
) -> None:
    compiegne = territory["compiegne"]
    agent, agent_totp = agent_with_second_factor(
        make_user, "secretariat@compiegne.fr",
        [(compiegne, "documents.editor"), (compiegne, "mail.clerk")])
    chief, chief_totp = agent_with_second_factor(make_user, "dgs@compiegne.fr",
                                                 [(compiegne, "documents.reader")])
    mayor, mayor_totp = agent_with_second_factor(make_user, "maire@compiegne.fr",
                                                 [(compiegne, "documents.reader")])
    mail_type_create(actor=agent, organisation=compiegne, name="Réclamation", processing_days=30)
    contact_create(actor=agent, organisation=compiegne, kind="person", name="Jeanne Dupont",
                   address="12 rue Solférino, 60200 Compiègne")

    # File a document.
    page = signed_in_agent(audit, agent, agent_totp)
    page.goto("/documents/")
    audit.check(page, title="Documents", h1="Documents")
    page.get_by_role("link", name="Déposer un document").click()
    audit.check(page, title="Déposer un document", h1="Déposer un document")
    source = tmp_path / "convention.txt"
    source.write_text("Convention de mise à disposition du gymnase municipal.", encoding="utf-8")
    # The node is found in the plan's tree by a word, case and accents aside, then chosen.
    page.get_by_label(re.compile("Chercher dans le plan")).fill("pat-02")
    page.get_by_role("button", name="Chercher").click()
    audit.check(page, title="Déposer un document")
    page.get_by_role("radio", name=re.compile("PAT-02")).check()
    page.get_by_label("Titre").fill("Convention gymnase Robida")
    page.get_by_label("Fichier").set_input_files(str(source))
    page.get_by_role("button", name="Déposer").click()
    audit.check(page, title="Convention gymnase Robida", h1="Convention gymnase Robida")
    document = Document.objects.get(title="Convention gymnase Robida")

    # Search it.
    page.get_by_role("link", name="Retour aux documents").click()
    audit.check(page, title="Documents")
    page.get_by_label("Mots recherchés").fill("gymnase")
    page.get_by_role("button", name="Rechercher").click()
    audit.check(page, title="Documents")
    expect(page.get_by_role("heading", name="Résultats (1)")).to_be_visible()
    page.get_by_role("link", name="Convention gymnase Robida").click()
    audit.check(page, title="Convention gymnase Robida")

    # Send it through a two-step circuit: the director's visa, then the mayor's signature.
    page.get_by_role("link", name="Envoyer en circuit").click()
    audit.check(page, title="Envoyer en circuit — Convention gymnase Robida")
    expect(page.locator("fieldset")).to_have_count(3)
    page.get_by_role("button", name="Ajouter une étape").click()
    audit.check(page, title="Envoyer en circuit — Convention gymnase Robida")
    expect(page.locator("fieldset")).to_have_count(4)
    first = page.get_by_role("group", name="Étape 1")
    first.get_by_label("Type d'étape").select_option("visa")
    first.get_by_label("Agent", exact=True).select_option(label=chief.display_name)
    first.get_by_label("Échéance (AAAA-MM-JJ)").fill(
        (timezone.localdate() + timedelta(days=7)).isoformat())
    second = page.get_by_role("group", name="Étape 2")
    second.get_by_label("Type d'étape").select_option("signature")
    second.get_by_label("Agent", exact=True).select_option(label=mayor.display_name)
    page.get_by_role("button", name="Envoyer en circuit").click()
    audit.check(page, title="Convention gymnase Robida")
    expect(page.get_by_role("status")).to_contain_text("parti en circuit")
    document.refresh_from_db()
    assert document.status == DocumentStatus.IN_CIRCUIT and document.locked

    for signer, totp in ((chief, chief_totp), (mayor, mayor_totp)):
        other = signed_in_agent(audit, signer, totp)
        # The step waits in « Mes tâches », and among the visas to give.
        expect(other.get_by_role("region", name=re.compile("Visas et signatures à donner"))
               ).to_contain_text("Convention gymnase Robida")
        other.goto("/agent/")
        audit.check(other, title="Espace agent")
        other.get_by_role("link", name="Mes visas à donner").click()
        audit.check(other, title="Mes visas à donner", h1="Mes visas à donner")
        other.get_by_role("link", name="Décider : Convention gymnase Robida").click()
        audit.check(other, title="Décider : Convention gymnase Robida")
        other.get_by_label("Approuver").check()
        other.get_by_label("Commentaire (obligatoire en cas de refus)").fill("Bon pour accord.")
        other.get_by_role("button", name="Enregistrer ma décision").click()
        audit.check(other, title="Mes visas à donner")
        expect(other.get_by_role("status")).to_contain_text("Votre décision est enregistrée.")
        expect(other.get_by_text("Aucune étape n'attend votre décision.")).to_be_visible()

    circuit = Circuit.objects.get(document=document)
    document.refresh_from_db()
    assert circuit.status == CircuitStatus.APPROVED and document.status == DocumentStatus.FROZEN
    page.reload()
    audit.check(page, title="Convention gymnase Robida")
    expect(page.get_by_text("Version finale figée")).to_be_visible()

    # Register a letter, give it the Mayor's instruction, answer it.
    page.goto("/courrier/")
    audit.check(page, title="Registre du courrier", h1="Registre du courrier")
    page.get_by_role("link", name="Enregistrer un courrier").click()
    audit.check(page, title="Enregistrer un courrier", h1="Enregistrer un courrier")
    page.get_by_label("Objet").fill("Demande de créneau au gymnase Robida")
    page.get_by_label("Correspondant de l'annuaire").select_option(label="Jeanne Dupont")
    page.get_by_role("button", name="Enregistrer").click()
    audit.check(page, title=f"Courrier {Mail.objects.get().chrono}")
    letter = Mail.objects.get()
    page.get_by_label("Nature").select_option("instruction")
    page.locator("#id_text").fill("Proposer le créneau du mercredi. Le Maire.")
    page.get_by_role("button", name="Ajouter").click()
    audit.check(page, title=f"Courrier {letter.chrono}")
    expect(page.locator(".history")).to_contain_text("Proposer le créneau du mercredi.")
    page.get_by_label("Objet de la réponse").fill("Créneau du mercredi au gymnase Robida")
    # The reply starts from a template the clerk completes; it is drawn as a letter.
    reply_text = page.get_by_label("Texte de la réponse")
    expect(reply_text).to_have_value(re.compile("Nous avons bien reçu votre courrier"))
    reply_text.fill("Madame,\n\nLe gymnase Robida vous est ouvert le mercredi de 14 h à 16 h.\n\n"
                    "Veuillez agréer, Madame, nos salutations distinguées.")
    page.get_by_role("button", name="Enregistrer la réponse au départ").click()
    answer = Mail.objects.get(reply_to=letter)
    audit.check(page, title=f"Courrier {answer.chrono}")
    expect(page.get_by_role("link", name=re.compile(f"reponse-{letter.chrono}.pdf"))).to_be_visible()
    expect(page.get_by_text("En réponse à")).to_be_visible()
    page.get_by_role("link", name=letter.chrono, exact=True).click()
    audit.check(page, title=f"Courrier {letter.chrono}")
    expect(page.locator(".facts")).to_contain_text(answer.chrono)
