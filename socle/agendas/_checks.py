"""Checks every write of the agendas module makes: the actor's right, aware datetimes."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from socle.core.access import Actor, can
from socle.core.errors import Forbidden, ServiceError
from socle.core.models import Organisation


def _require(actor: Actor, permission: str, organisation: Organisation, message: str) -> None:
    # actor=None is the platform itself (demo loader, imports): always allowed.
    if actor is not None and not can(actor, permission, organisation):
        raise Forbidden(message)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")


def _aware(moment: datetime, field: str) -> datetime:
    if timezone.is_naive(moment):
        raise ServiceError(
            "Donnez l'heure avec son fuseau horaire (ISO 8601, par exemple 2026-03-02T09:00:00+01:00).",
            code="naive_datetime",
            errors={field: "Fuseau horaire manquant."},
        )
    return moment
