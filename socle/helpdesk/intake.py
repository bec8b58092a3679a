"""Email intake: a message sent to the helpdesk's address becomes a ticket, or a follow-up
of the ticket whose number it carries in its subject (``[#2026-00042]``).

What is not a person writing is refused and never answered: delivery reports (bounces),
automatic replies (``Auto-Submitted``, ``Precedence``, ``X-Autoreply``...), and loops
(our own address as sender, or a sender writing faster than a person does). Every
message is kept once by its Message-ID, so a mailbox read twice opens nothing twice.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from socle.core.blobs import BlobRefused, blob_put
from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import User

from . import selectors, services
from .models import (
    Attachment,
    Category,
    Channel,
    Followup,
    IntakeMessage,
    IntakeOutcome,
    Kind,
    Status,
    Ticket,
)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
# More messages than this from one sender in an hour is a machine, not a person.
STORM_PER_HOUR = 20
TAG = re.compile(r"\[#(\d{4}-\d{5,9})\]")
REPLY_PREFIX = re.compile(r"^\s*((re|tr|fwd?|aw|réf)\s*:\s*)+", re.IGNORECASE)
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


@dataclass(frozen=True)
class IntakeResult:
    outcome: str
    ticket: Ticket | None = None
    duplicate: bool = False

    @property
    def accepted(self) -> bool:
        return self.outcome in (IntakeOutcome.TICKET, IntakeOutcome.FOLLOWUP)


def helpdesk_address() -> str:
    """Return the helpdesk mailbox's own address (a message from it is a loop)."""
    return (os.environ.get("SOCLE_HELPDESK_ADDRESS", "")
            or getattr(settings, "DEFAULT_FROM_EMAIL", "")).strip().lower()


def _is_bounce(message: EmailMessage, sender: str) -> bool:
    content_type = message.get_content_type()
    if content_type == "multipart/report" or message.get("X-Failed-Recipients"):
        return True
    if str(message.get("Return-Path", "")).strip() == "<>":
        return True
    return sender.split("@", 1)[0] in BOUNCE_SENDERS


def _is_auto_reply(message: EmailMessage) -> bool:
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return True
    return any(message.get(header) is not None for header in AUTO_HEADERS)


def _is_loop(message: EmailMessage, sender: str) -> bool:
    own = helpdesk_address()
    if own and sender == parseaddr(own)[1].lower():
        return True
    if message.get("X-Socle-Helpdesk") is not None:
        return True
    since = timezone.now() - timedelta(hours=1)
    return IntakeMessage.objects.filter(sender=sender, at__gte=since).count() >= STORM_PER_HOUR


def classify(message: EmailMessage, sender: str) -> str | None:
    """Return why a message is refused (an ``IntakeOutcome``), or None for a person's mail."""
    if _is_bounce(message, sender):
        return IntakeOutcome.BOUNCE
    if _is_auto_reply(message):
        return IntakeOutcome.AUTO_REPLY
    if _is_loop(message, sender):
        return IntakeOutcome.LOOP
    return None


def message_text(message: EmailMessage) -> str:
    """Return the message's text: its plain part, or its HTML part stripped of tags."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        content = strip_tags(content)
    return str(content).replace("\x00", "").strip()[:20000]


# What a person joins to a ticket: documents and screenshots, never something that runs.
ATTACHMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                              "image/webp", "text/plain", "text/csv"})
MAX_ATTACHMENTS = 10


def _safe_name(name: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", name or "").strip()[:200] or "piece-jointe"


def _stored(message: EmailMessage) -> tuple[list[tuple[str, Any]], list[str]]:
    """Store the message's attachments as blobs; return them (name, blob) and the names of
    those refused (a type that could run, too many)."""
    kept, refused = [], []
    for index, part in enumerate(message.iter_attachments()):
        name = _safe_name(str(part.get_filename() or ""))
        payload = part.get_payload(decode=True)
        if index >= MAX_ATTACHMENTS or not isinstance(payload, bytes):
            refused.append(name)
            continue
        try:
            kept.append((name, blob_put(stream=[payload], allowed_types=ATTACHMENT_TYPES).blob))
        except BlobRefused:
            refused.append(name)
    return kept, refused


def _attach(kept: list[tuple[str, Any]], ticket: Ticket, followup: Followup | None) -> None:
    Attachment.objects.bulk_create([Attachment(ticket=ticket, followup=followup, blob=blob,
                                               name=name) for name, blob in kept])


def _refusal_note(refused: list[str]) -> str:
    return ("\n\n[Pièces jointes non reprises (type refusé ou trop nombreuses) : "
            + ", ".join(refused) + "]") if refused else ""


def _message_id(message: EmailMessage, raw: bytes) -> str:
    given = str(message.get("Message-ID", "")).strip()
    return given[:255] if given else f"<sha256-{hashlib.sha256(raw).hexdigest()}@socle>"


def _sender_user(sender: str) -> User | None:
    if not sender:
        return None
    return User.objects.filter(email__iexact=sender, is_active=True).first()


def _record(message_id: str, sender: str, subject: str, outcome: str,
            ticket: Ticket | None = None) -> IntakeResult:
    IntakeMessage.objects.create(message_id=message_id, sender=sender[:254],
                                 subject=subject[:255], outcome=outcome, ticket=ticket)
    if outcome not in (IntakeOutcome.TICKET, IntakeOutcome.FOLLOWUP):
        audit_record(actor=None, action="helpdesk.intake_refuse", target=ticket,
                     data={"message_id": message_id, "sender": sender, "outcome": outcome})
    return IntakeResult(outcome=outcome, ticket=ticket)


def _accept(user: User, message: EmailMessage, subject: str) -> tuple[str, Ticket | None]:
    kept, refused = _stored(message)
    text = ((message_text(message) or "(message sans texte)") + _refusal_note(refused))[:20000]
    tag = TAG.search(subject)
    if tag:
        ticket = selectors.ticket_by_number(actor=user, number=tag.group(1))
        if ticket is None or ticket.status == Status.CLOSED:
            return IntakeOutcome.UNKNOWN_TICKET, None
        followup = services.followup_add(actor=user, ticket=ticket, text=text,
                                         channel=Channel.EMAIL)
        _attach(kept, ticket, followup)
        return IntakeOutcome.FOLLOWUP, ticket
    organisation = selectors.organisations_opening(actor=user).order_by("-kind", "path").first()
    if organisation is None:
        return IntakeOutcome.UNKNOWN_SENDER, None
    title = REPLY_PREFIX.sub("", subject).strip() or "(sans objet)"
    ticket = services.ticket_open(actor=user, organisation=organisation, title=title[:200],
                                  description=text, category=Category.OTHER, kind=Kind.INCIDENT,
                                  channel=Channel.EMAIL)
    _attach(kept, ticket, None)
    return IntakeOutcome.TICKET, ticket


def message_refuse_oversized(*, ref: str) -> IntakeResult:
    """Refuse a message on its size alone (known from the server, never downloaded)."""
    if IntakeMessage.objects.filter(message_id=ref).exists():
        return IntakeResult(outcome=IntakeOutcome.TOO_LARGE, duplicate=True)
    with transaction.atomic():
        return _record(ref, "", "", IntakeOutcome.TOO_LARGE)


def message_intake(raw: bytes) -> IntakeResult:
    """Turn one RFC 822 message into a ticket or a follow-up, or refuse it silently."""
    if len(raw) > MAX_MESSAGE_BYTES:
        digest = hashlib.sha256(raw).hexdigest()
        with transaction.atomic():
            return _record(f"<sha256-{digest}@socle>", "", "", IntakeOutcome.TOO_LARGE)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = _message_id(message, raw)
    if IntakeMessage.objects.filter(message_id=message_id).exists():
        return IntakeResult(outcome=IntakeMessage.objects.get(message_id=message_id).outcome,
                            duplicate=True)
    try:
        sender = parseaddr(str(message.get("From", "")))[1].lower()
        subject = str(message.get("Subject", "")).replace("\x00", "").strip()
    except (ValueError, TypeError, IndexError):
        sender, subject = "", ""
    try:
        with transaction.atomic():
            refusal = classify(message, sender)
            if refusal is not None:
                return _record(message_id, sender, subject, refusal)
            user = _sender_user(sender)
            if user is None:
                return _record(message_id, sender, subject, IntakeOutcome.UNKNOWN_SENDER)
            try:
                with transaction.atomic():
                    outcome, ticket = _accept(user, message, subject)
            except ServiceError:
                outcome, ticket = IntakeOutcome.INVALID, None
            return _record(message_id, sender, subject, outcome, ticket)
    except IntegrityError:
        # The same message read at the same time by another worker: theirs counts.
        return IntakeResult(outcome=IntakeOutcome.INVALID, duplicate=True)
