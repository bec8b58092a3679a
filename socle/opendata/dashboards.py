"""Dashboards of the indicators every module declares, computed for what the viewer may see.

Each indicator's function counts only the rows of the organisations where the viewer holds
its permission (``socle.core.indicators``): a chart never shows what its viewer could not
see case by case. Charts are SVG drawn on the server, with a text alternative and the same
figures as a table (RGAA 1.1 and 1.3), so that they read without JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape

from socle.core.access import Actor, organisations_for
from socle.core.models import Organisation
from socle.core.modules import Indicator, indicators, resolve

MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


@dataclass
class Point:
    label: str
    start: date
    end: date
    value: float


@dataclass
class Chart:
    indicator: Indicator
    points: list[Point]
    svg: str

    @property
    def total(self) -> float:
        return sum(p.value for p in self.points)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """Return [first day, first day of the next month) of a month."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def period_bounds(text: str, today: date) -> tuple[str, date, date]:
    """Read a period: a month ``AAAA-MM``, a quarter ``AAAA-T1`` to ``AAAA-T4`` or a year ``AAAA``.

    Return its canonical name and [start, end); the current month when ``text`` is empty.
    Raise ValueError on anything else.
    """
    text = text.strip().upper()
    if not text:
        return f"{today.year:04d}-{today.month:02d}", *month_bounds(today.year, today.month)
    if re.fullmatch(r"[0-9]{4}", text):
        year = int(text)
        return text, date(year, 1, 1), date(year + 1, 1, 1)
    quarter = re.fullmatch(r"([0-9]{4})-T([1-4])", text)
    if quarter:
        year, number = int(quarter[1]), int(quarter[2])
        return text, date(year, 3 * number - 2, 1), date(year + (number == 4), (3 * number) % 12 + 1, 1)
    month = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if month:
        year, number = int(month[1]), int(month[2])
        return text, *month_bounds(year, number)  # month_bounds refuses month 13
    raise ValueError(text)


def months_back(today: date, count: int) -> list[tuple[int, int]]:
    """Return the ``count`` months up to ``today``'s, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def indicators_for(*, actor: Actor) -> list[Indicator]:
    """Return the indicators whose permission the actor holds on at least one organisation."""
    return [i for i in indicators() if organisations_for(actor, i.permission).exists()]


def indicator_get_for(*, actor: Actor, name: str) -> Indicator | None:
    """Return one indicator the actor may read, or None (unknown or not theirs: the same answer)."""
    return next((i for i in indicators_for(actor=actor) if i.name == name), None)


def indicator_value(
    *, actor: Actor, indicator: Indicator, start: date, end: date, organisation: Organisation | None = None
) -> float:
    """Compute one indicator over [start, end) for the actor, narrowed to one organisation's subtree."""
    value = resolve(indicator.func)(actor=actor, start=start, end=end, organisation=organisation)
    return float(value)


def chart_for(
    *,
    actor: Actor,
    indicator: Indicator,
    today: date,
    months: int,
    organisation: Organisation | None = None,
    ident: str = "",
) -> Chart:
    """Compute an indicator month by month and draw it."""
    points = []
    for year, month in months_back(today, months):
        start, end = month_bounds(year, month)
        points.append(
            Point(
                f"{MONTHS[month - 1]} {year}",
                start,
                end,
                indicator_value(
                    actor=actor, indicator=indicator, start=start, end=end, organisation=organisation
                ),
            )
        )
    return Chart(indicator, points, svg_bars(indicator.label, indicator.unit, points, ident=ident))


def _figure(value: float) -> str:
    return (
        f"{value:,.0f}".replace(",", "\u202f")
        if value == int(value)
        else f"{value:,.1f}".replace(",", "\u202f")
    )


def svg_bars(
    title: str, unit: str, points: list[Point], *, texts: list[str] | None = None, ident: str = ""
) -> str:
    """Draw a bar chart as SVG, with its title and a description that says every figure.

    ``texts`` replaces the figure written on each bar and in the description (« moins de 5 »
    on a public chart); ``ident`` keeps the ids unique when a page holds several charts.
    """
    width, height, left, bottom, top = 640, 240, 48, 40, 16
    plot_h = height - bottom - top
    step = (width - left - 8) / max(1, len(points))
    peak = max((p.value for p in points), default=0) or 1
    said = texts if texts is not None else [_figure(p.value) for p in points]
    description = "; ".join(f"{p.label} : {text} {unit}" for p, text in zip(points, said, strict=True))
    t, d = f"t{ident}", f"d{ident}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{t} {d}" class="chart"><title id="{t}">{escape(title)}</title>'
        f'<desc id="{d}">{escape(description)}</desc>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#3a3a3a"/>',
        f'<text x="4" y="{top + 10}" font-size="12" fill="#3a3a3a">{escape(_figure(peak))}</text>',
    ]
    for index, (point, text) in enumerate(zip(points, said, strict=True)):
        bar = plot_h * point.value / peak
        x = left + index * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar:.1f}" fill="#000091"/>'
        )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - 22}" font-size="11" text-anchor="middle" '
            f'fill="#3a3a3a">{escape(point.label)}</text>'
        )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - bar - 4:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#161616">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
