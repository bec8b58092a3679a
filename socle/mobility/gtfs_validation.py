"""Validating a GTFS feed with MobilityData's notice codes and severities.

Each check reports a notice code of MobilityData's canonical validator (``duplicate_key``,
``foreign_key_violation``, ``invalid_time`` …), its severity (ERROR, WARNING, INFO), how
many times it was found and up to ``SAMPLES`` sample rows. A feed with any ERROR is not
published. Checks run column-wise on the tables read by ``gtfs_feed``.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from .gtfs_feed import KNOWN_FILES, GtfsFeed, time_to_seconds

ERROR, WARNING, INFO = "ERROR", "WARNING", "INFO"
SAMPLES = 5

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")

# Required columns, and the fields whose every value must be given.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers.txt": ("transfer_type",),
    "feed_info.txt": ("feed_publisher_name", "feed_publisher_url", "feed_lang"),
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_id",),
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id",),
    "trips.txt": ("trip_id",),
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "calendar.txt": ("service_id",),
    "calendar_dates.txt": ("service_id", "date"),
    "shapes.txt": ("shape_id", "shape_pt_sequence"),
    "frequencies.txt": ("trip_id", "start_time"),
}

# (child file, child field, parent file, parent field)
FOREIGN_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("routes.txt", "agency_id", "agency.txt", "agency_id"),
    ("trips.txt", "route_id", "routes.txt", "route_id"),
    ("trips.txt", "shape_id", "shapes.txt", "shape_id"),
    ("stop_times.txt", "trip_id", "trips.txt", "trip_id"),
    ("stop_times.txt", "stop_id", "stops.txt", "stop_id"),
    ("stops.txt", "parent_station", "stops.txt", "stop_id"),
    ("frequencies.txt", "trip_id", "trips.txt", "trip_id"),
    ("transfers.txt", "from_stop_id", "stops.txt", "stop_id"),
    ("transfers.txt", "to_stop_id", "stops.txt", "stop_id"),
)

TIME_FIELDS: dict[str, tuple[str, ...]] = {"stop_times.txt": ("arrival_time", "departure_time"),
               "frequencies.txt": ("start_time", "end_time")}
DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "calendar.txt": ("start_date", "end_date"), "calendar_dates.txt": ("date",),
    "feed_info.txt": ("feed_start_date", "feed_end_date")}
ENUMS = {
    ("routes.txt", "route_type"): {"0", "1", "2", "3", "4", "5", "6", "7", "11", "12",
                                   *(str(n) for n in range(100, 1800))},
    ("stops.txt", "location_type"): {"", "0", "1", "2", "3", "4"},
    ("stops.txt", "wheelchair_boarding"): {"", "0", "1", "2"},
    ("trips.txt", "direction_id"): {"", "0", "1"},
    ("trips.txt", "wheelchair_accessible"): {"", "0", "1", "2"},
    ("trips.txt", "bikes_allowed"): {"", "0", "1", "2"},
    ("stop_times.txt", "pickup_type"): {"", "0", "1", "2", "3"},
    ("stop_times.txt", "drop_off_type"): {"", "0", "1", "2", "3"},
    ("stop_times.txt", "timepoint"): {"", "0", "1"},
    ("calendar_dates.txt", "exception_type"): {"1", "2"},
    **{("calendar.txt", day): {"0", "1"} for day in ("monday", "tuesday", "wednesday", "thursday",
                                                      "friday", "saturday", "sunday")},
}
# Top speeds by route type (km/h), as MobilityData's validator uses them.
MAX_SPEED_KPH = {"0": 100, "1": 150, "2": 500, "3": 150, "4": 80, "5": 30, "6": 50, "7": 50,
                 "11": 150, "12": 150}
DEFAULT_MAX_SPEED_KPH = 200

TIME_RE = r"^\d{1,3}:[0-5]\d:[0-5]\d$"
DATE_RE = r"^\d{8}$"
COLOR_RE = r"^[0-9A-Fa-f]{6}$"
URL_RE = r"^https?://\S+$"

# What a person reads for each notice, in French.
MESSAGES = {
    "not_a_zip": "Ce fichier n'est pas une archive zip : un flux GTFS est un zip de fichiers .txt.",
    "zip_bomb": "L'archive se décompresse de façon démesurée : ce n'est pas un flux GTFS.",
    "feed_too_large": "Le flux décompressé dépasse la taille permise.",
    "too_many_rows": "Un fichier du flux a plus de lignes que la plateforme n'en accepte.",
    "missing_required_file": "Un fichier obligatoire manque au flux.",
    "missing_calendar_and_calendar_date_files":
        "Ni calendar.txt ni calendar_dates.txt : aucun jour de service.",
    "missing_recommended_file": "Un fichier recommandé manque (feed_info.txt).",
    "unknown_file": "Un fichier que la spécification ne connaît pas ; il est ignoré.",
    "empty_file": "Un fichier du flux est vide.",
    "csv_parsing_failed": "Un fichier n'a pas pu être lu comme CSV.",
    "missing_required_column": "Une colonne obligatoire manque.",
    "unknown_column": "Une colonne que la spécification ne connaît pas ; elle est ignorée.",
    "duplicated_column": "Deux colonnes portent le même nom.",
    "empty_column_name": "Une colonne n'a pas de nom.",
    "invalid_row_length": "Une ligne n'a pas autant de valeurs que l'en-tête.",
    "missing_required_field": "Une valeur obligatoire est vide.",
    "leading_or_trailing_whitespaces": "Une valeur commence ou finit par des espaces.",
    "duplicate_key": "Deux lignes ont le même identifiant.",
    "foreign_key_violation": "Une référence désigne un identifiant qui n'existe pas.",
    "invalid_time": "Une heure n'est pas au format HH:MM:SS.",
    "invalid_date": "Une date n'est pas au format AAAAMMJJ ou n'existe pas.",
    "invalid_integer": "Une valeur devrait être un nombre entier.",
    "invalid_float": "Une valeur devrait être un nombre décimal (point décimal).",
    "number_out_of_range": "Un nombre sort des valeurs permises (latitude, longitude, séquence…).",
    "invalid_color": "Une couleur n'est pas écrite en six chiffres hexadécimaux.",
    "invalid_url": "Une adresse web n'est pas valide (http:// ou https://).",
    "invalid_timezone": "Un fuseau horaire n'est pas un nom IANA (Europe/Paris).",
    "unexpected_enum_value": "Une valeur n'est pas l'une de celles que la spécification prévoit.",
    "start_and_end_range_out_of_order": "Une date ou une heure de fin précède celle de début.",
    "stop_time_with_only_arrival_or_departure_time": "Un passage n'a qu'une heure d'arrivée ou de départ.",
    "stop_time_with_arrival_before_previous_departure_time":
        "Une arrivée précède le départ de l'arrêt précédent du même voyage.",
    "missing_trip_edge": "Le premier ou le dernier arrêt d'un voyage n'a pas d'heure.",
    "decreasing_or_equal_stop_time_distance":
        "La distance parcourue (shape_dist_traveled) ne croît pas le long du voyage.",
    "route_both_short_and_long_name_missing": "Une ligne n'a ni nom court ni nom long.",
    "same_name_and_description_for_route": "Une ligne a la même description que son nom.",
    "duplicate_route_name": "Deux lignes ont les mêmes noms et le même type.",
    "route_color_contrast": "Le texte de la ligne ne contraste pas assez avec sa couleur.",
    "location_without_parent_station":
        "Une entrée, un nœud ou un quai de station n'a pas de station parente.",
    "station_with_parent_station": "Une station ne peut pas avoir de station parente.",
    "unused_stop": "Un arrêt n'est desservi par aucun voyage.",
    "unused_shape": "Un tracé n'est utilisé par aucun voyage.",
    "unused_trip": "Un voyage n'a aucun passage (stop_times).",
    "fast_travel_between_consecutive_stops":
        "Le véhicule irait trop vite entre deux arrêts consécutifs : heure ou position à revoir.",
    "expired_calendar": "Un calendrier de service est entièrement passé.",
    "feed_expiration_date7_days": "Le flux expire dans moins de 7 jours : publiez les horaires suivants.",
    "feed_expiration_date30_days": "Le flux expire dans moins de 30 jours.",
}


@dataclass
class Notice:
    code: str
    severity: str
    count: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "count": self.count,
                "message": MESSAGES.get(self.code, ""), "samples": self.samples}


@dataclass
class ValidationReport:
    notices: dict[str, Notice] = field(default_factory=dict)
    service_window: tuple[date | None, date | None] = (None, None)

    def add(self, code: str, severity: str, count: int = 1,
            samples: list[dict[str, Any]] | None = None) -> None:
        notice = self.notices.setdefault(code, Notice(code, severity))
        notice.count += count
        room = SAMPLES - len(notice.samples)
        if room > 0 and samples:
            notice.samples += samples[:room]

    def add_rows(self, code: str, severity: str, rows: pl.DataFrame, **extra: Any) -> None:
        if rows.height:
            self.add(code, severity, rows.height,
                     [{**extra, **row} for row in rows.head(SAMPLES).to_dicts()])

    def count(self, severity: str) -> int:
        return sum(n.count for n in self.notices.values() if n.severity == severity)

    @property
    def valid(self) -> bool:
        return self.count(ERROR) == 0

    def has(self, code: str) -> bool:
        return code in self.notices

    def as_dict(self) -> dict[str, Any]:
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        notices = sorted(self.notices.values(), key=lambda n: (order[n.severity], n.code))
        start, end = self.service_window
        return {"valid": self.valid, "error_count": self.count(ERROR),
                "warning_count": self.count(WARNING), "info_count": self.count(INFO),
                "service_start": start.isoformat() if start else None,
                "service_end": end.isoformat() if end else None,
                "notices": [n.as_dict() for n in notices]}


def _rows(table: pl.DataFrame) -> pl.DataFrame:
    # The CSV row number of each row: the header is row 1.
    return table.with_row_index("csvRowNumber", offset=2)


def _files(feed: GtfsFeed, report: ValidationReport) -> None:
    for name in REQUIRED_FILES:
        if not feed.has(name) and name not in feed.unreadable:
            report.add("missing_required_file", ERROR, samples=[{"filename": name}])
    if not feed.has("calendar.txt") and not feed.has("calendar_dates.txt"):
        report.add("missing_calendar_and_calendar_date_files", ERROR)
    if not feed.has("feed_info.txt"):
        report.add("missing_recommended_file", WARNING, samples=[{"filename": "feed_info.txt"}])
    for name in feed.members:
        if name not in KNOWN_FILES and not name.endswith("/"):
            report.add("unknown_file", INFO, samples=[{"filename": name}])
    for name, why in feed.unreadable.items():
        report.add("csv_parsing_failed", ERROR, samples=[{"filename": name, "message": why}])
    for name, table in feed.tables.items():
        if table.width == 0:
            report.add("empty_file", ERROR, samples=[{"filename": name}])
    for ragged in feed.ragged:
        report.add("invalid_row_length", ERROR, samples=[{
            "filename": ragged.file, "csvRowNumber": ragged.row, "rowLength": ragged.length,
            "headerCount": ragged.header_length}])


def _columns(feed: GtfsFeed, report: ValidationReport) -> None:
    for name, table in feed.tables.items():
        seen: set[str] = set()
        for column in table.columns:
            if not column:
                report.add("empty_column_name", ERROR, samples=[{"filename": name}])
            elif column in seen or column.endswith("_duplicated_0"):
                report.add("duplicated_column", ERROR, samples=[{"filename": name, "fieldName": column}])
            seen.add(column)
        for column in REQUIRED_COLUMNS.get(name, ()) if table.width else ():
            if column not in table.columns:
                report.add("missing_required_column", ERROR,
                           samples=[{"filename": name, "fieldName": column}])


def _required_values(feed: GtfsFeed, report: ValidationReport) -> None:
    for name, columns in REQUIRED_COLUMNS.items():
        table = feed.table(name)
        if table is None or table.height == 0:
            continue
        rows = _rows(table)
        for column in columns:
            if column in table.columns:
                report.add_rows("missing_required_field", ERROR,
                                rows.filter(pl.col(column) == "").select("csvRowNumber"),
                                filename=name, fieldName=column)
    # Conditionally required: a stop's name and position, unless it is a node or a boarding area.
    stops = feed.table("stops.txt")
    if stops is not None and stops.height:
        rows = _rows(stops)
        kind = pl.col("location_type") if "location_type" in stops.columns else pl.lit("")
        for column in ("stop_name", "stop_lat", "stop_lon"):
            if column in stops.columns:
                report.add_rows("missing_required_field", ERROR,
                                rows.filter(kind.is_in(["", "0", "1", "2"]) & (pl.col(column) == ""))
                                .select("csvRowNumber", "stop_id"), filename="stops.txt", fieldName=column)
            else:
                report.add("missing_required_column", ERROR,
                           samples=[{"filename": "stops.txt", "fieldName": column}])


def _whitespace(feed: GtfsFeed, report: ValidationReport) -> None:
    for name, table in feed.tables.items():
        if table.height == 0:
            continue
        rows = _rows(table)
        for column in table.columns:
            report.add_rows("leading_or_trailing_whitespaces", WARNING,
                            rows.filter(pl.col(column) != pl.col(column).str.strip_chars())
                            .select("csvRowNumber", pl.col(column).alias("fieldValue")),
                            filename=name, fieldName=column)


def _keys(feed: GtfsFeed, report: ValidationReport) -> None:
    for name, key in PRIMARY_KEYS.items():
        table = feed.table(name)
        if table is None or table.height == 0 or any(c not in table.columns for c in key):
            continue
        rows = _rows(table)
        duplicated = rows.filter(pl.struct(list(key)).is_duplicated() & (pl.col(key[0]) != ""))
        # The first row of a key is fine: report the ones after it.
        later = duplicated.filter(~pl.struct(list(key)).is_first_distinct())
        report.add_rows("duplicate_key", ERROR, later.select("csvRowNumber", *key), filename=name)
    for child, column, parent, parent_column in FOREIGN_KEYS:
        table, target = feed.table(child), feed.table(parent)
        if table is None or table.height == 0 or column not in table.columns:
            continue
        values = (target[parent_column].unique() if target is not None and parent_column in target.columns
                  else pl.Series([], dtype=pl.String))
        rows = _rows(table).filter((pl.col(column) != "") & ~pl.col(column).is_in(values.implode()))
        report.add_rows("foreign_key_violation", ERROR,
                        rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                        childFilename=child, childFieldName=column, parentFilename=parent,
                        parentFieldName=parent_column)
    trips = feed.table("trips.txt")
    if trips is not None and trips.height and "service_id" in trips.columns:
        services: list[str] = []
        for name in ("calendar.txt", "calendar_dates.txt"):
            table = feed.table(name)
            if table is not None and "service_id" in table.columns:
                services += table["service_id"].to_list()
        rows = _rows(trips).filter((pl.col("service_id") != "")
                                   & ~pl.col("service_id").is_in(
                                       pl.Series(services, dtype=pl.String).implode()))
        report.add_rows("foreign_key_violation", ERROR,
                        rows.select("csvRowNumber", pl.col("service_id").alias("fieldValue")),
                        childFilename="trips.txt", childFieldName="service_id",
                        parentFilename="calendar.txt/calendar_dates.txt", parentFieldName="service_id")


# One branch per GTFS field type, as the reference lists them.
def _formats(feed: GtfsFeed, report: ValidationReport) -> None:  # noqa: C901
    def pattern(name: str, column: str, regex: str, code: str) -> None:
        table = feed.table(name)
        if table is None or column not in table.columns or table.height == 0:
            return
        rows = _rows(table).filter((pl.col(column) != "") & ~pl.col(column).str.strip_chars()
                                   .str.contains(regex))
        report.add_rows(code, ERROR, rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                        filename=name, fieldName=column)

    for name, columns in TIME_FIELDS.items():
        for column in columns:
            pattern(name, column, TIME_RE, "invalid_time")
    for name, columns in DATE_FIELDS.items():
        for column in columns:
            pattern(name, column, DATE_RE, "invalid_date")
            table = feed.table(name)
            if table is not None and column in table.columns and table.height:
                parsed = table[column].str.strip_chars().str.to_date("%Y%m%d", strict=False)
                rows = _rows(table).filter(pl.col(column).str.contains(DATE_RE) & parsed.is_null())
                report.add_rows("invalid_date", ERROR,
                                rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                                filename=name, fieldName=column)
    for name, column in (("routes.txt", "route_color"), ("routes.txt", "route_text_color")):
        pattern(name, column, COLOR_RE, "invalid_color")
    for name, column in (("agency.txt", "agency_url"), ("routes.txt", "route_url"),
                         ("stops.txt", "stop_url"), ("feed_info.txt", "feed_publisher_url")):
        pattern(name, column, URL_RE, "invalid_url")
    for name, column in (("stop_times.txt", "stop_sequence"), ("shapes.txt", "shape_pt_sequence"),
                         ("frequencies.txt", "headway_secs")):
        pattern(name, column, r"^-?\d+$", "invalid_integer")
    numbers = (("stops.txt", "stop_lat", -90, 90), ("stops.txt", "stop_lon", -180, 180),
               ("shapes.txt", "shape_pt_lat", -90, 90), ("shapes.txt", "shape_pt_lon", -180, 180))
    for name, column, low, high in numbers:
        pattern(name, column, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$", "invalid_float")
        table = feed.table(name)
        if table is not None and column in table.columns and table.height:
            value = pl.col(column).cast(pl.Float64, strict=False)
            rows = _rows(table).filter(value.is_not_null() & ((value < low) | (value > high)))
            report.add_rows("number_out_of_range", ERROR,
                            rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                            filename=name, fieldName=column)
    for name, column in (("stop_times.txt", "stop_sequence"), ("shapes.txt", "shape_pt_sequence")):
        table = feed.table(name)
        if table is not None and column in table.columns and table.height:
            rows = _rows(table).filter(pl.col(column).cast(pl.Int64, strict=False) < 0)
            report.add_rows("number_out_of_range", ERROR,
                            rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                            filename=name, fieldName=column)
    agency = feed.table("agency.txt")
    if agency is not None and "agency_timezone" in agency.columns:
        zones = zoneinfo.available_timezones()
        for number, value in enumerate(agency["agency_timezone"].to_list(), start=2):
            if value and value.strip() not in zones:
                report.add("invalid_timezone", ERROR, samples=[{
                    "filename": "agency.txt", "csvRowNumber": number, "fieldValue": value}])
    for (name, column), allowed in ENUMS.items():
        table = feed.table(name)
        if table is None or column not in table.columns or table.height == 0:
            continue
        rows = _rows(table).filter(~pl.col(column).str.strip_chars().is_in(sorted(allowed))
                                   & (pl.col(column) != ""))
        report.add_rows("unexpected_enum_value", WARNING,
                        rows.select("csvRowNumber", pl.col(column).alias("fieldValue")),
                        filename=name, fieldName=column)


def _parse_day(value: str) -> date | None:
    if not re.fullmatch(DATE_RE, value.strip() or "x"):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _calendar(feed: GtfsFeed, report: ValidationReport, today: date) -> None:
    first: list[date] = []
    last: list[date] = []
    ends_by_service: dict[str, date] = {}
    calendar = feed.table("calendar.txt")
    if calendar is not None and calendar.height and {"start_date", "end_date"} <= set(calendar.columns):
        for number, row in enumerate(calendar.iter_rows(named=True), start=2):
            start, end = _parse_day(row["start_date"]), _parse_day(row["end_date"])
            if start and end and end < start:
                report.add("start_and_end_range_out_of_order", ERROR, samples=[{
                    "filename": "calendar.txt", "csvRowNumber": number,
                    "startFieldName": "start_date", "endFieldName": "end_date"}])
            if start and end:
                first.append(start)
                last.append(end)
                service_id = row.get("service_id", "")
                ends_by_service[service_id] = max(end, ends_by_service.get(service_id, end))
    dates = feed.table("calendar_dates.txt")
    if dates is not None and dates.height and {"date", "exception_type", "service_id"} <= set(dates.columns):
        added = dates.filter(pl.col("exception_type") == "1")
        for service, value in zip(added["service_id"].to_list(), added["date"].to_list(), strict=True):
            day = _parse_day(value)
            if day:
                first.append(day)
                last.append(day)
                ends_by_service[service] = max(day, ends_by_service.get(service, day))
    for service, end in ends_by_service.items():
        if end < today:
            report.add("expired_calendar", WARNING,
                       samples=[{"serviceId": service, "endDate": end.isoformat()}])
    feed_end = None
    info = feed.table("feed_info.txt")
    if info is not None and info.height and "feed_end_date" in info.columns:
        feed_end = _parse_day(info["feed_end_date"][0])
        feed_start = _parse_day(info["feed_start_date"][0]) if "feed_start_date" in info.columns else None
        if feed_start and feed_end and feed_end < feed_start:
            report.add("start_and_end_range_out_of_order", ERROR, samples=[{
                "filename": "feed_info.txt", "csvRowNumber": 2,
                "startFieldName": "feed_start_date", "endFieldName": "feed_end_date"}])
    end_of_service = feed_end or (max(last) if last else None)
    report.service_window = (min(first) if first else None, end_of_service)
    if end_of_service is not None:
        if end_of_service <= today + timedelta(days=7):
            report.add("feed_expiration_date7_days", WARNING, samples=[{
                "currentDate": today.isoformat(), "feedEndDate": end_of_service.isoformat()}])
        elif end_of_service <= today + timedelta(days=30):
            report.add("feed_expiration_date30_days", WARNING, samples=[{
                "currentDate": today.isoformat(), "feedEndDate": end_of_service.isoformat()}])


def _routes(feed: GtfsFeed, report: ValidationReport) -> None:
    routes = feed.table("routes.txt")
    if routes is None or routes.height == 0 or "route_id" not in routes.columns:
        return
    rows = _rows(routes)
    short = pl.col("route_short_name") if "route_short_name" in routes.columns else pl.lit("")
    long = pl.col("route_long_name") if "route_long_name" in routes.columns else pl.lit("")
    report.add_rows("route_both_short_and_long_name_missing", ERROR,
                    rows.filter((short == "") & (long == "")).select("csvRowNumber", "route_id"),
                    filename="routes.txt")
    if "route_desc" in routes.columns:
        same = rows.filter((pl.col("route_desc") != "")
                           & ((pl.col("route_desc") == short) | (pl.col("route_desc") == long)))
        report.add_rows("same_name_and_description_for_route", WARNING,
                        same.select("csvRowNumber", "route_id"), filename="routes.txt")
    named = rows.with_columns(short.alias("_s"), long.alias("_l"))
    names = ["_s", "_l"] + [c for c in ("route_type", "agency_id") if c in routes.columns]
    duplicates = named.filter(pl.struct(names).is_duplicated() & ~pl.struct(names).is_first_distinct())
    report.add_rows("duplicate_route_name", WARNING, duplicates.select("csvRowNumber", "route_id"),
                    filename="routes.txt")
    if {"route_color", "route_text_color"} <= set(routes.columns):
        for number, row in enumerate(routes.iter_rows(named=True), start=2):
            color, text = row["route_color"], row["route_text_color"]
            if re.fullmatch(COLOR_RE, color or "") and re.fullmatch(COLOR_RE, text or "") \
                    and _contrast(color, text) < 4.5:
                report.add("route_color_contrast", WARNING, samples=[{
                    "filename": "routes.txt", "csvRowNumber": number, "routeId": row["route_id"],
                    "routeColor": color, "routeTextColor": text}])


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(one: str, two: str) -> float:
    a, b = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _stations(feed: GtfsFeed, report: ValidationReport) -> None:
    stops = feed.table("stops.txt")
    if stops is None or stops.height == 0 or "location_type" not in stops.columns:
        return
    rows = _rows(stops)
    parent = pl.col("parent_station") if "parent_station" in stops.columns else pl.lit("")
    report.add_rows("location_without_parent_station", ERROR,
                    rows.filter(pl.col("location_type").is_in(["2", "3", "4"]) & (parent == ""))
                    .select("csvRowNumber", "stop_id"), filename="stops.txt")
    report.add_rows("station_with_parent_station", ERROR,
                    rows.filter((pl.col("location_type") == "1") & (parent != ""))
                    .select("csvRowNumber", "stop_id"), filename="stops.txt")


def _stop_times(feed: GtfsFeed, report: ValidationReport) -> None:
    times = feed.table("stop_times.txt")
    if times is None or times.height == 0 or not {"trip_id", "stop_sequence"} <= set(times.columns):
        return
    arrival = pl.col("arrival_time") if "arrival_time" in times.columns else pl.lit("")
    departure = pl.col("departure_time") if "departure_time" in times.columns else pl.lit("")
    rows = (_rows(times).with_columns(
        arrival.str.strip_chars().alias("_a"), departure.str.strip_chars().alias("_d"),
        pl.col("stop_sequence").cast(pl.Int64, strict=False).alias("_seq"))
        .sort(["trip_id", "_seq"]))
    report.add_rows("stop_time_with_only_arrival_or_departure_time", ERROR,
                    rows.filter((pl.col("_a") == "") != (pl.col("_d") == ""))
                    .select("csvRowNumber", "trip_id", "stop_sequence"), filename="stop_times.txt")
    edges = rows.filter((pl.col("_seq") == pl.col("_seq").min().over("trip_id"))
                        | (pl.col("_seq") == pl.col("_seq").max().over("trip_id")))
    report.add_rows("missing_trip_edge", ERROR,
                    edges.filter((pl.col("_a") == "") | (pl.col("_d") == ""))
                    .select("csvRowNumber", "trip_id", "stop_sequence"), filename="stop_times.txt")
    timed = rows.with_columns(
        time_to_seconds(pl.when(pl.col("_a") != "").then(pl.col("_a"))).alias("_as"),
        time_to_seconds(pl.when(pl.col("_d") != "").then(pl.col("_d"))).alias("_ds"))
    # The last departure given before each stop of the same trip.
    timed = timed.with_columns(pl.col("_ds").shift(1).over("trip_id").forward_fill().over("trip_id")
                               .alias("_prev_d"))
    report.add_rows("stop_time_with_arrival_before_previous_departure_time", ERROR,
                    timed.filter(pl.col("_as").is_not_null() & pl.col("_prev_d").is_not_null()
                                 & (pl.col("_as") < pl.col("_prev_d")))
                    .select("csvRowNumber", "trip_id", "stop_sequence"), filename="stop_times.txt")
    if "shape_dist_traveled" in times.columns:
        dist = timed.with_columns(pl.col("shape_dist_traveled").cast(pl.Float64, strict=False).alias("_sd"))
        dist = dist.with_columns(pl.col("_sd").shift(1).over("trip_id").alias("_prev_sd"))
        report.add_rows("decreasing_or_equal_stop_time_distance", ERROR,
                        dist.filter(pl.col("_sd").is_not_null() & pl.col("_prev_sd").is_not_null()
                                    & (pl.col("_sd") <= pl.col("_prev_sd")))
                        .select("csvRowNumber", "trip_id", "stop_sequence"), filename="stop_times.txt")
    _fast_travel(feed, timed, report)


def _fast_travel(feed: GtfsFeed, timed: pl.DataFrame, report: ValidationReport) -> None:
    stops, trips, routes = feed.table("stops.txt"), feed.table("trips.txt"), feed.table("routes.txt")
    if stops is None or trips is None or routes is None or "stop_id" not in timed.columns:
        return
    if not {"stop_lat", "stop_lon", "stop_id"} <= set(stops.columns) or "route_type" not in routes.columns:
        return
    positions = stops.select("stop_id", pl.col("stop_lat").cast(pl.Float64, strict=False).alias("_lat"),
                             pl.col("stop_lon").cast(pl.Float64, strict=False).alias("_lon"))
    kinds = trips.select("trip_id", "route_id").join(routes.select("route_id", "route_type"),
                                                      on="route_id", how="left")
    legs = (timed.select("csvRowNumber", "trip_id", "stop_sequence", "stop_id", "_as", "_ds")
            .join(positions, on="stop_id", how="left").join(kinds, on="trip_id", how="left")
            .with_columns(pl.col("_lat").shift(1).over("trip_id").alias("_plat"),
                          pl.col("_lon").shift(1).over("trip_id").alias("_plon"),
                          pl.col("_ds").shift(1).over("trip_id").alias("_pd")))
    legs = legs.filter(pl.col("_plat").is_not_null() & pl.col("_as").is_not_null()
                       & pl.col("_pd").is_not_null())
    if legs.height == 0:
        return
    rad = math.pi / 180
    dlat = (pl.col("_lat") - pl.col("_plat")) * rad
    dlon = (pl.col("_lon") - pl.col("_plon")) * rad
    a = ((dlat / 2).sin() ** 2
         + (pl.col("_plat") * rad).cos() * (pl.col("_lat") * rad).cos() * (dlon / 2).sin() ** 2)
    km = 2 * 6371.0 * a.sqrt().arcsin()
    # Times are to the minute in most feeds: a leg timed 0 s is taken as one minute.
    hours = pl.max_horizontal(pl.col("_as") - pl.col("_pd"), pl.lit(60)) / 3600
    limit = pl.col("route_type").replace_strict(MAX_SPEED_KPH, default=DEFAULT_MAX_SPEED_KPH,
                                                return_dtype=pl.Float64)
    fast = legs.with_columns((km / hours).alias("speedKph"), km.alias("distanceKm")).filter(
        pl.col("speedKph") > limit)
    report.add_rows("fast_travel_between_consecutive_stops", WARNING,
                    fast.select("csvRowNumber", "trip_id", "stop_sequence",
                                pl.col("speedKph").round(1), pl.col("distanceKm").round(3)),
                    filename="stop_times.txt")


def _unused(feed: GtfsFeed, report: ValidationReport) -> None:
    stops, times, trips, shapes = (feed.table(n) for n in ("stops.txt", "stop_times.txt", "trips.txt",
                                                            "shapes.txt"))
    if stops is not None and stops.height and times is not None and "stop_id" in times.columns \
            and "stop_id" in stops.columns:
        served = times["stop_id"].unique().implode()
        kind = pl.col("location_type") if "location_type" in stops.columns else pl.lit("")
        parents = (stops.filter(pl.col("stop_id").is_in(served))["parent_station"].unique().implode()
                   if "parent_station" in stops.columns else pl.Series([], dtype=pl.String).implode())
        unused = _rows(stops).filter(kind.is_in(["", "0"]) & ~pl.col("stop_id").is_in(served)
                                     & ~pl.col("stop_id").is_in(parents))
        report.add_rows("unused_stop", WARNING, unused.select("csvRowNumber", "stop_id"),
                        filename="stops.txt")
    if shapes is not None and shapes.height and trips is not None and "shape_id" in shapes.columns:
        used = (trips["shape_id"] if "shape_id" in trips.columns
                else pl.Series([], dtype=pl.String)).unique().implode()
        unused_shapes = _rows(shapes).filter(~pl.col("shape_id").is_in(used)).unique("shape_id", keep="first",
                                                                                    maintain_order=True)
        report.add_rows("unused_shape", WARNING, unused_shapes.select("csvRowNumber", "shape_id"),
                        filename="shapes.txt")
    if trips is not None and trips.height and times is not None and "trip_id" in times.columns \
            and "trip_id" in trips.columns:
        unused_trips = _rows(trips).filter(~pl.col("trip_id").is_in(times["trip_id"].unique().implode()))
        report.add_rows("unused_trip", WARNING, unused_trips.select("csvRowNumber", "trip_id"),
                        filename="trips.txt")


def _unknown_columns(feed: GtfsFeed, report: ValidationReport) -> None:
    from .gtfs_columns import KNOWN_COLUMNS

    for name, table in feed.tables.items():
        known = KNOWN_COLUMNS.get(name)
        if known is None:
            continue
        for column in table.columns:
            if column and column not in known:
                report.add("unknown_column", INFO, samples=[{"filename": name, "fieldName": column}])


def feed_validate(feed: GtfsFeed, *, today: date | None = None) -> ValidationReport:
    """Check a feed read by ``feed_read`` and return its notices."""
    from django.utils import timezone

    report = ValidationReport()
    today = today or timezone.localdate()
    _files(feed, report)
    _columns(feed, report)
    for check in (_unknown_columns, _required_values, _whitespace, _keys, _formats, _routes,
                  _stations, _stop_times, _unused):
        try:
            check(feed, report)
        except pl.exceptions.ColumnNotFoundError:
            # A column a check needs is missing: missing_required_column already says so.
            continue
    try:
        _calendar(feed, report, today)
    except (pl.exceptions.ColumnNotFoundError, KeyError, ValueError):
        report.add("invalid_date", ERROR, samples=[{"filename": "calendar.txt"}])
    return report
