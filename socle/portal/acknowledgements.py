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
from socle.core.identity import logo_bytes
from socle.core.models import Organisation, User
from socle.core.notifications import email_notify

from .access_links import access_token_make
from .amounts import amount_label
from .effective import EffectiveProcedure
from .models import Case, CaseDocument, DocumentKind, Payment, SilenceMeans
from .pdf_documents import Letter, authority_of, contact_lines, french_date, letter_render
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


def _signatory(case: Case, actor: User | None) -> tuple[str, str]:
    """The decision's author and function, in readable characters (CRPA L212-1)."""
    if actor is None:
        return case.organisation.name, "Décision prise par la plateforme au nom du service"
    function = actor.job_title
    if not function:
        from socle.core.models import Membership
        from socle.core.roles import role_label, roles_granting

        held = (Membership.objects.filter(user=actor, revoked_at__isnull=True,
                                          role__in=roles_granting("portal.process_case"))
                .values_list("role", flat=True).first())
        function = role_label(held) if held else "Agent instructeur"
    return actor.display_name, function


def _issuer_logo(organisation: Organisation) -> bytes | None:
    # A service's letters carry its commune's logo when it has none of its own.
    node: Organisation | None = organisation
    while node is not None:
        if node.logo_id is not None:
            return logo_bytes(node)
        node = node.parent
    return None


def _addressee(case: Case) -> tuple[str, ...]:
    lines = [case.applicant_name or case.email]
    profile = getattr(case.citizen, "citizen", None) if case.citizen_id else None
    address = getattr(profile, "address", "") if profile is not None else ""
    if address:
        lines += [part.strip() for part in address.replace("\r", "").split("\n") if part.strip()]
    elif case.email and case.email != lines[0]:
        lines.append(case.email)
    return tuple(lines)


def _place(organisation: Organisation) -> str:
    node: Organisation | None = organisation
    while node is not None and not node.is_commune:
        node = node.parent
    return (node or organisation).name


def appeal_sentence(organisation: Organisation) -> str:
    """The channels and delays of appeal a decision must state (CJA R421-5)."""
    contact = f" ({organisation.address})" if organisation.address else ""
    return ("Cette décision peut faire l'objet, dans un délai de deux mois à compter de sa "
            f"notification, d'un recours gracieux adressé à {organisation.name}{contact}, ou d'un "
            f"recours contentieux devant {settings.ADMINISTRATIVE_COURT}. Le tribunal peut être "
            "saisi par l'application « Télérecours citoyens » accessible sur le site "
            "www.telerecours.fr. Un recours gracieux prolonge le délai du recours contentieux, "
            "qui court à nouveau à compter de la réponse (deux mois de silence valant rejet).")


def decision_letter(case: Case, *, accepted: bool, comment: str, actor: User | None) -> Letter:
    """The decision as an administrative letter: who decides, for whom, why, how to appeal."""
    organisation = case.organisation
    paragraphs = [
        f"Vous avez déposé le {french_date(case.submitted_at or timezone.now())} une demande "
        f"« {case.procedure.title} » (dossier n° {case.number}). Après instruction, votre demande "
        + ("est acceptée." if accepted else "est refusée.")
    ]
    if comment:
        paragraphs.append(("Observations : " if accepted else "Motifs de la décision : ") + comment)
    name, function = _signatory(case, actor)
    heading, delegation = authority_of(organisation)
    return Letter(
        issuer=heading, title="Décision", reference=case.number,
        subject=f"{case.procedure.title} : demande " + ("acceptée" if accepted else "refusée"),
        facts=[("Démarche", case.procedure.title), ("Dossier", case.number),
               ("Date de la décision", french_date(timezone.now()))],
        paragraphs=paragraphs, signature=delegation,
        issuer_lines=contact_lines(organisation),
        logo=_issuer_logo(organisation), addressee=_addressee(case),
        place_date=f"{_place(organisation)}, le {french_date(timezone.now())}",
        signatory=name, signatory_function=function, appeal=appeal_sentence(organisation))


def after_transition(case: Case, transition: Transition, comment: str,
                     actor: User | None = None) -> None:
    """Carry out a transition's actions: documents, then the citizen's email."""
    workflow = workflow_of(case.revision.workflow)
    status = workflow.status(transition.target)
    if "decision_pdf" in transition.actions:
        accepted = transition.target == "accepted"
        _issue(case, DocumentKind.DECISION,
               decision_letter(case, accepted=accepted, comment=comment, actor=actor),
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


BACKEND_LABELS = {"payfip_ws": "Paiement en ligne par carte bancaire ou prélèvement (PayFiP)",
                  "dummy": "Paiement en ligne (banque simulée de démonstration)"}


def payment_receipt(case: Case, payment: Payment) -> CaseDocument:
    """Issue the receipt of a settled payment, kept with the case and shown to the citizen."""
    organisation = case.organisation
    heading, _ = authority_of(organisation)
    when = timezone.localtime(payment.settled_at or timezone.now())
    facts = [
        ("Démarche", case.procedure.title),
        ("Dossier", case.number),
        ("Montant payé", amount_label(payment.amount)),
        ("Payé le", f"{french_date(when)} à {when:%H:%M}"),
        ("Moyen de paiement", BACKEND_LABELS.get(payment.backend, "Paiement en ligne")),
        ("Référence du paiement", payment.reference or payment.transaction_id),
        ("Payeur", case.applicant_name or case.email),
    ]
    paragraphs = [f"{heading} atteste avoir reçu le paiement ci-dessus pour le dossier "
                  f"n° {case.number}. Ce reçu ne vaut pas décision sur la demande."]
    if payment.excess > 0:
        paragraphs.append(f"Sur ce montant, {amount_label(payment.excess)} excède ce qui était dû : "
                          "cette somme vous sera remboursée par la régie.")
    letter = Letter(issuer=heading, title="Reçu de paiement", reference=case.number, facts=facts,
                    paragraphs=paragraphs, issuer_lines=contact_lines(organisation),
                    logo=_issuer_logo(organisation), addressee=_addressee(case),
                    place_date=f"{_place(organisation)}, le {french_date(when)}")
    return _issue(case, DocumentKind.PAYMENT_RECEIPT, letter,
                  f"recu-paiement-{case.number}-{payment.pk}.pdf")
