"""What changed between two GTFS versions: routes, stops and trips added, removed or changed.

Columnar (polars): each row becomes one signature string of its values, joined on its key
between the two feeds. A trip's signature includes its stop times (stops, times and
sequence in order), so a retimed trip is « changed » even when trips.txt is identical.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .gtfs_feed import GtfsFeed

SAMPLES = 10
KINDS = (("routes", "routes.txt", "route_id"), ("stops", "stops.txt", "stop_id"), ("trips", "trips.txt",
                                                                                   "trip_id"))
SEPARATOR = "\x1f"


def _stop_times(feed: GtfsFeed) -> pl.DataFrame | None:
    times = feed.table("stop_times.txt")
    if times is None or "trip_id" not in times.columns:
        return None
    columns = [c for c in ("stop_id", "arrival_time", "departure_time") if c in times.columns]
    if not columns:
        return None
    order = pl.col("stop_sequence").cast(pl.Int64, strict=False) if "stop_sequence" in times.columns \
        else pl.lit(0)
    return (times.with_columns(order.alias("_order"),
                               pl.concat_str([pl.col(c).fill_null("") for c in columns], separator="/")
                               .alias("_visit"))
            .sort("trip_id", "_order")
            .group_by("trip_id", maintain_order=True)
            .agg(pl.col("_visit").str.join("|").alias("stop_times")))


def _signed(feed: GtfsFeed, name: str, key: str, columns: list[str]) -> pl.DataFrame:
    table = feed.table(name)
    if table is None or key not in table.columns:
        return pl.DataFrame({key: [], "_signature": []}, schema={key: pl.String, "_signature": pl.String})
    table = table.with_columns([pl.lit("").alias(c) for c in columns if c not in table.columns and
                                c != "stop_times"])
    if name == "trips.txt":
        visits = _stop_times(feed)
        if visits is not None:
            table = table.join(visits, on="trip_id", how="left")
        if "stop_times" not in table.columns:
            table = table.with_columns(pl.lit("").alias("stop_times"))
    values = [pl.col(c).cast(pl.String).fill_null("") for c in columns]
    return table.select(pl.col(key).cast(pl.String), pl.concat_str(values,
                                                                   separator=SEPARATOR).alias("_signature"),
                        *[pl.col(c).cast(pl.String).fill_null("").alias(f"_v_{c}") for c in columns])


def _columns(old: GtfsFeed, new: GtfsFeed, name: str, key: str) -> list[str]:
    found: set[str] = set()
    for feed in (old, new):
        table = feed.table(name)
        if table is not None:
            found |= set(table.columns)
    found.discard(key)
    if name == "trips.txt":
        found.add("stop_times")
    return sorted(found)


def feeds_diff(old: GtfsFeed, new: GtfsFeed) -> dict[str, dict[str, Any]]:
    """Return, for routes, stops and trips: counts and samples of the added, removed and changed."""
    result: dict[str, dict[str, Any]] = {}
    for kind, name, key in KINDS:
        columns = _columns(old, new, name, key)
        before, after = _signed(old, name, key, columns), _signed(new, name, key, columns)
        added = after.join(before, on=key, how="anti").get_column(key).sort()
        removed = before.join(after, on=key, how="anti").get_column(key).sort()
        both = after.join(before, on=key, how="inner", suffix="_old")
        changed = both.filter(pl.col("_signature") != pl.col("_signature_old")).sort(key)
        samples = []
        for row in changed.head(SAMPLES).iter_rows(named=True):
            fields = [c for c in columns if row[f"_v_{c}"] != row[f"_v_{c}_old"]]
            samples.append({"id": row[key], "fields": fields})
        result[kind] = {"added": added.len(), "removed": removed.len(), "changed": changed.height,
                        "added_samples": added.head(SAMPLES).to_list(),
                        "removed_samples": removed.head(SAMPLES).to_list(), "changed_samples": samples}
    return result
