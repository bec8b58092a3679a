"""What every app's API shares: the error body of decision 0004, and text types without NUL."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator


class ErrorOut(Schema):
    """Every API error: a machine code and a French message."""

    code: str
    message: str


def without_nul(value: Any) -> Any:
    """Refuse a NUL character anywhere in a string or a JSON value (keys included)."""
    # PostgreSQL stores no NUL character, in text nor in JSON: refused here, it is a 400,
    # not a database error. Walked without recursion: JSON may be deep.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("Le caractère nul n'est pas accepté.")
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return value


Text = Annotated[str, AfterValidator(without_nul)]
Answers = Annotated[dict[str, Any], AfterValidator(without_nul)]
