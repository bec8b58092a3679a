"""The mail register's API: register a letter, list the register, file a letter as a case.

Errors keep the API's one shape, ``{"code", "message"}``: a refused value is a
400 (``invalid_siret``, ``unknown_type``, ``unknown_contact``, ``invalid``; a
portal form refused field by field adds ``errors``); a caller with no mail role,
or without the portal's caseworker role for a case, is a 403; an organisation or a
mail the caller may not see is a 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core.access import granted_paths
from socle.core.api_schemas import Answers, ErrorOut, InvalidOut, Text
from socle.core.models import User
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError

from . import selectors, services
from .models import Contact, Mail

router = Router(tags=["Courrier"])


class ContactIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text = SchemaField(max_length=200)
    kind: Literal["person", "organisation"] = "person"
    siret: Text = SchemaField("", max_length=20,
                              description="Pour une entreprise : 14 chiffres, clé de Luhn vérifiée.")
    address: Text = SchemaField("", max_length=300)
    email: Text = SchemaField("", max_length=254)
    phone: Text = SchemaField("", max_length=30)


class MailIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = SchemaField(description="Identifiant (slug) de l'organisation.",
                                     max_length=80)
    direction: Literal["in", "out"] = SchemaField("in", description="in : arrivée ; out : départ.")
    channel: Literal["paper", "email", "web_form"] = "paper"
    subject: Text = SchemaField(max_length=300)
    type: int | Text | None = SchemaField(
        None, description="Type de courrier : son id ou son nom ; il fixe le délai de traitement.")
    priority: Literal["normal", "high", "urgent"] = "normal"
    sender: ContactIn | int | None = SchemaField(
        None, description="Arrivée : l'expéditeur, nouveau (objet) ou de l'annuaire (id).")
    recipient: ContactIn | int | None = SchemaField(
        None, description="Départ : le destinataire, nouveau (objet) ou de l'annuaire (id).")
    received_on: date | None = SchemaField(
        None, description="Date de réception (arrivée) ou d'envoi (départ) ; aujourd'hui par défaut.")


class MailCreatedOut(Schema):
    id: int
    chrono: str
    organisation: str
    status: str
    deadline: date | None


class MailOut(Schema):
    id: int
    chrono: str
    organisation: str
    direction: str
    channel: str
    subject: str
    type: str | None
    priority: str
    status: str
    received_on: date
    deadline: date | None
    overdue: bool
    contact: str
    service: str | None
    assignee: str | None
    reply_to: int | None
    portal_case: str | None = SchemaField(
        description="Numéro du dossier du portail lié au courrier, si vous pouvez le consulter.")
    registered_at: datetime


class MailPageOut(Schema):
    items: list[MailOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class MailCaseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    procedure: Text = SchemaField(
        max_length=100, description="Identifiant (slug) d'une démarche proposée par "
                                    "l'organisation du courrier.")
    data: Answers = SchemaField(
        description="Les réponses au formulaire publié de la démarche, par nom de champ, "
                    "comme pour POST /api/v1/procedures/{slug}/cases.")


class MailCaseOut(Schema):
    number: str
    status: str


class MailFiltersIn(PageIn):
    status: Literal["", "registered", "assigned", "in_progress", "answered", "closed"] = ""
    direction: Literal["", "in", "out"] = ""
    organisation: Text = SchemaField("", max_length=80)
    assigned: Literal["", "me"] = SchemaField("", description="« me » : attribués à moi ou en copie.")
    overdue: bool = False


def _contact(user: User, organisation: Any, given: ContactIn | int | None, role: str) -> Contact:
    if given is None:
        raise ServiceError(f"Le champ « {role} » est obligatoire pour ce sens de courrier.",
                           code="invalid")
    if isinstance(given, int):
        contact = selectors.contacts_for(actor=user, organisation=organisation).filter(pk=given).first()
        if contact is None:
            raise ServiceError("Ce correspondant n'est pas dans l'annuaire de l'organisation.",
                               code="unknown_contact")
        return contact
    return services.contact_create(actor=user, organisation=organisation, kind=given.kind,
                                   name=given.name, siret=given.siret, address=given.address,
                                   email=given.email, phone=given.phone)


def _mail_out(mail: Mail, case_number: str | None) -> dict[str, Any]:
    return {
        "id": mail.pk, "chrono": mail.chrono, "organisation": mail.organisation.slug,
        "direction": mail.direction, "channel": mail.channel, "subject": mail.subject,
        "type": mail.mail_type.name if mail.mail_type else None, "priority": mail.priority,
        "status": mail.status, "received_on": mail.received_on, "deadline": mail.deadline,
        "overdue": selectors.mail_is_overdue(mail=mail), "contact": mail.contact.name,
        "service": mail.service.slug if mail.service else None,
        "assignee": mail.assignee.email if mail.assignee else None,
        "reply_to": mail.reply_to_id, "portal_case": case_number,
        "registered_at": mail.registered_at,
    }


@router.post("/mail", response={201: MailCreatedOut, 400: InvalidOut, 401: ErrorOut,
                                403: ErrorOut, 404: ErrorOut},
             summary="Enregistrer un courrier")
def mail_create(request: HttpRequest, payload: MailIn) -> Any:
    """Register an incoming (`sender`) or outgoing (`recipient`) letter under the next
    chrono number of its organisation, year and direction (`2026-ARR-000123`).

    The correspondent is an id from the organisation's directory, or a new one
    (a company's SIRET is checked). The type sets the processing deadline. 201 with
    the id and chrono; 403 without a mail role; 404 for an organisation whose
    register the caller may not write to.
    """
    user = request_actor(request)
    if not granted_paths(user, services.EDIT):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Votre rôle ne permet pas d'enregistrer du courrier."))
    organisation = selectors.organisation_registering_get(actor=user, slug=payload.organisation)
    mail_type = None
    if payload.type is not None:
        types = selectors.mail_types_for(organisation=organisation)
        mail_type = (types.filter(pk=payload.type).first() if isinstance(payload.type, int)
                     else types.filter(name=payload.type).first())
        if mail_type is None:
            raise ServiceError("Type de courrier inconnu pour cette organisation.",
                               code="unknown_type")
    if payload.received_on is not None and payload.received_on.year < 1900:
        raise ServiceError("La date de réception n'est pas plausible.", code="invalid")
    given = payload.sender if payload.direction == "in" else payload.recipient
    role = "sender" if payload.direction == "in" else "recipient"
    # A new correspondent is kept only if the letter is registered.
    with transaction.atomic():
        contact = _contact(user, organisation, given, role)
        mail = services.mail_register(
            actor=user, organisation=organisation, direction=payload.direction,
            channel=payload.channel, contact=contact, subject=payload.subject,
            mail_type=mail_type, priority=payload.priority, received_on=payload.received_on)
    return Status(201, MailCreatedOut(id=mail.pk, chrono=mail.chrono,
                                      organisation=organisation.slug, status=mail.status,
                                      deadline=mail.deadline))


@router.get("/mail", response={200: MailPageOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut},
            summary="Lister le registre du courrier")
def mail_list(request: HttpRequest, filters: Query[MailFiltersIn]) -> Any:
    """The register of the organisations (or services) where the caller may read mail,
    newest first, filtered by status, direction, organisation, assignment, lateness.

    Pages of `limit` letters (25 by default, 100 at most): pass `next` as `cursor`, with
    the same filters, until it is null.
    """
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Votre rôle ne permet pas de consulter le courrier."))
    mails = selectors.mails_for(actor=user, filters=selectors.MailFilters(
        status=filters.status, direction=filters.direction, organisation=filters.organisation,
        assigned=filters.assigned, overdue=filters.overdue))
    if filters.cursor:
        [before] = cursor_decode(filters.cursor, int)
        mails = mails.filter(pk__lt=before)
    rows = list(mails[: filters.limit + 1])
    next_cursor = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        next_cursor = cursor_encode(rows[-1].pk)
    numbers = selectors.mails_case_numbers(actor=user, mails=rows)
    return {"items": [_mail_out(mail, numbers.get(mail.pk)) for mail in rows], "next": next_cursor}


@router.get("/mail/{mail_id}", response={200: MailOut, 400: InvalidOut, 401: ErrorOut,
                                         404: ErrorOut},
            summary="Consulter un courrier")
def mail_detail(request: HttpRequest, mail_id: int) -> Any:
    """One letter of the register; 404 when the caller may not see it."""
    if not 0 < mail_id < 2**63:
        return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=mail_id)
    return _mail_out(mail, selectors.mail_case_number(actor=user, mail=mail))


@router.post("/mail/{mail_id}/case", response={201: MailCaseOut, 400: InvalidOut, 401: ErrorOut,
                                             403: ErrorOut, 404: ErrorOut},
             summary="Créer un dossier du portail depuis un courrier")
def mail_case_create(request: HttpRequest, mail_id: int, payload: MailCaseIn) -> Any:
    """File a portal case from an incoming letter (a citizen who wrote instead of filing
    online): the answers are checked against the procedure's published form, the
    sender is the applicant, and the mail keeps the case's number.

    201 with the case's number and status; 400 with `errors` (`field`, `message`)
    for refused answers, nothing written; 403 without the clerk's role on the mail's
    organisation or the caseworker's role where the case lands; 404 for a mail the
    caller may not see.
    """
    user = request_actor(request)
    if not granted_paths(user, services.EDIT):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Votre rôle ne permet pas de traiter le courrier."))
    if not 0 < mail_id < 2**63:
        return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))
    mail = selectors.mail_get_for(actor=user, pk=mail_id)
    try:
        case = services.case_from_mail(actor=user, mail=mail, procedure_slug=payload.procedure,
                                       data=payload.data)
    except ServiceError as exc:
        if exc.code != "forbidden":
            raise
        return Status(403, ErrorOut(code=exc.code, message=exc.message))
    return Status(201, MailCaseOut(number=case.number, status=case.status))
