"""Filing a case: routing, numbering, drafts, online filing, filing from a letter."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can, granted_paths
from socle.core.counters import counter_next
from socle.core.errors import Conflict, ServiceError, TooManyRequests
from socle.core.journal import audit_record
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.throttle import throttle_hit
from socle.core.uploads import handles_in, uploads_consume

from .. import acknowledgements, selectors
from ..case_notices import notify_case_new
from ..effective import EffectiveProcedure
from ..form_render import Parsed, parse_post
from ..ged_filing import case_documents_file_later
from ..models import (
    Case,
    CaseChannel,
    CaseCounter,
    CaseEventKind,
    CaseworkerGroup,
    FeeKind,
    Procedure,
    ProcedureRevision,
    Routing,
)
from ._base import (
    PROCESS_CASE,
    CaseInvalid,
    _attach_files,
    _event,
    case_validate,
)
from .acknowledging import acknowledgement_queue
from .cases import _await_payment


def _route(offered: EffectiveProcedure, citizen: User | None, data: dict[str, Any]) -> Organisation:
    procedure = offered.procedure
    if procedure.routing == Routing.OWNER or not procedure.is_template:
        if procedure.routing == Routing.ADDRESS_FIELD and procedure.organisation.kind == "epci":
            return _commune_from_field(procedure, data) or procedure.organisation
        return procedure.organisation
    if procedure.routing == Routing.ADDRESS_FIELD:
        commune = _commune_from_field(procedure, data)
        if commune is None:
            raise CaseInvalid({procedure.routing_field or "": "L'adresse doit se trouver dans une "
                               "commune de l'agglomération."})
        return commune
    return offered.organisation


def _commune_from_field(procedure: Procedure, data: dict[str, Any]) -> Organisation | None:
    value = data.get(procedure.routing_field)
    slug = value.get("commune") if isinstance(value, dict) else value
    if not isinstance(slug, str):
        return None
    return Organisation.objects.filter(slug=slug, kind=OrganisationKind.COMMUNE).first()


def _next_number(year: int) -> str:
    last = counter_next(CaseCounter.objects.filter(year=year), year=year)
    return f"{year}-{last:06d}"


def _number_allocate(year: int) -> str:
    """Take the next case number in a transaction of its own (its lock ends at once).

    Case numbers are unique and increase; a filing that fails after taking its number
    leaves a gap, as a database sequence would. (Mail chrono numbers, which must have no
    gap, take theirs inside the registering transaction.)
    """
    with transaction.atomic():
        return _next_number(year)


def _decision_date(start: date, days: int) -> date:
    # Implicit-decision delays run in calendar days from the receipt of the request.
    return start + timedelta(days=days)


def case_draft_save(*, actor: User, offered: EffectiveProcedure, data: Any,
                    case: Case | None = None) -> Case:
    """Save a citizen's unfinished answers; only what is filled in is checked."""
    result = case_validate(offered, data, actor=actor, held=case.data if case else None,
                           partial=True, revision=case.revision if case else None)
    if not result.ok:
        raise CaseInvalid(result.errors)
    with transaction.atomic():
        uploads_consume(actor=actor, handles=handles_in(data))
        if case is None:
            if offered.revision is None:
                raise ServiceError("Cette démarche n'est pas publiée.", code="not_published")
            case = Case.objects.create(
                number=_next_number(timezone.localdate().year), procedure=offered.procedure,
                revision=offered.revision, organisation=offered.organisation, citizen=actor,
                email=actor.email, applicant_name=actor.display_name, status="draft",
                data=result.data, extra_fields=offered.extra_fields)
            audit_record(actor=actor, action="case.draft_create", organisation=case.organisation,
                         target=case, data={"number": case.number})
        else:
            if case.citizen_id != actor.pk or case.status != "draft":
                raise Conflict("Ce brouillon ne peut plus être modifié.")
            case.data = result.data
            case.save(update_fields=["data", "updated_at"])
    return case


def case_submit(
    *,
    actor: User | None,
    offered: EffectiveProcedure,
    data: Any,
    email: str = "",
    idempotency_key: str = "",
    draft: Case | None = None,
    expected_revision: int | None = None,
    client: str | None = None,
) -> Case:
    """File a case: validate, route to the competent organisation, acknowledge it.

    ``client`` is the address the request came from: filing without an account is
    limited per address (``SOCLE_ANONYMOUS_FILINGS_PER_CLIENT`` an hour) as well as per
    contact email, so that a visitor cycling through addresses cannot mail the world.
    """
    procedure = offered.procedure
    if offered.revision is None:
        raise ServiceError("Cette démarche n'est pas publiée.", code="not_published")
    if actor is None and procedure.requires_account:
        raise ServiceError("Cette démarche demande un compte : connectez-vous.",
                           code="account_required")
    profile = getattr(actor, "citizen", None) if actor else None
    assurance = profile.identity_assurance if profile else ("email" if actor else "")
    if procedure.requires_franceconnect and assurance != "franceconnect":
        raise ServiceError("Cette démarche demande une identité vérifiée par FranceConnect.",
                           code="franceconnect_required")
    if idempotency_key and actor is not None:
        previous = Case.objects.filter(citizen=actor, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous
    revision = draft.revision if draft is not None else offered.revision
    if expected_revision is not None and expected_revision != revision.number:
        raise Conflict("La démarche a été modifiée pendant votre saisie. Vérifiez vos réponses "
                       "sur le nouveau formulaire et renvoyez-le.", code="revision_changed")
    result = case_validate(offered, data, actor=actor,
                           held=draft.data if draft is not None else None, revision=revision)
    if not result.ok:
        raise CaseInvalid(result.errors)
    organisation = _route(offered, actor, result.data)
    now = timezone.now()
    received_on = timezone.localdate()
    fee = offered.fee_amount if offered.fee_kind == FeeKind.FIXED else Decimal("0.00")
    applicant_email = actor.email if actor else _contact_address(email)
    if actor is None:
        _anonymous_filing_allowed(applicant_email, client)
    applicant_name = actor.display_name if actor else applicant_email
    # The number before the filing's transaction, so that the counter's lock is held for
    # that one update; the acknowledgements are drawn by the worker (acknowledgement_queue).
    number = draft.number if draft is not None else _number_allocate(received_on.year)
    try:
        with transaction.atomic():
            if draft is not None:
                case = Case.objects.select_for_update().get(pk=draft.pk)
                if case.status != "draft" or case.citizen_id != getattr(actor, "pk", None):
                    raise Conflict("Ce dossier a déjà été déposé.", code="already_submitted")
            else:
                case = Case(number=number, procedure=procedure,
                            revision=revision, citizen=actor, extra_fields=offered.extra_fields)
            case.email = applicant_email
            case.applicant_name = applicant_name
            case.identity_assurance = assurance
            case.idempotency_key = idempotency_key if actor else ""
            case.email_confirmed = actor is not None
            _case_file(case, actor=actor, offered=offered, organisation=organisation,
                       data=result.data, revision=revision, submitted_at=now,
                       received_on=received_on, fee=fee,
                       text="Demande déposée en ligne.", from_citizen=True)
            uploads_consume(actor=actor, handles=handles_in(data))
            audit_record(actor=actor, action="case.submit", organisation=organisation,
                         target=case, data={"number": case.number, "procedure": procedure.slug,
                                            "revision": revision.number},
                         actor_label=case.email)
            # In this transaction: committed with the case, or not at all (an outbox).
            acknowledgement_queue(case)
            notify_case_new(case, actor=actor)
            case_documents_file_later(case)
            if fee > 0:
                case = _await_payment(case)
    except IntegrityError:
        # Two retries racing with the same idempotency key: the first one won.
        if idempotency_key and actor is not None:
            return Case.objects.get(citizen=actor, idempotency_key=idempotency_key)
        raise
    return case


ANONYMOUS_FILINGS_PER_HOUR = 3


def _contact_address(email: str) -> str:
    """The one address a visitor gives to be answered at: no list, no line break, no markup."""
    address = email.strip().lower()
    if (not address or len(address) > 254 or any(c in address for c in ",;<>\"'\r\n\t ")
            or address.count("@") != 1):
        raise ServiceError("Indiquez une seule adresse électronique, par exemple nom@domaine.fr.",
                           code="invalid_email", errors={"contact_email": "Adresse invalide."})
    try:
        validate_email(address)
    except ValidationError:
        raise ServiceError("Indiquez une seule adresse électronique, par exemple nom@domaine.fr.",
                           code="invalid_email", errors={"contact_email": "Adresse invalide."}) from None
    return address


def _anonymous_filing_allowed(address: str, client: str | None) -> None:
    # Filing without an account mails its address: capped per address, so that socle
    # cannot be used to send mail to someone again and again, and per client, so that
    # it cannot be used to mail many people one after the other.
    since = timezone.now() - timedelta(hours=1)
    if Case.objects.filter(citizen__isnull=True, email=address, submitted_at__gte=since,
                           channel=CaseChannel.ONLINE).count() >= ANONYMOUS_FILINGS_PER_HOUR:
        raise TooManyRequests("Plusieurs demandes viennent d'être déposées sans compte avec cette "
                          "adresse. Réessayez dans une heure, ou créez un compte pour déposer "
                          "sans attendre.")
    throttle_hit(scope="anonymous-filing", key=client,
                 limit=settings.ANONYMOUS_FILINGS_PER_CLIENT, window=timedelta(hours=1),
                 message="De nombreuses demandes viennent d'être déposées sans compte depuis "
                         "votre connexion. Réessayez dans une heure, ou créez un compte pour "
                         "déposer sans attendre.")


def _case_file(case: Case, *, actor: User | None, offered: EffectiveProcedure,
               organisation: Organisation, data: dict[str, Any], revision: ProcedureRevision,
               submitted_at: datetime, received_on: date, fee: Decimal, text: str,
               from_citizen: bool) -> Case:
    """Save a case as filed (online or from a letter), in the caller's transaction."""
    case.organisation = organisation
    case.data = data
    case.status = "submitted"
    case.submitted_at = submitted_at
    # The implicit-decision delay runs from the day the administration received the request.
    case.decision_due_on = _decision_date(received_on, offered.implicit_decision_days)
    case.amount_due = fee
    if offered.group_slug:
        case.group = CaseworkerGroup.objects.filter(organisation=organisation,
                                                    slug=offered.group_slug).first()
    case.save()
    _event(case, actor=actor, kind=CaseEventKind.STATUS, from_status="draft",
           to_status="submitted", visible=True, from_citizen=from_citizen, text=text)
    _attach_files(case, offered.fields(revision), data)
    return case


def case_file_for_mail(
    *,
    actor: User,
    organisation: Organisation,
    procedure_slug: str,
    data: Any,
    mail_reference: str,
    applicant_name: str = "",
    email: str = "",
    received_on: date | None = None,
) -> Case:
    """File the case of someone who wrote a paper letter, typed in by an agent.

    The procedure must be offered by ``organisation`` (the one whose register received
    the letter); the case goes where the procedure routes it, and the agent must be
    able to process cases there. The sender needs no account: with an email address,
    the acknowledgement of receipt and a follow-up link go to it, as for a case filed
    online without an account; without one, nothing is sent and the agent prints the
    acknowledgement from the case's page. A fixed fee is set as due; asking for it is
    left to the caseworker (the sender cannot pay online without an account).
    """
    if actor is None or not granted_paths(actor, PROCESS_CASE):
        raise ServiceError("Votre rôle ne permet pas de déposer un dossier du portail.",
                           code="forbidden")
    offered = selectors.procedure_offered_in(organisation=organisation, slug=procedure_slug)
    if offered is None or offered.revision is None:
        raise ServiceError("Cette démarche n'est pas proposée par l'organisation qui a reçu le "
                           "courrier.", code="unknown_procedure")
    applicant_name = applicant_name.replace("\x00", "").strip()[:300]
    email = email.replace("\x00", "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError("L'adresse électronique de l'expéditeur n'est pas valide.",
                               code="invalid_email") from None
    if not (applicant_name or email):
        raise ServiceError("Le nom ou l'adresse électronique de l'expéditeur est obligatoire.",
                           code="invalid")
    mail_reference = mail_reference.replace("\x00", "").strip()
    if not mail_reference or len(mail_reference) > 20:
        raise ServiceError("Le numéro du courrier est obligatoire (20 caractères au plus).",
                           code="invalid")
    revision = offered.revision
    result = case_validate(offered, data, actor=actor, revision=revision)
    if not result.ok:
        raise CaseInvalid(result.errors)
    target = _route(offered, None, result.data)
    if not can(actor, PROCESS_CASE, target):
        raise ServiceError(f"Votre rôle ne permet pas de déposer un dossier pour {target.name}.",
                           code="forbidden")
    today = timezone.localdate()
    received_on = received_on or today
    fee = offered.fee_amount if offered.fee_kind == FeeKind.FIXED else Decimal("0.00")
    with transaction.atomic():
        case = Case(number=_next_number(today.year), procedure=offered.procedure,
                    revision=revision, citizen=None, extra_fields=offered.extra_fields,
                    email=email, applicant_name=applicant_name or email,
                    email_confirmed=not email, channel=CaseChannel.PAPER_MAIL,
                    mail_reference=mail_reference)
        _case_file(case, actor=actor, offered=offered, organisation=target, data=result.data,
                   revision=revision, submitted_at=timezone.now(), received_on=received_on,
                   fee=fee, from_citizen=False,
                   text=f"Demande reçue par courrier le {received_on:%d/%m/%Y} (courrier "
                        f"n° {mail_reference}), enregistrée par le service.")
        audit_record(actor=actor, action="case.file_for_mail", organisation=target, target=case,
                     data={"number": case.number, "procedure": offered.procedure.slug,
                           "revision": revision.number, "mail": mail_reference})
        uploads_consume(actor=actor, handles=handles_in(data))
        acknowledgements.acknowledge_mail_filing(case, offered, received_on)
        notify_case_new(case, actor=actor)
        case_documents_file_later(case)
    return case


def case_answers_parse(offered: EffectiveProcedure, post: Any, files: Any,
                       previous: dict[str, Any] | None = None, *, actor: User | None) -> Parsed:
    """Turn a posted procedure form into answers; uploaded files are stored as blobs and
    named by upload handles given to ``actor``."""
    return parse_post(offered.fields(offered.revision), post, files, previous or {},
                      uploader=actor)
