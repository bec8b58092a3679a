"""Validate a table against a Table Schema, cell by cell, with frictionless' error codes.

The checks are those of frictionless (Table Schema v1, ``fieldsMatch: exact``): header labels
by position, then for each row and field the type, then the constraints in the order
frictionless applies them (required, minLength, maxLength, minimum, maximum, pattern, enum),
missing and extra cells, blank rows, unique values. They run column by column with polars:
a regular expression accepts the common well-formed values at once, and only the rare
values it does not accept (``1_000``, ``Infinity``, ``2024-3-1``) are read one by one with the
same Python rules frictionless uses, so that both find the same errors.

Then the checks only Validata applies (the schema's ``custom_checks``: the SIRET key,
one-of-required), and socle's own: a cell that a spreadsheet would run as a formula, an INSEE
code unknown to the territory. Messages are in French and say what to change.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import polars as pl

from .csv_reading import CsvTable, Unreadable, csv_read
from .insee import INSEE_PATTERN, WHAT_IS_CHECKED, insee_reason
from .pseudonyms import PSEUDONYM_PATTERN
from .schemas import TableSchema

MAX_LISTED_ERRORS = 10_000
_INVALID = object()

# Order in which frictionless reports a cell's constraint errors (the type's supported list).
CONSTRAINTS = {
    "string": ("required", "minLength", "maxLength", "pattern", "enum"),
    "number": ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"),
    "integer": ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"),
    "date": ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"),
    "year": ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"),
    "boolean": ("required", "enum"),
    "any": ("required", "enum"),
}
BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}
# Values these expressions accept are valid for the type without reading them in Python.
FAST = {
    "number": r"^[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$",
    "integer": r"^[ \t]*-?[0-9]+[ \t]*$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "year": r"^[0-9]{4}$",
}
TYPE_LABELS = {
    "string": "un texte",
    "number": "un nombre (chiffres et point décimal, par exemple 1234.56)",
    "integer": "un nombre entier (par exemple 42)",
    "date": "une date au format AAAA-MM-JJ (par exemple 2024-03-31)",
    "year": "une année sur quatre chiffres (par exemple 2024)",
    "boolean": "une valeur booléenne",
}
FORMULA = r"^(?:[=+@\t\r]|-[=+@A-Za-z(])"
# Frictionless' own codes, as opposed to Validata's and socle's.
FRICTIONLESS_CODES = frozenset(
    {
        "blank-header",
        "extra-label",
        "missing-label",
        "blank-label",
        "duplicate-label",
        "incorrect-label",
        "blank-row",
        "primary-key",
        "extra-cell",
        "missing-cell",
        "type-error",
        "constraint-error",
        "unique-error",
        "source-error",
        "format-error",
        "encoding-error",
    }
)


@dataclass(frozen=True)
class CellError:
    row: int | None  # the record's number in the file, the header being 1 (as frictionless counts)
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "message": self.message}


@dataclass
class ValidationReport:
    schema: str
    valid: bool
    error_count: int
    row_count: int
    errors: list[CellError]
    readable: bool = True
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON report of the command and the API."""
        return {
            "valid": self.valid,
            "error_count": self.error_count,
            "row_count": self.row_count,
            "schema": self.schema,
            "readable": self.readable,
            "counts": self.counts,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.error_count > len(self.errors),
        }


@dataclass(order=True)
class _Raw:
    """An error before its message: sortable the way frictionless emits them within a row."""

    row: int
    phase: int
    number: int
    sub: int
    code: str = dataclasses.field(compare=False)
    field: str = dataclasses.field(compare=False)
    detail: dict[str, Any] = dataclasses.field(compare=False, default_factory=dict)


# Reading one value as frictionless does (for the values the fast expressions do not accept).


def _reader(spec: dict[str, Any]) -> Callable[[str], Any]:  # noqa: C901 - one branch per Table Schema type
    kind = spec.get("type", "string")
    fmt = spec.get("format", "default")
    if kind == "number":
        group, decimal = spec.get("groupChar", ""), spec.get("decimalChar", ".")
        bare = spec.get("bareNumber", True)

        def number(cell: str) -> Any:
            cell = cell.strip()
            if not bare:
                cell = re.sub(r"((^[^-\d]*)|(\D*$))", "", cell)
            if group:
                cell = cell.replace(group, "")
            if decimal != ".":
                if "." in cell:
                    return _INVALID
                cell = cell.replace(decimal, ".")
            try:
                return Decimal(cell)
            except (InvalidOperation, ValueError):
                return _INVALID

        return number
    if kind == "integer":

        def integer(cell: str) -> Any:
            try:
                return int(cell.strip())
            except ValueError:
                return _INVALID

        return integer
    if kind == "date":
        pattern = "%Y-%m-%d" if fmt in ("default", "any") else fmt

        def day(cell: str) -> Any:
            try:
                return datetime.strptime(cell, pattern).date()
            except ValueError:
                return _INVALID

        return day
    if kind == "year":

        def year(cell: str) -> Any:
            if len(cell) != 4:
                return _INVALID
            try:
                value = int(cell)
            except ValueError:
                return _INVALID
            return value if 0 <= value <= 9999 else _INVALID

        return year
    if kind == "boolean":
        mapping = {v: True for v in spec.get("trueValues", ["true", "True", "TRUE", "1"])}
        mapping.update({v: False for v in spec.get("falseValues", ["false", "False", "FALSE", "0"])})
        return lambda cell: mapping.get(cell, _INVALID)
    if kind == "string" and fmt == "uri":
        return _uri
    if kind == "string" and fmt == "email":
        return _email
    return lambda cell: cell


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _uri(cell: str) -> Any:
    try:  # the library frictionless uses, when installed
        import rfc3986
        from rfc3986 import validators
    except ImportError:  # pragma: no cover - depends on the environment
        return cell if _URI.match(cell) else _INVALID
    checker = validators.Validator().require_presence_of("scheme")
    try:
        checker.validate(rfc3986.uri_reference(cell))
    except Exception:  # noqa: BLE001 - rfc3986 raises several kinds; any of them means "not a URI"
        return _INVALID
    return cell


def _email(cell: str) -> Any:
    try:
        import validators
    except ImportError:  # pragma: no cover - depends on the environment
        return cell if _EMAIL.match(cell) else _INVALID
    return cell if validators.email(cell) else _INVALID


def _python_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^{pattern}$")


def _fast_ok(kind: str, fmt: str, spec: dict[str, Any], col: pl.Series) -> pl.Series | None:
    """Mask of the values surely valid for the type, or None when every value is (strings)."""
    if kind in ("string", "any") and fmt in ("default", "", None):
        return None
    if kind == "boolean":
        return col.is_in(
            list(spec.get("trueValues", ["true", "True", "TRUE", "1"]))
            + list(spec.get("falseValues", ["false", "False", "FALSE", "0"]))
        )
    expression = FAST.get(kind)
    if expression is None or any(k in spec for k in ("groupChar", "decimalChar", "bareNumber")):
        return pl.Series([False] * len(col), dtype=pl.Boolean)
    if kind == "date" and fmt not in ("default", None):
        return pl.Series([False] * len(col), dtype=pl.Boolean)
    ok = col.str.contains(expression).fill_null(False)
    if kind == "date":
        ok = ok & col.str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return ok


class _Column:
    """One field's values and what was found about them."""

    def __init__(self, spec: dict[str, Any], number: int, col: pl.Series, missing: list[str]) -> None:
        self.spec = spec
        self.name = str(spec["name"])
        self.number = number
        self.kind = spec.get("type", "string") if spec.get("type") in CONSTRAINTS else "any"
        self.fmt = spec.get("format", "default")
        self.col = col
        self.null = (col.is_null() | col.is_in(missing)).fill_null(True)
        self.present = ~self.null
        self.read = _reader(spec) if self.kind != "any" else (lambda cell: cell)
        fast = _fast_ok(self.kind, self.fmt, spec, col)
        self.fast = self.present if fast is None else (self.present & fast)
        slow_mask = self.present & ~self.fast
        self.slow: dict[str, Any] = {}
        if slow_mask.any():
            for value in col.filter(slow_mask).unique().to_list():
                self.slow[value] = self.read(value)
        bad = [v for v, parsed in self.slow.items() if parsed is _INVALID]
        self.type_bad = (
            (slow_mask & col.is_in(bad)) if bad else pl.Series([False] * len(col), dtype=pl.Boolean)
        )
        self.valid = self.present & ~self.type_bad

    def value_of(self, raw: str) -> Any:
        """The typed value of one raw cell known to be valid."""
        parsed = self.slow.get(raw, _INVALID)
        return self.read(raw) if parsed is _INVALID else parsed

    def constraint_masks(self) -> Iterable[tuple[str, pl.Series]]:
        constraints = self.spec.get("constraints") or {}
        for name in CONSTRAINTS[self.kind]:
            if name not in constraints:
                continue
            value = constraints[name]
            if name == "required":
                if value:
                    yield name, self.null
                continue
            yield name, self.valid & ~self._satisfies(name, value)

    def _satisfies(self, name: str, value: Any) -> pl.Series:
        col = self.col
        if name == "minLength":
            return col.str.len_chars() >= int(value)
        if name == "maxLength":
            return col.str.len_chars() <= int(value)
        if name == "pattern":
            return self._pattern(str(value))
        if name == "enum":
            return self._each(lambda v: v in self._enum(value))
        return self._bound(name, value)

    def _enum(self, allowed: list[Any]) -> list[Any]:
        if not hasattr(self, "_enum_cache"):
            self._enum_cache = [self.read(str(v)) if isinstance(v, str) else v for v in allowed]
        return self._enum_cache

    def _pattern(self, pattern: str) -> pl.Series:
        python = _python_pattern(pattern)
        try:
            ok = self.col.str.contains(f"^{pattern}$").fill_null(True)
        except pl.exceptions.PolarsError:
            return self._each(lambda v: python.match(v) is not None, raw=True)
        # Python's "$" also matches before a final newline: read those few values in Python.
        with_newline = self.valid & self.col.str.contains("\n").fill_null(False)
        if with_newline.any():
            fixed = self._each(lambda v: python.match(v) is not None, raw=True, only=with_newline)
            ok = pl.select(pl.when(with_newline).then(fixed).otherwise(ok)).to_series()
        return ok

    def _each(
        self, test: Callable[[Any], bool], *, raw: bool = False, only: pl.Series | None = None
    ) -> pl.Series:
        """Apply a Python test to each distinct valid value (rare values, or no vector form)."""
        mask = self.valid if only is None else only
        values = self.col.filter(mask).unique().to_list()
        passing = [v for v in values if test(v if raw else self.value_of(v))]
        return self.col.is_in(passing) | ~mask

    def _bound(self, name: str, value: Any) -> pl.Series:
        compare = BOUNDS[name]
        limit = (
            self.read(str(value)) if not isinstance(value, (int, float)) or self.kind == "number" else value
        )
        if limit is _INVALID:
            return pl.Series([True] * len(self.col), dtype=pl.Boolean)
        if self.kind in ("number", "integer"):
            numbers = self.col.str.strip_chars(" \t").cast(pl.Float64, strict=False)
            compared: Any = compare(numbers, float(limit))  # a Series: the operator applies element-wise
            vector: pl.Series = compared.fill_null(True)
            # near the limit, or read in Python: compare exactly as frictionless does (Decimal)
            close = (numbers - float(limit)).abs() <= 1e-9 * max(1.0, abs(float(limit)))
            unsure = self.valid & (close.fill_null(False) | ~self.fast)
            if unsure.any():
                exact = self._each(lambda v: v == v and compare(v, limit), only=unsure)
                vector = pl.select(pl.when(unsure).then(exact).otherwise(vector)).to_series()
            return vector
        return self._each(lambda v: compare(v, limit))


def _header_errors(labels: list[str], names: list[str]) -> list[_Raw]:
    found: list[_Raw] = []
    for number in range(len(names) + 1, len(labels) + 1):
        found.append(_Raw(1, 0, number, 0, "extra-label", "", {"label": labels[number - 1]}))
    for number in range(len(labels) + 1, len(names) + 1):
        found.append(_Raw(1, 1, number, 0, "missing-label", names[number - 1], {}))
    for number, (name, label) in enumerate(zip(names, labels, strict=False), start=1):
        if not label:
            found.append(_Raw(1, 2, number, 0, "blank-label", name, {}))
            continue
        if label in labels[: number - 1]:
            found.append(_Raw(1, 2, number, 1, "duplicate-label", name, {"label": label}))
            continue
        if label != name:
            found.append(_Raw(1, 2, number, 2, "incorrect-label", name, {"label": label}))
    return found


def _positions(mask: pl.Series) -> np.ndarray:
    return mask.arg_true().to_numpy()


def table_validate(
    table: CsvTable, schema: TableSchema, *, insee_codes: frozenset[str] | None = None
) -> ValidationReport:
    """Check a read table against the schema and return the report."""
    specs = schema.fields
    names = [str(s["name"]) for s in specs]
    labels = table.labels
    width = len(labels)
    missing_values = [str(v) for v in schema.descriptor.get("missingValues", [""])]
    raws: list[_Raw] = _header_errors(labels, names)
    frame = table.frame
    expected = [specs[i] if i < len(specs) else {"name": labels[i], "type": "any"} for i in range(width)]
    columns = [_Column(spec, i + 1, frame[f"c{i}"], missing_values) for i, spec in enumerate(expected)]
    n = len(table.lengths)
    blank = np.zeros(n, dtype=bool)
    if columns:
        blank = (
            pl.DataFrame([c.null for c in columns]).select(pl.all_horizontal(pl.all())).to_series().to_numpy()
        )
    keep = ~blank

    for column in columns:
        for index in _positions(column.type_bad):
            if keep[index]:
                raws.append(
                    _Raw(
                        int(index) + 2,
                        10,
                        column.number,
                        0,
                        "type-error",
                        column.name,
                        {"value": column.col[int(index)], "type": column.kind},
                    )
                )
        for sub, (constraint, mask) in enumerate(column.constraint_masks(), start=1):
            for index in _positions(mask):
                if keep[index]:
                    raws.append(
                        _Raw(
                            int(index) + 2,
                            10,
                            column.number,
                            sub,
                            "constraint-error",
                            column.name,
                            {
                                "value": column.col[int(index)],
                                "constraint": constraint,
                                "expected": (column.spec.get("constraints") or {}).get(constraint),
                            },
                        )
                    )
    for index, length in enumerate(table.lengths):
        if length == width or blank[index]:
            continue
        for number in range(width + 1, length + 1):
            raws.append(
                _Raw(
                    index + 2,
                    20,
                    number,
                    0,
                    "extra-cell",
                    "",
                    {"value": table.extras[index][number - width - 1]},
                )
            )
        for number in range(length + 1, width + 1):
            raws.append(_Raw(index + 2, 30, number, 0, "missing-cell", columns[number - 1].name, {}))
    raws.extend(_Raw(int(i) + 2, 0, 0, 0, "blank-row", "", {}) for i in np.flatnonzero(blank))
    raws.extend(_unique_errors(columns, schema))
    raws.extend(_custom_errors(columns, schema, keep, insee_codes))
    raws.sort()
    problems = [CellError(None, "", p.code, p.message) for p in table.problems]
    errors = problems + [
        CellError(r.row, r.field, r.code, _message(r, columns)) for r in raws[:MAX_LISTED_ERRORS]
    ]
    counts: dict[str, int] = {}
    for code in [p.code for p in table.problems] + [r.code for r in raws]:
        counts[code] = counts.get(code, 0) + 1
    total = len(raws) + len(problems)
    return ValidationReport(
        schema=schema.ref,
        valid=total == 0,
        error_count=total,
        row_count=n,
        errors=errors,
        counts=dict(sorted(counts.items())),
    )


def _unique_errors(columns: list[_Column], schema: TableSchema) -> list[_Raw]:
    found: list[_Raw] = []
    for column in columns:
        if not (column.spec.get("constraints") or {}).get("unique"):
            continue
        seen: dict[Any, int] = {}
        for index, raw in enumerate(column.col.to_list()):
            if raw is None or not column.valid[index]:
                continue
            value = column.value_of(raw)
            if value in seen:
                found.append(
                    _Raw(
                        index + 2,
                        40,
                        column.number,
                        0,
                        "unique-error",
                        column.name,
                        {"value": raw, "first": seen[value]},
                    )
                )
            seen[value] = index + 2
    keys = schema.descriptor.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    by_name = {c.name: c for c in columns}
    if keys and all(k in by_name for k in keys):
        seen_keys: dict[tuple[Any, ...], int] = {}
        key_columns = [by_name[k] for k in keys]
        for index in range(len(columns[0].col)):
            cells = tuple(c.value_of(c.col[index]) if c.valid[index] else None for c in key_columns)
            if set(cells) == {None}:
                found.append(_Raw(index + 2, 50, 0, 0, "primary-key", ",".join(keys), {"empty": True}))
                continue
            if cells in seen_keys:
                found.append(
                    _Raw(index + 2, 50, 0, 0, "primary-key", ",".join(keys), {"first": seen_keys[cells]})
                )
            seen_keys[cells] = index + 2
    return found


_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9])


def siret_valid(col: pl.Series) -> pl.Series:
    """Luhn key of 14-digit strings, column-wise (``socle.core.siret.siret_is_valid`` with numpy)."""
    joined = "".join(col.to_list()).encode("ascii")
    digits = (np.frombuffer(joined, dtype=np.uint8).reshape(-1, 14) - 48).astype(np.int64)
    # from the right, every second digit is doubled: the even positions from the left
    total = _LUHN_DOUBLE[digits[:, 0::2]].sum(axis=1) + digits[:, 1::2].sum(axis=1)
    la_poste = col.str.starts_with("356000000").to_numpy()
    ok = np.where(la_poste, digits.sum(axis=1) % 5 == 0, total % 10 == 0)
    return pl.Series(ok, dtype=pl.Boolean)


def _both_missing(first: _Column, second: _Column, by_name: dict[str, _Column]) -> pl.Series:
    missing = first.null & second.null
    if "nomBeneficiaire" in by_name:
        # a natural person published under socle's pseudonym has, by law, no identifier
        # (CRPA L. 312-1-2, pseudonyms.py); Validata would report the row
        named = by_name["nomBeneficiaire"].col.str.contains(PSEUDONYM_PATTERN).fill_null(False)
        missing = missing & ~named
    return missing


def _custom_errors(
    columns: list[_Column], schema: TableSchema, keep: np.ndarray, insee_codes: frozenset[str] | None
) -> list[_Raw]:
    by_name = {c.name: c for c in columns}
    found: list[_Raw] = []
    for check in schema.descriptor.get("custom_checks") or []:
        params = check.get("params") or {}
        if check.get("name") == "french-siret-value" and params.get("column") in by_name:
            column = by_name[params["column"]]
            # A value without 14 digits is already a pattern error: the key is checked on the others.
            candidates = column.valid & column.col.str.contains(r"^[0-9]{14}$").fill_null(False)
            where = _positions(candidates)
            wrong = where[~siret_valid(column.col.gather(where)).to_numpy()] if len(where) else where
            for index in wrong:
                if keep[index]:
                    found.append(
                        _Raw(
                            int(index) + 2,
                            60,
                            column.number,
                            0,
                            "french-siret-value",
                            column.name,
                            {"value": column.col[int(index)]},
                        )
                    )
        if check.get("name") == "one-of-required" and {params.get("column1"), params.get("column2")} <= set(
            by_name
        ):
            first, second = by_name[params["column1"]], by_name[params["column2"]]
            missing = _both_missing(first, second, by_name)
            for index in _positions(missing):
                if keep[index]:
                    found.append(
                        _Raw(
                            int(index) + 2,
                            60,
                            first.number,
                            1,
                            "one-of-required",
                            first.name,
                            {"other": second.name},
                        )
                    )
    for column in columns:
        if column.kind == "string":
            formula = column.present & column.col.str.contains(FORMULA).fill_null(False)
            for index in _positions(formula):
                if keep[index]:
                    found.append(
                        _Raw(
                            int(index) + 2,
                            70,
                            column.number,
                            0,
                            "formula-value",
                            column.name,
                            {"value": column.col[int(index)]},
                        )
                    )
        if "INSEE" in column.name.upper():
            # the territory's codes are known; any other must be a possible French commune's
            unknown = (
                column.valid
                & ~column.col.is_in(list(insee_codes or ()))
                & ~column.col.str.contains(INSEE_PATTERN).fill_null(False)
            )
            for index in _positions(unknown):
                if keep[index]:
                    found.append(
                        _Raw(
                            int(index) + 2,
                            70,
                            column.number,
                            1,
                            "insee-code-value",
                            column.name,
                            {"value": column.col[int(index)]},
                        )
                    )
    return found


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _constraint_text(detail: dict[str, Any], column: _Column | None) -> str:
    constraint, expected, value = detail["constraint"], detail["expected"], _short(detail.get("value"))
    example = (
        f" Exemple attendu : « {column.spec['example']} »." if column and column.spec.get("example") else ""
    )
    if constraint == "required":
        return "Cette cellule est vide alors que la colonne est obligatoire : renseignez-la."
    if constraint == "pattern":
        return f"La valeur « {value} » n'a pas la forme attendue (motif {expected}).{example}"
    if constraint == "enum":
        allowed = " ; ".join(f"« {v} »" for v in expected)
        return f"La valeur « {value} » n'est pas permise. Valeurs possibles : {allowed}."
    if constraint == "maxLength":
        size = len(str(detail.get("value")))
        return f"Le texte fait {size} caractères, au-delà de la limite de {expected} : raccourcissez-le."
    if constraint == "minLength":
        return f"Le texte fait {len(str(detail.get('value')))} caractères, il en faut au moins {expected}."
    if constraint in ("minimum", "exclusiveMinimum"):
        word = "au moins" if constraint == "minimum" else "plus de"
        return f"La valeur {value} est trop petite : elle doit valoir {word} {expected}.{example}"
    if constraint in ("maximum", "exclusiveMaximum"):
        word = "au plus" if constraint == "maximum" else "moins de"
        return f"La valeur {value} est trop grande : elle doit valoir {word} {expected}.{example}"
    return f"La valeur « {value} » ne respecte pas la contrainte « {constraint} » ({expected})."


def _message(raw: _Raw, columns: list[_Column]) -> str:
    detail = raw.detail
    column = columns[raw.number - 1] if 0 < raw.number <= len(columns) else None
    where = f"Ligne {raw.row}, colonne « {raw.field} » : " if raw.field else f"Ligne {raw.row} : "
    code = raw.code
    if code == "type-error":
        expected = TYPE_LABELS.get(detail["type"], detail["type"])
        if column and detail["type"] == "boolean":
            allowed = list(column.spec.get("trueValues", ["true"])) + list(
                column.spec.get("falseValues", ["false"])
            )
            expected = "une des valeurs " + " ou ".join(f"« {v} »" for v in allowed)
        if column and column.fmt in ("uri", "email"):
            expected = (
                "une adresse web complète (https://…)" if column.fmt == "uri" else "une adresse électronique"
            )
        return f"{where}la valeur « {_short(detail['value'])} » n'est pas {expected}."
    if code == "constraint-error":
        text = _constraint_text(detail, column)
        return where + text[0].lower() + text[1:]
    value, label, n = _short(detail.get("value")), _short(detail.get("label")), raw.number
    texts = {
        "extra-label": f"L'en-tête a une colonne en trop, « {label} » (position {n}) : "
        "retirez-la, le schéma ne la prévoit pas.",
        "missing-label": f"L'en-tête n'a pas la colonne « {raw.field} » (position {n}) : ajoutez-la.",
        "blank-label": f"L'en-tête a un nom de colonne vide en position {n} : il faut « {raw.field} ».",
        "duplicate-label": f"La colonne « {label} » apparaît deux fois dans l'en-tête (position {n}).",
        "incorrect-label": f"En position {n}, l'en-tête dit « {label} » au lieu de « {raw.field} » : "
        "renommez la colonne (les majuscules comptent) ou remettez les colonnes dans l'ordre du schéma.",
        "blank-row": f"Ligne {raw.row} : la ligne est entièrement vide, supprimez-la.",
        "extra-cell": f"Ligne {raw.row} : une valeur en trop en position {n} (« {value} ») ; "
        "vérifiez les séparateurs et les guillemets.",
        "missing-cell": f"{where}la ligne s'arrête avant cette colonne (cellule manquante) ; "
        "vérifiez les séparateurs.",
        "unique-error": f"{where}la valeur « {value} » figure déjà ligne {detail.get('first')} ; "
        "elle doit être unique.",
        "primary-key": f"Ligne {raw.row} : la clé ({raw.field}) est vide ou figure déjà plus haut.",
        "french-siret-value": f"{where}le numéro SIRET « {value} » n'existe pas : sa clé de contrôle "
        "(dernier chiffre) est fausse. Recopiez-le depuis l'annuaire des entreprises.",
        "one-of-required": f"{where}renseignez au moins l'un des deux identifiants : « {raw.field} » "
        f"(SIRET) ou « {detail.get('other')} » (numéro RNA d'une association).",
        "formula-value": f"{where}la valeur « {value} » commence comme une formule de tableur "
        "(=, +, -, @) : elle pourrait s'exécuter chez qui ouvre le fichier. Retirez ce caractère "
        "ou mettez la valeur en texte.",
        "insee-code-value": f"{where}le code INSEE « {value} » n'est celui d'aucune commune : "
        f"{insee_reason(str(value))} ; {WHAT_IS_CHECKED}.",
    }
    return texts.get(code, f"{where}erreur « {code} ».")


def bytes_validate(
    data: bytes, schema: TableSchema, *, insee_codes: frozenset[str] | None = None
) -> ValidationReport:
    """Read and check a CSV file; an unreadable one gives a report with ``readable`` false."""
    delimiter = str((schema.descriptor.get("dialect") or {}).get("delimiter", ","))
    try:
        table = csv_read(data, expected_delimiter=delimiter)
    except Unreadable as refusal:
        return ValidationReport(
            schema=schema.ref,
            valid=False,
            error_count=1,
            row_count=0,
            errors=[CellError(None, "", refusal.code, refusal.message)],
            readable=False,
            counts={refusal.code: 1},
        )
    return table_validate(table, schema, insee_codes=insee_codes)


def frictionless_count(report: ValidationReport) -> int:
    """Return how many of the report's errors frictionless itself would report."""
    return sum(
        count
        for code, count in report.counts.items()
        if code in FRICTIONLESS_CODES and code not in ("encoding-error",)
    )
