"""The archives' lists cost the same number of queries for 3 packages as for 30 (decision 0013)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage, Transfer
from socle.core.models import Organisation, User
from tests.support.clients import signed_in

LISTS = ["/archives/", "/archives/versements/", "/archives/eliminations/"]


def _transfer(arc: Organisation, sip: Path, count: int) -> None:
    for _ in range(count):
        transfer_ingest(actor=None, organisation=arc, package=sip)


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_the_archives_pages_do_not_query_per_package(url: str, arc: Organisation, archivist: User,
                                                     good_sip: Path) -> None:
    client = signed_in(archivist)
    _transfer(arc, good_sip, 3)
    client.get(url)  # the session and the actor's roles, read once
    few = _queries(client, url)
    _transfer(arc, good_sip, 27)
    many = _queries(client, url)
    assert ArchivalPackage.objects.count() == 30 and Transfer.objects.count() == 30
    assert many == few


def test_the_packages_api_does_not_query_per_package(arc: Organisation, archivist: User,
                                                     good_sip: Path, api_client: Any) -> None:
    client = api_client(archivist)
    url = "/api/v1/archives/packages?limit=100"
    _transfer(arc, good_sip, 3)
    client.get(url)
    few = _queries(client, url)
    _transfer(arc, good_sip, 27)
    many = _queries(client, url)
    assert len(client.get(url).json()["items"]) == 30
    assert many == few
