"""What the citizen receives: emails through a real SMTP server, and the PDF letters a case issues."""

from __future__ import annotations

import copy
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from socle.core.blobs import blob_open
from socle.portal import selectors
from socle.portal.models import DocumentKind
from socle.portal.pdf_documents import french_date
from socle.portal.services import (
    case_acknowledge,
    case_comment,
    case_message,
    case_resubmit,
    case_submit,
    case_transition,
)
from socle.portal.workflow import CASEWORKER, DEFAULT_WORKFLOW
from tests.support.smtp_server import smtp_server  # noqa: F401

GOOD = {"nom": "Martin", "motif": "perte"}
SERVICE = "Service de la tranquillité publique"
CONTACT = "tranquillite@mairie-compiegne.fr, 03 44 40 72 00"
PRIVATE = "Voisin déjà connu du service, vérifier l'adresse."
MOTIVATION = "Le stationnement résidentiel est réservé aux habitants du secteur."


@pytest.fixture
def procedure(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement "
                   "résident", service_name=SERVICE, service_contact=CONTACT,
                   implicit_decision_days=60, silence_means="refusal")


def file_case(procedure, citizen, territory):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data=GOOD)


def deliver() -> None:
    """Run the background worker once, as `socle worker --batch` does."""
    call_command("worker", batch=True)


# These tests commit for real, as the platform does: emails are queued on commit and the
# worker, which checks its database connection between tasks, runs outside any test
# transaction (on PostgreSQL it would close the test's connection otherwise).
worker_test = pytest.mark.django_db(transaction=True)


@worker_test
def test_the_citizen_receives_the_registration_and_one_email_per_visible_status_change(
        smtp_server, territory, procedure, citizen, caseworker):  # noqa: F811
    case = file_case(procedure, citizen, territory)
    case_transition(actor=caseworker, case=case, to="in_instruction")
    case_comment(actor=caseworker, case=case, text=PRIVATE)
    case = case_transition(actor=caseworker, case=case, to="info_requested",
                           comment="Merci de joindre un justificatif de domicile.")
    case_resubmit(actor=citizen, case=case, data={**GOOD, "precisions": "Justificatif envoyé."})
    case_transition(actor=caseworker, case=case, to="refused", comment=MOTIVATION)
    assert smtp_server.messages == [], "nothing leaves before the worker runs"

    deliver()

    mails = smtp_server.to(citizen.email)
    assert all(m.rcpt_tos == [citizen.email] for m in mails)
    subjects = sorted(m.subject for m in mails)
    assert subjects == sorted([
        f"Demande n° {case.number} enregistrée : Carte de stationnement résident",
        f"Demande n° {case.number} : En cours d'instruction",
        f"Demande n° {case.number} : Des informations vous sont demandées",
        f"Demande n° {case.number} : Demande refusée",
    ])
    registration = next(m for m in mails if "enregistrée" in m.subject)
    body = " ".join(registration.body.split())
    assert case.number in body and "Carte de stationnement résident" in body
    assert SERVICE in body and CONTACT in body
    case.refresh_from_db()
    assert (f"En l'absence de réponse de l'administration au {french_date(case.decision_due_on)}, "
            "votre demande sera réputée rejetée") in body
    refusal = next(m for m in mails if m.subject.endswith("Demande refusée"))
    assert f"Message du service : {MOTIVATION}" in " ".join(refusal.body.split())
    assert all(PRIVATE not in m.body for m in smtp_server.messages)


@worker_test
def test_a_private_comment_sends_nothing_and_a_message_sends_a_notice(
        smtp_server, territory, procedure, citizen, caseworker):  # noqa: F811
    case = file_case(procedure, citizen, territory)
    deliver()
    received = len(smtp_server.messages)
    case_comment(actor=caseworker, case=case, text=PRIVATE)
    deliver()
    assert len(smtp_server.messages) == received
    case_message(actor=caseworker, case=case, text="Votre dossier est complet.")
    deliver()
    [notice] = smtp_server.messages[received:]
    assert notice.subject == f"Nouveau message sur votre demande n° {case.number}"
    # The message itself stays on the platform: the email only says one awaits.
    assert "Votre dossier est complet." not in notice.body


@worker_test
def test_a_status_hidden_from_the_citizen_sends_no_email(
        smtp_server, territory, publish, editor, citizen, caseworker):  # noqa: F811
    workflow = copy.deepcopy(DEFAULT_WORKFLOW)
    workflow["statuses"].append({"key": "legal_review", "label": "Avis du service juridique",
                                 "visible": False})
    workflow["transitions"] += [
        {"from": "in_instruction", "to": "legal_review", "roles": [CASEWORKER],
         "actions": ["notify"]},
        {"from": "legal_review", "to": "in_instruction", "roles": [CASEWORKER],
         "actions": []},
    ]
    from socle.portal.services import procedure_create, procedure_publish

    procedure = procedure_create(actor=editor, organisation=territory["compiegne"],
                                 slug="occupation-domaine-public", title="Occupation du domaine "
                                 "public", fields=[{"name": "nom", "label": "Nom", "type": "text",
                                                    "required": True}], workflow=workflow)
    procedure_publish(actor=editor, procedure=procedure)
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data={"nom": "Martin"})
    case = case_transition(actor=caseworker, case=case, to="in_instruction")
    deliver()
    received = len(smtp_server.messages)
    case_transition(actor=caseworker, case=case, to="legal_review")
    deliver()
    assert len(smtp_server.messages) == received


# ---------------------------------------------------------------------- PDFs


def pdf_of(case, kind) -> PdfReader:
    document = case.documents.get(kind=kind)
    with blob_open(document.blob) as stream:
        return PdfReader(io.BytesIO(stream.read()))


def text_of(reader: PdfReader) -> str:
    # Lines wrap wherever the layout puts them: compare words, not line breaks.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_acknowledgements_state_what_the_law_requires(territory, procedure, citizen):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    case_acknowledge(case_id=case.pk)  # what the worker runs after the filing
    filed_on = french_date(case.submitted_at)
    due_on = french_date(case.decision_due_on)

    registration = pdf_of(case, DocumentKind.REGISTRATION)
    text = text_of(registration)
    assert registration.metadata.title == "Accusé d'enregistrement"
    assert case.number in text and filed_on in text
    assert "Carte de stationnement résident" in text

    receipt = pdf_of(case, DocumentKind.RECEIPT)
    text = text_of(receipt)
    assert receipt.metadata.title == "Accusé de réception"
    assert case.number in text and filed_on in text
    assert SERVICE in text and CONTACT in text
    assert f"En l'absence de réponse de l'administration au {due_on}, votre demande sera " \
           "réputée rejetée (décision implicite de rejet)" in text


def test_the_receipt_says_when_silence_means_acceptance(territory, publish, citizen):
    procedure = publish(territory["compiegne"], "inscription-atelier-numerique",
                        silence_means="acceptance", implicit_decision_days=30)
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    case_acknowledge(case_id=case.pk)
    text = text_of(pdf_of(case, DocumentKind.RECEIPT))
    assert f"au {french_date(case.decision_due_on)}, votre demande sera réputée acceptée" in text
    # The service defaults to the commune and its contact details when the procedure names none.
    assert territory["compiegne"].name in text


def test_the_decision_letter_carries_the_motivation(territory, procedure, citizen, caseworker):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    case_transition(actor=caseworker, case=case, to="in_instruction")
    case_transition(actor=caseworker, case=case, to="refused", comment=MOTIVATION)

    decision = pdf_of(case, DocumentKind.DECISION)
    text = text_of(decision)

    assert decision.metadata.title == "Décision"
    assert decision.metadata.author == f"Mairie de {territory['compiegne'].name}"
    assert case.number in text and french_date(timezone.now()) in text
    assert "Carte de stationnement résident" in text and "est refusée" in text
    assert f"Motifs de la décision : {MOTIVATION}" in text
    assert "tribunal administratif" in text
