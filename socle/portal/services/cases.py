"""A filed case's life: transitions, completion, assignment, messages, files, amount."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.access import can, organisations_for
from socle.core.consultations import consultation_record
from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Blob, Organisation, User
from socle.core.uploads import handles_in, uploads_consume

from .. import acknowledgements
from ..amounts import amount_label
from ..case_notices import notify_case_assigned, notify_citizen_message
from ..effective import EffectiveProcedure, effective
from ..ged_filing import case_documents_file_later
from ..models import (
    Adoption,
    Case,
    CaseDocument,
    CaseEvent,
    CaseEventKind,
    DocumentKind,
)
from ..workflow import (
    CASEWORKER,
    CITIZEN,
    SYSTEM,
    TransitionRefused,
    workflow_of,
)
from ._base import (
    PROCESS_CASE,
    CaseInvalid,
    _attach_files,
    _event,
    case_validate,
)


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
        if "request_info" in transition.actions and case.decision_due_on is not None:
            # An incomplete request suspends the delay (CRPA L114-5): it runs again, in
            # full, from the receipt of what was asked, as the acknowledgement says.
            case.decision_due_on = None
            update.append("decision_due_on")
        case.save(update_fields=update)
        _event(case, actor=actor, kind=CaseEventKind.STATUS, from_status=source, to_status=to,
               text=comment.strip(), visible=workflow.status(to).visible,
               from_citizen=role == CITIZEN)
        audit_record(actor=actor, action="case.transition", organisation=case.organisation,
                     target=case, data={"number": case.number, "from": source, "to": to,
                                        "comment": comment.strip()},
                     actor_label=f"plateforme:{system_role}" if actor is None and system_role
                     else "")
        acknowledgements.after_transition(case, transition, comment.strip(), actor=actor)
        case_documents_file_later(case)
    return case


def case_resubmit(*, actor: User, case: Case, data: Any) -> Case:
    """Let the citizen complete a case sent back for more information, then return it."""
    if case.citizen_id != actor.pk:
        raise TransitionRefused("Seul l'usager qui a déposé le dossier peut le compléter.")
    if case.status != "info_requested":
        raise Conflict("Ce dossier n'attend pas de complément de votre part.")
    offered = offered_for_case(case)
    result = case_validate(offered, data, actor=actor, held=case.data, revision=case.revision)
    if not result.ok:
        raise CaseInvalid(result.errors)
    with transaction.atomic():
        uploads_consume(actor=actor, handles=handles_in(data))
        case.data = result.data
        # The delay of decision runs again from the receipt of the completed request.
        case.decision_due_on = timezone.localdate() + timedelta(days=offered.implicit_decision_days)
        case.save(update_fields=["data", "decision_due_on", "updated_at"])
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
        if agent is not None:
            notify_case_assigned(case, agent=agent, actor=actor)
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
            acknowledgements.notify_message(case)
        else:
            notify_citizen_message(case, actor=actor)
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
    """Journal that an agent exported a list of cases: personal data leaving the platform.

    An export is rare and takes many people's data at once: it is chained at once, not
    logged as a consultation, once in the journal of each organisation whose cases it may
    hold, so that each commune's auditor sees it.
    """
    concerned = organisations_for(actor, "portal.view_case").order_by("path")
    if filters.get("organisation"):
        concerned = concerned.filter(slug=filters["organisation"])
    # Only those holding cases: a commune's services, or one with no case yet, have none.
    concerned = concerned.filter(pk__in=Case.objects.values("organisation_id"))
    organisations: list[Organisation | None] = list(concerned)
    slugs = [organisation.slug for organisation in organisations if organisation]
    with transaction.atomic():
        for organisation in organisations or [None]:  # none: the actor's own journal
            audit_record(actor=actor, action="case.export", organisation=organisation,
                         target_ref=("portal.case", ""),
                         data={"filters": filters, "organisations": slugs})


def case_consultation_record(*, actor: User | None, case: Case,
                             document: CaseDocument | None = None, via: str = "page",
                             ip_address: str | None = None) -> None:
    """Log that an agent read a case or one of its files; its own citizen leaves no trace."""
    if actor is None or actor.pk == case.citizen_id:
        return
    data: dict[str, Any] = {"number": case.number, "via": via}
    if document is None:
        consultation_record(actor=actor, action="case.consult", organisation=case.organisation,
                            target=case, data=data, ip_address=ip_address)
        return
    consultation_record(actor=actor, action="case.document_consult",
                        organisation=case.organisation, target=document,
                        data={**data, "kind": document.kind}, ip_address=ip_address)


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
