"""Mobility fixtures: a small valid GTFS feed built in the test, and ways to break it."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from socle.mobility.lock_simulator import simulator_server
from tests.support.reference import reference_path

BASE: dict[str, list[list[str]]] = {
    "agency.txt": [["agency_id", "agency_name", "agency_url", "agency_timezone"],
                   ["a", "Réseau test", "https://exemple.fr", "Europe/Paris"]],
    "stops.txt": [["stop_id", "stop_name", "stop_lat", "stop_lon"],
                  ["s1", "Gare", "49.4179", "2.8261"], ["s2", "Mairie", "49.4260", "2.8400"],
                  ["s3", "Hôpital", "49.4330", "2.8500"]],
    "routes.txt": [["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
                   ["r1", "a", "1", "Gare - Hôpital", "3"]],
    "trips.txt": [["route_id", "service_id", "trip_id", "trip_headsign", "direction_id"],
                  ["r1", "wk", "t1", "Hôpital", "0"], ["r1", "wk", "t2", "Hôpital", "0"]],
    "stop_times.txt": [["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
                       ["t1", "08:00:00", "08:00:00", "s1", "1"], ["t1", "08:05:00", "08:05:00", "s2", "2"],
                       ["t1", "08:10:00", "08:10:00", "s3", "3"],
                       ["t2", "09:00:00", "09:00:00", "s1", "1"], ["t2", "09:05:00", "09:05:00", "s2", "2"],
                       ["t2", "09:10:00", "09:10:00", "s3", "3"]],
    "calendar.txt": [["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                      "sunday", "start_date", "end_date"],
                     ["wk", "1", "1", "1", "1", "1", "0", "0", "20260101", "20271231"]],
    "feed_info.txt": [["feed_publisher_name", "feed_publisher_url", "feed_lang"],
                      ["Réseau test", "https://exemple.fr", "fr"]],
}


def build_feed(files: dict[str, list[list[str]] | bytes | None] | None = None, *, folder: str = "",
               bom: bool = False) -> bytes:
    """Return a GTFS zip: the base feed with some files replaced (None removes one)."""
    merged: dict[str, list[list[str]] | bytes | None] = {**BASE, **(files or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in merged.items():
            if rows is None:
                continue
            if isinstance(rows, bytes):
                data = rows
            else:
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(rows)
                data = out.getvalue().encode("utf-8")
            archive.writestr(folder + name, (b"\xef\xbb\xbf" if bom else b"") + data)
    return buffer.getvalue()


def reference_feed(name: str) -> Path:
    """A feed of ../shared/reference/gtfs: skipped with the reason when absent, failing in CI."""
    return reference_path(f"gtfs/{name}")


@pytest.fixture
def feed_bytes() -> Callable[..., bytes]:
    return build_feed


@pytest.fixture
def locks(settings):
    """A lock simulator on loopback, set as the platform's lock gateway."""
    server = simulator_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MOBILITY_LOCK_URL = f"http://127.0.0.1:{server.server_port}"
    settings.MOBILITY_LOCK_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()
