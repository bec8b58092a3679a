"""Mobility: per-trip statistics against gtfs-kit, and the GTFS validator, on a generated feed.

The feed is generated before the clock starts: ``BENCH_GTFS_STOP_TIMES`` stop times (1.4
million by default, the size the issue measured gtfs-kit on), trips of 70 stops on 40
lines in both directions, each direction with its shape (400 points) so that distances
go through the shapes as gtfs-kit computes them. Then, in the same run:

- socle: ``feed_read`` + ``trip_stats``, and ``feed_read`` + ``feed_validate``;
- gtfs-kit: ``read_feed`` + ``compute_trip_stats`` (the baseline);
- the two statistics tables are compared trip by trip (every column gtfs-kit computes
  the same way: the stop-pattern names are left out because gtfs-kit 13 on pandas 3 writes
  their rank as a float, "0-1.0"; they are checked against gtfs-kit's reference output in
  the tests).
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

AIM_RATIO = 10.0
STOPS_PER_TRIP = 70
LINES = 40


def _feed(stop_times: int, path: Path) -> dict[str, int]:
    rng = random.Random(7)
    trips_needed = max(1, stop_times // STOPS_PER_TRIP)
    per_line_direction = max(1, trips_needed // (LINES * 2))
    files: dict[str, io.StringIO] = {name: io.StringIO() for name in (
        "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
        "shapes.txt")}
    w = {name: csv.writer(buffer, lineterminator="\n") for name, buffer in files.items()}
    w["agency.txt"].writerows([["agency_id", "agency_name", "agency_url", "agency_timezone"],
                               ["a", "Banc", "https://exemple.fr", "Europe/Paris"]])
    w["calendar.txt"].writerows([["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                                  "saturday", "sunday", "start_date", "end_date"],
                                 ["wk", 1, 1, 1, 1, 1, 0, 0, "20260101", "20271231"]])
    w["stops.txt"].writerow(["stop_id", "stop_name", "stop_lat", "stop_lon"])
    w["routes.txt"].writerow(["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"])
    w["trips.txt"].writerow(["route_id", "service_id", "trip_id", "direction_id", "shape_id"])
    w["stop_times.txt"].writerow(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"])
    w["shapes.txt"].writerow(["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"])
    lat0, lon0 = 49.4179, 2.8261
    count = 0
    for line in range(LINES):
        angle = 2 * math.pi * line / LINES
        stops = []
        for index in range(STOPS_PER_TRIP):
            r = 0.3 * index  # km
            lat = lat0 + r / 111.2 * math.cos(angle) + rng.uniform(-0.0005, 0.0005)
            lon = lon0 + r / 73.0 * math.sin(angle) + rng.uniform(-0.0005, 0.0005)
            stop_id = f"L{line}S{index}"
            stops.append(stop_id)
            w["stops.txt"].writerow([stop_id, f"Arrêt {line}-{index}", f"{lat:.6f}", f"{lon:.6f}"])
        w["routes.txt"].writerow([f"R{line}", "a", str(line), f"Ligne {line}", 3])
        for direction in (0, 1):
            shape = f"SH{line}-{direction}"
            for point in range(400):
                r = 0.3 * (STOPS_PER_TRIP - 1) * point / 399
                r = r if direction == 0 else 0.3 * (STOPS_PER_TRIP - 1) - r
                w["shapes.txt"].writerow([shape, f"{lat0 + r / 111.2 * math.cos(angle):.6f}",
                                          f"{lon0 + r / 73.0 * math.sin(angle):.6f}", point + 1])
            ordered = stops if direction == 0 else stops[::-1]
            for number in range(per_line_direction):
                trip = f"T{line}-{direction}-{number}"
                w["trips.txt"].writerow([f"R{line}", "wk", trip, direction, shape])
                start = 5 * 3600 + number * 60 * 17 % (18 * 3600)
                for sequence, stop in enumerate(ordered, start=1):
                    at = start + (sequence - 1) * 75
                    value = f"{at // 3600:02d}:{at % 3600 // 60:02d}:{at % 60:02d}"
                    w["stop_times.txt"].writerow([trip, value, value, stop, sequence])
                    count += 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, buffer in files.items():
            archive.writestr(name, buffer.getvalue())
    return {"stop_times": count, "trips": LINES * 2 * per_line_direction}


def _compare(ours: Any, theirs: Any) -> dict[str, Any]:
    import polars as pl

    theirs_pl = pl.DataFrame({c: [None if str(v) in ("nan", "<NA>", "None") else str(v)
                                  for v in theirs[c].tolist()] for c in theirs.columns})
    joined = theirs_pl.join(ours.with_columns(pl.all().cast(pl.String)), on="trip_id", suffix="_ours")
    mismatches: dict[str, int] = {}
    for column in ("route_id", "direction_id", "shape_id", "num_stops", "start_time", "end_time",
                   "start_stop_id", "end_stop_id", "is_loop", "duration", "distance", "speed"):
        left, right = joined[column], joined[column + "_ours"]
        if column in ("duration", "distance", "speed"):
            a, b = left.cast(pl.Float64), right.cast(pl.Float64)
            bad = ~(((a - b).abs() <= 1e-9 * (1 + a.abs())) | (a.is_nan() & b.is_nan()))
        else:
            bad = left.fill_null("∅") != right.fill_null("∅")
        mismatches[column] = int(bad.sum())
    return {"trips_compared": joined.height, "trips_socle": ours.height, "trips_gtfs_kit": len(theirs),
            "mismatched_values": mismatches, "identical": joined.height == ours.height == len(theirs)
            and not any(mismatches.values())}


def run() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    os.environ.setdefault("SOCLE_DATA_DIR", tempfile.mkdtemp(prefix="socle-bench-mobility-"))
    import django

    django.setup()
    import gtfs_kit

    from socle.mobility.gtfs_feed import feed_read
    from socle.mobility.gtfs_stats import trip_stats
    from socle.mobility.gtfs_validation import feed_validate

    size = int(os.environ.get("BENCH_GTFS_STOP_TIMES", "1400000"))
    with tempfile.TemporaryDirectory(prefix="socle-gtfs-") as folder:
        path = Path(folder) / "feed.zip"
        print(f"  génération d'un flux de {size} passages…", file=sys.stderr)
        shape = _feed(size, path)
        started = time.perf_counter()
        ours = trip_stats(feed_read(path))
        socle_stats = time.perf_counter() - started
        started = time.perf_counter()
        report = feed_validate(feed_read(path))
        socle_validate = time.perf_counter() - started
        print("  gtfs-kit (référence)…", file=sys.stderr)
        started = time.perf_counter()
        theirs = gtfs_kit.read_feed(path, dist_units="km").compute_trip_stats()
        kit_stats = time.perf_counter() - started
        compared = _compare(ours, theirs)
    return {
        "benchmark": "mobility",
        "feed": {**shape, "zip_bytes": path.stat().st_size if path.exists() else None},
        "trip_stats": {"socle_seconds": round(socle_stats, 2), "gtfs_kit_seconds": round(kit_stats, 2),
                       "ratio": round(kit_stats / socle_stats, 1), "aim": AIM_RATIO,
                       "aim_met": kit_stats / socle_stats >= AIM_RATIO, **compared},
        "validation": {"seconds": round(socle_validate, 2),
                       "stop_times_per_second": round(shape["stop_times"] / socle_validate),
                       "errors": report.count("ERROR"), "warnings": report.count("WARNING")},
        **({"errors": ["statistics differ from gtfs-kit"]} if not compared["identical"] else {}),
    }


def summary(result: dict[str, Any]) -> list[str]:
    stats = result["trip_stats"]
    return [f"  statistiques par voyage : socle {stats['socle_seconds']} s, gtfs-kit "
            f"{stats['gtfs_kit_seconds']} s (x{stats['ratio']}), résultats identiques : {stats['identical']}",
            f"  validation : {result['validation']['seconds']} s "
            f"({result['validation']['stop_times_per_second']} passages/s)"]
