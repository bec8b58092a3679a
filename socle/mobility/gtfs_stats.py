"""Per-trip statistics of a GTFS feed, as gtfs-kit's ``compute_trip_stats`` defines them.

One row per trip: its route, direction, shape and stop pattern, number of stops, first
and last departure, first and last stop, whether it loops (ends within 400 m of its
start), duration in hours, distance in kilometres and speed in km/h. The figures are
gtfs-kit's, computed column-wise with polars instead of one Python call per trip, and
geometry with shapely's vectorised functions in the feed's UTM zone (as gtfs-kit does).
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl
import shapely
from pyproj import CRS, Transformer

from .gtfs_feed import GtfsFeed, seconds_to_time, time_to_seconds

COLUMNS = ["trip_id", "route_id", "route_short_name", "route_type", "direction_id", "shape_id",
           "stop_pattern_name", "service_id", "num_stops", "start_time", "end_time",
           "start_stop_id", "end_stop_id", "is_loop", "duration", "distance", "speed"]


def _utm(lon: np.ndarray, lat: np.ndarray) -> Transformer:
    # The zone of the centre of the points' bounds, as geopandas' estimate_utm_crs chooses it:
    # the WGS 84 UTM zone whose area of use holds that point (EPSG's areas are plain 6° strips).
    x_center = float(np.mean([np.nanmin(lon), np.nanmax(lon)]))
    y_center = float(np.mean([np.nanmin(lat), np.nanmax(lat)]))
    zone = min(60, int((x_center + 180) // 6) + 1)
    return _transformer((32600 if y_center >= 0 else 32700) + zone)


@functools.cache
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4326", CRS.from_epsg(epsg), always_xy=True)


def _stop_points(feed: GtfsFeed) -> dict[str, shapely.Point]:
    stops = feed.table("stops.txt")
    if stops is None or stops.height == 0:
        return {}
    lon = stops["stop_lon"].cast(pl.Float64, strict=False).to_numpy()
    lat = stops["stop_lat"].cast(pl.Float64, strict=False).to_numpy()
    x, y = _utm(lon, lat).transform(lon, lat)
    return dict(zip(stops["stop_id"].to_list(), shapely.points(x, y), strict=True))


def _shape_lines(feed: GtfsFeed) -> dict[str, shapely.LineString]:
    shapes = feed.table("shapes.txt")
    if shapes is None or shapes.height == 0:
        return {}
    shapes = (shapes.select(
        "shape_id",
        pl.col("shape_pt_sequence").cast(pl.Int64, strict=False).alias("seq"),
        pl.col("shape_pt_lon").cast(pl.Float64, strict=False).alias("lon"),
        pl.col("shape_pt_lat").cast(pl.Float64, strict=False).alias("lat"))
        .sort(["shape_id", "seq"]))
    lon, lat = shapes["lon"].to_numpy(), shapes["lat"].to_numpy()
    x, y = _utm(lon, lat).transform(lon, lat)
    ids = shapes["shape_id"].to_numpy()
    # Rows are sorted by shape: each shape is one run of rows.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    indices = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(ids)]))
    lines = shapely.linestrings(np.column_stack([x, y]), indices=indices)
    return dict(zip(ids[starts].tolist(), lines, strict=True))


def _pattern_names(per_trip: pl.DataFrame) -> pl.DataFrame:
    # Rank each (route, direction)'s stop patterns by frequency, ties in order of first
    # appearance among trips sorted by id: "<direction>-<rank>".
    counted = (per_trip.with_row_index("order")
               .group_by(["route_id", "direction_key", "stop_pattern"], maintain_order=True)
               .agg(pl.len().alias("count"), pl.col("order").min().alias("first")))
    span = per_trip.height + 1
    key = pl.col("first").cast(pl.Int64) - pl.col("count").cast(pl.Int64) * span
    ranked = counted.with_columns(key.rank("ordinal").over(["route_id", "direction_key"]).alias("rank"))
    return per_trip.join(ranked.select("route_id", "direction_key", "stop_pattern", "rank"),
                         on=["route_id", "direction_key", "stop_pattern"], how="left")


def _distances(per_trip: pl.DataFrame, feed: GtfsFeed,
               points: dict[str, shapely.Point]) -> np.ndarray:
    lines = _shape_lines(feed)
    if not lines:
        return np.full(per_trip.height, np.nan)
    # One computation per (shape, first stop, last stop), not per trip.
    keys = per_trip.select("shape_id", "start_stop_id", "end_stop_id").unique(maintain_order=True)
    shape_ids, starts, ends = (keys[c].to_list() for c in ("shape_id", "start_stop_id", "end_stop_id"))
    known = np.array([s in lines for s in shape_ids], dtype=bool)
    empty = shapely.LineString()
    geoms = np.array([lines.get(s, empty) for s in shape_ids], dtype=object)
    length = shapely.length(geoms)
    simple = shapely.is_simple(geoms)
    no_point = shapely.Point()
    p1 = np.array([points.get(s, no_point) for s in starts], dtype=object)
    p2 = np.array([points.get(s, no_point) for s in ends], dtype=object)
    have_points = ~(shapely.is_empty(p1) | shapely.is_empty(p2))
    with np.errstate(invalid="ignore"):
        along = shapely.line_locate_point(geoms, p2) - shapely.line_locate_point(geoms, p1)
    plausible = have_points & (along > 0) & (along < length + 100)
    distance = np.where(simple & plausible, along, length)
    distance = np.where(known, distance, np.nan) / 1000
    table = keys.with_columns(pl.Series("distance", distance, dtype=pl.Float64))
    return per_trip.join(table, on=["shape_id", "start_stop_id", "end_stop_id"], how="left",
                         maintain_order="left")["distance"].to_numpy()


def trip_stats(feed: GtfsFeed) -> pl.DataFrame:
    """Return one row of statistics per trip, sorted by route, direction and start time."""
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    stop_times = feed.table("stop_times.txt")
    if trips is None or routes is None or stop_times is None or stop_times.height == 0:
        return pl.DataFrame({column: [] for column in COLUMNS})
    has_direction = "direction_id" in trips.columns
    has_shape = "shape_id" in trips.columns
    has_dist = ("shape_dist_traveled" in stop_times.columns
                and (stop_times["shape_dist_traveled"] != "").any())
    times = (stop_times.select(
        "trip_id", "stop_id",
        pl.col("stop_sequence").cast(pl.Int64, strict=False).alias("seq"),
        time_to_seconds(pl.when(pl.col("departure_time") != "").then(pl.col("departure_time")))
        .alias("dep"),
        (pl.col("shape_dist_traveled").cast(pl.Float64, strict=False) if has_dist
         else pl.lit(None, dtype=pl.Float64)).alias("sdt"))
        .sort(["trip_id", "seq"]))
    per_trip = times.group_by("trip_id", maintain_order=True).agg(
        pl.len().alias("num_stops"),
        pl.col("dep").first().alias("start"),
        pl.col("dep").last().alias("end"),
        pl.col("stop_id").first().alias("start_stop_id"),
        pl.col("stop_id").last().alias("end_stop_id"),
        pl.col("stop_id").str.join("-").alias("stop_pattern"),
        pl.col("sdt").max().alias("sdt_max"),
    )
    trip_columns = [pl.col("trip_id"), pl.col("route_id"),
                    (pl.col("direction_id") if has_direction else pl.lit(None, pl.String))
                    .alias("direction_id"),
                    (pl.col("shape_id") if has_shape else pl.lit(None, pl.String)).alias("shape_id"),
                    (pl.col("service_id") if "service_id" in trips.columns
                     else pl.lit(None, pl.String)).alias("service_id")]
    per_trip = (per_trip.join(trips.select(trip_columns), on="trip_id", how="inner")
                .join(routes.select("route_id", "route_short_name", "route_type"), on="route_id",
                      how="inner")
                .with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
                              for c in ("direction_id", "shape_id", "service_id"))
                .with_columns(pl.col("direction_id").fill_null("0").alias("direction_key")))
    per_trip = _pattern_names(per_trip)
    points = _stop_points(feed)
    no_point = shapely.Point()
    start_points = np.array([points.get(s, no_point) for s in per_trip["start_stop_id"].to_list()],
                            dtype=object)
    end_points = np.array([points.get(s, no_point) for s in per_trip["end_stop_id"].to_list()],
                          dtype=object)
    loop_distance = shapely.distance(start_points, end_points)
    if has_dist:
        distance = (per_trip["sdt_max"] / _km_factor(feed)).to_numpy()
    else:
        distance = _distances(per_trip, feed, points)
    per_trip = per_trip.with_columns(
        pl.Series("is_loop", (np.nan_to_num(loop_distance, nan=np.inf) < 400).astype(np.int64)),
        ((pl.col("end") - pl.col("start")) / 3600).alias("duration"),
        pl.Series("distance", distance, dtype=pl.Float64),
    )
    stats = per_trip.with_columns(
        (pl.col("distance") / pl.col("duration")).alias("speed"),
        pl.col("route_type").cast(pl.Int64, strict=False),
        # gtfs-kit: "0-<rank>" when the feed has no direction_id column; no name for a trip
        # whose direction is left blank in a feed that has the column.
        (pl.concat_str([pl.col("direction_id"), pl.col("rank").cast(pl.String)], separator="-")
         if has_direction else
         pl.concat_str([pl.lit("0"), pl.col("rank").cast(pl.String)], separator="-"))
        .alias("stop_pattern_name"),
        pl.col("start").map_elements(seconds_to_time, return_dtype=pl.String).alias("start_time"),
        pl.col("end").map_elements(seconds_to_time, return_dtype=pl.String).alias("end_time"),
    )
    # Ties in trip id order, as gtfs-kit's stable sort of trips grouped by id leaves them.
    return stats.select(COLUMNS).sort(["route_id", "direction_id", "start_time", "trip_id"],
                                      nulls_last=True)


def _km_factor(feed: GtfsFeed) -> float:
    # shape_dist_traveled's unit is the producer's: socle's feeds and most French ones use
    # metres when the values are large. gtfs-kit asks the caller; socle assumes kilometres
    # below 1,000 for the longest trip and metres above, and says so in the report.
    stop_times = feed.table("stop_times.txt")
    assert stop_times is not None
    largest = stop_times["shape_dist_traveled"].cast(pl.Float64, strict=False).max()
    return 1000.0 if isinstance(largest, float) and largest > 1000 else 1.0
