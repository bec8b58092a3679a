"""Reading a GTFS feed (a zip of CSV files) into columnar tables, within bounds.

Every value is read as text, as the specification writes it: the validator and the
statistics parse what they need. A feed is refused before it is unpacked when its
members would unpack to more than ``MOBILITY_GTFS_MAX_UNPACKED_SIZE`` or compress
better than ``MOBILITY_GTFS_MAX_RATIO`` (a zip bomb), and a table with more rows than
``MOBILITY_GTFS_MAX_ROWS`` is refused as it is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import polars as pl
from django.conf import settings

BOM = b"\xef\xbb\xbf"

KNOWN_FILES = (
    "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
    "calendar_dates.txt", "fare_attributes.txt", "fare_rules.txt", "timeframes.txt",
    "fare_media.txt", "fare_products.txt", "fare_leg_rules.txt", "fare_transfer_rules.txt",
    "areas.txt", "stop_areas.txt", "networks.txt", "route_networks.txt", "shapes.txt",
    "frequencies.txt", "transfers.txt", "pathways.txt", "levels.txt", "location_groups.txt",
    "location_group_stops.txt", "booking_rules.txt", "translations.txt", "feed_info.txt",
    "attributions.txt",
)


class FeedRefused(ValueError):
    """A file that cannot be read as a GTFS feed, with a French message."""

    def __init__(self, message: str, *, code: str = "invalid_feed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class RaggedRow:
    file: str
    row: int  # 1-based CSV line number (the header is line 1)
    length: int
    header_length: int


@dataclass
class GtfsFeed:
    """The tables of a feed, by file name, every column as text (empty cells as "")."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # every file of the zip, as named there
    ragged: list[RaggedRow] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # file -> why

    def table(self, name: str) -> pl.DataFrame | None:
        return self.tables.get(name)

    def has(self, name: str) -> bool:
        return name in self.tables


def _prefix(names: list[str]) -> str:
    # A feed zipped with its folder ("network/stops.txt"): read the folder that holds stops.txt.
    for name in names:
        path = PurePosixPath(name)
        if path.name in ("stops.txt", "agency.txt", "routes.txt") and len(path.parts) > 1:
            return str(path.parent) + "/"
    return ""


def _check_bounds(infos: list[zipfile.ZipInfo]) -> None:
    limit = settings.MOBILITY_GTFS_MAX_UNPACKED_SIZE
    ratio = settings.MOBILITY_GTFS_MAX_RATIO
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > limit:
        raise FeedRefused(f"Le flux décompressé ferait {total // 1024**2} Mo, au-delà de la limite de "
                          f"{limit // 1024**2} Mo.", code="feed_too_large")
    if total > 10 * 1024**2 and packed and total / packed > ratio:
        raise FeedRefused(f"Le flux se décompresse {total // packed} fois : au-delà de {ratio}, c'est "
                          "une bombe de décompression, pas un flux GTFS.", code="zip_bomb")


def _ragged_rows(name: str, data: bytes, limit: int = 50) -> tuple[list[RaggedRow], int]:
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    header = next(reader, [])
    found: list[RaggedRow] = []
    for number, row in enumerate(reader, start=2):
        if row and len(row) != len(header) and len(found) < limit:
            found.append(RaggedRow(file=name, row=number, length=len(row), header_length=len(header)))
    return found, len(header)


def _read_table(name: str, data: bytes, feed: GtfsFeed) -> None:
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        feed.tables[name] = pl.DataFrame()
        return
    try:
        table = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy",
                            empty_string_is_null=False, raise_if_empty=False,
                            n_rows=settings.MOBILITY_GTFS_MAX_ROWS + 1)
    except pl.exceptions.ComputeError:
        ragged, _width = _ragged_rows(name, data)
        feed.ragged += ragged
        try:
            table = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy",
                                empty_string_is_null=False, truncate_ragged_lines=True,
                                raise_if_empty=False, n_rows=settings.MOBILITY_GTFS_MAX_ROWS + 1)
        except pl.exceptions.PolarsError as exc:
            feed.unreadable[name] = str(exc).splitlines()[0][:300]
            return
    if table.height > settings.MOBILITY_GTFS_MAX_ROWS:
        raise FeedRefused(f"{name} a plus de {settings.MOBILITY_GTFS_MAX_ROWS} lignes : au-delà de la "
                          "limite de la plateforme.", code="too_many_rows")
    table = table.rename({column: column.strip() for column in table.columns})
    feed.tables[name] = table.with_columns(pl.all().fill_null(""))


def feed_read(source: str | Path | IO[bytes]) -> GtfsFeed:
    """Read a GTFS zip (a path or a binary file), or raise FeedRefused."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FeedRefused("Ce fichier n'est pas une archive zip lisible : un flux GTFS est un zip de "
                          "fichiers .txt.", code="not_a_zip") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _check_bounds(infos)
        names = [info.filename for info in infos]
        prefix = _prefix(names)
        feed = GtfsFeed(members=[n[len(prefix):] if n.startswith(prefix) else n for n in names])
        for info in infos:
            if not info.filename.startswith(prefix):
                continue
            name = info.filename[len(prefix):]
            if "/" in name or not name.endswith(".txt"):
                continue
            with archive.open(info) as member:
                data = member.read(settings.MOBILITY_GTFS_MAX_UNPACKED_SIZE + 1)
            if len(data) > settings.MOBILITY_GTFS_MAX_UNPACKED_SIZE:
                raise FeedRefused(f"{name} dépasse la taille maximale d'un fichier du flux.",
                                  code="feed_too_large")
            _read_table(name, data, feed)
    return feed


def time_to_seconds(column: pl.Expr) -> pl.Expr:
    """Turn GTFS times ("25:10:00", "7:05:00") into seconds past the service day's noon minus 12 h."""
    parts = column.str.strip_chars().str.split(":")
    return (parts.list.get(0, null_on_oob=True).cast(pl.Int64, strict=False) * 3600
            + parts.list.get(1, null_on_oob=True).cast(pl.Int64, strict=False) * 60
            + parts.list.get(2, null_on_oob=True).cast(pl.Int64, strict=False))


def seconds_to_time(seconds: int | None) -> str:
    """Write seconds past midnight as a GTFS time, "HH:MM:SS" (hours may pass 24)."""
    if seconds is None:
        return ""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
