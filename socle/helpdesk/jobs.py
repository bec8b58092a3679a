"""The helpdesk's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def escalate() -> str:
    """Flag the tickets past a deadline and alert their technicians."""
    from .services import tickets_escalate

    return f"Tickets en dépassement signalés : {len(tickets_escalate())}."


def close_solved() -> str:
    """Close the tickets whose solution went unanswered for a week."""
    from .services import tickets_close_solved

    return f"Tickets clos automatiquement : {len(tickets_close_solved())}."


def mailbox() -> str:
    """Read the helpdesk's IMAP mailbox into tickets and follow-ups."""
    from .mailbox import mailbox_poll

    return mailbox_poll()
