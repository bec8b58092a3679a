"""Validation circuits: visa and signature steps a document goes through before it is frozen.

``circuit_start(*, actor, document, steps) -> Circuit``
    Steps are ``StepSpec`` (kind, an agent or a role, order, deadline); steps sharing an
    order run in parallel and all must approve. The document is locked (``in_circuit``).
``step_decide(*, actor, step, decision, comment="") -> CircuitStep``
    Only the step's agent, a holder of its role on its organisation, or the current
    delegate of one of them (journaled "on behalf of") may decide, and only once the
    earlier steps are approved. A rejection closes the circuit and unlocks the document
    (back to draft); the last approval freezes the current version (status ``frozen``).
``circuit_cancel(*, actor, circuit)``: unlocks the document.
``delegation_set(*, actor, delegate, starts_on, ends_on) -> Delegation``
``circuit_remind_overdue(*, today=None) -> list[Reminder]``
    Once a day, emails the people who may decide each step awaiting a decision past its
    deadline (its agent or the holders of its role, and their current delegates) and the
    circuit's initiator (command ``socle documents remind-overdue``).

Refusals are ``CircuitRefused`` (a ``ServiceError``): ``forbidden``, ``locked``,
``invalid_steps``, ``not_current``, ``already_decided``, ``closed``, ``invalid_delegation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from socle.core.access import Actor, can, granted_paths, scope
from socle.core.journal import audit_record
from socle.core.letters import french_date
from socle.core.models import Membership, Organisation, User
from socle.core.modules import WorkItem, object_ref
from socle.core.notices import notice_send, unread_refs
from socle.core.notifications import email_notify
from socle.core.roles import all_roles
from socle.core.services import ServiceError

from .models import (
    Circuit,
    CircuitStatus,
    CircuitStep,
    Delegation,
    Document,
    DocumentStatus,
    StepDecision,
    StepKind,
)
from .selectors import EDIT, VIEW, _ancestor_paths

MAX_STEPS = 30


class CircuitRefused(ServiceError):
    """A refusal of a circuit operation, in French, with a code."""


@dataclass
class StepSpec:
    kind: str = StepKind.VISA
    assignee: User | None = None
    role: str = ""
    order: int = 1
    deadline: date | None = None


# ---------------------------------------------------------------- who may decide


def _holds_role(user: User, role: str, organisation: Organisation) -> bool:
    return Membership.objects.filter(
        user=user, role=role, revoked_at__isnull=True,
        organisation__path__in=_ancestor_paths(organisation.path)).exists()


def _may_decide_in_own_name(user: User, step: CircuitStep) -> bool:
    if step.assignee_id is not None:
        return step.assignee_id == user.pk
    organisation = step.role_organisation or step.circuit.organisation
    return _holds_role(user, step.role, organisation)


def delegators_of(actor: User, today: date | None = None) -> list[User]:
    """Return the agents whose delegation to the actor is current today."""
    today = today or timezone.localdate()
    return [d.user for d in Delegation.objects.filter(
        delegate=actor, starts_on__lte=today, ends_on__gte=today, revoked_at__isnull=True,
    ).select_related("user")]


def authority_for(actor: Actor, step: CircuitStep, today: date | None = None) -> tuple[bool, User | None]:
    """Tell whether the actor may decide the step, and for whom when it is as a delegate."""
    if actor is None or not actor.is_authenticated or not isinstance(actor, User):
        return False, None
    if _may_decide_in_own_name(actor, step):
        return True, None
    # A delegate decides only what they could hold themselves: the document's organisation
    # must be within their own roles (the same commune, or a mutualised role covering it).
    if not can(actor, VIEW, step.circuit.organisation):
        return False, None
    for absent in delegators_of(actor, today):
        if _may_decide_in_own_name(absent, step):
            return True, absent
    return False, None


def current_order(circuit: Circuit) -> int | None:
    """Return the order of the steps awaiting a decision now (the lowest undecided one)."""
    return (circuit.steps.filter(decision=StepDecision.PENDING).order_by("order")
            .values_list("order", flat=True).first())


# ---------------------------------------------------------------- reads


def circuits_for(actor: Actor) -> QuerySet[Circuit]:
    """Return the circuits of the documents' organisations the actor may see."""
    return scope(Circuit.objects.select_related("document", "organisation", "started_by"), actor, VIEW)


def steps_awaiting(actor: Actor, today: date | None = None) -> list[CircuitStep]:
    """Return the steps awaiting the actor's decision, or that of an agent they stand in for."""
    if actor is None or not actor.is_authenticated or not isinstance(actor, User):
        return []
    people = [actor, *delegators_of(actor, today)]
    grants = Membership.objects.filter(user__in=people, revoked_at__isnull=True).values_list(
        "role", "organisation__path")
    condition = Q(assignee__in=people)
    for role, path in grants:
        condition |= Q(assignee__isnull=True, role=role, role_organisation__path__startswith=path)
    candidates = (CircuitStep.objects.filter(condition, circuit__status=CircuitStatus.RUNNING,
                                             decision=StepDecision.PENDING)
                  .select_related("circuit__document", "circuit__organisation", "assignee",
                                  "role_organisation")
                  .order_by("deadline", "circuit_id", "order"))
    current: dict[int, int | None] = {}
    awaiting = []
    for step in candidates:
        if step.circuit_id not in current:
            current[step.circuit_id] = current_order(step.circuit)
        if step.order == current[step.circuit_id] and authority_for(actor, step, today)[0]:
            awaiting.append(step)
    return awaiting


def steps_overdue(actor: Actor, today: date | None = None) -> QuerySet[CircuitStep]:
    """Return the undecided steps past their deadline in the circuits the actor may see."""
    today = today or timezone.localdate()
    return (CircuitStep.objects.filter(
        circuit__in=circuits_for(actor).filter(status=CircuitStatus.RUNNING),
        decision=StepDecision.PENDING, deadline__lt=today)
        .select_related("circuit__document", "assignee", "role_organisation")
        .order_by("deadline", "id"))


def step_get_for(actor: Actor, step_id: object) -> CircuitStep:
    """Return a step the actor may decide now, or 404 (a step of another commune does not exist)."""
    from django.http import Http404

    try:
        step_pk = int(str(step_id))
    except ValueError:
        raise Http404("Introuvable.") from None
    for step in steps_awaiting(actor):
        if step.pk == step_pk:
            return step
    raise Http404("Introuvable.")


# ---------------------------------------------------------------- writes


def _clean_steps(document: Document, steps: Sequence[StepSpec]) -> list[StepSpec]:
    if not steps:
        raise CircuitRefused("Indiquez au moins une étape.", code="invalid_steps")
    if len(steps) > MAX_STEPS:
        raise CircuitRefused(f"Un circuit compte au plus {MAX_STEPS} étapes.", code="invalid_steps")
    for index, spec in enumerate(steps, start=1):
        if spec.kind not in StepKind.values:
            raise CircuitRefused(f"Étape {index} : type d'étape inconnu.", code="invalid_steps")
        if (spec.assignee is None) == (not spec.role):
            raise CircuitRefused(f"Étape {index} : indiquez un agent ou un rôle, pas les deux.",
                                 code="invalid_steps")
        if spec.role and spec.role not in all_roles():
            raise CircuitRefused(f"Étape {index} : rôle inconnu « {spec.role} ».", code="invalid_steps")
        if spec.assignee is not None and not can(spec.assignee, VIEW, document.organisation):
            raise CircuitRefused(f"Étape {index} : {spec.assignee.email} ne peut pas consulter les "
                                 "documents de cette organisation.", code="invalid_steps")
        if spec.order < 1:
            raise CircuitRefused(f"Étape {index} : l'ordre commence à 1.", code="invalid_steps")
    return sorted(steps, key=lambda s: s.order)


def circuit_start(*, actor: User | None, document: Document, steps: Sequence[StepSpec]) -> Circuit:
    """Send a draft document through the steps; it stays locked until the circuit ends."""
    if actor is not None and not can(actor, EDIT, document.organisation):
        raise CircuitRefused("Vous n'avez pas le droit d'envoyer ce document en circuit.",
                             code="forbidden")
    specs = _clean_steps(document, steps)
    with transaction.atomic():
        locked = Document.objects.select_for_update().select_related("organisation").get(pk=document.pk)
        if locked.locked or locked.status != DocumentStatus.DRAFT:
            raise CircuitRefused("Ce document est déjà en circuit ou figé : il ne peut pas être "
                                 "envoyé en circuit.", code="locked")
        circuit = Circuit.objects.create(document=locked, organisation=locked.organisation,
                                         started_by=actor)
        CircuitStep.objects.bulk_create([
            CircuitStep(circuit=circuit, order=spec.order, kind=spec.kind, assignee=spec.assignee,
                        role=spec.role,
                        role_organisation=locked.organisation if spec.role else None,
                        deadline=spec.deadline)
            for spec in specs])
        locked.status = DocumentStatus.IN_CIRCUIT
        locked.locked = True
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "locked", "updated_at"])
        audit_record(actor=actor, action="documents.circuit_start", organisation=locked.organisation,
                     target=circuit, data={
                         "document": locked.pk,
                         "steps": [{"order": s.order, "kind": s.kind, "role": s.role,
                                    "assignee": s.assignee.pk if s.assignee else None,
                                    "deadline": s.deadline.isoformat() if s.deadline else None}
                                   for s in specs]})
        _announce_current(circuit, actor=actor)
    document.status, document.locked = locked.status, locked.locked
    return circuit


def _close(circuit: Circuit, status: str, document: Document) -> None:
    circuit.status = status
    circuit.closed_at = timezone.now()
    if status == CircuitStatus.APPROVED:
        circuit.final_version_id = document.current_version_id
        document.status = DocumentStatus.FROZEN
        document.locked = True
    else:
        document.status = DocumentStatus.DRAFT
        document.locked = False
    circuit.save(update_fields=["status", "closed_at", "final_version"])
    document.updated_at = timezone.now()
    document.save(update_fields=["status", "locked", "updated_at"])


def step_decide(*, actor: User, step: CircuitStep, decision: str, comment: str = "") -> CircuitStep:
    """Record the actor's decision on a step of the current order."""
    if decision not in (StepDecision.APPROVED, StepDecision.REJECTED):
        raise CircuitRefused("Choisissez d'approuver ou de refuser.", code="invalid_decision")
    comment = comment.strip()[:2000]
    if decision == StepDecision.REJECTED and not comment:
        raise CircuitRefused("Expliquez le refus dans le commentaire.", code="invalid_decision")
    with transaction.atomic():
        circuit = Circuit.objects.select_for_update().select_related("organisation").get(
            pk=step.circuit_id)
        current = CircuitStep.objects.select_related("circuit__organisation", "role_organisation").get(
            pk=step.pk)
        if circuit.status != CircuitStatus.RUNNING:
            raise CircuitRefused("Ce circuit est terminé.", code="closed")
        if current.decision:
            raise CircuitRefused("Cette étape a déjà été décidée.", code="already_decided")
        allowed, absent = authority_for(actor, current)
        if not allowed:
            raise CircuitRefused("Cette étape ne vous est pas attribuée.", code="forbidden")
        if current.order != current_order(circuit):
            raise CircuitRefused("Les étapes précédentes doivent d'abord être approuvées.",
                                 code="not_current")
        current.decision = decision
        current.comment = comment
        current.decided_by = actor
        current.on_behalf_of = absent
        current.decided_at = timezone.now()
        current.save(update_fields=["decision", "comment", "decided_by", "on_behalf_of", "decided_at"])
        document = Document.objects.select_for_update().get(pk=circuit.document_id)
        if decision == StepDecision.REJECTED:
            _close(circuit, CircuitStatus.REJECTED, document)
            _announce_rejection(circuit, current, actor=actor)
        elif current_order(circuit) is None:
            _close(circuit, CircuitStatus.APPROVED, document)
        elif current_order(circuit) != current.order:
            _announce_current(circuit, actor=actor)
        audit_record(actor=actor, action="documents.step_decide", organisation=circuit.organisation,
                     target=current, data={
                         "circuit": circuit.pk, "document": document.pk, "order": current.order,
                         "kind": current.kind, "decision": decision, "comment": comment,
                         "on_behalf_of": absent.email if absent else None,
                         "circuit_status": circuit.status,
                         "final_version": circuit.final_version_id})
    step.refresh_from_db()
    return current


def circuit_cancel(*, actor: User | None, circuit: Circuit) -> Circuit:
    """Stop a running circuit; the document goes back to draft, unlocked."""
    if actor is not None and not (can(actor, EDIT, circuit.organisation)
                                  or actor.pk == circuit.started_by_id):
        raise CircuitRefused("Vous n'avez pas le droit d'annuler ce circuit.", code="forbidden")
    with transaction.atomic():
        locked = Circuit.objects.select_for_update().get(pk=circuit.pk)
        if locked.status != CircuitStatus.RUNNING:
            raise CircuitRefused("Ce circuit est terminé.", code="closed")
        document = Document.objects.select_for_update().get(pk=locked.document_id)
        _close(locked, CircuitStatus.CANCELLED, document)
        audit_record(actor=actor, action="documents.circuit_cancel", organisation=circuit.organisation,
                     target=locked, data={"document": document.pk})
    circuit.refresh_from_db()
    return locked


def delegation_set(*, actor: User, delegate: User, starts_on: date, ends_on: date) -> Delegation:
    """Let the delegate decide the actor's steps between two dates (an absence)."""
    if delegate.pk == actor.pk:
        raise CircuitRefused("Vous ne pouvez pas vous déléguer à vous-même.",
                             code="invalid_delegation")
    if ends_on < starts_on:
        raise CircuitRefused("La fin de l'absence précède son début.", code="invalid_delegation")
    if not delegate.is_active:
        raise CircuitRefused("Ce compte est désactivé.", code="invalid_delegation")
    mine, theirs = granted_paths(actor, VIEW), granted_paths(delegate, VIEW)
    if not any(path.startswith(covering) for path in mine for covering in theirs):
        raise CircuitRefused("Cette personne ne peut pas vous suppléer : elle n'a pas de rôle "
                             "sur les documents de votre organisation.", code="invalid_delegation")
    with transaction.atomic():
        delegation = Delegation.objects.create(user=actor, delegate=delegate, starts_on=starts_on,
                                               ends_on=ends_on)
        audit_record(actor=actor, action="documents.delegation_set", target=delegation,
                     data={"delegate": delegate.email, "starts_on": starts_on.isoformat(),
                           "ends_on": ends_on.isoformat()})
    return delegation


def delegation_revoke(*, actor: User, delegation: Delegation) -> None:
    """End a delegation the actor gave."""
    if delegation.user_id != actor.pk:
        raise CircuitRefused("Cette délégation n'est pas la vôtre.", code="forbidden")
    with transaction.atomic():
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="documents.delegation_revoke", target=delegation,
                     data={"delegate": delegation.delegate_id})


def delegations_of(actor: User) -> QuerySet[Delegation]:
    """Return the delegations the actor gave and has not revoked."""
    return Delegation.objects.filter(user=actor, revoked_at__isnull=True).select_related("delegate")


# ---------------------------------------------------------------- reminders


@dataclass
class Reminder:
    """One overdue step reminded, and the addresses the reminder went to."""

    step: CircuitStep
    recipients: list[str] = field(default_factory=list)


def _deciders(step: CircuitStep) -> list[User]:
    if step.assignee_id is not None:
        return [step.assignee] if step.assignee is not None else []
    organisation = step.role_organisation or step.circuit.organisation
    return list(User.objects.filter(
        memberships__role=step.role, memberships__revoked_at__isnull=True,
        memberships__organisation__path__in=_ancestor_paths(organisation.path)).distinct()
        .order_by("email"))


def _announce_current(circuit: Circuit, *, actor: User | None) -> None:
    """Tell those who decide the circuit's current steps that a visa or signature awaits them."""
    order = current_order(circuit)
    if order is None:
        return
    steps = (CircuitStep.objects.filter(circuit=circuit, order=order, decision=StepDecision.PENDING)
             .select_related("circuit__document", "circuit__organisation", "assignee",
                             "role_organisation"))
    for step in steps:
        what = "Signature demandée" if step.kind == StepKind.SIGNATURE else "Visa demandé"
        deadline = f", avant le {step.deadline:%d/%m/%Y}" if step.deadline else ""
        notice_send(kind="documents.step_awaiting", recipients=_deciders(step), actor=actor,
                    title=f"{what} : « {step.circuit.document.title[:150]} »{deadline}",
                    url=f"/documents/visas/{step.pk}", ref=object_ref("documents.step", step.pk),
                    organisation=step.circuit.organisation)


def _announce_rejection(circuit: Circuit, step: CircuitStep, *, actor: User) -> None:
    """Tell whoever sent the document through the circuit that it was refused, and why."""
    if circuit.started_by is None:
        return
    notice_send(kind="documents.circuit_rejected", recipients=[circuit.started_by], actor=actor,
                title=f"Document refusé : « {circuit.document.title[:150]} »",
                url=f"/documents/{circuit.document_id}/", ref=object_ref("documents.document",
                                                                         circuit.document_id),
                organisation=circuit.organisation, body=f"Motif : {step.comment}")


def work_steps(*, actor: Actor, limit: int) -> list[WorkItem]:
    """ "Mes tâches": the visas and signatures awaiting the agent (or one they stand in for)."""
    today = timezone.localdate()
    steps = steps_awaiting(actor, today)[:limit]
    unread = (unread_refs(actor=actor, refs=[object_ref("documents.step", s.pk) for s in steps])
              if isinstance(actor, User) else set())
    items = []
    for step in steps:
        what = "Signature" if step.kind == StepKind.SIGNATURE else "Visa"
        detail = step.circuit.organisation.name
        if step.deadline:
            detail += f" · à donner avant le {step.deadline:%d/%m/%Y}" + (
                " (en retard)" if step.deadline < today else "")
        items.append(WorkItem(title=f"{what} : « {step.circuit.document.title} »",
                              url=f"/documents/visas/{step.pk}", since=step.circuit.started_at,
                              detail=detail,
                              unread=object_ref("documents.step", step.pk) in unread))
    return items


def _reminder_people(step: CircuitStep, today: date) -> dict[str, tuple[str, bool]]:
    """Return each active recipient's address, the line telling them why, and whether they decide."""
    deciders = _deciders(step)
    people: dict[str, tuple[str, bool]] = {}
    for person in deciders:
        if person.is_active:
            people.setdefault(person.email, ("Cette étape vous est attribuée : elle attend votre "
                                             "décision.", True))
    delegations = Delegation.objects.filter(
        user__in=deciders, starts_on__lte=today, ends_on__gte=today, revoked_at__isnull=True,
    ).select_related("user", "delegate").order_by("delegate__email")
    for delegation in delegations:
        if delegation.delegate.is_active:
            people.setdefault(delegation.delegate.email,
                              (f"Vous remplacez {delegation.user.display_name} pendant son absence : "
                               "vous pouvez décider cette étape à sa place.", True))
    initiator = step.circuit.started_by
    if initiator is not None and initiator.is_active:
        people.setdefault(initiator.email, ("Vous avez lancé ce circuit de validation.", False))
    return people


def _reminder_body(step: CircuitStep, why: str, today: date, decides: bool) -> str:
    circuit = step.circuit
    document = circuit.document
    assert step.deadline is not None
    late = (today - step.deadline).days
    link = settings.BASE_URL + (reverse("documents:visas") if decides else
                                reverse("documents:detail", args=[document.pk]))
    started_by = f" par {circuit.started_by.display_name}" if circuit.started_by else ""
    return (f"Bonjour,\n\n{why}\n\n"
            f"Document : « {document.title} » ({circuit.organisation.name})\n"
            f"Étape : {step.get_kind_display().lower()} n° {step.order}, attribuée à "
            f"{step.assignee_label}\n"
            f"Échéance : {french_date(step.deadline)}, dépassée de {late} jour{'s' if late > 1 else ''}\n"
            f"Circuit lancé le {french_date(circuit.started_at)}{started_by}\n\n"
            f"{'Décider' if decides else 'Suivre le circuit'} : {link}\n")


def circuit_remind_overdue(*, today: date | None = None) -> list[Reminder]:
    """Remind each step awaiting a decision past its deadline, at most once a day, by email."""
    today = today or timezone.localdate()
    candidates = (CircuitStep.objects.filter(
        circuit__status=CircuitStatus.RUNNING, decision=StepDecision.PENDING, deadline__lt=today)
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .values_list("pk", "circuit_id").order_by("deadline", "pk"))
    reminders = []
    for pk, circuit_id in list(candidates):
        with transaction.atomic():
            step = (CircuitStep.objects.select_related(
                "circuit__document", "circuit__organisation", "circuit__started_by", "assignee",
                "role_organisation").filter(pk=pk).first())
            # A later step cannot be decided yet: its agents hear of it when its turn comes.
            if step is None or step.order != current_order(step.circuit):
                continue
            # The conditional update is the claim: a concurrent run reminds each step once.
            claimed = (CircuitStep.objects.filter(pk=pk, decision=StepDecision.PENDING,
                                                  circuit__status=CircuitStatus.RUNNING)
                       .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
                       .update(reminded_on=today))
            if not claimed:
                continue
            people = _reminder_people(step, today)
            for address, (why, decides) in people.items():
                email_notify(to=[address],
                             subject=f"Étape en retard : « {step.circuit.document.title[:120]} »",
                             body=_reminder_body(step, why, today, decides))
            recipients = sorted(people)
            audit_record(actor=None, action="documents.step_remind",
                         organisation=step.circuit.organisation, target=step,
                         data={"circuit": circuit_id, "document": step.circuit.document_id,
                               "order": step.order, "deadline": step.deadline.isoformat()
                               if step.deadline else None, "notified": recipients},
                         actor_label="système")
            reminders.append(Reminder(step, recipients))
    return reminders
