"""The journal: append-only, hash-chained audit events.

Each event stores the SHA-256 of the previous event and its own hash, computed
over a canonical JSON form of its content and the previous hash. Writers take
the lock of the single ``AuditChainHead`` row, so concurrent writers still
produce one chain, on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, Organisation, User
from .modules import journal_actions

GENESIS_HASH = "0" * 64


class UndeclaredAction(ValueError):
    """An action no module declares in its ``journal_actions``."""


def canonical_json(value: Any) -> str:
    """Serialise a value in the one form that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """Return the content of an event that its hash covers."""
    return {
        "seq": event.seq,
        "at": _timestamp(event.at),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "organisation": event.organisation_slug,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
        "ip": event.ip_address or "",
        "prev": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    """Compute the hash an event must carry."""
    return hashlib.sha256(canonical_json(event_payload(event)).encode()).hexdigest()


def _head_lock(count: int = 1) -> AuditChainHead:
    # The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite,
    # before anything is read: the next writer waits for our commit.
    updated = AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + count)
    if not updated:
        AuditChainHead.objects.get_or_create(pk=1)
        AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + count)
    return AuditChainHead.objects.get(pk=1)


@dataclass(frozen=True)
class AuditEntry:
    """One event to append, as ``audit_record``'s arguments say it."""

    actor: User | None
    action: str
    organisation: Organisation | None = None
    target: models.Model | None = None
    data: dict[str, Any] | None = None
    ip_address: str | None = None
    actor_label: str = ""
    target_ref: tuple[str, str] | None = None


def _checked(entry: AuditEntry) -> None:
    if entry.action not in journal_actions():
        raise UndeclaredAction(f"Action de journal non déclarée : « {entry.action} ».")


def _event(entry: AuditEntry, *, seq: int, prev_hash: str, at: datetime) -> AuditEvent:
    actor = entry.actor if entry.actor is not None and getattr(entry.actor, "pk", None) else None
    target, organisation = entry.target, entry.organisation
    reference = entry.target_ref or ("", "")
    event = AuditEvent(
        seq=seq,
        # Milliseconds: the precision every serialiser keeps (Django's JSON dumps
        # drop microseconds), so a dump and reload leaves every hash intact.
        at=at.replace(microsecond=at.microsecond // 1000 * 1000),
        actor=actor,
        actor_label=entry.actor_label or (actor.email if actor else ""),
        organisation=organisation,
        organisation_slug=organisation.slug if organisation else "",
        action=entry.action,
        target_type=target._meta.label_lower if target is not None else reference[0],
        target_id=str(target.pk) if target is not None else reference[1],
        # Round-trip through JSON so the stored form is the hashed form.
        data=json.loads(canonical_json(_storable(entry.data or {}))),
        ip_address=entry.ip_address or None,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    return event


def audit_record(
    *,
    actor: User | None,
    action: str,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
    actor_label: str = "",
    target_ref: tuple[str, str] | None = None,
) -> AuditEvent:
    """Append one event to the journal, inside the caller's transaction.

    The action must be declared by a module (``journal_actions`` in its module.py): an
    action that is not declared does not exist, and writing one is a programming error.
    ``target_ref`` (type label, id) names a target known only by reference, as a folded
    consultation does.
    """
    entry = AuditEntry(actor=actor, action=action, organisation=organisation, target=target,
                       data=data, ip_address=ip_address, actor_label=actor_label,
                       target_ref=target_ref)
    _checked(entry)
    with transaction.atomic():
        head = _head_lock()
        event = _event(entry, seq=head.seq, prev_hash=head.last_hash, at=timezone.now())
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_hash=event.hash)
    return event


def audit_record_many(entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append several events in one hold of the journal's head, in their order (a batch job)."""
    for entry in entries:
        _checked(entry)
    if not entries:
        return []
    with transaction.atomic():
        # One UPDATE reserves the numbers of the whole batch: the head is held once, for
        # the time of one bulk insert, not once per event.
        head = _head_lock(len(entries))
        seq, prev_hash, now = head.seq - len(entries) + 1, head.last_hash, timezone.now()
        events = []
        for offset, entry in enumerate(entries):
            event = _event(entry, seq=seq + offset, prev_hash=prev_hash, at=now)
            prev_hash = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev_hash)
    return events


def _storable(value: Any) -> Any:
    """Return the value with every NUL replaced by U+FFFD: PostgreSQL's JSON holds no NUL.

    Journal data often quotes what a client sent (a path, a name); a hostile NUL must not
    turn the record of a request into a database error, nor vanish from the record.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_seq: int
    last_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _events(batch: int = 2000) -> Iterator[AuditEvent]:
    last = -1
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def audit_verify() -> ChainReport:
    """Walk the whole chain and report the first event that breaks it."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _events():
        if event.seq != expected_seq:
            reason = (
                f"événement manquant : numéro {expected_seq} attendu, {event.seq} trouvé"
                if event.seq > expected_seq
                else f"numéro {event.seq} inattendu"
            )
            return ChainReport(checked, expected_seq - 1, expected_prev,
                               ChainBreak(event.seq, event.pk, reason))
        if event.prev_hash != expected_prev:
            return ChainReport(checked, expected_seq - 1, expected_prev, ChainBreak(
                event.seq, event.pk, "le lien vers l'événement précédent est rompu"))
        if event_hash(event) != event.hash:
            return ChainReport(checked, expected_seq - 1, expected_prev, ChainBreak(
                event.seq, event.pk, "le contenu a été modifié (empreinte différente)"))
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and checked and head.last_hash != expected_prev:
        return ChainReport(checked, expected_seq - 1, expected_prev, ChainBreak(
            expected_seq, None,
            "des événements de fin de journal ont disparu (la tête du journal ne correspond pas)"))
    return ChainReport(checked, expected_seq - 1, expected_prev, None)
