"""Consultations: who read which personal data or archive, kept off the journal's lock.

NF Z42-013 and the GDPR (art. 5-1-f, 32) ask that reads of personal data and archives be
traceable, not only writes. A chained journal event on every page an agent opens would
take the lock of the journal's head (decision 0003) on the hot path, and serialise every
request behind it. So (decision 0019):

``consultation_record(*, actor, action, organisation, target, data, ip_address)``
    One plain insert into ``Consultation``: no shared row, no read before it. Nothing is
    recorded without an authenticated actor. The action must be declared in a module's
    ``journal_actions``, like any journal action.
``consultations_fold(*, batch, limit) -> FoldReport``
    The ``core.consultations_fold`` job: oldest first, a batch at a time, in one
    transaction each, delete the rows and write them as chained journal events (the same
    actor reading the same object from the same address within a batch makes one event,
    its times listed in ``consulted_at``), all in one hold of the journal's head
    (``audit_record_many``). A batch another fold took first is rolled back.
    From then on the consultations are in the journal: chained, sealed, exported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .journal import AuditEntry, UndeclaredAction, audit_record_many, canonical_json
from .models import Consultation, Organisation, User
from .modules import journal_actions

FOLD_BATCH = 500
# A run of the job stays short (decision 0014); what is left waits for the next one.
FOLD_LIMIT = 100_000


class FoldConflict(RuntimeError):
    """Another fold took part of the batch first; this one was rolled back."""


@dataclass(frozen=True)
class FoldReport:
    consultations: int
    events: int


def _storable(value: Any) -> Any:
    """The value with every NUL character replaced (PostgreSQL's JSON refuses them, and a
    request's path may carry one, as an attacker's does)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def consultation_record(*, actor: User | None, action: str, organisation: Organisation | None,
                        target: models.Model, data: dict[str, Any] | None = None,
                        ip_address: str | None = None) -> Consultation | None:
    """Log that an agent read personal data or an archive; the journal takes it in later."""
    if actor is None or not getattr(actor, "pk", None):
        return None
    if action not in journal_actions():
        raise UndeclaredAction(f"Action de journal non déclarée : « {action} ».")
    return Consultation.objects.create(
        at=timezone.now(), actor=actor, actor_label=actor.email, organisation=organisation,
        organisation_slug=organisation.slug if organisation else "", action=action,
        target_type=target._meta.label_lower, target_id=str(target.pk)[:80],
        data=_storable(data or {}),
        ip_address=ip_address or None)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _grouped(rows: Iterable[Consultation]) -> list[list[Consultation]]:
    """Group the same reading repeated (a page reloaded), in the order of its first time."""
    groups: dict[tuple[Any, ...], list[Consultation]] = {}
    for row in rows:
        key = (row.actor_id, row.actor_label, row.organisation_id, row.organisation_slug,
               row.action, row.target_type, row.target_id, row.ip_address,
               canonical_json(row.data))
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def _fold_batch(batch: int) -> FoldReport:
    with transaction.atomic():
        rows = list(Consultation.objects.select_related("actor", "organisation")
                    .order_by("pk")[:batch])
        if not rows:
            return FoldReport(0, 0)
        # Deleted first: of two folds, the second deletes fewer rows than it read and
        # rolls back, so that no consultation enters the journal twice.
        taken, _ = Consultation.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if taken != len(rows):
            raise FoldConflict("Une autre exécution verse les mêmes consultations.")
        groups = _grouped(rows)
        audit_record_many([AuditEntry(
            actor=group[0].actor, actor_label=group[0].actor_label,
            organisation=group[0].organisation, action=group[0].action,
            target_ref=(group[0].target_type, group[0].target_id),
            data={**group[0].data, "consulted_at": [_when(row.at) for row in group]},
            ip_address=group[0].ip_address) for group in groups])
    return FoldReport(len(rows), len(groups))


def consultations_fold(*, batch: int = FOLD_BATCH, limit: int = FOLD_LIMIT) -> FoldReport:
    """Move the logged consultations into the chained journal, oldest first."""
    consultations = events = 0
    while consultations < limit:
        done = _fold_batch(min(batch, limit - consultations))
        if not done.consultations:
            break
        consultations += done.consultations
        events += done.events
    return FoldReport(consultations, events)


def consultations_pending() -> int:
    """Count the consultations not yet in the journal."""
    return Consultation.objects.count()
