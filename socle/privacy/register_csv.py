"""The register of one structure as a CSV file, for the CNIL on request (art. 30-4).

Opened in a spreadsheet, a cell beginning with ``=``, ``+``, ``-``, ``@`` or a control
character would be read as a formula (OWASP "CSV injection"): such cells are written
with a leading apostrophe, so that what a person typed stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .models import Activity

COLUMNS = ("Traitement", "Origine", "Finalité", "Base légale", "Précision", "Catégories de données",
           "Données sensibles", "Personnes concernées", "Destinataires", "Transferts hors UE",
           "Durées de conservation", "Mesures de sécurité", "Sous-traitants")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def register_csv(activities: Iterable[Activity]) -> bytes:
    """Return the activities as CSV (UTF-8 with its mark, semicolons, as French spreadsheets read it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    for activity in activities:
        writer.writerow([_cell(value) for value in (
            activity.name, activity.get_source_display(), activity.purpose,
            activity.get_legal_basis_display(), activity.legal_basis_detail,
            activity.data_categories, "oui" if activity.sensitive_data else "non",
            activity.data_subjects, activity.recipients, activity.transfers, activity.retention,
            activity.security_measures, ", ".join(p.name for p in activity.processors.all()))])
    return ("\ufeff" + buffer.getvalue()).encode()
