"""A fictional network for the demo, generated, never presented as the real TIC network.

Lines run from Compiègne to the other communes of the territory; each commune has one
stop named after it. Stop positions are SCHEMATIC: each line is a straight ray from an
approximate centre of Compiègne, its communes every 2.5 km along it, not at their real
places (the territory file holds no verified coordinates). The agency and the feed say so.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Sequence
from datetime import date

CENTRE = (49.4179, 2.8261)  # approximate centre of Compiègne, for the schematic layout only
STEP_KM = 2.5
AGENCY = "Réseau de démonstration socle (fictif, positions schématiques)"

# (line, communes served after Compiègne, minutes between two stops)
LINES = [
    ("1", ["margny-les-compiegne", "venette", "jaux", "armancourt"], 6),
    ("2", ["clairoix", "janville", "choisy-au-bac", "le-meux"], 7),
    ("3", ["lacroix-saint-ouen", "saint-jean-aux-bois", "vieux-moulin", "saint-sauveur"], 8),
    ("4", ["jonquieres", "bienville", "lachelle", "saint-vaast-de-longmont"], 8),
    ("5", ["verberie", "saintines", "nery", "bethisy-saint-martin", "bethisy-saint-pierre"], 9),
]


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def demo_feed(*, communes: dict[str, str], year: int | None = None) -> bytes:
    """Return the demo network as a GTFS zip; ``communes`` maps slugs to names."""
    year = year or date.today().year
    stops: list[list[object]] = [["stop_id", "stop_name", "stop_lat", "stop_lon"],
             ["compiegne", communes["compiegne"], f"{CENTRE[0]:.6f}", f"{CENTRE[1]:.6f}"]]
    for number, (_line, served, _gap) in enumerate(LINES):
        angle = 2 * math.pi * number / len(LINES)
        for rank, slug in enumerate([s for s in served if s in communes], start=1):
            radius_km = STEP_KM * rank
            lat = CENTRE[0] + radius_km / 111.2 * math.cos(angle)
            lon = CENTRE[1] + radius_km / (111.2 * math.cos(math.radians(CENTRE[0]))) * math.sin(angle)
            stops.append([slug, communes[slug], f"{lat:.6f}", f"{lon:.6f}"])
    routes: list[list[object]] = [["route_id", "agency_id", "route_short_name", "route_long_name",
                                   "route_type", "route_color", "route_text_color"]]
    trips: list[list[object]] = [["route_id", "service_id", "trip_id", "trip_headsign", "direction_id"]]
    times: list[list[object]] = [["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence",
              "shape_dist_traveled"]]
    colours = ["0B5FA5", "A4343A", "2E6B30", "6A3D9A", "8C4A00"]
    for (line, served, gap), colour in zip(LINES, colours, strict=True):
        served = [slug for slug in served if slug in communes]
        path = ["compiegne", *served]
        routes.append([f"L{line}", "demo", line, f"{communes['compiegne']} - {communes[path[-1]]}", 3,
                       colour, "FFFFFF"])
        timetables = (("semaine", 6 * 60, 21 * 60, 30), ("samedi", 7 * 60, 20 * 60, 60))
        for service, first, last, every in timetables:
            for direction, stops_in_order in ((0, path), (1, path[::-1])):
                for start in range(first, last + 1, every):
                    trip = f"L{line}-{service}-{direction}-{start // 60:02d}{start % 60:02d}"
                    trips.append([f"L{line}", service, trip, communes[stops_in_order[-1]], direction])
                    for sequence, stop in enumerate(stops_in_order, start=1):
                        minute = start + (sequence - 1) * gap
                        at = f"{minute // 60:02d}:{minute % 60:02d}:00"
                        times.append([trip, at, at, stop, sequence, f"{(sequence - 1) * STEP_KM:.1f}"])
    files = {
        "agency.txt": _csv([["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
                            ["demo", AGENCY, "https://www.agglo-compiegne.fr", "Europe/Paris", "fr"]]),
        "stops.txt": _csv(stops),
        "routes.txt": _csv(routes),
        "trips.txt": _csv(trips),
        "stop_times.txt": _csv(times),
        "calendar.txt": _csv([
            ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
             "start_date", "end_date"],
            ["semaine", 1, 1, 1, 1, 1, 0, 0, f"{year}0101", f"{year + 1}1231"],
            ["samedi", 0, 0, 0, 0, 0, 1, 0, f"{year}0101", f"{year + 1}1231"]]),
        "calendar_dates.txt": _csv([["service_id", "date", "exception_type"],
                                    ["semaine", f"{year}0501", 2], ["semaine", f"{year + 1}0501", 2]]),
        "feed_info.txt": _csv([["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date",
                                "feed_end_date", "feed_version"],
                               [AGENCY, "https://www.agglo-compiegne.fr", "fr", f"{year}0101",
                                f"{year + 1}1231", f"demo-{year}"]]),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
