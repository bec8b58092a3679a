"""The census of training needs as CSV, for the DCSI to prepare next year's plan in a
spreadsheet: semicolons and a BOM as French spreadsheets expect, and no cell that a
spreadsheet would run as a formula (CSV injection: a need's title is typed by an agent)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from .models import Need

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["Commune", "Année", "Besoin", "Précisions", "Agents concernés", "Origine",
          "Formation liée", "Déclaré le"]


def csv_cell(value: Any) -> str:
    """Return a value as a CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def needs_csv(needs: Iterable[Need]) -> bytes:
    """Return the needs (already scoped to the reader) as a CSV document."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    for need in needs:
        writer.writerow([csv_cell(value) for value in (
            need.organisation.name, need.year, need.title, need.description, need.headcount,
            need.get_source_display(), need.course.title if need.course else "",
            timezone.localtime(need.created_at).strftime("%d/%m/%Y"))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
