"""One-page letters as tagged PDF (ReportLab): acknowledgements, decisions, attestations.

Shared by the apps that issue letters (the portal's cases, the mail register).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


@dataclass(frozen=True)
class Letter:
    """What goes on one page: who issues it, a title, facts and paragraphs."""

    issuer: str
    title: str
    reference: str
    facts: list[tuple[str, str]]
    paragraphs: list[str]
    signature: str = ""


def french_date(value: date | datetime) -> str:
    """Return a date as a French reader writes it: 3 mars 2026, 1er février 2027."""
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{'1er' if value.day == 1 else value.day} {months[value.month - 1]} {value.year}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def letter_render(letter: Letter) -> bytes:
    """Render a letter as a tagged, titled PDF."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=letter.title, author=letter.issuer,
                            subject=letter.reference, leftMargin=2 * cm, rightMargin=2 * cm,
                            topMargin=2 * cm, bottomMargin=2 * cm, lang="fr-FR")
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=11, leading=15)
    story = [
        Paragraph(_escape(letter.issuer), styles["Heading3"]),
        Spacer(1, 0.4 * cm),
        Paragraph(_escape(letter.title), styles["Title"]),
        Paragraph(_escape(f"Référence : {letter.reference}"), body),
        Spacer(1, 0.4 * cm),
    ]
    if letter.facts:
        table = Table([[Paragraph(f"<b>{_escape(k)}</b>", body), Paragraph(_escape(v), body)]
                       for k, v in letter.facts], colWidths=[5.5 * cm, 11.5 * cm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#888888")]))
        story += [table, Spacer(1, 0.5 * cm)]
    for paragraph in letter.paragraphs:
        story += [Paragraph(_escape(paragraph).replace("\n", "<br/>"), body), Spacer(1, 0.25 * cm)]
    if letter.signature:
        story += [Spacer(1, 0.8 * cm), Paragraph(_escape(letter.signature), body)]
    doc.build(story)
    return buffer.getvalue()
