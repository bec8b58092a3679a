"""Periodic jobs of the agendas module, run by `socle worker`."""

from __future__ import annotations

from .services import reminders_send


def reminders() -> str:
    """Send the reminders of the next 24 hours; return a French summary."""
    sent = reminders_send()
    return f"{sent} rappel(s) de rendez-vous envoyé(s)."
