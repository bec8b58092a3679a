"""Reading a CSV file someone sends, the way frictionless reads it, refusing what is not a table.

Records are split by Python's ``csv`` module with the dialect ``csv.Sniffer`` guesses from
the first 100 lines, as frictionless does, so that row numbers, quoting and ragged rows are
the same on both sides. What frictionless would decode silently (a Windows-1252 file) is
reported: SCDL files must be UTF-8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import polars as pl

SAMPLE_LINES = 100
SNIFF_DELIMITERS = ",\t;|"
MAX_COLUMNS = 1000
MAX_FIELD_CHARS = 1_000_000


@dataclass
class FileProblem:
    code: str
    message: str


@dataclass
class CsvTable:
    labels: list[str]
    # one string column per label ("c0", "c1"...), one row per record; a cell the record
    # does not reach is null
    frame: pl.DataFrame
    lengths: list[int]  # how many cells each record has (0 for an empty line)
    extras: dict[int, list[str]] = field(default_factory=dict)  # record index -> cells past the header
    delimiter: str = ","
    encoding: str = "utf-8"
    problems: list[FileProblem] = field(default_factory=list)  # reported, reading went on


class Unreadable(Exception):
    """The bytes are not a table socle can read (exit status 2 of the command)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _decode(data: bytes) -> tuple[str, str, list[FileProblem]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="replace")
        line = data[: exc.start].count(b"\n") + 1
        return (
            text,
            "cp1252",
            [
                FileProblem(
                    "encoding-error",
                    f"Le fichier n'est pas encodé en UTF-8 (premier octet illisible à la ligne {line}) : "
                    "il semble venir d'un tableur en Windows-1252 (Latin-1). "
                    "Enregistrez-le en « CSV UTF-8 », "
                    "les accents seront alors lus correctement.",
                )
            ],
        )


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "".join(_first_lines(text, SAMPLE_LINES))
    try:
        dialect = csv.Sniffer().sniff(sample, SNIFF_DELIMITERS)
    except csv.Error:
        return csv.excel
    # frictionless ignores a quote guessed as "'" (embedded JSON confuses the sniffer)
    if dialect.quotechar == "'":
        dialect.quotechar = '"'
    return dialect


def _first_lines(text: str, count: int) -> list[str]:
    stream = io.StringIO(text[: 1 << 21], newline="")
    lines = []
    for _ in range(count):
        line = stream.readline()
        if not line:
            break
        lines.append(line)
    return lines


def csv_read(data: bytes, *, expected_delimiter: str = ",") -> CsvTable:
    """Split the bytes into a header and records, or raise Unreadable with a French message."""
    if not data.strip():
        raise Unreadable("source-error", "Le fichier est vide : il n'a ni en-tête ni ligne de données.")
    if b"\x00" in data[:65536]:
        raise Unreadable(
            "format-error",
            "Ce fichier n'est pas un fichier CSV (texte) : il contient des "
            "données binaires. Un classeur Excel ou OpenDocument doit être enregistré au "
            "format « CSV UTF-8 » avant d'être déposé.",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    dialect = _sniff(data[: 1 << 21].decode("utf-8", errors="replace"))
    delimiter = getattr(dialect, "delimiter", ",")
    problems: list[FileProblem] = []
    if delimiter != expected_delimiter:
        problems.append(
            FileProblem(
                "separator-error",
                f"Les colonnes sont séparées par « {_show(delimiter)} » alors que le schéma attend "
                f"« {_show(expected_delimiter)} ». Réenregistrez le fichier avec le séparateur "
                f"« {_show(expected_delimiter)} » (le contenu a été lu quand même pour signaler "
                "les autres erreurs).",
            )
        )
    if _simple(data, dialect):
        try:
            return _read_fast(data, dialect, problems)
        except _NotLines:
            pass
    text, encoding, decoding = _decode(data)
    problems = decoding + problems
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        labels = next(reader, None)
        if labels is None:
            raise Unreadable("source-error", "Le fichier est vide : il n'a ni en-tête ni ligne de données.")
        _check_width(labels)
        rows = list(reader)
    except csv.Error as exc:
        raise Unreadable(
            "format-error",
            f"Le fichier CSV est mal formé (guillemets non refermés ou "
            f"cellule de plus de {MAX_FIELD_CHARS} caractères) : {exc}.",
        ) from None
    return _from_rows(labels, rows, delimiter, encoding, problems)


def _check_width(labels: list[str]) -> None:
    if len(labels) > MAX_COLUMNS:
        raise Unreadable(
            "too-many-columns",
            f"L'en-tête compte {len(labels)} colonnes, au-delà de la limite de "
            f"{MAX_COLUMNS} : ce n'est pas un fichier de données ouvertes du schéma. "
            "Vérifiez le séparateur et la première ligne du fichier.",
        )


class _NotLines(Exception):
    """A quoted cell spans lines: records are not lines, read the file with Python's csv."""


def _simple(data: bytes, dialect: type[csv.Dialect] | csv.Dialect) -> bool:
    """Whether the dialect is plain and every line ends with \\n or \\r\\n (no lone carriage return)."""
    # Quoted lines are re-read by csv with the sniffed dialect, so its doublequote does not matter.
    return (
        (b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"))
        and getattr(dialect, "quotechar", '"') == '"'
        and not getattr(dialect, "skipinitialspace", False)
        and not getattr(dialect, "escapechar", None)
    )


def _read_fast(
    data: bytes, dialect: type[csv.Dialect] | csv.Dialect, problems: list[FileProblem]
) -> CsvTable:
    """Read with polars (in Rust) a file whose records are its lines; quoted lines go through csv.

    Lines and their separators are counted with numpy on the bytes; a line holding a quote
    is re-read by Python's csv (an odd count of quotes on a line sends the whole file there).
    """
    delimiter = str(getattr(dialect, "delimiter", ","))
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(ends) == 0 or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    stops = ends - (raw[np.maximum(ends - 1, 0)] == 13) * (ends > starts)  # without a final \r
    separators = np.flatnonzero(raw == ord(delimiter))
    quotes = np.flatnonzero(raw == 34)
    quote_counts = np.searchsorted(quotes, stops) - np.searchsorted(quotes, starts)
    if (quote_counts % 2).any():
        raise _NotLines
    counts = np.searchsorted(separators, stops) - np.searchsorted(separators, starts)

    def line(index: int) -> str:
        try:
            return data[starts[index] : stops[index]].decode("utf-8")
        except UnicodeDecodeError:
            raise _NotLines from None

    if quote_counts[0]:
        raise _NotLines  # a quoted header: rare, read it all with csv
    labels = line(0).split(delimiter)
    _check_width(labels)
    width = len(labels)
    lengths_array = np.where(stops[1:] > starts[1:], counts[1:] + 1, 0)
    quoted = (np.flatnonzero(quote_counts[1:])).tolist()
    parsed = [next(csv.reader([line(i + 1)], dialect=dialect)) for i in quoted]
    lengths = lengths_array.tolist()
    extras = {
        int(i): line(int(i) + 1).split(delimiter)[width:] for i in np.flatnonzero(lengths_array > width)
    }
    for index, cells in zip(quoted, parsed, strict=True):
        lengths[index] = len(cells)
        extras.pop(index, None)
        if len(cells) > width:
            extras[index] = cells[width:]
    if not lengths:
        frame = pl.DataFrame({f"c{i}": pl.Series([], dtype=pl.String) for i in range(width)})
    else:
        try:
            frame = pl.read_csv(
                data,
                has_header=False,
                skip_lines=1,
                separator=delimiter,
                quote_char='"',
                schema={f"c{i}": pl.String for i in range(width)},
                truncate_ragged_lines=True,
                empty_string_is_null=False,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:  # not UTF-8, among others: the slow path says so
            raise _NotLines from None
        if frame.height != len(lengths):
            raise _NotLines
        if quoted:
            # the quoted lines as Python's csv reads them, whatever polars made of them
            frame = frame.with_columns(
                frame[f"c{i}"].scatter(quoted, [c[i] if len(c) > i else None for c in parsed])
                for i in range(width)
            )
        if (lengths_array < width).any() or quoted:
            frame = _null_past_end(frame, lengths)
    return CsvTable(
        labels=labels,
        frame=frame,
        lengths=lengths,
        extras=extras,
        delimiter=delimiter,
        encoding="utf-8",
        problems=problems,
    )


def _null_past_end(frame: pl.DataFrame, lengths: list[int]) -> pl.DataFrame:
    size = pl.Series("n", lengths, dtype=pl.Int64)
    return frame.with_columns(
        pl.when(size > i).then(pl.col(f"c{i}")).otherwise(None).alias(f"c{i}") for i in range(frame.width)
    )


def _from_rows(
    labels: list[str], rows: list[list[str]], delimiter: str, encoding: str, problems: list[FileProblem]
) -> CsvTable:
    width = len(labels)
    lengths = [len(r) for r in rows]
    extras = {index: row[width:] for index, row in enumerate(rows) if len(row) > width}
    padded = cast(list[list[str | None]], rows)  # read only: the invariance of list does not matter
    if any(n != width for n in lengths):
        padded = [list(r[:width]) if len(r) > width else [*r, *([None] * (width - len(r)))] for r in rows]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    frame = pl.DataFrame({f"c{i}": pl.Series(values=list(columns[i]), dtype=pl.String) for i in range(width)})
    return CsvTable(
        labels=labels,
        frame=frame,
        lengths=lengths,
        extras=extras,
        delimiter=delimiter,
        encoding=encoding,
        problems=problems,
    )


def _show(delimiter: str) -> str:
    return {"\t": "tabulation", " ": "espace"}.get(delimiter, delimiter)
