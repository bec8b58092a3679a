"""The public dashboard of an organisation: only the indicators it opened, aggregated as it declared.

An indicator may be opened only if its module declares it publishable (``access="open"`` in
the module contract). Its figures are computed with the rights of the agent who opened it,
narrowed to the organisation, over the periods the opening declares (month, quarter or
year), and a count of cases under the declared threshold is shown as « moins de N »: a
figure per case never reaches the public page. If that agent no longer holds the
indicator's permission on the organisation, the indicator is not shown at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from socle.core.access import can
from socle.core.models import Organisation
from socle.core.modules import Indicator, indicators

from .dashboards import MONTHS, Point, _figure, indicator_value, month_bounds, months_back, svg_bars
from .models import Granularity, OpenIndicator
from .selectors import open_indicators_public

# Units that count cases or people: their openings keep a threshold of at least SMALL_COUNT.
PER_CASE_UNITS = frozenset(
    {
        "dossiers",
        "subventions",
        "courriers",
        "demandes",
        "tickets",
        "réservations",
        "personnes",
        "documents",
        "paquets",
    }
)
SMALL_COUNT = 3
PERIODS_SHOWN = {Granularity.MONTH: 12, Granularity.QUARTER: 4, Granularity.YEAR: 3}
GRANULARITY_TEXT = {
    Granularity.MONTH: "mois par mois",
    Granularity.QUARTER: "trimestre par trimestre",
    Granularity.YEAR: "année par année",
}


@dataclass
class PublicPoint:
    label: str
    start: date
    end: date
    text: str  # the figure as shown: « 12 » or « moins de 5 »
    value: float  # the height of the bar; 0 when the figure is hidden


@dataclass
class PublicChart:
    indicator: Indicator
    opening: OpenIndicator
    points: list[PublicPoint]
    svg: str

    @property
    def granularity_text(self) -> str:
        return GRANULARITY_TEXT[Granularity(self.opening.granularity)]


def openable_indicators() -> list[Indicator]:
    """Return the indicators their module declares publishable."""
    return [i for i in indicators() if i.access == "open"]


def counts_cases(indicator: Indicator) -> bool:
    """Say whether an indicator counts cases or people (it then keeps a small-count threshold)."""
    return indicator.unit in PER_CASE_UNITS


def periods(granularity: str, today: date) -> list[tuple[str, date, date]]:
    """Return the periods a public chart shows, oldest first, the current one last."""
    if granularity == Granularity.YEAR:
        return [(str(y), date(y, 1, 1), date(y + 1, 1, 1)) for y in range(today.year - 2, today.year + 1)]
    if granularity == Granularity.QUARTER:
        quarters = []
        year, quarter = today.year, (today.month - 1) // 3 + 1
        for _ in range(PERIODS_SHOWN[Granularity.QUARTER]):
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
            quarters.append((f"T{quarter} {year}", start, end))
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        return quarters[::-1]
    return [
        (f"{MONTHS[m - 1]} {y}", *month_bounds(y, m))
        for y, m in months_back(today, PERIODS_SHOWN[Granularity.MONTH])
    ]


def shown(value: float, *, threshold: int) -> tuple[str, float]:
    """The text and bar height of a figure: hidden as « moins de N » when 0 < value < N."""
    if threshold and 0 < value < threshold:
        return f"moins de {threshold}", 0.0
    return _figure(value), value


def public_charts(*, organisation: Organisation, today: date) -> list[PublicChart]:
    """Compute the public dashboard of an organisation: its open indicators and nothing else."""
    declared = {i.name: i for i in openable_indicators()}
    charts: list[PublicChart] = []
    for opening in open_indicators_public(organisation=organisation):
        indicator = declared.get(opening.indicator)
        agent = opening.opened_by
        if indicator is None or agent is None or not can(agent, indicator.permission, organisation):
            continue  # no longer publishable, or its figures would be computed with no one's rights
        threshold = max(opening.min_count, SMALL_COUNT) if counts_cases(indicator) else opening.min_count
        points = []
        for label, start, end in periods(opening.granularity, today):
            value = indicator_value(
                actor=agent, indicator=indicator, start=start, end=end, organisation=organisation
            )
            text, height = shown(value, threshold=threshold)
            points.append(PublicPoint(label, start, end, text, height))
        svg = svg_bars(
            indicator.label,
            indicator.unit,
            [Point(p.label, p.start, p.end, p.value) for p in points],
            texts=[p.text for p in points],
            ident=f"p{len(charts)}",
        )
        charts.append(PublicChart(indicator, opening, points, svg))
    return charts
