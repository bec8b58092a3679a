"""A dashboard as a PDF for a council meeting: each chart drawn, its figures in a table beside it.

ReportLab like the project's letters (``socle.core.letters``): a titled, tagged A4 landscape
document with the organisation, the period, the filters applied and the date it was drawn.
The figures are the ones the page shows (the same ``Chart`` objects), so the PDF never
holds more than its reader could see on screen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .dashboards import Chart

BLUE = colors.HexColor("#000091")
GREY = colors.HexColor("#3a3a3a")


@dataclass(frozen=True)
class Heading:
    """What the first lines of the document say: who, over which period, with which filters."""

    title: str
    organisation: str
    period: str
    filters: tuple[str, ...]
    drawn_on: date
    author: str = ""


def pdf_figure(value: float | None) -> str:
    """A figure as the PDF writes it (non-breaking space between thousands: Helvetica has no U+202F)."""
    if value is None:
        return "—"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bars(chart: Chart, width: float, height: float) -> Drawing:
    """The chart as ReportLab vector graphics: one bar per month, each labelled with its value."""
    drawing = Drawing(width, height)
    bars = VerticalBarChart()
    bars.x, bars.y = 1.2 * cm, 1.4 * cm
    bars.width, bars.height = width - 1.6 * cm, height - 2.2 * cm
    values = [p.value for p in chart.points]
    bars.data = [values or [0]]
    bars.categoryAxis.categoryNames = [p.label for p in chart.points] or [""]
    bars.categoryAxis.labels.fontSize = 7
    bars.categoryAxis.labels.angle = 30 if len(values) > 6 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(values) > 6 else "n"
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = max(values or [0]) * 1.15 or 1
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.labelTextFormat = lambda v: pdf_figure(float(v))
    bars.bars[0].fillColor = BLUE
    bars.bars[0].strokeColor = None
    bars.barLabelFormat = lambda v: pdf_figure(float(v))
    bars.barLabels.fontSize = 7
    bars.barLabels.nudge = 6
    drawing.add(bars)
    drawing.add(String(0, height - 0.4 * cm, chart.indicator.unit, fontSize=8, fillColor=GREY))
    return drawing


def _figures(chart: Chart, body: ParagraphStyle) -> Table:
    rows: list[list[Any]] = [
        [Paragraph("<b>Mois</b>", body), Paragraph(f"<b>Valeur ({_escape(chart.indicator.unit)})</b>", body)]
    ]
    rows += [[p.label, pdf_figure(p.value)] for p in chart.points]
    table = Table(rows, colWidths=[3.6 * cm, 3.8 * cm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("ALIGN", (1, 1), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, GREY),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def dashboard_pdf(heading: Heading, charts: Sequence[Chart]) -> bytes:
    """Render the dashboard: heading, then each indicator's chart with its table beside it."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=heading.title,
        author=heading.author or heading.organisation,
        subject=f"{heading.organisation}, {heading.period}",
        leftMargin=1.6 * cm,
        rightMargin=1.6 * cm,
        topMargin=1.4 * cm,
        bottomMargin=1.4 * cm,
        lang="fr-FR",
    )
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=GREY)
    heading2 = ParagraphStyle(
        "indicator", parent=styles["Heading2"], fontSize=13, spaceBefore=4, spaceAfter=4
    )
    story: list[Any] = [
        Paragraph(_escape(heading.organisation), styles["Heading3"]),
        Paragraph(_escape(heading.title), styles["Title"]),
        Paragraph(f"<b>Période :</b> {_escape(heading.period)}", body),
        Paragraph(f"<b>Filtres :</b> {_escape(' ; '.join(heading.filters) or 'aucun')}", body),
        Paragraph(
            _escape(
                f"Document établi le {heading.drawn_on:%d/%m/%Y}"
                + (f" par {heading.author}" if heading.author else "")
                + ". Chaque chiffre ne compte que ce que son lecteur peut voir dossier par dossier."
            ),
            small,
        ),
        Spacer(1, 0.4 * cm),
    ]
    if not charts:
        story.append(Paragraph("Aucun indicateur ne porte sur les organisations suivies.", body))
    width = doc.width
    for chart in charts:
        graphic = _bars(chart, width - 8.4 * cm, 5.6 * cm)
        side = Table([[graphic, _figures(chart, body)]], colWidths=[width - 8 * cm, 8 * cm])
        side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(
            KeepTogether(
                [
                    Paragraph(_escape(f"{chart.indicator.label} ({chart.indicator.unit})"), heading2),
                    side,
                    Spacer(1, 0.3 * cm),
                ]
            )
        )
    doc.build(story)
    return buffer.getvalue()
