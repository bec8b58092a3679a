"""Pages under load: socle's home page and ``/api/v1/organisations`` against a bare Django view.

Both applications are served by the same gunicorn configuration (2 workers)
and loaded by 32 concurrent keep-alive clients, one after the other. The bare
view (no middleware, no database, no template) is the framework's ceiling on
this machine: the ratio to it says how much of the machine socle's own work
leaves to the visitors.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .instance import prepared
from .load import LoadConfig, LoadGenerator
from .server import Server, ServerConfig, served

AIM = 0.7
APP_TARGETS = {"home_page": "/", "api_organisations": "/api/v1/organisations"}
LABELS = {
    "bare_view": "vue Django nue",
    "home_page": "page d'accueil",
    "api_organisations": "API /api/v1/organisations",
}


def _status(url: str) -> int:
    """The status of one request, without following redirects."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _measure(load: LoadGenerator, server: Server, path: str, label: str) -> dict[str, Any]:
    print(f"  mesure : {label} ({path})…", file=sys.stderr)
    url = server.base_url + path
    status = _status(url)
    figures: dict[str, Any] = {"path": path}
    if status != 200:
        figures["error"] = f"réponse {status} au lieu de 200 avant la mesure"
        return figures
    load.warm_up(url)
    cpu_before = server.cpu_seconds()
    figures.update(load.measure(url))
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None and figures["requests"]:
        figures["server_cpu_ms_per_request"] = round(
            (cpu_after - cpu_before) * 1000 / figures["requests"], 3)
    if figures["non_2xx"] or figures["socket_errors"]:
        figures["error"] = (f"{figures['non_2xx']} réponses hors 2xx et "
                            f"{figures['socket_errors']} erreurs de connexion pendant la mesure")
    return figures


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Keep the round of median throughput, and every round's throughput beside it."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda run: run["requests_per_second"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        chosen["rounds_requests_per_second"] = [run["requests_per_second"] for run in runs]
    return chosen


def run() -> dict[str, Any]:
    """Measure the bare view, then the home page and the organisations API, same server."""
    server_config = ServerConfig.from_env()
    load = LoadGenerator(LoadConfig.from_env())
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))
    runs: dict[str, list[dict[str, Any]]] = {"bare_view": [], **{n: [] for n in APP_TARGETS}}
    with tempfile.TemporaryDirectory(prefix="socle-bench-") as tmp:
        work_dir = Path(tmp)
        print("  préparation d'une instance de production (socle demo --no-serve)…",
              file=sys.stderr)
        with (
            prepared(work_dir=work_dir) as instance,
            served("bench.bare_wsgi:application", config=server_config, env=instance.env,
                   log_dir=work_dir) as bare,
            served("socle.wsgi:application", config=server_config, env=instance.env,
                   log_dir=work_dir, ready_path="/healthz") as app,
        ):
            # Both servers stay up and are loaded in turn, round after round, so
            # that a neighbour's burst of activity weighs on the ceiling and on
            # the application alike rather than on one of them.
            for number in range(1, rounds + 1):
                if rounds > 1:
                    print(f"  tour {number}/{rounds}", file=sys.stderr)
                runs["bare_view"].append(_measure(load, bare, "/", LABELS["bare_view"]))
                for name, path in APP_TARGETS.items():
                    runs[name].append(_measure(load, app, path, LABELS[name]))
            database = instance.database
    targets = {name: _median_round(results) for name, results in runs.items()}
    ceiling = targets["bare_view"].get("requests_per_second")
    ceiling_cpu = targets["bare_view"].get("server_cpu_ms_per_request")
    ratios: dict[str, float | None] = {}
    cpu_ratios: dict[str, float | None] = {}
    for name in APP_TARGETS:
        rate = targets[name].get("requests_per_second")
        ratios[f"{name}_vs_bare"] = round(rate / ceiling, 3) if rate and ceiling else None
        cpu = targets[name].get("server_cpu_ms_per_request")
        cpu_ratios[f"{name}_vs_bare"] = round(ceiling_cpu / cpu, 3) if cpu and ceiling_cpu else None
    result: dict[str, Any] = {
        "benchmark": "http",
        "server": server_config.describe(),
        "tool": load.describe(),
        "rounds": rounds,
        "settings": "SOCLE_PRODUCTION=1 SOCLE_SSL_REDIRECT=0 DEBUG=False, collectstatic",
        "database": database,
        "targets": targets,
        "ratios": ratios,
        # The same comparison by the server's CPU time per request: steadier than
        # throughput when other programs share the machine.
        "cpu_ratios": cpu_ratios,
        "aim": AIM,
    }
    errors = [f"{name} : {t['error']}" for name, t in targets.items() if "error" in t]
    if errors:
        result["errors"] = errors
    return result


def summary(result: dict[str, Any]) -> list[str]:
    """Say the figures in French, one line per target, then the ratios against the aim."""
    lines = [f"Serveur : {result['server']} ; charge : {result['tool']} ; "
             f"base : {result['database']['vendor']} {result['database']['version']}"]
    for name, figures in result["targets"].items():
        if "requests_per_second" in figures:
            cpu = figures.get("server_cpu_ms_per_request")
            lines.append(
                f"  {LABELS[name]:28} {figures['requests_per_second']:>9.1f} req/s   "
                f"p50 {figures['p50_ms']:.2f} ms   p99 {figures['p99_ms']:.2f} ms"
                + (f"   CPU serveur {cpu:.2f} ms/req" if cpu is not None else "")
            )
        if "error" in figures:
            lines.append(f"  {LABELS[name]:28} ERREUR : {figures['error']}")
    for name in APP_TARGETS:
        ratio = result["ratios"].get(f"{name}_vs_bare")
        if ratio is None:
            continue
        verdict = "objectif atteint" if ratio >= result["aim"] else "sous l'objectif"
        cpu_ratio = result["cpu_ratios"].get(f"{name}_vs_bare")
        by_cpu = f", {cpu_ratio:.2f} en temps CPU" if cpu_ratio is not None else ""
        lines.append(f"  {LABELS[name]} / plafond : {ratio:.2f} en débit{by_cpu} "
                     f"({verdict} : {result['aim']:.2f})")
    return lines
