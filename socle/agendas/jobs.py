"""Periodic jobs of the agendas module, run by `socle worker`."""

from __future__ import annotations

from .services import bookings_cancel_for_closed_cases, bookings_expire_unpaid, reminders_send


def reminders() -> str:
    """Send the reminders of the next 24 hours; return a French summary."""
    sent = reminders_send()
    return f"{sent} rappel(s) de rendez-vous envoyé(s)."


def closed_cases() -> str:
    """Cancel the coming appointments of the portal cases closed since the last run."""
    cancelled = bookings_cancel_for_closed_cases()
    return f"{cancelled} rendez-vous de dossiers clos annulé(s)."


def unpaid() -> str:
    """Free the slots held for a payment that did not come in time."""
    freed = bookings_expire_unpaid()
    return f"{freed} réservation(s) non payée(s) à temps, créneau(x) libéré(s)."
