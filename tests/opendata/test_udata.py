"""The udata connector, against a local server that speaks data.gouv.fr's API (datasets, resources)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from socle.core.models import AuditEvent
from socle.opendata.models import Access, Dataset, Distribution
from socle.opendata.services import (
    dataset_create,
    distribution_check,
    distribution_create,
    distribution_publish,
    udata_sync,
)
from socle.opendata.udata import udata_configured

from .conftest import GOOD, HEADER

KEY = "cle-de-test"


class UdataServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), UdataHandler)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.counter = 0


class UdataHandler(BaseHTTPRequestHandler):
    server: UdataServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        if self.headers.get("X-API-KEY") != KEY:
            self._answer(401, {"message": "Invalid API Key"})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        self.server.calls.append((self.command, self.path, body))
        parts = [p for p in self.path.split("/") if p]  # api, 1, datasets, <id>, resources, <rid>
        if self.command == "POST":
            self.server.counter += 1
            prefix = "r" if parts[-1] == "resources" else "d"
            self._answer(201, {"id": f"{prefix}{self.server.counter}", **body})
        else:
            self._answer(200, {"id": parts[-1], **body})

    do_POST = _handle
    do_PUT = _handle


@pytest.fixture
def udata(settings) -> Iterator[UdataServer]:
    server = UdataServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OPENDATA_UDATA_URL = f"http://127.0.0.1:{server.server_port}/api/1"
    settings.OPENDATA_UDATA_API_KEY = KEY
    settings.OPENDATA_UDATA_ORGANIZATIONS = {"compiegne": "5f0c0000000000000000c159"}
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def published(territory):
    compiegne = territory["compiegne"]
    dataset = dataset_create(
        actor=None, organisation=compiegne, slug="subventions", title="Subventions", keywords=["associations"]
    )
    dataset_create(actor=None, organisation=compiegne, slug="interne", title="Interne", access=Access.AGENTS)
    distribution = distribution_create(
        actor=None, dataset=dataset, title="Subventions 2025", table_schema="scdl/subventions"
    )
    validation = distribution_check(
        actor=None, distribution=distribution, data=f"{HEADER}\n{GOOD}\n".encode()
    )
    distribution_publish(actor=None, validation=validation)
    return dataset


def test_a_dataset_is_created_once_then_updated_with_its_resource_and_schema(udata, published):
    assert udata_sync(base_url="https://donnees.exemple.fr").startswith("1 jeu(x)")
    (create, resource) = udata.calls
    assert create[:2] == ("POST", "/api/1/datasets/")
    assert create[2]["organization"] == {"id": "5f0c0000000000000000c159"} and create[2]["license"] == "lov2"
    assert create[2]["extras"] == {"socle:id": "compiegne/subventions"}
    assert resource[1] == "/api/1/datasets/d1/resources/"
    assert resource[2]["schema"] == {"name": "scdl/subventions", "version": "2.1.1"}
    distribution = Distribution.objects.get(dataset=published)
    assert resource[2]["url"] == f"https://donnees.exemple.fr/donnees/fichiers/{distribution.pk}.csv"
    assert Dataset.objects.get(pk=published.pk).udata_id == "d1" and distribution.udata_resource_id == "r2"
    udata_sync(base_url="https://donnees.exemple.fr")
    assert [c[:2] for c in udata.calls[2:]] == [
        ("PUT", "/api/1/datasets/d1/"),
        ("PUT", "/api/1/datasets/d1/resources/r2/"),
    ]
    assert AuditEvent.objects.filter(action="opendata.udata_sync").count() == 2


def test_a_refused_call_is_journaled_and_changes_nothing(udata, published, settings):
    settings.OPENDATA_UDATA_API_KEY = "mauvaise"
    assert "1 en échec" in udata_sync(base_url="https://donnees.exemple.fr")
    assert Dataset.objects.get(pk=published.pk).udata_id == ""
    event = AuditEvent.objects.get(action="opendata.udata_sync")
    assert event.data["ok"] is False and "401" in event.data["error"]


def test_the_connector_is_off_without_a_url_and_refuses_to_start_without_a_key(settings, db):
    settings.OPENDATA_UDATA_URL = ""
    assert "désactivé" in udata_sync(base_url="https://x")
    assert udata_configured(None) == []
    settings.OPENDATA_UDATA_URL = "https://www.data.gouv.fr/api/1"
    settings.OPENDATA_UDATA_API_KEY = ""
    assert [e.id for e in udata_configured(None)] == ["opendata.E001"]
