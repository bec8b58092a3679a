"""Every write of the mail register: contacts, mail types, registration, assignment,
instructions, replies, closing, escalation of overdue mail, links with the portal
(a case registered as mail, a letter filed as a case)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

import socle.portal.services as portal_services
from socle.core.access import can
from socle.core.blobs import BlobRefused, blob_open, blob_put
from socle.core.counters import counter_next
from socle.core.identity import logo_bytes
from socle.core.journal import audit_record
from socle.core.letters import Letter, authority_of, contact_lines, french_date, letter_render
from socle.core.models import Blob, Organisation, OrganisationKind, User
from socle.core.modules import object_ref
from socle.core.notices import notice_send
from socle.core.notifications import email_notify
from socle.core.services import ServiceError
from socle.core.siret import siret_is_valid

from . import selectors
from .models import (
    OPEN_STATUSES,
    Channel,
    Contact,
    ContactKind,
    Direction,
    InstructionKind,
    Mail,
    MailCounter,
    MailInstruction,
    MailPiece,
    MailStatus,
    MailType,
    Priority,
)

VIEW = "mail.view"
EDIT = "mail.edit"
# Scans of paper mail: PDF or images, nothing a browser would run.
PIECE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff"})
CHRONO_CODES = {Direction.INCOMING: "ARR", Direction.OUTGOING: "DEP"}
# The plan node under which scanned pieces are filed in the GED, when it is installed
# ("Courrier (pièces numérisées)" of the reference plan).
DOCUMENTS_NODE_CODE = "ADM-COUR"


def _require(actor: User | None, permission: str, organisation: Organisation) -> None:
    if actor is None or not can(actor, permission, organisation):
        raise ServiceError("Votre rôle ne permet pas cette opération sur le courrier de cette "
                           "organisation.", code="forbidden")


def _may_see(actor: User | None, mail: Mail) -> bool:
    if actor is None:
        return False
    if can(actor, VIEW, mail.organisation) or (
            mail.service is not None and can(actor, VIEW, mail.service)):
        return True
    # The agent the letter was given to, or copied to, by its dispatcher.
    return mail.assignee_id == actor.pk or mail.copies.filter(pk=actor.pk).exists()


def _clean_text(value: str, label: str, max_length: int, *, required: bool = False) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ServiceError(f"{label} est obligatoire.", code="invalid")
    if len(value) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid")
    return value


# ------------------------------------------------------------------ contacts and types


def contact_create(*, actor: User | None, organisation: Organisation, kind: str, name: str,
                   siret: str = "", address: str = "", email: str = "",
                   phone: str = "") -> Contact:
    """Add a correspondent to an organisation's directory; a company's SIRET is checked."""
    _require(actor, EDIT, organisation)
    if kind not in ContactKind.values:
        raise ServiceError("Le type de correspondant est « person » ou « organisation ».",
                           code="invalid_contact")
    name = _clean_text(name, "Le nom du correspondant", 200, required=True)
    siret = re.sub(r"\s", "", siret or "")
    if siret and kind != ContactKind.ORGANISATION:
        raise ServiceError("Seul un organisme ou une entreprise a un numéro SIRET.",
                           code="invalid_siret")
    if siret and not siret_is_valid(siret):
        raise ServiceError("Le numéro SIRET doit comporter 14 chiffres et sa clé doit être "
                           "valide.", code="invalid_siret")
    email = _clean_text(email, "L'adresse électronique", 254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError("L'adresse électronique du correspondant n'est pas valide.",
                               code="invalid_contact") from None
    contact = Contact(organisation=organisation, kind=kind, name=name, siret=siret,
                      address=_clean_text(address, "L'adresse", 300), email=email,
                      phone=_clean_text(phone, "Le téléphone", 30))
    with transaction.atomic():
        contact.save()
        audit_record(actor=actor, action="mail.contact_create", organisation=organisation,
                     target=contact, data={"kind": kind, "siret": siret})
    return contact


def mail_type_create(*, actor: User | None, organisation: Organisation, name: str,
                     processing_days: int) -> MailType:
    """Declare a type of mail and its processing deadline in days."""
    _require(actor, EDIT, organisation)
    name = _clean_text(name, "Le nom du type", 120, required=True)
    if isinstance(processing_days, bool) or not isinstance(processing_days, int) \
            or not 1 <= processing_days <= 3650:
        raise ServiceError("Le délai de traitement est un nombre de jours entre 1 et 3650.",
                           code="invalid")
    with transaction.atomic():
        if MailType.objects.filter(organisation=organisation, name=name).exists():
            raise ServiceError(f"Le type « {name} » existe déjà.", code="duplicate")
        mail_type = MailType.objects.create(organisation=organisation, name=name,
                                            processing_days=processing_days)
        audit_record(actor=actor, action="mail.type_create", organisation=organisation,
                     target=mail_type, data={"name": name, "days": processing_days})
    return mail_type


# ------------------------------------------------------------------------ registration


def _next_number(organisation: Organisation, year: int, direction: str) -> int:
    counters = MailCounter.objects.filter(organisation=organisation, year=year,
                                          direction=direction)
    return counter_next(counters, organisation=organisation, year=year, direction=direction)


def chrono_format(year: int, direction: str, number: int) -> str:
    """Return the chrono of a mail as it is written on the letter: 2026-ARR-000123."""
    return f"{year}-{CHRONO_CODES[Direction(direction)]}-{number:06d}"


@dataclass(frozen=True)
class PieceUpload:
    """A scanned piece to store: its name and a binary stream."""

    name: str
    stream: IO[bytes] | Iterable[bytes]


def _safe_name(name: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", name or "").strip()[:200] or "piece"


def _store_pieces(pieces: Sequence[PieceUpload]) -> list[tuple[str, Blob]]:
    # Stored before the register's transaction: a row never lacks its file.
    stored = []
    for piece in pieces:
        try:
            blob = blob_put(stream=piece.stream, allowed_types=PIECE_TYPES).blob
        except BlobRefused as refusal:
            raise ServiceError(f"Pièce « {_safe_name(piece.name)} » refusée : {refusal.message}",
                               code=refusal.code) from None
        stored.append((_safe_name(piece.name), blob))
    return stored


def _file_in_documents(piece: MailPiece, actor: User | None) -> MailPiece:
    """File a scanned piece in the GED under the register's plan node, when there is one.

    The register files on its own authority (the clerk need not be a GED contributor)
    and the clerk owns the document. Without the GED, or without the node in the
    organisation's plan, the piece stays a blob of the register, which is enough.
    """
    from django.apps import apps

    if not apps.is_installed("socle.documents"):
        return piece
    import socle.documents.services as documents_services

    mail = piece.mail
    try:
        # A savepoint: a refusal of the GED must not undo the registration.
        with transaction.atomic(), blob_open(piece.blob) as stream:
            document = documents_services.document_create(
                actor=None, organisation=mail.organisation, node_code=DOCUMENTS_NODE_CODE,
                stream=stream, file_name=piece.name, title=f"{mail.chrono} {mail.subject}",
                document_date=mail.received_on, owner=actor, tags=["courrier", mail.chrono])
    except ServiceError:
        return piece
    piece.documents_document_id = document.pk
    piece.save(update_fields=["documents_document_id"])
    return piece


def _check_type(mail_type: MailType | None, organisation: Organisation) -> None:
    if mail_type is not None and not organisation.path.startswith(mail_type.organisation.path):
        raise ServiceError("Ce type de courrier n'est pas proposé à cette organisation.",
                           code="unknown_type")


def mail_register(
    *,
    actor: User | None,
    organisation: Organisation,
    direction: str,
    channel: str,
    contact: Contact,
    subject: str,
    mail_type: MailType | None = None,
    priority: str = Priority.NORMAL,
    received_on: date | None = None,
    pieces: Sequence[PieceUpload] = (),
    reply_to: Mail | None = None,
    portal_case_id: int | None = None,
) -> Mail:
    """Register a letter under the next chrono number of its organisation, year and direction."""
    _require(actor, EDIT, organisation)
    if direction not in Direction.values:
        raise ServiceError("Le sens est « in » (arrivée) ou « out » (départ).", code="invalid")
    if channel not in Channel.values:
        raise ServiceError("Le canal est « paper », « email » ou « web_form ».", code="invalid")
    if priority not in Priority.values:
        raise ServiceError("La priorité est « normal », « high » ou « urgent ».", code="invalid")
    if contact.organisation_id != organisation.pk:
        raise ServiceError("Ce correspondant n'est pas dans l'annuaire de cette organisation.",
                           code="unknown_contact")
    _check_type(mail_type, organisation)
    subject = _clean_text(subject, "L'objet", 300, required=True)
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        raise ServiceError("La date de réception ne peut pas être dans le futur.", code="invalid")
    stored = _store_pieces(pieces)
    with transaction.atomic():
        # The chrono belongs to the year the letter was received (or sent).
        year = received_on.year
        number = _next_number(organisation, year, direction)
        deadline = None
        if direction == Direction.INCOMING and mail_type is not None:
            deadline = received_on + timedelta(days=mail_type.processing_days)
        mail = Mail.objects.create(
            organisation=organisation, direction=direction, year=year, number=number,
            chrono=chrono_format(year, direction, number), received_on=received_on,
            channel=channel, contact=contact, subject=subject, mail_type=mail_type,
            priority=priority, deadline=deadline, reply_to=reply_to,
            portal_case_id=portal_case_id,
            registered_by=actor)
        for name, blob in stored:
            _file_in_documents(MailPiece.objects.create(mail=mail, blob=blob, name=name), actor)
        audit_record(actor=actor, action="mail.register", organisation=organisation,
                     target=mail, data={"chrono": mail.chrono, "direction": direction,
                                        "pieces": [blob.sha256 for _, blob in stored]})
    return mail


def mail_piece_add(*, actor: User | None, mail: Mail, pieces: Sequence[PieceUpload]) -> list[MailPiece]:
    """Add scanned pieces to a registered mail."""
    _require(actor, EDIT, mail.organisation)
    stored = _store_pieces(pieces)
    with transaction.atomic():
        created = [_file_in_documents(MailPiece.objects.create(mail=mail, blob=blob, name=name),
                                      actor) for name, blob in stored]
        audit_record(actor=actor, action="mail.piece_add", organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono,
                                        "pieces": [blob.sha256 for _, blob in stored]})
    return created


# --------------------------------------------------------------------------- processing


def mail_service_choices(organisation: Organisation) -> list[Organisation]:
    """Return where a mail of an organisation may go: itself or one of its services."""
    services = Organisation.objects.filter(kind=OrganisationKind.SERVICE,
                                           path__startswith=organisation.path)
    return [organisation, *services.exclude(pk=organisation.pk).order_by("name")]


def mail_assign(*, actor: User | None, mail: Mail, service: Organisation | None,
                assignee: User | None = None, copies: Sequence[User] = ()) -> Mail:
    """Send a mail to a service and an agent, with copies; the dispatcher supervises it."""
    _require(actor, EDIT, mail.organisation)
    service = service or mail.organisation
    if service.pk not in {o.pk for o in mail_service_choices(mail.organisation)}:
        raise ServiceError("Ce service n'appartient pas à l'organisation du courrier.",
                           code="invalid_service")
    # Any agent of the organisation or of one of its services (a letter goes to whoever
    # handles the matter, mail role or not); never someone of another commune.
    allowed = set(selectors.agents_for(organisation=mail.organisation).values_list("pk", flat=True))
    for person in [p for p in [assignee, *copies] if p is not None]:
        if person.pk not in allowed:
            raise ServiceError(f"{person.display_name} n'est pas un agent de cette "
                               "organisation.", code="invalid_agent")
    with transaction.atomic():
        mail = Mail.objects.select_for_update().get(pk=mail.pk)
        if mail.status == MailStatus.CLOSED:
            raise ServiceError("Ce courrier est clos.", code="closed")
        mail.service = service
        mail.assignee = assignee
        mail.supervisor = actor
        if mail.status == MailStatus.REGISTERED:
            mail.status = MailStatus.ASSIGNED
        mail.save(update_fields=["service", "assignee", "supervisor", "status", "updated_at"])
        mail.copies.set(list(copies))
        audit_record(actor=actor, action="mail.assign", organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono, "service": service.slug,
                                        "assignee": assignee.email if assignee else None,
                                        "copies": sorted(p.email for p in copies)})
        if assignee is not None:
            notice_send(kind="mail.letter_assigned", recipients=[assignee], actor=actor,
                        title=f"Courrier {mail.chrono} à traiter : « {mail.subject[:150]} »",
                        url=f"/courrier/{mail.pk}/", ref=object_ref("mail.letter", mail.pk),
                        organisation=mail.organisation, body=_assignment_body(mail))
    return mail


def _assignment_body(mail: Mail) -> str:
    deadline = f"\nÀ traiter avant le {french_date(mail.deadline)}." if mail.deadline else ""
    return (f"Bonjour,\n\nLe courrier {mail.chrono} (« {mail.subject} », de {mail.contact.name}) "
            f"vous est attribué.{deadline}\n")


def mail_instruct(*, actor: User | None, mail: Mail, text: str,
                  kind: str = InstructionKind.ANNOTATION) -> MailInstruction:
    """Write a dated instruction or annotation on a mail; it can never be changed."""
    if not _may_see(actor, mail):
        raise ServiceError("Vous ne pouvez pas annoter ce courrier.", code="forbidden")
    assert actor is not None
    if kind not in InstructionKind.values:
        raise ServiceError("Le type est « instruction » ou « annotation ».", code="invalid")
    text = _clean_text(text, "Le texte", 5000, required=True)
    with transaction.atomic():
        instruction = MailInstruction.objects.create(mail=mail, author=actor,
                                                     author_label=actor.display_name,
                                                     kind=kind, text=text)
        if mail.status == MailStatus.ASSIGNED and mail.assignee_id == actor.pk:
            mail.status = MailStatus.IN_PROGRESS
            mail.save(update_fields=["status", "updated_at"])
        action = "mail.instruction" if kind == InstructionKind.INSTRUCTION else "mail.annotation"
        audit_record(actor=actor, action=action, organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono, "instruction": instruction.pk})
    return instruction


def reply_template(mail: Mail) -> str:
    """The text a reply starts from: the clerk completes and corrects it before sending."""
    return (f"Madame, Monsieur,\n\nNous avons bien reçu votre courrier du "
            f"{french_date(mail.received_on)} relatif à « {mail.subject} ».\n\n"
            "[Réponse du service]\n\n"
            "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
            "distinguées.")


def reply_letter_pdf(*, actor: User | None, mail: Mail, subject: str, text: str) -> bytes:
    """The reply as a letter: the organisation's heading, the correspondent, the signatory."""
    organisation = mail.organisation
    heading, delegation = authority_of(organisation)
    function = (actor.job_title if actor is not None else "") or ""
    return letter_render(Letter(
        issuer=heading, title="Courrier", reference=f"Votre courrier n° {mail.chrono}",
        subject=subject, facts=[], paragraphs=[p.strip() for p in text.split("\n\n") if p.strip()],
        issuer_lines=contact_lines(organisation),
        logo=logo_bytes(organisation),
        addressee=tuple(line for line in (mail.contact.name, mail.contact.address) if line),
        place_date=f"{organisation.name}, le {french_date(timezone.localdate())}",
        signature=delegation,
        signatory=actor.display_name if actor is not None else organisation.name,
        signatory_function=function))


def mail_reply(*, actor: User | None, mail: Mail, subject: str = "", channel: str = Channel.PAPER,
               sent_on: date | None = None, pieces: Sequence[PieceUpload] = (),
               letter_text: str = "") -> Mail:
    """Register the outgoing reply to an incoming letter, linked to it; the letter is answered.

    With ``letter_text``, the reply is also drawn as a letter (PDF) and kept as its piece.
    """
    _require(actor, EDIT, mail.organisation)
    if mail.direction != Direction.INCOMING:
        raise ServiceError("Seul un courrier arrivé reçoit une réponse.", code="invalid")
    if mail.status == MailStatus.CLOSED:
        raise ServiceError("Ce courrier est clos.", code="closed")
    letter_text = _clean_text(letter_text, "Le texte de la réponse", 20000)
    if "[Réponse du service]" in letter_text:
        raise ServiceError("Remplacez « [Réponse du service] » par votre réponse avant de l'envoyer.",
                           code="invalid", errors={"letter": "Réponse à compléter."})
    subject = subject or f"Réponse à votre courrier : {mail.subject}"[:300]
    if letter_text:
        pdf = reply_letter_pdf(actor=actor, mail=mail, subject=subject, text=letter_text)
        pieces = [*pieces, PieceUpload(name=f"reponse-{mail.chrono}.pdf", stream=io.BytesIO(pdf))]
    with transaction.atomic():
        reply = mail_register(actor=actor, organisation=mail.organisation,
                              direction=Direction.OUTGOING, channel=channel, contact=mail.contact,
                              subject=subject, received_on=sent_on, pieces=pieces, reply_to=mail)
        mail.status = MailStatus.ANSWERED
        mail.answered_at = timezone.now()
        mail.save(update_fields=["status", "answered_at", "updated_at"])
        audit_record(actor=actor, action="mail.reply", organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono, "reply": reply.chrono})
    return reply


def mail_close(*, actor: User | None, mail: Mail, comment: str = "") -> Mail:
    """Close a mail: nothing more is expected of anyone."""
    _require(actor, EDIT, mail.organisation)
    comment = _clean_text(comment, "Le commentaire", 5000)
    with transaction.atomic():
        mail = Mail.objects.select_for_update().get(pk=mail.pk)
        if mail.status == MailStatus.CLOSED:
            raise ServiceError("Ce courrier est déjà clos.", code="closed")
        mail.status = MailStatus.CLOSED
        mail.closed_at = timezone.now()
        mail.save(update_fields=["status", "closed_at", "updated_at"])
        if comment:
            assert actor is not None
            MailInstruction.objects.create(mail=mail, author=actor,
                                           author_label=actor.display_name,
                                           kind=InstructionKind.ANNOTATION,
                                           text=f"Clôture : {comment}")
        audit_record(actor=actor, action="mail.close", organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono})
    return mail


def mail_escalate_overdue(*, today: date | None = None) -> list[Mail]:
    """Flag each open mail past its deadline once, and alert its assignee and supervisor."""
    today = today or timezone.localdate()
    escalated = []
    overdue = Mail.objects.filter(status__in=OPEN_STATUSES, deadline__lt=today,
                                  escalated_at__isnull=True).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            # Only the mail's row is locked (of=self): its assignee may be absent.
            mail = (Mail.objects.select_for_update(of=("self",)).select_related(
                "organisation", "contact", "assignee", "supervisor", "registered_by")
                .filter(pk=pk, escalated_at__isnull=True).first())
            if mail is None:
                continue  # escalated meanwhile by another run
            mail.escalated_at = timezone.now()
            mail.save(update_fields=["escalated_at", "updated_at"])
            people = [p for p in (mail.assignee, mail.supervisor or mail.registered_by) if p]
            recipients = sorted({p.email for p in people if p.is_active})
            audit_record(actor=None, action="mail.escalate", organisation=mail.organisation,
                         target=mail, data={"chrono": mail.chrono,
                                            "deadline": mail.deadline.isoformat()
                                            if mail.deadline else None,
                                            "notified": recipients},
                         actor_label="système")
            if recipients:
                email_notify(to=recipients, subject=f"Courrier en retard : {mail.chrono}",
                             body=_escalation_body(mail))
            escalated.append(mail)
    return escalated


def _escalation_body(mail: Mail) -> str:
    assignee = mail.assignee.display_name if mail.assignee else "personne"
    assert mail.deadline is not None
    return (f"Bonjour,\n\nLe courrier {mail.chrono} (« {mail.subject} », de {mail.contact.name}) "
            f"devait être traité avant le {french_date(mail.deadline)} et ne l'est pas encore.\n"
            f"Attribué à : {assignee}.\n")


# ------------------------------------------------------------------- links with the portal


def mail_from_case(*, actor: User | None, organisation: Organisation, case: Any,
                   mail_type: MailType | None = None) -> Mail:
    """Register a portal case as incoming mail of the web-form channel, keeping the link.

    ``case`` is a case the actor obtained through the portal's selectors.
    """
    _require(actor, EDIT, organisation)
    if case.organisation_id != organisation.pk:
        raise ServiceError("Ce dossier relève d'une autre organisation.", code="invalid")
    existing = Mail.objects.filter(organisation=organisation, portal_case_id=case.pk).first()
    if existing is not None:
        raise ServiceError(f"Ce dossier est déjà enregistré sous le numéro {existing.chrono}.",
                           code="duplicate")
    with transaction.atomic():
        contact = Contact.objects.filter(organisation=organisation, kind=ContactKind.PERSON,
                                         name=case.applicant_name or case.email,
                                         email=case.email).first()
        if contact is None:
            contact = contact_create(actor=actor, organisation=organisation,
                                     kind=ContactKind.PERSON,
                                     name=case.applicant_name or case.email or "Usager",
                                     email=case.email)
        submitted = case.submitted_at or case.created_at
        return mail_register(actor=actor, organisation=organisation,
                             direction=Direction.INCOMING, channel=Channel.WEB_FORM,
                             contact=contact,
                             subject=f"Dossier {case.number} : {case.procedure.title}"[:300],
                             mail_type=mail_type, received_on=timezone.localtime(submitted).date(),
                             portal_case_id=case.pk)


def case_from_mail(*, actor: User | None, mail: Mail, procedure_slug: str, data: Any) -> Any:
    """File a portal case from an incoming letter, keeping the link on the mail.

    The sender (the mail's correspondent) is the applicant: by name, and by email
    when the directory has one. The clerk must also be able to process the portal's
    cases where the case lands (``portal.process_case``); the portal checks it.
    Returns the portal's case; invalid answers raise the portal's ``CaseInvalid``.
    """
    _require(actor, EDIT, mail.organisation)
    assert actor is not None
    if mail.direction != Direction.INCOMING:
        raise ServiceError("Seul un courrier arrivé peut devenir un dossier du portail.",
                           code="invalid")
    with transaction.atomic():
        mail = Mail.objects.select_for_update().get(pk=mail.pk)
        if mail.status == MailStatus.CLOSED:
            raise ServiceError("Ce courrier est clos.", code="closed")
        if mail.portal_case_id is not None:
            number = selectors.mail_case_number(actor=actor, mail=mail)
            raise ServiceError(f"Ce courrier est déjà lié au dossier {number}." if number else
                               "Ce courrier est déjà lié à un dossier du portail.",
                               code="duplicate")
        contact = mail.contact
        case = portal_services.case_file_for_mail(
            actor=actor, organisation=mail.organisation, procedure_slug=procedure_slug,
            data=data, mail_reference=mail.chrono, applicant_name=contact.name,
            email=contact.email, received_on=mail.received_on)
        mail.portal_case_id = case.pk
        mail.save(update_fields=["portal_case_id", "updated_at"])
        audit_record(actor=actor, action="mail.case_create", organisation=mail.organisation,
                     target=mail, data={"chrono": mail.chrono, "case": case.number})
    return case
