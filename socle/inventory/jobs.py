"""The inventory's scheduled job: licences coming to their end."""

from __future__ import annotations

from . import services


def licences_expiring() -> str:
    """Tell the DCSI of the licences expiring within 60 days (once per expiry date)."""
    sent = services.licences_alert()
    if not sent:
        return "Aucune licence n'arrive à échéance dans les 60 jours sans avoir été signalée."
    return f"{sent} licence{'s' if sent > 1 else ''} arrivant à échéance signalée{'s' if sent > 1 else ''}."
