"""The portal's journeys in Chromium: filing, an information request, the decision, payment.

A citizen of Compiègne files a request with an attachment; an agent of Compiègne
takes it, asks for more information; the citizen completes it; the agent accepts
it; the citizen reads the decision and downloads its PDF. An agent of Venette
cannot reach the case. A second journey, without JavaScript, files a request with a
fixed fee and pays it online; the agent then records a refund.
Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA) through ``audit``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader, PdfWriter

from socle.core.models import Organisation, User
from socle.portal.models import Case, CaseDocument, DocumentKind, Payment, PaymentStatus, Procedure
from socle.portal.services import procedure_create, procedure_publish
from tests.conftest import PASSWORD

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e

Territory = dict[str, Organisation]
MakeUser = Callable[..., User]

FIELDS: list[dict[str, Any]] = [
    {"name": "nom", "label": "Nom et prénom", "type": "text", "required": True},
    {"name": "telephone", "label": "Téléphone", "type": "phone"},
    {"name": "emmenagement", "label": "Date d'emménagement", "type": "date", "required": True},
    {"name": "zone", "label": "Zone de stationnement", "type": "choice", "required": True,
     "choices": [{"value": "centre", "label": "Centre-ville"},
                 {"value": "gare", "label": "Quartier de la gare"}]},
    {"name": "proprietaire", "label": "Êtes-vous propriétaire du véhicule ?", "type": "yesno",
     "required": True},
    {"name": "usages", "label": "Usages du véhicule", "type": "multichoice",
     "choices": [{"value": "travail", "label": "Trajets domicile-travail"},
                 {"value": "loisirs", "label": "Loisirs"}]},
    {"name": "precisions", "label": "Précisions", "type": "textarea"},
    {"name": "justificatif", "label": "Justificatif de domicile", "type": "file",
     "required": True},
    {"name": "vehicules", "label": "Véhicules", "type": "group", "required": True, "fields": [
        {"name": "immatriculation", "label": "Immatriculation", "type": "text", "required": True},
        {"name": "marque", "label": "Marque", "type": "text"},
    ]},
]


def pdf_file(tmp_path: Path, name: str) -> Path:
    """A real one-page PDF, as a citizen would scan one."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def publish_parking(territory: Territory, make_user: MakeUser, **values: Any) -> Procedure:
    """Compiègne's resident parking permit, written and published by an editor of the commune."""
    editor = make_user("redaction@compiegne.fr", roles=[(territory["compiegne"], "portal.editor")])
    procedure = procedure_create(actor=editor, organisation=territory["compiegne"],
                                 slug="carte-stationnement-resident", fields=FIELDS,
                                 title="Carte de stationnement résident",
                                 service_name="Service du stationnement de Compiègne", **values)
    procedure_publish(actor=editor, procedure=procedure)
    return procedure


def citizen_signs_in(audit: PageAudit, page: Page, citizen: User) -> None:
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, citizen.email, PASSWORD)
    # A citizen lands on their requests (issue #12).
    audit.check(page, title="Mes demandes")


def agent_signs_in(audit: PageAudit, page: Page, agent: User) -> None:
    """Password, then the second factor the agent enrols on their first sign-in."""
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, agent.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    # An agent lands on their tasks (issue #12).
    audit.check(page, title="Mes tâches", h1="Mes tâches")


def fill_identity(page: Page) -> None:
    page.get_by_label("Nom et prénom").fill("Camille Martin")
    page.get_by_label("Téléphone").fill("03 44 40 00 00")
    page.get_by_label("Date d'emménagement").fill("01/09/2024")
    page.get_by_role("group", name="Zone de stationnement").get_by_label("Centre-ville").check()
    page.get_by_role("group", name="Êtes-vous propriétaire").get_by_label("Oui").check()
    page.get_by_role("group", name="Usages du véhicule").get_by_label("Loisirs").check()
    page.get_by_label("Précisions").fill("Stationnement rue Solférino.")


def vehicle(page: Page, row: int, plate: str, make: str = "") -> None:
    page.locator(f"#id-f-vehicules-{row}-immatriculation").fill(plate)
    if make:
        page.locator(f"#id-f-vehicules-{row}-marque").fill(make)


def change_status(audit: PageAudit, page: Page, number: str, label: str, comment: str = "") -> None:
    page.get_by_role("radio", name=label).check()
    if comment:
        page.get_by_label("Commentaire ou motivation").fill(comment)
    page.get_by_role("button", name="Changer le statut").click()
    audit.check(page, title=f"Dossier n° {number}")
    expect(page.get_by_role("status")).to_contain_text("Le dossier est passé au statut")


def test_a_request_is_filed_completed_accepted_and_its_decision_downloaded(
    audit: PageAudit, territory: Territory, make_user: MakeUser, tmp_path: Path,
) -> None:
    publish_parking(territory, make_user)
    citizen = make_user("camille.martin@exemple.fr", commune=territory["compiegne"])
    agent = make_user("stationnement@compiegne.fr",
                      roles=[(territory["compiegne"], "portal.caseworker")])
    agent.first_name, agent.last_name, agent.job_title = "Nadia", "Lefèvre", "Cheffe du stationnement"
    agent.save()
    stranger = make_user("instructeur@venette.fr",
                         roles=[(territory["venette"], "portal.caseworker")])

    # The citizen finds the procedure in the catalogue of their commune and files it.
    mine = audit.open()
    citizen_signs_in(audit, mine, citizen)
    mine.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Démarches en ligne").click()
    audit.check(mine, title="Démarches en ligne — Compiègne",
                h1="Démarches en ligne pour les habitants de Compiègne")
    mine.get_by_role("link", name="Carte de stationnement résident").click()
    audit.check(mine, title="Carte de stationnement résident",
                h1="Carte de stationnement résident")

    # Enter sends the form (not the group's "Ajouter une ligne", the first visible button).
    mine.get_by_label("Nom et prénom").press("Enter")
    audit.check(mine, title="Erreur — Carte de stationnement résident")
    summary = mine.locator(".error-summary")
    expect(summary.get_by_role("link", name="Justificatif de domicile : Ce champ est obligatoire."))\
        .to_be_visible()
    expect(summary.get_by_role("link", name="Véhicules : Ajoutez au moins 1 ligne(s)."))\
        .to_be_visible()

    fill_identity(mine)
    mine.get_by_label("Justificatif de domicile").set_input_files(
        pdf_file(tmp_path, "justificatif-domicile.pdf"))
    vehicle(mine, 0, "AB-123-CD", "Renault")
    mine.get_by_role("button", name="Ajouter une ligne").click()
    audit.check(mine, title="Carte de stationnement résident")
    expect(mine.get_by_role("group", name="Véhicules — ligne 2")).to_be_visible()
    expect(mine.locator("#id-f-vehicules-0-immatriculation")).to_have_value("AB-123-CD")
    expect(mine.get_by_text("Déjà joint : justificatif-domicile.pdf")).to_be_visible()
    vehicle(mine, 1, "EF-456-GH", "Peugeot")
    mine.get_by_role("button", name="Envoyer ma demande").click()
    mine.wait_for_url(re.compile(r"/mes-demandes/\d{4}-\d{6}/$"))
    case = Case.objects.get()
    number = case.number
    audit.check(mine, title=f"Demande n° {number}", h1=f"Demande n° {number}")
    assert case.organisation == territory["compiegne"] and case.status == "submitted"
    assert [row["immatriculation"] for row in case.data["vehicules"]] == ["AB-123-CD", "EF-456-GH"]
    assert case.data["proprietaire"] is True and case.data["usages"] == ["loisirs"]
    assert case.documents.filter(kind=DocumentKind.ATTACHMENT,
                                 name="justificatif-domicile.pdf").exists()
    expect(mine.get_by_role("status")).to_contain_text(f"Votre demande n° {number} est enregistrée")
    expect(mine.locator(".lead")).to_contain_text("Demande déposée")
    # Accepted at once; the worker draws the acknowledgements, then the page offers them.
    expect(mine.get_by_text("sont en préparation")).to_be_visible()
    call_command("worker", batch=True)
    mine.reload()
    audit.check(mine, title=f"Demande n° {number}", h1=f"Demande n° {number}")
    expect(mine.get_by_role("link", name=re.compile("Accusé de réception"))).to_be_visible()

    # The agent of Compiègne finds it in the queue, takes it and asks for more.
    desk = audit.open()
    agent_signs_in(audit, desk, agent)
    # « Mes tâches » shows the new case first (issue #12), then the queue marks it too.
    waiting = desk.get_by_role("region", name=re.compile("Dossiers à instruire"))
    expect(waiting.get_by_role("listitem").filter(has_text=number)).to_contain_text("Nouveau")
    desk.goto("/agent/dossiers/")
    audit.check(desk, title="Dossiers à instruire", h1="Dossiers à instruire")
    queue = desk.get_by_role("table", name=re.compile("1 dossier"))
    expect(queue.get_by_role("row", name=re.compile(number))).to_contain_text(citizen.email)
    queue.get_by_role("link", name=number).click()
    audit.check(desk, title=f"Dossier n° {number}", h1=f"Dossier n° {number}")
    expect(desk.get_by_role("table", name="Véhicules — ligne 2")).to_contain_text("EF-456-GH")
    expect(desk.get_by_role("link", name="justificatif-domicile.pdf").first).to_be_visible()

    change_status(audit, desk, number, "Prendre en instruction")
    change_status(audit, desk, number, "Demander des informations",
                  "Le justificatif date de plus de trois mois : joignez-en un plus récent.")
    case.refresh_from_db()
    assert case.status == "info_requested"

    # The citizen reads the request and completes the case.
    mine.reload()
    audit.check(mine, title=f"Demande n° {number}")
    expect(mine.locator(".lead")).to_contain_text("Des informations vous sont demandées")
    expect(mine.locator(".history")).to_contain_text("joignez-en un plus récent")
    mine.get_by_role("link", name="Compléter mon dossier").click()
    audit.check(mine, title=f"Compléter la demande n° {number}",
                h1=f"Compléter la demande n° {number}")
    expect(mine.locator(".notice")).to_contain_text("joignez-en un plus récent")
    expect(mine.locator("#id-f-vehicules-1-immatriculation")).to_have_value("EF-456-GH")
    mine.get_by_label("Justificatif de domicile").set_input_files(
        pdf_file(tmp_path, "facture-electricite.pdf"))
    mine.get_by_role("button", name="Renvoyer mon dossier complété").click()
    audit.check(mine, title=f"Demande n° {number}")
    expect(mine.get_by_role("status")).to_contain_text("Votre dossier complété a été renvoyé")
    expect(mine.locator(".lead")).to_contain_text("En cours d'instruction")
    mine.get_by_label("Votre message").fill("J'ai joint ma dernière facture d'électricité.")
    mine.get_by_role("button", name="Envoyer le message").click()
    audit.check(mine, title=f"Demande n° {number}")

    # The agent is told of the citizen's message in « Mes tâches », and opens the case.
    desk.goto("/agent/taches/")
    audit.check(desk, title="Mes tâches")
    told = desk.get_by_role("region", name=re.compile("Avis reçus"))
    told.get_by_role("link", name=f"Message de l'usager sur le dossier n° {number}").click()
    audit.check(desk, title=f"Dossier n° {number}")
    expect(desk.locator("body")).to_contain_text("J'ai joint ma dernière facture")
    expect(desk.get_by_role("link", name="facture-electricite.pdf").first).to_be_visible()
    change_status(audit, desk, number, "Accepter", "Carte valable un an.")
    case.refresh_from_db()
    assert case.status == "accepted" and case.closed_at is not None

    # The citizen sees the decision and downloads it.
    mine.reload()
    audit.check(mine, title=f"Demande n° {number}")
    expect(mine.locator(".lead")).to_contain_text("Demande acceptée")
    with mine.expect_download() as event:
        mine.get_by_role("link", name=f"Décision — decision-{number}.pdf").click()
    download = event.value
    assert download.suggested_filename == f"decision-{number}.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert number in text and "acceptée" in text and "Carte valable un an." in text
    # The decision names its signatory and their function (CRPA L212-1), and how to appeal.
    flat = " ".join(text.split())
    assert "Cheffe du stationnement" in flat and "Nadia Lefèvre" in flat
    assert "Voies et délais de recours" in flat

    # An agent of Venette neither sees it in their queue nor reaches it by its address.
    elsewhere = audit.open()
    agent_signs_in(audit, elsewhere, stranger)
    elsewhere.goto("/agent/dossiers/")
    audit.check(elsewhere, title="Dossiers à instruire")
    expect(elsewhere.get_by_text("Aucun dossier.")).to_be_visible()
    for address in (f"/agent/dossiers/{number}/", f"/mes-demandes/{number}/",
                    f"/mes-demandes/{number}/documents/"
                    f"{CaseDocument.objects.get(kind=DocumentKind.DECISION).pk}/"):
        response = elsewhere.goto(address)
        assert response is not None and response.status == 404, address
        audit.check(elsewhere, title="Page introuvable", h1="Page introuvable")


def test_without_javascript_a_citizen_adds_a_row_files_and_pays_then_the_agent_refunds(
    audit: PageAudit, territory: Territory, make_user: MakeUser, tmp_path: Path,
) -> None:
    publish_parking(territory, make_user, fee_kind="fixed", fee_amount=Decimal("12.30"))
    citizen = make_user("camille.martin@exemple.fr", commune=territory["compiegne"])
    agent = make_user("stationnement@compiegne.fr",
                      roles=[(territory["compiegne"], "portal.caseworker")])
    page = audit.open(javascript=False)
    citizen_signs_in(audit, page, citizen)
    page.goto("/demarches/carte-stationnement-resident/")
    audit.check(page, title="Carte de stationnement résident")
    expect(page.locator(".facts")).to_contain_text("12,30\u00a0€")

    fill_identity(page)
    page.get_by_label("Justificatif de domicile").set_input_files(
        pdf_file(tmp_path, "justificatif-domicile.pdf"))
    vehicle(page, 0, "AB-123-CD")
    page.get_by_role("button", name="Ajouter une ligne").click()
    audit.check(page, title="Carte de stationnement résident")
    expect(page.get_by_text("Déjà joint : justificatif-domicile.pdf")).to_be_visible()
    vehicle(page, 1, "EF-456-GH")
    # The file chosen before the new row is kept: the citizen does not choose it again.
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_url(re.compile(r"/mes-demandes/\d{4}-\d{6}/$"))
    case = Case.objects.get()
    audit.check(page, title=f"Demande n° {case.number}")
    case.refresh_from_db()
    assert [row["immatriculation"] for row in case.data["vehicules"]] == ["AB-123-CD", "EF-456-GH"]
    assert [item["name"] for item in case.data["justificatif"]] == ["justificatif-domicile.pdf"]

    # A fixed fee: the case waits for the payment as soon as it is filed.
    assert case.status == "awaiting_payment" and case.amount_due == Decimal("12.30")
    expect(page.locator(".lead")).to_contain_text("En attente de votre paiement")
    expect(page.locator("form.notice")).to_contain_text("Montant à régler : 12,30\u00a0€")
    page.get_by_role("button", name="Payer en ligne").click()
    audit.check(page, title="Banque simulée — paiement de 12,30\u00a0€", h1="Banque simulée")
    page.get_by_role("button", name="Simuler un paiement accepté").click()
    audit.check(page, title="Retour du paiement", h1="Retour du paiement")
    expect(page.locator(".notice")).to_contain_text(
        f"Votre paiement de 12,30\u00a0€ pour la demande n° {case.number} a bien été reçu.")
    assert Payment.objects.get(case=case).status == PaymentStatus.PAID
    page.get_by_role("link", name=f"Voir la demande n° {case.number}").click()
    audit.check(page, title=f"Demande n° {case.number}")
    expect(page.locator(".lead")).to_contain_text("En cours d'instruction")
    expect(page.get_by_role("button", name="Payer en ligne")).to_have_count(0)
    expect(page.locator(".history")).to_contain_text("Paiement de 12,30\u00a0€ reçu.")
    # The receipt: a PDF on the case page, which says what was paid and that it decides nothing.
    paid = Payment.objects.get(case=case)
    with page.expect_download() as receipt:
        page.get_by_role("link", name=f"Reçu de paiement — recu-paiement-{case.number}-"
                                      f"{paid.pk}.pdf").click()
    content = Path(receipt.value.path()).read_bytes()
    flat = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert "Reçu de paiement" in flat and case.number in flat and "12,30" in flat
    assert "Ce reçu ne vaut pas décision sur la demande." in flat

    # The commune's agent sees the payment on the case and records its refund.
    desk = audit.open(javascript=False)
    agent_signs_in(audit, desk, agent)
    desk.goto(f"/agent/dossiers/{case.number}/")
    audit.check(desk, title=f"Dossier n° {case.number}")
    payments = desk.get_by_role("table", name=re.compile("Paiements en ligne du dossier"))
    expect(payments.get_by_role("row", name=re.compile("12,30"))).to_contain_text("Payé")
    desk.get_by_label("Motif du remboursement de 12,30\u00a0€").fill("Abonnement annulé.")
    desk.get_by_role("button", name="Rembourser 12,30\u00a0€").click()
    audit.check(desk, title=f"Dossier n° {case.number}")
    expect(desk.get_by_role("status")).to_contain_text("Le remboursement de 12,30\u00a0€ est enregistré")
    expect(payments.get_by_role("row", name=re.compile("12,30"))).to_contain_text("Remboursé")
    expect(desk.get_by_role("button", name=re.compile("Rembourser"))).to_have_count(0)
