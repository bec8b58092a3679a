"""The public hotspot map, drawn on the server as SVG: no JavaScript, no tile server, no
third-party host. Communes are labelled dots at their town centre, hotspots coloured
markers by status; the page's table says the same in words."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.html import escape

from .geo import TOWN_CENTRES

WIDTH, HEIGHT, MARGIN = 640, 560, 40
STATUS_STYLE = {  # fill colour and shape, told apart by shape as well as colour
    "in_service": ("#0b6e2f", "circle"),
    "installed": ("#1f4fa3", "square"),
    "planned": ("#6b4c00", "triangle"),
    "out_of_order": ("#a11a1a", "cross"),
}


@dataclass(frozen=True)
class Point:
    label: str
    latitude: float
    longitude: float
    status: str = ""


def _projection(points: list[tuple[float, float]]) -> Callable[[float, float], tuple[float, float]]:
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0 = math.radians(sum(lats) / len(lats))
    west, east = min(lons), max(lons)
    south, north = min(lats), max(lats)
    span_x = max((east - west) * math.cos(lat0), 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (MARGIN + (lon - west) * math.cos(lat0) * scale,
                HEIGHT - MARGIN - (lat - south) * scale)

    return project


def _marker(x: float, y: float, status: str) -> str:
    colour, shape = STATUS_STYLE.get(status, ("#333333", "circle"))
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 6:.1f} {x - 6:.1f},{y + 5:.1f} '
                f'{x + 6:.1f},{y + 5:.1f}" fill="{colour}"/>')
    if shape == "cross":
        return (f'<path d="M{x - 5:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 5:.1f}M{x + 5:.1f} '
                f'{y - 5:.1f}L{x - 5:.1f} {y + 5:.1f}" stroke="{colour}" stroke-width="3"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>'


def hotspot_map(*, communes: Iterable[tuple[str, str]], hotspots: Iterable[Point]) -> str:
    """Return the SVG of the territory: communes (slug, name) and hotspots."""
    towns = [Point(name, *TOWN_CENTRES[slug]) for slug, name in communes if slug in TOWN_CENTRES]
    spots = list(hotspots)
    everything = [(p.latitude, p.longitude) for p in towns + spots]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             'width="100%" role="img" aria-labelledby="carte-titre carte-desc" class="hotspot-map">',
             '<title id="carte-titre">Carte des bornes wifi du territoire</title>',
             f'<desc id="carte-desc">{len(spots)} bornes sur {len(towns)} communes ; '
             'la liste complète suit la carte.</desc>',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f1ea"/>']
    if everything:
        project = _projection(everything)
        for town in towns:
            x, y = project(town.latitude, town.longitude)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#777"/>'
                         f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="11" '
                         f'fill="#222">{escape(town.label)}</text>')
        for spot in spots:
            x, y = project(spot.latitude, spot.longitude)
            parts.append(f'<g><title>{escape(spot.label)}</title>'
                         f'{_marker(x, y, spot.status)}</g>')
    parts.append("</svg>")
    return "".join(parts)
