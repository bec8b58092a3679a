"""What the platform sends and issues as a case moves: acknowledgements, decisions, emails.

The acknowledgements follow the rules of electronic submission (saisine par voie
électronique, code des relations entre le public et l'administration, L112-11 and
R112-11-1 ff.): an immediate acknowledgement of registration, and an
acknowledgement of receipt stating the date, the service in charge and its
contact, and whether silence will mean acceptance or refusal, and from when.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from socle.core.blobs import blob_put
from socle.core.notifications import email_notify

from .access_links import access_token_make
from .amounts import amount_label
from .effective import EffectiveProcedure
from .models import Case, CaseDocument, DocumentKind, SilenceMeans
from .pdf_documents import Letter, french_date, letter_render
from .workflow import Transition, workflow_of

# What an acknowledgement of receipt says of an incomplete request.
INCOMPLETE_REQUEST = ("Si votre demande est incomplète, le service vous indiquera les pièces "
                      "manquantes et le délai pour les fournir ; le délai de décision ne court "
                      "qu'à partir de leur réception.")


def case_url(case: Case) -> str:
    """Return the citizen's address of a case."""
    return settings.BASE_URL + reverse("portal:case_detail", args=[case.number])


def case_access_url(case: Case) -> str:
    """Return the signed link that confirms the address of a case without an account and opens it."""
    return settings.BASE_URL + reverse("portal:case_access", args=[access_token_make(case.number)])


@dataclass(frozen=True)
class IssuedPdf:
    """A PDF rendered for a case, before it is stored with it."""

    kind: str
    name: str
    content: bytes


def _issue(case: Case, kind: str, letter: Letter, name: str) -> CaseDocument:
    return _store(case, IssuedPdf(kind, name, letter_render(letter)))


def _store(case: Case, pdf: IssuedPdf) -> CaseDocument:
    stored = blob_put(stream=io.BytesIO(pdf.content), allowed_types={"application/pdf"})
    return CaseDocument.objects.create(case=case, blob=stored.blob, kind=pdf.kind, name=pdf.name,
                                       visible_to_citizen=True)


def _service(case: Case, offered: EffectiveProcedure) -> tuple[str, str]:
    org = case.organisation
    name = offered.service_name or org.name
    contact = offered.service_contact or ", ".join(
        part for part in [org.address, org.phone, org.email] if part) or "voir le site de la commune"
    return name, contact


def silence_sentence(case: Case, offered: EffectiveProcedure) -> str:
    """Say what the administration's silence will mean, and from which date."""
    assert case.decision_due_on is not None
    day = french_date(case.decision_due_on)
    if offered.silence_means == SilenceMeans.ACCEPTANCE:
        return (f"En l'absence de réponse de l'administration au {day}, votre demande sera "
                "réputée acceptée (décision implicite d'acceptation).")
    return (f"En l'absence de réponse de l'administration au {day}, votre demande sera réputée "
            "rejetée (décision implicite de rejet). Vous pourrez alors former un recours "
            "gracieux auprès de l'administration ou un recours contentieux devant le tribunal "
            "administratif dans un délai de deux mois.")


def submission_pdfs(case: Case, offered: EffectiveProcedure) -> list[IssuedPdf]:
    """Render the acknowledgements of registration and of receipt of a case being filed.

    Pure rendering, no database write: ``case_submit`` calls it before its transaction,
    on the case as it is about to be saved, so that no lock is held while PDFs render.
    """
    assert case.submitted_at is not None
    when = timezone.localtime(case.submitted_at)
    service, contact = _service(case, offered)
    facts = [
        ("Démarche", offered.title),
        ("Numéro de dossier", case.number),
        ("Déposée le", f"{french_date(when)} à {when:%H:%M}"),
        ("Demandeur", case.applicant_name or case.email),
    ]
    registration = Letter(
        issuer=case.organisation.name, title="Accusé d'enregistrement",
        reference=case.number, facts=facts,
        paragraphs=["Votre demande a bien été enregistrée par voie électronique. "
                    "Un accusé de réception vous précise le service qui la traite."])
    receipt = Letter(
        issuer=case.organisation.name, title="Accusé de réception",
        reference=case.number,
        facts=[*facts, ("Service chargé du dossier", service), ("Contact", contact)],
        paragraphs=[silence_sentence(case, offered),
                    INCOMPLETE_REQUEST],
        signature=service)
    return [IssuedPdf(DocumentKind.REGISTRATION, f"accuse-enregistrement-{case.number}.pdf",
                      letter_render(registration)),
            IssuedPdf(DocumentKind.RECEIPT, f"accuse-reception-{case.number}.pdf",
                      letter_render(receipt))]


def acknowledge_submission(case: Case, offered: EffectiveProcedure,
                           pdfs: list[IssuedPdf] | None = None) -> None:
    """Store the acknowledgements of registration and of receipt, and email the citizen."""
    for pdf in submission_pdfs(case, offered) if pdfs is None else pdfs:
        _store(case, pdf)
    assert case.submitted_at is not None
    when = timezone.localtime(case.submitted_at)
    service, contact = _service(case, offered)
    email_notify(
        to=[case.email],
        subject=f"Demande n° {case.number} enregistrée : {offered.title}",
        body=(f"Bonjour,\n\nVotre demande « {offered.title} » a bien été enregistrée le "
              f"{french_date(when)} à {when:%H:%M} sous le numéro {case.number}.\n\n"
              f"Service chargé du dossier : {service} ({contact}).\n"
              f"{silence_sentence(case, offered)}\n\n"
              f"Suivre votre demande et télécharger vos accusés : {case_url(case)}\n"),
    )


def acknowledge_mail_filing(case: Case, offered: EffectiveProcedure, received_on: date) -> None:
    """Issue the acknowledgement of receipt of a request received by letter; email it if we can.

    A letter gets no acknowledgement of electronic registration. Without the sender's
    email address nothing is sent: the agent prints the acknowledgement and posts it.
    """
    service, contact = _service(case, offered)
    _issue(case, DocumentKind.RECEIPT, Letter(
        issuer=case.organisation.name, title="Accusé de réception", reference=case.number,
        facts=[("Démarche", offered.title), ("Numéro de dossier", case.number),
               ("Reçue par courrier le", french_date(received_on)),
               ("Courrier enregistré sous le n°", case.mail_reference),
               ("Demandeur", case.applicant_name or case.email),
               ("Service chargé du dossier", service), ("Contact", contact)],
        paragraphs=[silence_sentence(case, offered),
                    INCOMPLETE_REQUEST],
        signature=service), f"accuse-reception-{case.number}.pdf")
    if not case.email:
        return
    email_notify(
        to=[case.email],
        subject=f"Demande n° {case.number} enregistrée : {offered.title}",
        body=(f"Bonjour,\n\nVotre courrier reçu le {french_date(received_on)} est enregistré "
              f"comme demande « {offered.title} » sous le numéro {case.number}.\n\n"
              f"Service chargé du dossier : {service} ({contact}).\n"
              f"{silence_sentence(case, offered)}\n\n"
              f"Pour suivre votre demande et télécharger l'accusé de réception, ouvrez ce "
              f"lien :\n{case_access_url(case)}\n"),
    )


def after_transition(case: Case, transition: Transition, comment: str) -> None:
    """Carry out a transition's actions: documents, then the citizen's email."""
    workflow = workflow_of(case.revision.workflow)
    status = workflow.status(transition.target)
    if "decision_pdf" in transition.actions:
        accepted = transition.target == "accepted"
        paragraphs = [
            f"Après instruction, votre demande « {case.procedure.title} » est "
            + ("acceptée." if accepted else "refusée.")
        ]
        if comment:
            paragraphs.append(("Observations : " if accepted else "Motifs : ") + comment)
        if not accepted:
            paragraphs.append("Vous pouvez contester cette décision par un recours gracieux "
                              "auprès de l'administration ou un recours contentieux devant le "
                              "tribunal administratif dans un délai de deux mois à compter de "
                              "sa notification.")
        _issue(case, DocumentKind.DECISION, Letter(
            issuer=case.organisation.name, title="Décision", reference=case.number,
            facts=[("Démarche", case.procedure.title), ("Dossier", case.number),
                   ("Date de la décision", french_date(timezone.now()))],
            paragraphs=paragraphs, signature=f"Pour {case.organisation.name}"),
            f"decision-{case.number}.pdf")
    if "attestation_pdf" in transition.actions:
        _issue(case, DocumentKind.ATTESTATION, Letter(
            issuer=case.organisation.name, title="Attestation", reference=case.number,
            facts=[("Démarche", case.procedure.title), ("Bénéficiaire", case.applicant_name)],
            paragraphs=[comment or "Le service atteste de la suite favorable donnée à la demande."],
            signature=f"Pour {case.organisation.name}"), f"attestation-{case.number}.pdf")
    if "notify" in transition.actions and status.visible and case.email:
        lines = [f"Bonjour,\n\nVotre demande n° {case.number} ({case.procedure.title}) a changé "
                 f"de statut : {status.citizen_label}."]
        if comment:
            lines.append(f"Message du service : {comment}")
        if "request_info" in transition.actions:
            lines.append("Le service a besoin de compléments : complétez votre dossier en ligne.")
        if "require_payment" in transition.actions:
            lines.append(f"Montant à régler : {amount_label(case.amount_due)}, à payer en ligne.")
        lines.append(f"Suivre votre demande : {case_url(case)}")
        email_notify(to=[case.email], subject=f"Demande n° {case.number} : {status.citizen_label}",
                     body="\n\n".join(lines) + "\n")


def notify_message(case: Case) -> None:
    """Tell the citizen a message awaits them on their case."""
    if case.email:
        email_notify(to=[case.email], subject=f"Nouveau message sur votre demande n° {case.number}",
                     body=f"Bonjour,\n\nLe service vous a écrit au sujet de votre demande "
                          f"n° {case.number}.\nLire le message : {case_url(case)}\n")
