"""Workflows of procedures: statuses, the transitions allowed per role, their actions.

A workflow is JSON stored on each procedure revision, so a case follows the
workflow it was filed under. The default mirrors the French model: brouillon →
déposée → en instruction → acceptée / refusée / classée sans suite, with a
detour through "informations demandées" and, for paying procedures, payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socle.core.errors import Conflict

CITIZEN = "citizen"
CASEWORKER = "portal.caseworker"
# The platform itself, moving a case on no one's click (a filed case with a fixed fee
# goes straight to payment). No person holds this role.
SYSTEM = "system"

# Actions a transition may carry out.
ACTIONS = {
    "notify": "Prévenir l'usager par courriel",
    "request_info": "Renvoyer le dossier à l'usager pour compléments",
    "motivation": "Exiger une motivation écrite",
    "decision_pdf": "Produire la décision (PDF)",
    "attestation_pdf": "Produire une attestation (PDF)",
    "receipt_pdf": "Produire l'accusé de réception (PDF)",
    "require_payment": "Attendre le paiement",
    "close": "Clore le dossier",
}

DEFAULT_WORKFLOW: dict[str, Any] = {
    "initial": "draft",
    "statuses": [
        {"key": "draft", "label": "Brouillon", "citizen_label": "Brouillon", "visible": True},
        {"key": "submitted", "label": "Déposé", "citizen_label": "Demande déposée",
         "visible": True},
        {"key": "awaiting_payment", "label": "En attente de paiement",
         "citizen_label": "En attente de votre paiement", "visible": True},
        {"key": "in_instruction", "label": "En instruction",
         "citizen_label": "En cours d'instruction", "visible": True},
        {"key": "info_requested", "label": "Informations demandées",
         "citizen_label": "Des informations vous sont demandées", "visible": True},
        {"key": "accepted", "label": "Accepté", "citizen_label": "Demande acceptée",
         "visible": True, "final": True},
        {"key": "refused", "label": "Refusé", "citizen_label": "Demande refusée",
         "visible": True, "final": True},
        {"key": "closed", "label": "Classé sans suite", "citizen_label": "Classée sans suite",
         "visible": True, "final": True},
    ],
    "transitions": [
        {"from": "submitted", "to": "in_instruction", "roles": [CASEWORKER],
         "label": "Prendre en instruction", "actions": ["notify", "receipt_pdf"]},
        {"from": "submitted", "to": "awaiting_payment", "roles": [CASEWORKER, SYSTEM],
         "label": "Demander le paiement", "actions": ["notify", "require_payment"]},
        {"from": "awaiting_payment", "to": "in_instruction", "roles": ["payment"],
         "label": "Paiement reçu", "actions": ["notify"]},
        {"from": "in_instruction", "to": "info_requested", "roles": [CASEWORKER],
         "label": "Demander des informations", "actions": ["notify", "request_info",
                                                           "motivation"]},
        {"from": "info_requested", "to": "in_instruction", "roles": [CITIZEN],
         "label": "Renvoyer le dossier complété", "actions": []},
        {"from": "in_instruction", "to": "accepted", "roles": [CASEWORKER],
         "label": "Accepter", "actions": ["notify", "decision_pdf", "close"]},
        {"from": "in_instruction", "to": "refused", "roles": [CASEWORKER],
         "label": "Refuser", "actions": ["notify", "motivation", "decision_pdf", "close"]},
        {"from": "submitted", "to": "closed", "roles": [CASEWORKER],
         "label": "Classer sans suite", "actions": ["notify", "motivation", "close"]},
        {"from": "in_instruction", "to": "closed", "roles": [CASEWORKER],
         "label": "Classer sans suite", "actions": ["notify", "motivation", "close"]},
        {"from": "info_requested", "to": "closed", "roles": [CASEWORKER],
         "label": "Classer sans suite", "actions": ["notify", "motivation", "close"]},
    ],
}


class WorkflowError(ValueError):
    """A workflow definition that cannot be used (French message for its author)."""


class TransitionRefused(Conflict):
    """A move the workflow or the actor's role forbids, with a French message (HTTP 409)."""

    code = "transition_refused"


@dataclass(frozen=True)
class Status:
    key: str
    label: str
    citizen_label: str
    visible: bool
    final: bool


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: tuple[str, ...]
    label: str
    actions: tuple[str, ...]

    def allows(self, role: str) -> bool:
        return role in self.roles

    @property
    def needs_motivation(self) -> bool:
        return "motivation" in self.actions

    @property
    def requires_payment(self) -> bool:
        return "require_payment" in self.actions or self.target == "awaiting_payment"


class Workflow:
    """A parsed workflow definition."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        statuses = definition.get("statuses")
        transitions = definition.get("transitions")
        if not isinstance(statuses, list) or not isinstance(transitions, list):
            raise WorkflowError("Un circuit demande des statuts et des transitions.")
        self.statuses: dict[str, Status] = {}
        for raw in statuses:
            if not isinstance(raw, Mapping) or not raw.get("key"):
                raise WorkflowError("Chaque statut demande une clé.")
            key = str(raw["key"])
            label = str(raw.get("label") or key)
            self.statuses[key] = Status(key, label, str(raw.get("citizen_label") or label),
                                        bool(raw.get("visible", True)), bool(raw.get("final")))
        self.initial = str(definition.get("initial", "draft"))
        required = {self.initial, "submitted"}
        missing = required - set(self.statuses)
        if missing:
            raise WorkflowError(f"Statuts obligatoires absents : {', '.join(sorted(missing))}.")
        self.transitions: list[Transition] = []
        for raw in transitions:
            if not isinstance(raw, Mapping):
                raise WorkflowError("Chaque transition doit être un objet.")
            source, target = str(raw.get("from")), str(raw.get("to"))
            if source not in self.statuses or target not in self.statuses:
                raise WorkflowError(f"Transition {source} → {target} : statut inconnu.")
            actions = tuple(str(a) for a in raw.get("actions", []))
            unknown = set(actions) - set(ACTIONS)
            if unknown:
                raise WorkflowError(f"Actions inconnues : {', '.join(sorted(unknown))}.")
            self.transitions.append(Transition(
                source, target, tuple(str(r) for r in raw.get("roles", [])),
                str(raw.get("label") or self.statuses[target].label), actions))

    def status(self, key: str) -> Status:
        """Return a status; an unknown key (an old workflow) is shown as itself."""
        return self.statuses.get(key) or Status(key, key, key, True, False)

    def transition(self, source: str, target: str) -> Transition:
        """Return the transition from source to target, or raise TransitionRefused."""
        for transition in self.transitions:
            if transition.source == source and transition.target == target:
                return transition
        raise TransitionRefused(
            f"Le dossier ne peut pas passer de « {self.status(source).label} » à "
            f"« {self.status(target).label} »."
        )

    def available(self, source: str, role: str) -> list[Transition]:
        """Return the transitions a role may make from a status."""
        return [t for t in self.transitions if t.source == source and t.allows(role)]

    def citizen_status(self, key: str, history: list[str]) -> Status:
        """Return the status a citizen sees: the last visible one."""
        for candidate in [key, *reversed(history)]:
            status = self.status(candidate)
            if status.visible:
                return status
        return self.status("submitted")


def workflow_of(definition: Mapping[str, Any] | None) -> Workflow:
    """Return the workflow of a revision (the default one when the revision has none)."""
    return Workflow(definition or DEFAULT_WORKFLOW)
