"""Every write of the portal: procedures, revisions, adoptions, cases, messages, payments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can, granted_paths
from socle.core.counters import counter_next
from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Blob, Organisation, OrganisationKind, User

from .effective import OVERRIDABLE, EffectiveProcedure, effective
from .form_render import Parsed, parse_post
from .form_schema import Context, DefinitionError, ValidationResult, data_validate, definition_parse
from .models import (
    Adoption,
    Case,
    CaseChannel,
    CaseCounter,
    CaseDocument,
    CaseEvent,
    CaseEventKind,
    CaseworkerGroup,
    DocumentKind,
    FeeKind,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
    Routing,
    SilenceMeans,
)
from .workflow import (
    CASEWORKER,
    CITIZEN,
    DEFAULT_WORKFLOW,
    SYSTEM,
    TransitionRefused,
    WorkflowError,
    workflow_of,
)

EDIT_PROCEDURE = "portal.edit_procedure"
PROCESS_CASE = "portal.process_case"


class CaseInvalid(ServiceError):
    """A case whose answers do not pass the form: one French message per field."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Certaines réponses ne sont pas valides.", errors=errors)


# ---------------------------------------------------------------- procedures


# Set only by ``demo_procedures_load`` when an operator's command runs it without an
# account: procedure services then accept ``actor=None`` and journal the system as actor.
_system_loader: ContextVar[bool] = ContextVar("portal_system_loader", default=False)


@contextmanager
def _as_system_loader() -> Iterator[None]:
    token = _system_loader.set(True)
    try:
        yield
    finally:
        _system_loader.reset(token)


def _require_editor(actor: User | None, organisation: Organisation) -> None:
    if actor is None and _system_loader.get():
        return
    if actor is None or not can(actor, EDIT_PROCEDURE, organisation):
        raise ServiceError("Vous n'avez pas le droit de modifier les démarches de cette organisation.",
                           code="forbidden")


def _check_definitions(fields: Any, workflow: Any) -> None:
    try:
        definition_parse(fields)
    except DefinitionError as exc:
        raise ServiceError(str(exc), code="invalid_form") from exc
    try:
        workflow_of(workflow)
    except WorkflowError as exc:
        raise ServiceError(str(exc), code="invalid_workflow") from exc
    except (TypeError, AttributeError):
        # An imported file may hold anything: a list, numbers where lists belong.
        raise ServiceError("Le circuit de traitement (workflow) n'est pas valide.",
                           code="invalid_workflow") from None


PROCEDURE_SETTINGS = {
    "title", "summary", "category", "requires_account", "requires_franceconnect", "fee_kind",
    "fee_amount", "regie", "implicit_decision_days", "silence_means", "routing", "routing_field",
    "service_name", "service_contact", "group_slug", "is_template", "file_plan_node",
}


_SETTING_LABELS = {
    "title": "Le titre", "summary": "Le résumé", "category": "La catégorie",
    "regie": "La régie", "routing_field": "Le champ d'adresse d'orientation",
    "service_name": "Le service", "service_contact": "Le contact du service",
    "group_slug": "L'équipe", "file_plan_node": "Le nœud du plan de classement",
    "requires_account": "« Compte obligatoire »",
    "requires_franceconnect": "« FranceConnect obligatoire »", "is_template": "« Modèle »",
    "fee_kind": "Le type de tarif", "silence_means": "Le sens du silence",
    "routing": "L'orientation des dossiers",
}
_SETTING_CHOICES = {"fee_kind": FeeKind.values, "silence_means": SilenceMeans.values,
                    "routing": Routing.values}


def _check_setting(key: str, value: Any) -> None:
    # Settings also come from imported files: check types before they reach the database.
    label = _SETTING_LABELS.get(key, key)
    if key in {"requires_account", "requires_franceconnect", "is_template"}:
        if not isinstance(value, bool):
            raise ServiceError(f"{label} doit valoir vrai ou faux.", code="invalid")
    elif key == "implicit_decision_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise ServiceError("Le délai de décision implicite est un nombre de jours entre 1 "
                               "et 3650.", code="invalid")
    elif key in _SETTING_CHOICES:
        if value not in _SETTING_CHOICES[key]:
            raise ServiceError(f"{label} n'a pas une valeur possible.", code="invalid")
    elif key != "fee_amount":
        max_length = getattr(Procedure._meta.get_field(key), "max_length", None) or 5000
        if not isinstance(value, str) or len(value) > max_length:
            raise ServiceError(f"{label} doit être un texte de {max_length} caractères au plus.",
                               code="invalid")


def _apply_settings(procedure: Procedure, values: dict[str, Any]) -> None:
    unknown = set(values) - PROCEDURE_SETTINGS
    if unknown:
        raise ServiceError(f"Réglages inconnus : {', '.join(sorted(unknown))}.", code="invalid")
    for key, value in values.items():
        _check_setting(key, value)
    if "group_slug" in values and not re.fullmatch(r"[a-z0-9-]*", values["group_slug"]):
        raise ServiceError("L'équipe se désigne par un identifiant en minuscules, chiffres et "
                           "tirets.", code="invalid")
    for key, value in values.items():
        setattr(procedure, key, value)
    if not str(procedure.title).strip():
        raise ServiceError("Le titre de la démarche est obligatoire.", code="invalid")
    try:
        procedure.fee_amount = Decimal(str(procedure.fee_amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ServiceError("Le montant doit être un nombre.", code="invalid") from None
    if procedure.fee_amount < 0:
        raise ServiceError("Le montant ne peut pas être négatif.", code="invalid")
    if procedure.fee_amount >= Decimal("100000000"):
        raise ServiceError("Le montant est trop élevé.", code="invalid")
    if procedure.fee_kind == FeeKind.FIXED and procedure.fee_amount <= 0:
        raise ServiceError("Un tarif fixe demande un montant positif.", code="invalid")
    if procedure.is_template and procedure.organisation.kind != OrganisationKind.EPCI:
        raise ServiceError("Seule l'intercommunalité publie des modèles de démarche.",
                           code="invalid")


def procedure_create(*, actor: User | None, organisation: Organisation, slug: str,
                     fields: list[dict[str, Any]] | None = None,
                     workflow: dict[str, Any] | None = None, **values: Any) -> Procedure:
    """Create a procedure with a first draft revision."""
    _require_editor(actor, organisation)
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug or ""):
        raise ServiceError("L'identifiant ne contient que des minuscules, chiffres et tirets.",
                           code="invalid")
    fields = fields or []
    workflow = workflow or DEFAULT_WORKFLOW
    _check_definitions(fields, workflow)
    with transaction.atomic():
        if Procedure.objects.filter(slug=slug).exists():
            raise ServiceError(f"Une démarche « {slug} » existe déjà.", code="duplicate")
        procedure = Procedure(organisation=organisation, slug=slug)
        _apply_settings(procedure, {"title": values.pop("title", ""), **values})
        procedure.save()
        ProcedureRevision.objects.create(procedure=procedure, number=1, fields=fields,
                                         workflow=workflow, created_by=actor)
        audit_record(actor=actor, action="procedure.create", organisation=organisation,
                     target=procedure, data={"slug": slug})
    return procedure


def procedure_draft(procedure: Procedure) -> ProcedureRevision:
    """Return the revision being edited: the latest if unpublished."""
    latest = procedure.revisions.order_by("-number").first()
    assert latest is not None
    return latest


def procedure_update(*, actor: User | None, procedure: Procedure,
                     fields: list[dict[str, Any]] | None = None,
                     workflow: dict[str, Any] | None = None, **values: Any) -> Procedure:
    """Change a procedure's settings, or its form in a draft revision (never a published one)."""
    _require_editor(actor, procedure.organisation)
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        if values:
            _apply_settings(procedure, values)
            procedure.save()
        if fields is not None or workflow is not None:
            latest = procedure_draft(procedure)
            new_fields = latest.fields if fields is None else fields
            new_workflow = latest.workflow if workflow is None else workflow
            _check_definitions(new_fields, new_workflow)
            if latest.is_frozen:
                # Published revisions are frozen: editing opens the next draft.
                latest = ProcedureRevision.objects.create(
                    procedure=procedure, number=latest.number + 1, fields=new_fields,
                    workflow=new_workflow, created_by=actor)
            else:
                latest.fields = new_fields
                latest.workflow = new_workflow
                latest.save(update_fields=["fields", "workflow"])
        audit_record(actor=actor, action="procedure.update", organisation=procedure.organisation,
                     target=procedure, data={"settings": sorted(values),
                                             "form": fields is not None,
                                             "workflow": workflow is not None})
    return procedure


def procedure_publish(*, actor: User | None, procedure: Procedure) -> ProcedureRevision:
    """Publish the draft revision: it is frozen; cases filed from now on keep it."""
    _require_editor(actor, procedure.organisation)
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        draft = procedure_draft(procedure)
        if draft.is_frozen:
            raise ServiceError("Aucune modification à publier : la dernière version est déjà publiée.",
                               code="nothing_to_publish")
        _check_definitions(draft.fields, draft.workflow)
        if not draft.fields:
            raise ServiceError("Un formulaire vide ne peut pas être publié.", code="invalid_form")
        if procedure.routing == Routing.ADDRESS_FIELD and procedure.routing_field not in {
                f.name for f in definition_parse(draft.fields) if f.type in {"address", "commune"}}:
            raise ServiceError(f"Les dossiers vont à la commune du champ « {procedure.routing_field} », "
                               "qui n'est pas une adresse ou une commune du formulaire : ajoutez ce "
                               "champ ou changez l'orientation des dossiers.", code="invalid_form")
        draft.published_at = timezone.now()
        draft.save(update_fields=["published_at"])
        procedure.published_revision = draft
        procedure.status = ProcedureStatus.PUBLISHED
        procedure.save(update_fields=["published_revision", "status", "updated_at"])
        audit_record(actor=actor, action="procedure.publish", organisation=procedure.organisation,
                     target=procedure, data={"revision": draft.number})
    return draft


def procedure_withdraw(*, actor: User, procedure: Procedure) -> Procedure:
    """Stop offering a procedure; filed cases go on."""
    _require_editor(actor, procedure.organisation)
    with transaction.atomic():
        procedure.status = ProcedureStatus.ARCHIVED
        procedure.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="procedure.withdraw", organisation=procedure.organisation,
                     target=procedure)
    return procedure


def adoption_set(*, actor: User | None, template: Procedure, organisation: Organisation,
                 offered: bool = True, overrides: dict[str, Any] | None = None) -> Adoption:
    """Adopt an intercommunal template for a commune, overriding only what the commune changes."""
    if not template.is_template:
        raise ServiceError("Seul un modèle de l'intercommunalité peut être adopté.", code="invalid")
    if organisation.kind != OrganisationKind.COMMUNE:
        raise ServiceError("Seule une commune adopte un modèle.", code="invalid")
    _require_editor(actor, organisation)
    overrides = dict(overrides or {})
    unknown = set(overrides) - OVERRIDABLE
    if unknown:
        raise ServiceError(f"Ces éléments ne peuvent pas être adaptés : {', '.join(sorted(unknown))}.",
                           code="invalid")
    if "extra_fields" in overrides:
        base = template.published_revision.fields if template.published_revision else []
        try:
            definition_parse(list(base) + list(overrides["extra_fields"]))
        except (DefinitionError, TypeError) as exc:
            raise ServiceError(str(exc), code="invalid_form") from exc
    if "fee_amount" in overrides:
        try:
            amount = Decimal(str(overrides["fee_amount"]))
        except InvalidOperation:
            raise ServiceError("Le montant doit être un nombre.", code="invalid") from None
        if amount < 0:
            raise ServiceError("Le montant ne peut pas être négatif.", code="invalid")
        overrides["fee_amount"] = str(amount.quantize(Decimal("0.01")))
    with transaction.atomic():
        adoption, _ = Adoption.objects.update_or_create(
            template=template, organisation=organisation,
            defaults={"offered": offered, "overrides": overrides})
        audit_record(actor=actor, action="procedure.adopt", organisation=organisation,
                     target=adoption, data={"template": template.slug, "offered": offered,
                                            "overrides": sorted(overrides)})
    return adoption


def procedure_import(*, actor: User | None, organisation: Organisation, document: Any,
                     slug: str | None = None) -> Procedure:
    """Create a procedure from the JSON another intercommunality exported."""
    if not isinstance(document, dict) or document.get("format") != "socle-procedure/1":
        raise ServiceError("Le fichier n'est pas un export de démarche (format socle-procedure/1).",
                           code="invalid_format")
    values = {key: document[key] for key in PROCEDURE_SETTINGS if key in document}
    if organisation.kind != OrganisationKind.EPCI:
        values["is_template"] = False
    return procedure_create(actor=actor, organisation=organisation,
                            slug=slug or str(document.get("slug", "")),
                            fields=document.get("fields") or [],
                            workflow=document.get("workflow") or None, **values)


def caseworker_group_create(*, actor: User | None, organisation: Organisation, slug: str, name: str,
                            members: list[User] | None = None) -> CaseworkerGroup:
    """Create a team of caseworkers in an organisation."""
    if not (actor is None and _system_loader.get()) and not can(
            actor, "core.manage_members", organisation) and not can(actor, EDIT_PROCEDURE,
                                                                    organisation):
        raise ServiceError("Vous ne pouvez pas créer d'équipe dans cette organisation.",
                           code="forbidden")
    with transaction.atomic():
        group, _ = CaseworkerGroup.objects.get_or_create(organisation=organisation, slug=slug,
                                                         defaults={"name": name})
        if members:
            group.members.add(*members)
        audit_record(actor=actor, action="portal.group_create", organisation=organisation,
                     target=group, data={"slug": slug})
    return group


# ---------------------------------------------------------------------- cases


def validation_context() -> Context:
    """Return what form validation needs from the platform: communes and stored files."""
    communes = {o.slug: o for o in Organisation.objects.filter(kind=OrganisationKind.COMMUNE)}

    def commune_for_postal(postal: str, city: str) -> str | None:
        from django.utils.text import slugify

        city_slug = slugify(city)
        for org in communes.values():
            if postal in (org.postal_codes or []) and org.slug == city_slug:
                return org.slug
        matching = [o for o in communes.values() if postal in (o.postal_codes or [])]
        return matching[0].slug if len(matching) == 1 else None

    def blob_info(sha256: str) -> tuple[str, int] | None:
        blob = Blob.objects.filter(sha256=sha256).first()
        return (blob.mime_type, blob.size) if blob else None

    return Context(commune_exists=lambda slug: slug in communes, blob_info=blob_info,
                   commune_for_postal=commune_for_postal)


def case_validate(offered: EffectiveProcedure, data: Any, *, partial: bool = False,
                  revision: ProcedureRevision | None = None) -> ValidationResult:
    """Validate answers against a procedure's form as offered in a commune."""
    return data_validate(offered.fields(revision), data, validation_context(), partial=partial)


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


def _event(case: Case, *, actor: User | None, kind: str, text: str = "", visible: bool = False,
           from_status: str = "", to_status: str = "", from_citizen: bool = False) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor, kind=kind, text=text,
                                    visible_to_citizen=visible, from_status=from_status,
                                    to_status=to_status, from_citizen=from_citizen)


def _attach_files(case: Case, offered_fields: list[Any], data: dict[str, Any]) -> None:
    from .form_schema import file_fields

    names = {f.name for f in file_fields(offered_fields)}

    def walk(values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key in names and isinstance(value, list):
                for item in value:
                    if not case.documents.filter(blob_id=item["sha256"], field=key).exists():
                        CaseDocument.objects.create(case=case, blob_id=item["sha256"],
                                                    kind=DocumentKind.ATTACHMENT,
                                                    name=item["name"], field=key)
            elif isinstance(value, list):
                for row in value:
                    if isinstance(row, dict):
                        walk(row)

    walk(data)


def case_draft_save(*, actor: User, offered: EffectiveProcedure, data: Any,
                    case: Case | None = None) -> Case:
    """Save a citizen's unfinished answers; only what is filled in is checked."""
    result = case_validate(offered, data, partial=True,
                           revision=case.revision if case else None)
    if not result.ok:
        raise CaseInvalid(result.errors)
    with transaction.atomic():
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
) -> Case:
    """File a case: validate, route to the competent organisation, acknowledge it."""
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
    result = case_validate(offered, data, revision=revision)
    if not result.ok:
        raise CaseInvalid(result.errors)
    organisation = _route(offered, actor, result.data)
    now = timezone.now()
    received_on = timezone.localdate()
    fee = offered.fee_amount if offered.fee_kind == FeeKind.FIXED else Decimal("0.00")
    applicant_email = actor.email if actor else email.strip().lower()
    applicant_name = actor.display_name if actor else applicant_email
    from . import acknowledgements

    # The number, then the acknowledgements, before the filing's transaction: rendering
    # two PDFs inside it held the counter's lock (every other filing waited) and, on
    # SQLite, the database's write lock.
    number = draft.number if draft is not None else _number_allocate(received_on.year)
    pdfs = acknowledgements.submission_pdfs(Case(
        number=number, procedure=procedure, revision=revision, organisation=organisation,
        email=applicant_email, applicant_name=applicant_name, submitted_at=now,
        decision_due_on=_decision_date(received_on, offered.implicit_decision_days)), offered)
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
            audit_record(actor=actor, action="case.submit", organisation=organisation,
                         target=case, data={"number": case.number, "procedure": procedure.slug,
                                            "revision": revision.number},
                         actor_label=case.email)
            acknowledgements.acknowledge_submission(case, offered, pdfs)
            from .ged_filing import case_documents_file_later

            case_documents_file_later(case)
            if fee > 0:
                case = _await_payment(case)
    except IntegrityError:
        # Two retries racing with the same idempotency key: the first one won.
        if idempotency_key and actor is not None:
            return Case.objects.get(citizen=actor, idempotency_key=idempotency_key)
        raise
    return case


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
    from . import selectors

    if actor is None or not granted_paths(actor, PROCESS_CASE):
        raise ServiceError("Votre rôle ne permet pas de déposer un dossier du portail.",
                           code="forbidden")
    offered = selectors.procedure_offered_in(organisation, procedure_slug)
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
    result = case_validate(offered, data, revision=revision)
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
        from . import acknowledgements

        acknowledgements.acknowledge_mail_filing(case, offered, received_on)
        from .ged_filing import case_documents_file_later

        case_documents_file_later(case)
    return case


def case_answers_parse(offered: EffectiveProcedure, post: Any, files: Any,
                       previous: dict[str, Any] | None = None) -> Parsed:
    """Turn a posted procedure form into answers; uploaded files are stored as blobs."""
    return parse_post(offered.fields(offered.revision), post, files, previous or {})


def _actor_role(actor: User | None, case: Case) -> str | None:
    if actor is not None and can(actor, PROCESS_CASE, case.organisation):
        return CASEWORKER
    if actor is not None and case.citizen_id == actor.pk:
        return CITIZEN
    return None


def _await_payment(case: Case) -> Case:
    """Send a filed case with a fixed fee to payment, when its workflow lets the platform do it."""
    workflow = workflow_of(case.revision.workflow)
    step = next((t for t in workflow.available(case.status, SYSTEM) if t.requires_payment), None)
    if step is None:
        return case
    from .payments import amount_label

    return case_transition(actor=None, case=case, to=step.target, system_role=SYSTEM,
                           comment=f"Montant à régler : {amount_label(case.amount_due)}. "
                                   "Payez en ligne depuis le suivi de votre demande.")


def case_available_transitions(actor: User | None, case: Case) -> list[str]:
    """Return the statuses the actor may move the case to now."""
    role = _actor_role(actor, case)
    if role is None:
        return []
    workflow = workflow_of(case.revision.workflow)
    return [t.target for t in workflow.available(case.status, role)
            if not (t.requires_payment and case.amount_due <= 0)]


def case_transition(*, actor: User | None, case: Case, to: str, comment: str = "",
                    system_role: str | None = None) -> Case:
    """Move a case to another status, if the workflow and the actor's role allow it."""
    workflow = workflow_of(case.revision.workflow)
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("revision", "procedure",
                                                               "organisation").get(pk=case.pk)
        transition = workflow.transition(case.status, to)  # raises TransitionRefused
        role = system_role or _actor_role(actor, case)
        if role is None or not transition.allows(role):
            raise TransitionRefused("Votre rôle ne permet pas ce changement de statut.")
        if transition.requires_payment and case.amount_due <= 0:
            raise TransitionRefused("Aucun montant n'est dû sur ce dossier : il ne peut pas "
                                    "attendre un paiement. Fixez d'abord le montant à payer.")
        if transition.needs_motivation and not comment.strip():
            raise TransitionRefused("Une motivation écrite est obligatoire pour ce changement.")
        source = case.status
        case.status = to
        update = ["status", "updated_at"]
        if "close" in transition.actions or workflow.status(to).final:
            case.closed_at = timezone.now()
            update.append("closed_at")
        case.save(update_fields=update)
        _event(case, actor=actor, kind=CaseEventKind.STATUS, from_status=source, to_status=to,
               text=comment.strip(), visible=workflow.status(to).visible,
               from_citizen=role == CITIZEN)
        audit_record(actor=actor, action="case.transition", organisation=case.organisation,
                     target=case, data={"number": case.number, "from": source, "to": to,
                                        "comment": comment.strip()},
                     actor_label=f"plateforme:{system_role}" if actor is None and system_role
                     else "")
        from . import acknowledgements

        acknowledgements.after_transition(case, transition, comment.strip())
        from .ged_filing import case_documents_file_later

        case_documents_file_later(case)
    return case


def case_resubmit(*, actor: User, case: Case, data: Any) -> Case:
    """Let the citizen complete a case sent back for more information, then return it."""
    if case.citizen_id != actor.pk:
        raise TransitionRefused("Seul l'usager qui a déposé le dossier peut le compléter.")
    if case.status != "info_requested":
        raise Conflict("Ce dossier n'attend pas de complément de votre part.")
    offered = offered_for_case(case)
    result = case_validate(offered, data, revision=case.revision)
    if not result.ok:
        raise CaseInvalid(result.errors)
    with transaction.atomic():
        case.data = result.data
        case.save(update_fields=["data", "updated_at"])
        _attach_files(case, offered.fields(case.revision), result.data)
        audit_record(actor=actor, action="case.complete", organisation=case.organisation,
                     target=case, data={"number": case.number})
        target = next(t.target for t in workflow_of(case.revision.workflow).available(
            "info_requested", CITIZEN))
        return case_transition(actor=actor, case=case, to=target,
                               comment="Dossier complété par l'usager.")


def offered_for_case(case: Case) -> EffectiveProcedure:
    """Return the procedure as it was offered when the case was filed."""
    adoption = Adoption.objects.filter(template=case.procedure,
                                       organisation=case.organisation).first()
    offered = effective(case.procedure, adoption)
    # The case keeps the commune's extra fields as they were when it was filed.
    return EffectiveProcedure(**{**offered.__dict__, "extra_fields": list(case.extra_fields)})


def case_assign(*, actor: User, case: Case, agent: User | None) -> Case:
    """Assign a case to an agent who may process it (or unassign it)."""
    if not can(actor, PROCESS_CASE, case.organisation):
        raise TransitionRefused("Votre rôle ne permet pas d'attribuer ce dossier.")
    if agent is not None and not can(agent, PROCESS_CASE, case.organisation):
        raise ServiceError("Cet agent ne peut pas instruire les dossiers de cette organisation.",
                           code="invalid_agent")
    with transaction.atomic():
        case.assigned_to = agent
        case.save(update_fields=["assigned_to", "updated_at"])
        label = agent.display_name if agent else "personne"
        _event(case, actor=actor, kind=CaseEventKind.ASSIGNMENT, text=f"Attribué à {label}.")
        audit_record(actor=actor, action="case.assign", organisation=case.organisation,
                     target=case, data={"number": case.number,
                                        "agent": agent.email if agent else None})
    return case


def case_comment(*, actor: User, case: Case, text: str) -> CaseEvent:
    """Add a private comment, seen only by agents."""
    if not can(actor, PROCESS_CASE, case.organisation):
        raise TransitionRefused("Votre rôle ne permet pas de commenter ce dossier.")
    text = text.strip()
    if not text:
        raise ServiceError("Le commentaire est vide.", code="empty")
    with transaction.atomic():
        event = _event(case, actor=actor, kind=CaseEventKind.COMMENT, text=text[:5000])
        audit_record(actor=actor, action="case.comment", organisation=case.organisation,
                     target=case, data={"number": case.number})
    return event


def case_message(*, actor: User, case: Case, text: str) -> CaseEvent:
    """Send a message between the citizen and the agents; the other side is notified."""
    text = text.strip()
    if not text:
        raise ServiceError("Le message est vide.", code="empty")
    role = _actor_role(actor, case)
    if role is None:
        raise TransitionRefused("Vous ne pouvez pas écrire sur ce dossier.")
    with transaction.atomic():
        event = _event(case, actor=actor, kind=CaseEventKind.MESSAGE, text=text[:5000],
                       visible=True, from_citizen=role == CITIZEN)
        audit_record(actor=actor, action="case.message", organisation=case.organisation,
                     target=case, data={"number": case.number, "from_citizen": role == CITIZEN})
        if role == CASEWORKER:
            from . import acknowledgements

            acknowledgements.notify_message(case)
    return event


def case_document_add(*, actor: User, case: Case, blob: Blob, name: str,
                      visible_to_citizen: bool = True) -> CaseDocument:
    """Attach a document to a case (an agent's document)."""
    if not can(actor, PROCESS_CASE, case.organisation):
        raise TransitionRefused("Votre rôle ne permet pas de joindre un document à ce dossier.")
    safe_name = re.sub(r"[\x00-\x1f/\\]", "_", name)[:200] or "document"
    with transaction.atomic():
        document = CaseDocument.objects.create(case=case, blob=blob, kind=DocumentKind.AGENT,
                                               name=safe_name,
                                               visible_to_citizen=visible_to_citizen)
        _event(case, actor=actor, kind=CaseEventKind.DOCUMENT, text=f"Document joint : {safe_name}",
               visible=visible_to_citizen)
        audit_record(actor=actor, action="case.document_add", organisation=case.organisation,
                     target=case, data={"number": case.number, "sha256": blob.sha256})
    return document


def case_set_amount(*, actor: User, case: Case, amount: Decimal) -> Case:
    """Set the amount a citizen must pay (penalties, fees set by the agent)."""
    if not can(actor, PROCESS_CASE, case.organisation):
        raise TransitionRefused("Votre rôle ne permet pas de fixer un montant.")
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("Le montant doit être positif, au centime près.", code="invalid_amount")
    with transaction.atomic():
        case.amount_due = amount
        case.save(update_fields=["amount_due", "updated_at"])
        audit_record(actor=actor, action="case.amount", organisation=case.organisation,
                     target=case, data={"number": case.number, "amount": str(amount)})
    return case


def case_list_export(*, actor: User, filters: dict[str, Any]) -> None:
    """Journal that an agent exported a list of cases: personal data leaving the platform."""
    with transaction.atomic():
        audit_record(actor=actor, action="case.export", data={"filters": filters})


def case_confirm_email(*, case: Case) -> Case:
    """Record that the author of a case filed without an account confirmed their address."""
    if case.email_confirmed:
        return case
    with transaction.atomic():
        case.email_confirmed = True
        case.save(update_fields=["email_confirmed", "updated_at"])
        audit_record(actor=None, action="case.email_confirmed", organisation=case.organisation,
                     target=case, data={"number": case.number}, actor_label=case.email)
    return case


# ------------------------------------------------------------------ demo data

DEMO_PROCEDURES_DIR = Path(__file__).resolve().parent / "data" / "procedures"


@dataclass
class DemoLoadReport:
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    adoptions: int = 0
    groups: int = 0


def _demo_group_targets(document: dict[str, Any], owner: Organisation) -> list[tuple[Organisation, str]]:
    # Where the cases of this procedure can land, so that each place has the team it names.
    slug = str(document.get("group_slug") or "")
    if document.get("adopted_by"):
        return [(Organisation.objects.get(slug=row["organisation"]),
                 str((row.get("overrides") or {}).get("group_slug") or slug))
                for row in document["adopted_by"]]
    if document.get("routing") == Routing.ADDRESS_FIELD and owner.kind == OrganisationKind.EPCI:
        return [(commune, slug) for commune in
                Organisation.objects.filter(kind=OrganisationKind.COMMUNE)]
    return [(owner, slug)]


def demo_procedures_load(*, actor: User | None = None,
                         directory: Path | None = None) -> DemoLoadReport:
    """Load, publish and adopt the demo procedures; what already exists is left untouched.

    Files are ``socle-procedure/1`` exports plus ``organisation`` (the owner's slug),
    ``group_name`` and, for templates, ``adopted_by``. Without an actor (the
    ``socle demo`` command), the editor's role check is skipped for this loader only
    and the journal records no actor.
    """
    report = DemoLoadReport()
    system = _as_system_loader() if actor is None else nullcontext()
    with system, transaction.atomic():
        for path in sorted((directory or DEMO_PROCEDURES_DIR).glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            owner = Organisation.objects.filter(slug=document.get("organisation")).first()
            if owner is None:
                raise ServiceError(f"{path.name} : organisation « {document.get('organisation')} » "
                                   "inconnue ; chargez d'abord le territoire.", code="invalid")
            procedure = Procedure.objects.filter(slug=document["slug"]).first()
            if procedure is None:
                procedure = procedure_import(actor=actor, organisation=owner, document=document)
                procedure_publish(actor=actor, procedure=procedure)
                procedure.refresh_from_db()
                report.created.append(procedure.slug)
            else:
                report.present.append(procedure.slug)
            for row in document.get("adopted_by") or []:
                commune = Organisation.objects.get(slug=row["organisation"])
                if not Adoption.objects.filter(template=procedure, organisation=commune).exists():
                    adoption_set(actor=actor, template=procedure, organisation=commune,
                                 offered=bool(row.get("offered", True)),
                                 overrides=row.get("overrides") or {})
                    report.adoptions += 1
            for organisation, group_slug in _demo_group_targets(document, owner):
                if group_slug and not CaseworkerGroup.objects.filter(
                        organisation=organisation, slug=group_slug).exists():
                    caseworker_group_create(actor=actor, organisation=organisation,
                                            slug=group_slug,
                                            name=str(document.get("group_name") or group_slug))
                    report.groups += 1
    return report
