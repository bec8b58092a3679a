"""The per-category indicators, named here so that module.py declares them without models."""

from __future__ import annotations

# (indicator name, French label of the category, function in indicators.py)
CATEGORY_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("helpdesk.tickets_hardware", "matériel", "tickets_hardware"),
    ("helpdesk.tickets_software", "logiciels", "tickets_software"),
    ("helpdesk.tickets_network", "réseau", "tickets_network"),
    ("helpdesk.tickets_account", "comptes et droits", "tickets_account"),
    ("helpdesk.tickets_messaging", "messagerie", "tickets_messaging"),
    ("helpdesk.tickets_printing", "impression", "tickets_printing"),
    ("helpdesk.tickets_telephony", "téléphonie", "tickets_telephony"),
    ("helpdesk.tickets_security", "sécurité", "tickets_security"),
    ("helpdesk.tickets_other", "autres", "tickets_other"),
)
