"""Checks every write of the agendas module makes: the actor's right, aware datetimes, the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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


def _slot_time_checked(agenda: Any, start: datetime, now: datetime) -> None:
    """Refuse a start off the grid's whole minutes, in the past or outside the booking window."""
    if start.second or start.microsecond:
        raise ServiceError(
            "Ce créneau ne fait pas partie de ceux proposés : choisissez-en un dans la liste.",
            code="invalid_slot",
            errors={"start": "Créneau non proposé."},
        )
    if start < now:
        raise ServiceError("Ce créneau est déjà passé.", code="past", errors={"start": "Créneau passé."})
    if start < now + timedelta(minutes=agenda.min_notice_minutes):
        hours = agenda.min_notice_minutes // 60
        raise ServiceError(
            f"Ce créneau est trop proche : réservez au moins {hours} h à l'avance."
            if hours
            else "Ce créneau est trop proche.",
            code="too_soon",
        )
    if start > now + timedelta(days=agenda.max_advance_days):
        raise ServiceError(
            f"On ne réserve pas plus de {agenda.max_advance_days} jours à l'avance.", code="too_far"
        )
