"""The GTFS validator: MobilityData's notice codes and severities, each triggered by a feed."""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import date

import pytest

from socle.mobility.gtfs_feed import FeedRefused, feed_read
from socle.mobility.gtfs_validation import feed_validate

from .conftest import BASE, build_feed, reference_feed

TODAY = date(2026, 12, 3)


def report_of(files=None, **options):
    return feed_validate(feed_read(io.BytesIO(build_feed(files, **options))), today=TODAY)


def changed(name, mutate):
    rows = copy.deepcopy(BASE[name])
    mutate(rows)
    return {name: rows}


def test_the_base_feed_is_valid_with_no_notice():
    report = report_of()
    assert report.valid and report.as_dict()["notices"] == []


def test_a_feed_in_a_folder_with_byte_order_marks_is_read_as_the_feed():
    report = report_of(folder="reseau/", bom=True)
    assert report.valid and report.as_dict()["notices"] == []


def _set(name, row, column, value):
    def mutate(rows):
        rows[row][rows[0].index(column)] = value
    return changed(name, mutate)


def _append(name, *new_rows):
    return changed(name, lambda rows: rows.extend([list(r) for r in new_rows]))


CASES = {
    "missing_required_file": ({"routes.txt": None}, "ERROR"),
    "missing_calendar_and_calendar_date_files": ({"calendar.txt": None}, "ERROR"),
    "missing_recommended_file": ({"feed_info.txt": None}, "WARNING"),
    "unknown_file": ({"notes.txt": [["a"], ["b"]]}, "INFO"),
    "empty_file": ({"transfers.txt": b""}, "ERROR"),
    "missing_required_column": (changed("routes.txt", lambda rows: [r.pop(4) for r in rows]), "ERROR"),
    "unknown_column": (changed("stops.txt", lambda rows: [r.append("x") for r in rows]), "INFO"),
    "invalid_row_length": (_append("stops.txt", ["s9", "Trop", "49.4", "2.8", "en trop"]), "ERROR"),
    "missing_required_field": (_set("stops.txt", 2, "stop_name", ""), "ERROR"),
    "leading_or_trailing_whitespaces": (_set("stops.txt", 1, "stop_name", " Gare"), "WARNING"),
    "duplicate_key": (_append("stops.txt", ["s1", "Gare bis", "49.4179", "2.8261"]), "ERROR"),
    "foreign_key_violation": (_set("stop_times.txt", 2, "stop_id", "nulle-part"), "ERROR"),
    "invalid_time": (_set("stop_times.txt", 2, "arrival_time", "8h05"), "ERROR"),
    "invalid_date": (_set("calendar.txt", 1, "end_date", "20261340"), "ERROR"),
    "invalid_float": (_set("stops.txt", 1, "stop_lat", "49,4179"), "ERROR"),
    "invalid_integer": (_set("stop_times.txt", 1, "stop_sequence", "un"), "ERROR"),
    "number_out_of_range": (_set("stops.txt", 1, "stop_lat", "149.4"), "ERROR"),
    "invalid_url": (_set("agency.txt", 1, "agency_url", "exemple.fr"), "ERROR"),
    "invalid_timezone": (_set("agency.txt", 1, "agency_timezone", "Paris"), "ERROR"),
    "invalid_color": (changed("routes.txt", lambda rows: (rows[0].append("route_color"),
                                                           rows[1].append("bleu"))), "ERROR"),
    "unexpected_enum_value": (_set("trips.txt", 1, "direction_id", "2"), "WARNING"),
    "start_and_end_range_out_of_order": (_set("calendar.txt", 1, "start_date", "21000101"), "ERROR"),
    "stop_time_with_only_arrival_or_departure_time": (_set("stop_times.txt", 2, "departure_time", ""),
                                                      "ERROR"),
    "stop_time_with_arrival_before_previous_departure_time":
        (_set("stop_times.txt", 2, "arrival_time", "07:59:00"), "ERROR"),
    "missing_trip_edge": (changed("stop_times.txt", lambda rows: rows[3].__setitem__(1, "")
                                  or rows[3].__setitem__(2, "")), "ERROR"),
    "route_both_short_and_long_name_missing":
        (changed("routes.txt", lambda rows: (rows[1].__setitem__(2, ""), rows[1].__setitem__(3, ""))),
         "ERROR"),
    "same_name_and_description_for_route":
        (changed("routes.txt", lambda rows: (rows[0].append("route_desc"), rows[1].append("1"))), "WARNING"),
    "duplicate_route_name": (_append("routes.txt", ["r2", "a", "1", "Gare - Hôpital", "3"]), "WARNING"),
    "route_color_contrast":
        (changed("routes.txt", lambda rows: (rows[0].extend(["route_color", "route_text_color"]),
                                             rows[1].extend(["FFFF00", "FFFFFF"]))), "WARNING"),
    "location_without_parent_station":
        (changed("stops.txt", lambda rows: (rows[0].append("location_type"),
                                            [r.append("") for r in rows[1:]],
                                            rows.append(["e1", "Entrée", "49.4", "2.8", "2"]))), "ERROR"),
    "unused_stop": (_append("stops.txt", ["s4", "Dépôt", "49.40", "2.80"]), "WARNING"),
    "unused_trip": (_append("trips.txt", ["r1", "wk", "t3", "Hôpital", "0"]), "WARNING"),
    "fast_travel_between_consecutive_stops": (_set("stops.txt", 3, "stop_lat", "48.4330"), "WARNING"),
    "expired_calendar": (_set("calendar.txt", 1, "end_date", "20250101"), "WARNING"),
    "feed_expiration_date7_days": (_set("calendar.txt", 1, "end_date", "20261205"), "WARNING"),
    "feed_expiration_date30_days": (_set("calendar.txt", 1, "end_date", "20261225"), "WARNING"),
    "decreasing_or_equal_stop_time_distance":
        (changed("stop_times.txt", lambda rows: (rows[0].append("shape_dist_traveled"),
                                                 [r.append(d) for r, d in
                                                  zip(rows[1:], "011234", strict=True)])),
         "ERROR"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_notice_is_reported_with_its_severity(code):
    files, severity = CASES[code]
    notices = {n["code"]: n for n in report_of(files).as_dict()["notices"]}
    assert code in notices, notices.keys()
    assert notices[code]["severity"] == severity
    assert notices[code]["count"] >= 1 and notices[code]["message"]
    if severity == "ERROR":
        assert not report_of(files).valid


def test_samples_name_the_file_and_row():
    notice = next(n for n in report_of(_set("stop_times.txt", 2, "stop_id", "nulle-part"))
                  .as_dict()["notices"] if n["code"] == "foreign_key_violation")
    assert notice["samples"][0]["childFilename"] == "stop_times.txt"
    assert notice["samples"][0]["csvRowNumber"] == 3
    assert notice["samples"][0]["fieldValue"] == "nulle-part"


def test_a_file_that_is_not_a_zip_is_refused():
    with pytest.raises(FeedRefused) as refused:
        feed_read(io.BytesIO(b"stop_id,stop_name\n"))
    assert refused.value.code == "not_a_zip"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings):
    settings.MOBILITY_GTFS_MAX_UNPACKED_SIZE = 20 * 1024**2
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("stop_times.txt", b"0" * (30 * 1024**2))
    with pytest.raises(FeedRefused) as refused:
        feed_read(io.BytesIO(buffer.getvalue()))
    assert refused.value.code == "feed_too_large"


def test_a_highly_compressed_feed_under_the_size_limit_is_a_bomb(settings):
    settings.MOBILITY_GTFS_MAX_RATIO = 50
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("stop_times.txt", b"0" * (12 * 1024**2))
    with pytest.raises(FeedRefused) as refused:
        feed_read(io.BytesIO(buffer.getvalue()))
    assert refused.value.code == "zip_bomb"


def test_a_table_with_too_many_rows_is_refused(settings):
    settings.MOBILITY_GTFS_MAX_ROWS = 4
    with pytest.raises(FeedRefused) as refused:
        feed_read(io.BytesIO(build_feed()))
    assert refused.value.code == "too_many_rows"


@pytest.mark.parametrize("name", ["sample_gtfs.zip", "cairns_gtfs.zip", "caltrain-2017-07-24.zip",
                                  "atb-trondelag-nord.zip"])
def test_the_real_reference_feeds_have_no_error(name):
    report = feed_validate(feed_read(reference_feed(name)), today=TODAY)
    assert report.valid, [n for n in report.as_dict()["notices"] if n["severity"] == "ERROR"]
    assert report.has("feed_expiration_date7_days")  # they all ended years ago


def test_the_norwegian_feed_with_only_calendar_dates_is_read():
    feed = feed_read(reference_feed("atb-trondelag-nord.zip"))
    assert not feed.has("calendar.txt") and feed.has("calendar_dates.txt")
    assert not feed_validate(feed, today=TODAY).has("missing_calendar_and_calendar_date_files")


def test_the_empty_reference_feed_is_invalid():
    report = feed_validate(feed_read(reference_feed("empty.zip")), today=TODAY)
    assert not report.valid and report.has("empty_file")


def test_caltrain_extension_files_are_reported_as_unknown():
    report = feed_validate(feed_read(reference_feed("caltrain-2017-07-24.zip")), today=TODAY)
    names = {s["filename"] for s in report.notices["unknown_file"].samples}
    assert "realtime_trips.txt" in names or report.notices["unknown_file"].count >= 5
