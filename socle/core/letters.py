"""One-page letters as tagged PDF (ReportLab): acknowledgements, decisions, attestations.

Shared by the apps that issue letters (the portal's cases, the mail register).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


@dataclass(frozen=True)
class Letter:
    """What goes on one page: who issues it, a title, facts and paragraphs."""

    issuer: str
    title: str
    reference: str
    facts: list[tuple[str, str]]
    paragraphs: list[str]
    signature: str = ""
    # An administrative letter's parts (CRPA L212-1 for a decision): the issuing service's
    # address and contacts under its name and logo, the addressee, the place and date, the
    # subject, the signatory's name and function, and the channels and delays of appeal.
    issuer_lines: tuple[str, ...] = ()
    logo: bytes | None = None
    addressee: tuple[str, ...] = ()
    place_date: str = ""
    subject: str = ""
    signatory: str = ""
    signatory_function: str = ""
    appeal: str = ""


def french_date(value: date | datetime) -> str:
    """Return a date as a French reader writes it: 3 mars 2026, 1er février 2027."""
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{'1er' if value.day == 1 else value.day} {months[value.month - 1]} {value.year}"


def authority_of(organisation: Any) -> tuple[str, str]:
    """A letter's heading and the delegation formula above its signatory's name."""
    if organisation.kind == "commune":
        return f"Mairie de {organisation.name}", "Pour le maire et par délégation,"
    if organisation.kind == "epci":
        return organisation.name, "Pour le président et par délégation,"
    return organisation.name, f"Pour {organisation.name},"


def contact_lines(organisation: Any) -> tuple[str, ...]:
    """The issuer's address, phone and email under its name, as far as they are known."""
    phone = f"Téléphone : {organisation.phone}" if organisation.phone else ""
    return tuple(line for line in (organisation.address, phone, organisation.email) if line)


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
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    story: list[Any] = [*_heading(letter, styles, body, small), Spacer(1, 0.4 * cm)]
    if letter.place_date:
        story += [Paragraph(_escape(letter.place_date), right), Spacer(1, 0.3 * cm)]
    story += [
        Paragraph(_escape(letter.title), styles["Title"]),
        Paragraph(_escape(f"Référence : {letter.reference}"), body),
    ]
    if letter.subject:
        story.append(Paragraph(f"<b>Objet :</b> {_escape(letter.subject)}", body))
    story.append(Spacer(1, 0.4 * cm))
    if letter.facts:
        table = Table([[Paragraph(f"<b>{_escape(k)}</b>", body), Paragraph(_escape(v), body)]
                       for k, v in letter.facts], colWidths=[5.5 * cm, 11.5 * cm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#888888")]))
        story += [table, Spacer(1, 0.5 * cm)]
    for paragraph in letter.paragraphs:
        story += [Paragraph(_escape(paragraph).replace("\n", "<br/>"), body), Spacer(1, 0.25 * cm)]
    if letter.signatory:
        block = [letter.signature, letter.signatory_function, letter.signatory]
        story += [Spacer(1, 0.6 * cm), Paragraph("<br/>".join(
            _escape(line) if i < 2 else f"<b>{_escape(line)}</b>"
            for i, line in enumerate(block) if line), right)]
    elif letter.signature:
        story += [Spacer(1, 0.8 * cm), Paragraph(_escape(letter.signature), body)]
    if letter.appeal:
        story += [Spacer(1, 0.8 * cm), Paragraph("<b>Voies et délais de recours</b>", small),
                  Paragraph(_escape(letter.appeal), small)]
    doc.build(story)
    return buffer.getvalue()


def _logo(content: bytes) -> Image | None:
    try:
        width, height = ImageReader(io.BytesIO(content)).getSize()
    except Exception:  # noqa: BLE001 - a logo that does not decode is left out, not fatal
        return None
    scale = min(3.5 * cm / width, 2 * cm / height)
    return Image(io.BytesIO(content), width=width * scale, height=height * scale, hAlign="LEFT")


def _heading(letter: Letter, styles: Any, body: ParagraphStyle, small: ParagraphStyle) -> list[Any]:
    """The issuer (logo, name, address and contacts) and, beside it, the addressee."""
    issuer: list[Any] = []
    if letter.logo:
        image = _logo(letter.logo)
        if image is not None:
            issuer += [image, Spacer(1, 0.2 * cm)]
    issuer.append(Paragraph(_escape(letter.issuer), styles["Heading3"]))
    issuer += [Paragraph(_escape(line), small) for line in letter.issuer_lines if line]
    if not letter.addressee:
        return issuer
    addressee = [Paragraph(_escape(line), body) for line in letter.addressee if line]
    table = Table([[issuer, addressee]], colWidths=[9.5 * cm, 7.5 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (1, 0), (1, 0), 2.2 * cm)]))
    return [table]
