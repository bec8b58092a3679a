"""The API's one way to page a list (decision 0012): ``{"items": [...], "next": <cursor|null>}``.

Every list operation takes ``limit`` (25 by default, 100 at most) and ``cursor`` (empty
for the first page, else the ``next`` of the page before) and answers with the items
and the cursor of the following page, null at the end. A cursor is opaque to clients:
the server puts in it what it needs to seek the next page (the sort key of the last
row, or a position for short lists computed in memory); a cursor it cannot read is a
400 ``invalid_cursor``. Nothing counts the whole set: a page costs the same whatever the
volume.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from ninja import Field, Schema

from .api_schemas import Text
from .services import ServiceError

PAGE_DEFAULT = 25
PAGE_MAX = 100
CURSOR_MAX = 500
# Lists paged by position are short, or ranked and cut at 10,000 hits (decision 0010).
POSITION_MAX = 1_000_000
NEXT_DESCRIPTION = ("Curseur de la page suivante, à passer tel quel dans « cursor » ; "
                    "null à la dernière page.")

T = TypeVar("T")


class PageIn(Schema):
    """The two query parameters of every list."""

    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX,
                       description=f"Nombre d'éléments par page ({PAGE_DEFAULT} par défaut, "
                                   f"{PAGE_MAX} au plus).")
    cursor: Text = Field("", max_length=CURSOR_MAX,
                         description="Vide pour la première page ; sinon le « next » de la "
                                     "page précédente.")


def cursor_encode(*values: Any) -> str:
    """Return an opaque cursor holding a few JSON values (dates and datetimes as ISO 8601)."""
    plain = [value.isoformat() if isinstance(value, date) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _invalid() -> ServiceError:
    return ServiceError("Le curseur de pagination est invalide : reprenez la liste depuis le "
                        "début.", code="invalid_cursor")


def cursor_decode(cursor: str, *kinds: type) -> list[Any]:
    """Read a cursor made by ``cursor_encode`` with values of these types; 400 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError(values)
        decoded: list[Any] = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError(value)
                decoded.append(moment)
            elif kind is date:
                decoded.append(date.fromisoformat(value))
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
                    raise ValueError(value)
                decoded.append(value)
            elif not isinstance(value, kind):
                raise ValueError(value)
            else:
                decoded.append(value)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _invalid() from None
    return decoded


def position_of(page: PageIn) -> int:
    """Return where a page starts in a list paged by position (short or ranked lists)."""
    if not page.cursor:
        return 0
    kind, position = cursor_decode(page.cursor, str, int)
    if kind != "at" or position > POSITION_MAX:
        raise _invalid()
    return int(position)


def page_by_position(rows: Sequence[T], page: PageIn, start: int = 0) -> tuple[list[T], str | None]:
    """Return one page of ``rows`` (which begin at ``start`` and may hold one extra row)."""
    items = list(rows[: page.limit])
    more = len(rows) > page.limit
    return items, cursor_encode("at", start + page.limit) if more else None


def page_of_list(rows: Sequence[T], page: PageIn) -> dict[str, Any]:
    """Page a list computed in memory: ``{"items", "next"}``."""
    start = position_of(page)
    items, next_cursor = page_by_position(rows[start: start + page.limit + 1], page, start)
    return {"items": items, "next": next_cursor}
