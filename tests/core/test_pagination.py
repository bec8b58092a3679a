"""The API's one cursor: what it accepts, what it refuses (decision 0012)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from socle.core.pagination import PageIn, cursor_decode, cursor_encode, page_of_list
from socle.core.services import ServiceError


def raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_gives_back_what_it_holds():
    moment = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert cursor_decode(cursor_encode(moment, 42), datetime, int) == [moment, 42]


@pytest.mark.parametrize("cursor", [
    "pas-un-curseur!", "=", raw({"a": 1}), raw([1]), raw(["2026-03-02T10:30:00", 1]),
    raw(["2026-03-02T10:30:00+00:00", True]), raw(["2026-03-02T10:30:00+00:00", -1]),
    raw(["2026-03-02T10:30:00+00:00", 2**63]), raw(["hier", 1]), raw([None, 1]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_a_cursor_it_did_not_make_is_a_400(cursor):
    with pytest.raises(ServiceError) as refused:
        cursor_decode(cursor, datetime, int)
    assert refused.value.code == "invalid_cursor"


def test_a_list_is_walked_page_by_page_to_its_end():
    rows = list(range(7))
    seen, cursor, pages = [], "", 0
    while cursor is not None:
        page = page_of_list(rows, PageIn(limit=3, cursor=cursor))
        seen += page["items"]
        cursor = page["next"]
        pages += 1
    assert seen == rows and pages == 3


@pytest.mark.parametrize("cursor", [raw(["at", 10**7]), raw(["ailleurs", 3]), raw(["at", "3"])])
def test_a_position_out_of_bounds_or_of_another_kind_is_refused(cursor):
    with pytest.raises(ServiceError):
        page_of_list([1, 2, 3], PageIn(limit=1, cursor=cursor))
