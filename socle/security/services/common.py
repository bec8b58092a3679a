"""What the services share: the permission check and bounded texts."""

from __future__ import annotations

from socle.core.access import can
from socle.core.errors import Forbidden, ServiceError
from socle.core.models import Organisation, User


def require(actor: User | None, permission: str, organisation: Organisation) -> User:
    """Return the actor if they hold the permission on the organisation, else refuse."""
    if actor is None or not can(actor, permission, organisation):
        raise Forbidden("Votre rôle ne permet pas cette opération en sécurité informatique.")
    return actor


def text(value: str, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Return a stripped text, refusing an empty (when required) or an oversized one."""
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"{label} : ce champ est obligatoire.", code="invalid",
                           errors={field: "Ce champ est obligatoire."})
    if len(value) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid",
                           errors={field: f"{max_length} caractères au plus."})
    return value
