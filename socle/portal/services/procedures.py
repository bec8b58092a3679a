"""Procedures: create, edit, publish, withdraw, import; caseworker teams."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, OrganisationKind, User

from ..form_schema import DefinitionError, definition_parse
from ..models import (
    CaseworkerGroup,
    FeeKind,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
    Routing,
    SilenceMeans,
)
from ..workflow import (
    DEFAULT_WORKFLOW,
    WorkflowError,
    workflow_of,
)
from ._base import (
    EDIT_PROCEDURE,
    _require_editor,
    _system_loader,
)


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
