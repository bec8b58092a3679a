"""A lock gateway simulator: a process on loopback that answers as connected locks would.

State per lock: locked at a station, or unlocked (the bike out). ``POST /locks/<id>/unlock``
with ``{"rental", "valid_seconds"}`` unlocks (again for the same rental: the same answer);
``GET /locks/<id>`` tells the state; ``POST /locks/<id>/dock`` with ``{"station"}`` is the
traveller pushing the bike into a dock (the demo's pages and the tests call it);
``POST /locks/<id>/offline`` makes a lock stop answering, to test a lost connection.
``GET /`` is a small page listing the unlocked locks, with a form per lock to dock it at a
station: in the demo, that is the traveller's hand pushing the bike back.
"""

from __future__ import annotations

import html
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LockSimulator:
    def __init__(self) -> None:
        self.locks: dict[str, dict[str, Any]] = {}
        self.offline: set[str] = set()
        self.guard = threading.Lock()

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "locks":
            return 404, {"error": "unknown path"}
        lock_id = parts[1]
        action = parts[2] if len(parts) > 2 else ""
        with self.guard:
            if action == "offline":
                self.offline.add(lock_id)
                return 200, {"state": "offline"}
            if action == "online":
                self.offline.discard(lock_id)
                return 200, {"state": "online"}
            if lock_id in self.offline:
                return -1, {}
            lock = self.locks.setdefault(lock_id, {"state": "locked", "station": "", "rental": ""})
            if method == "GET" and not action:
                return 200, {"state": lock["state"], "station": lock["station"]}
            if method == "POST" and action == "unlock":
                if lock["state"] == "unlocked" and lock["rental"] != body.get("rental"):
                    return 409, {"error": "already unlocked for another rental"}
                lock.update(
                    state="unlocked",
                    station="",
                    rental=str(body.get("rental", "")),
                    until=time.time() + int(body.get("valid_seconds", 60)),
                )
                return 200, {"state": "unlocked"}
            if method == "POST" and action == "dock":
                lock.update(state="locked", station=str(body.get("station", "")), rental="")
                return 200, {"state": "locked", "station": lock["station"]}
        return 400, {"error": "unknown action"}


class SimulatorServer(ThreadingHTTPServer):
    """The simulator's HTTP server, which carries its state so that tests and the demo reach it."""

    simulator: LockSimulator


def simulator_server(
    host: str = "127.0.0.1", port: int = 0, simulator: LockSimulator | None = None
) -> SimulatorServer:
    """Return an HTTP server bound on loopback that serves a lock simulator."""
    state = simulator or LockSimulator()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
            try:
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            except ValueError:
                body = {}
            status, answer = state.handle(method, self.path, body if isinstance(body, dict) else {})
            if status < 0:  # an offline lock: the connection drops without an answer
                self.close_connection = True
                return
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path == "/":
                self._page()
                return
            self._answer("GET")

        def do_POST(self) -> None:
            if self.path == "/dock":
                length = min(int(self.headers.get("Content-Length") or 0), 4096)
                fields = dict(
                    part.split("=", 1) for part in self.rfile.read(length).decode().split("&") if "=" in part
                )
                lock_id = urllib.parse.unquote_plus(fields.get("lock", ""))
                station = urllib.parse.unquote_plus(fields.get("station", ""))
                state.handle("POST", f"/locks/{lock_id}/dock", {"station": station})
                self.send_response(303)
                self.send_header("Location", "/")
                self.end_headers()
                return
            self._answer("POST")

        def _page(self) -> None:
            with state.guard:
                out = [
                    lock_id for lock_id, lock in sorted(state.locks.items()) if lock["state"] == "unlocked"
                ]
            rows = "".join(
                f'<li><form method="post" action="/dock">{html.escape(lock_id)} : '
                f'<input type="hidden" name="lock" value="{html.escape(lock_id)}">'
                f'<label>station <input name="station" required></label> '
                f'<button type="submit">Verrouiller à cette station</button></form></li>'
                for lock_id in out
            )
            page = (
                '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Simulateur de '
                "cadenas</title></head><body><main><h1>Simulateur de cadenas VéloTIC</h1><p>Cadenas "
                "ouverts (vélos en route). Indiquez l'identifiant de la station (par exemple "
                "« venette ») pour y rendre le vélo.</p><ul>"
                + (rows or "<li>Aucun vélo en route.</li>")
                + "</ul></main></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = SimulatorServer((host, port), Handler)
    server.simulator = state
    return server
