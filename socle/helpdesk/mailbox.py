"""Reading the helpdesk's mailbox over IMAP (``imaplib``): each unread message goes through
``intake.message_intake`` and is then marked read, whatever the outcome.

Switched on by ``SOCLE_HELPDESK_IMAP_HOST`` (with ``_PORT``, ``_USER``, ``_PASSWORD``,
``_FOLDER``, and ``_SSL=0`` for a server without TLS); without it the job does nothing.
A message larger than the intake accepts is not downloaded: it is refused on its size.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re

from .intake import MAX_MESSAGE_BYTES, message_intake, message_refuse_oversized

SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
BATCH = 200


def _connect() -> imaplib.IMAP4 | None:
    host = os.environ.get("SOCLE_HELPDESK_IMAP_HOST", "").strip()
    if not host:
        return None
    use_ssl = os.environ.get("SOCLE_HELPDESK_IMAP_SSL", "1") != "0"
    port = int(os.environ.get("SOCLE_HELPDESK_IMAP_PORT", "993" if use_ssl else "143"))
    client = imaplib.IMAP4_SSL(host, port, timeout=30) if use_ssl else imaplib.IMAP4(
        host, port, timeout=30)
    client.login(os.environ.get("SOCLE_HELPDESK_IMAP_USER", ""),
                 os.environ.get("SOCLE_HELPDESK_IMAP_PASSWORD", ""))
    return client


def _size(client: imaplib.IMAP4, uid: str) -> int:
    _, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    for item in data:
        found = SIZE.search(item if isinstance(item, bytes) else b"")
        if found:
            return int(found.group(1))
    return 0


def _raw(client: imaplib.IMAP4, uid: str) -> bytes:
    _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return b""


def mailbox_poll() -> str:
    """Read the unread messages of the mailbox; return a French summary."""
    client = _connect()
    if client is None:
        return "Relève désactivée : SOCLE_HELPDESK_IMAP_HOST n'est pas défini."
    counts: dict[str, int] = {}
    try:
        client.select(os.environ.get("SOCLE_HELPDESK_IMAP_FOLDER", "INBOX"))
        _, data = client.uid("SEARCH", "UNSEEN")
        for uid in (data[0] or b"").decode().split()[:BATCH]:
            if _size(client, uid) > MAX_MESSAGE_BYTES:
                # Refused on its size alone, without downloading 25 MB to say no.
                outcome = message_refuse_oversized(
                    ref=f"<imap-{host_label()}-{uid}@socle>").outcome
            else:
                outcome = message_intake(_raw(client, uid)).outcome
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    summary = ", ".join(f"{name} : {count}" for name, count in sorted(counts.items()))
    return f"Messages relevés : {sum(counts.values())}" + (f" ({summary})." if summary else ".")


def host_label() -> str:
    return os.environ.get("SOCLE_HELPDESK_IMAP_HOST", "").strip()[:100]
