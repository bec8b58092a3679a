"""Checks every write of the GDPR register makes: the actor's right, texts and choices."""

from __future__ import annotations

from typing import Any

from socle.core.access import can
from socle.core.errors import Forbidden, ServiceError
from socle.core.models import Organisation, User


def _require(actor: User | None, permission: str, organisation: Organisation) -> User:
    if actor is None or not can(actor, permission, organisation):
        raise Forbidden("Votre rôle ne permet pas cette opération sur le registre RGPD de "
                        "cette structure.")
    return actor


def _text(value: Any, label: str, max_length: int, *, required: bool = False,
          name: str = "") -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ServiceError(f"{label} est obligatoire.", code="invalid",
                           errors={name: f"{label} est obligatoire."} if name else None)
    if len(text) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid",
                           errors={name: f"{label} dépasse {max_length} caractères."} if name else None)
    return text


def _choice(value: str, choices: Any, label: str, name: str) -> str:
    if value not in choices.values:
        raise ServiceError(f"{label} n'est pas une valeur possible.", code="invalid",
                           errors={name: f"Choisissez {label.lower()} dans la liste."})
    return value
