"""The JSON and Parquet copies of a validated CSV file, typed after its schema."""

from __future__ import annotations

import io
import json

import polars as pl

from .csv_reading import csv_read
from .schemas import TableSchema


def _typed(frame: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    columns = []
    for index, spec in enumerate(schema.fields[: frame.width]):
        col = pl.col(f"c{index}").replace("", None)
        kind = spec.get("type", "string")
        if kind == "number":
            col = col.str.strip_chars().cast(pl.Float64, strict=False)
        elif kind in ("integer", "year"):
            col = col.str.strip_chars().cast(pl.Int64, strict=False)
        elif kind == "date":
            col = col.str.to_date("%Y-%m-%d", strict=False)
        elif kind == "boolean":
            true = spec.get("trueValues", ["true", "True", "TRUE", "1"])
            col = pl.when(col.is_null()).then(None).otherwise(col.is_in(true))
        columns.append(col.alias(str(spec["name"])))
    return frame.select(columns)


def derived_copies(data: bytes, schema: TableSchema) -> tuple[bytes, bytes]:
    """Return the JSON (a list of records) and Parquet versions of a valid CSV file."""
    frame = _typed(csv_read(data).frame, schema)
    records = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).to_dicts()
    as_json = json.dumps(records, ensure_ascii=False, indent=None).encode("utf-8")
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return as_json, buffer.getvalue()


def preview_rows(data: bytes, limit: int = 10) -> tuple[list[str], list[list[str]]]:
    """Return the header and first rows of a CSV file, for a dataset's page."""
    table = csv_read(data)
    head = table.frame.head(limit)
    return table.labels, [["" if v is None else str(v) for v in row] for row in head.iter_rows()]
