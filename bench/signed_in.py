"""The pages people work in all day: server CPU per request against the 5 ms budget.

One production-like instance (PostgreSQL when a server answers, as chosen by ``portal``;
SQLite otherwise), filled by ``bench/portal_seed.py`` (100,000 cases) and by the GED's
set-based fill (``bench/documents.py``: 1,000,000 documents with text on PostgreSQL,
100,000 on SQLite). A child process in the instance's environment then requests each page
through Django's test client, as one signed-in person would, and measures:

- ``python_ms``: the process's CPU time per request (``time.process_time``): middleware,
  session and user, permissions, the view, its queries' compilation, the template;
- ``database_ms``: on PostgreSQL, the CPU time of the backend serving the child's
  connection (read from ``/proc``), that is planning and executing its queries;
- ``server_ms``: their sum, the figure held against the budget (``BUDGET_MS``).

The best of ``BENCH_SIGNED_BATCHES`` batches of ``BENCH_SIGNED_REQUESTS`` requests is kept
(what other programs on the machine add is noise, never the page's own cost), beside the
wall-clock p50 and p99 of every request. The baseline, measured in the same process and the
same run, is the bare Django view of ``http`` (``bare_urls.py``, no middleware, no database)
requested through the same client. Under load, the queue's p99 at 32 connections is
``portal``'s figure: about 32 times the CPU per request divided by the cores.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import instance as bench_instance
from .portal import databases

REPO = Path(__file__).resolve().parent.parent
BUDGET_MS = 5.0
BENCH_DATABASE = "socle_signed_in_bench"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- child (inside the instance)


def _backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(client: Any, path: str, *, requests: int, batches: int,
             backend: int | None) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    for _ in range(5):  # warm the caches a page is entitled to (templates, workflows)
        client.get(path)
    best: tuple[float, float] | None = None
    walls: list[float] = []
    for _ in range(batches):
        cpu, db = time.process_time(), _backend_cpu(backend)
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            walls.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        python_ms = (time.process_time() - cpu) / requests * 1000
        database_ms = (_backend_cpu(backend) - db) / requests * 1000
        if best is None or python_ms + database_ms < sum(best):
            best = (python_ms, database_ms)
    assert best is not None
    return {
        "path": path,
        "python_ms": round(best[0], 2),
        "database_ms": round(best[1], 2) if backend is not None else None,
        "server_ms": round(sum(best), 2),
        "wall_p50_ms": round(statistics.median(walls), 2),
        "wall_p99_ms": round(_percentile(walls, 0.99), 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(v for k, v in statuses.items() if k != 200),
    }


def _fill_documents(target: int) -> dict[str, Any]:
    from socle.core.models import Organisation
    from socle.documents.models import FilePlanNode

    from .documents import Corpus, _fill

    arc = Organisation.objects.get(slug="arc")
    nodes = [node for node in FilePlanNode.objects.filter(parent__isnull=False).order_by("pk")
             if not node.document_types and not node.access_rule.startswith("restricted:")]
    if not nodes:
        raise RuntimeError("Aucune rubrique libre dans le plan de classement de la démonstration.")
    return _fill(Corpus(), arc, nodes, target)


def _session_for(user: Any, second_factor: bool) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from socle.core.assurance import SESSION_KEY as ASSURANCE_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[ASSURANCE_KEY] = {"method": "password+totp" if second_factor else "password",
                            "second_factor": second_factor, "at": int(time.time())}
    store.create()
    assert store.session_key is not None
    return store.session_key


def worker(config: dict[str, Any]) -> dict[str, Any]:
    """Fill the documents, prepare the people and measure every page (in the instance)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from socle.core.models import Organisation, User
    from socle.core.services import membership_grant
    from socle.documents.models import Document
    from socle.portal.models import Case

    filled = _fill_documents(config["documents"])
    compiegne = Organisation.objects.get(slug="compiegne")
    agent = User.objects.get(email=config["agent_email"])
    membership_grant(actor=None, user=agent, organisation=compiegne, role="documents.reader")
    citizen_id = (Case.objects.filter(citizen__isnull=False).values("citizen")
                  .annotate(n=Count("pk")).order_by("-n", "citizen")[0]["citizen"])
    citizen = User.objects.get(pk=citizen_id)
    case = (Case.objects.filter(organisation=compiegne).exclude(status="draft")
            .annotate(n=Count("events")).filter(n__gte=2).order_by("-submitted_at").first())
    document = Document.objects.filter(organisation=compiegne).order_by("-pk").first()
    if case is None or document is None:
        raise RuntimeError("Il manque un dossier ou un document de Compiègne.")

    host = {"HTTP_HOST": "127.0.0.1"}
    agent_client, citizen_client = Client(**host), Client(**host)
    agent_client.cookies["sessionid"] = _session_for(agent, second_factor=True)
    citizen_client.cookies["sessionid"] = _session_for(citizen, second_factor=False)
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    requests, batches = config["requests"], config["batches"]
    targets = {
        "queue": (agent_client, "/agent/dossiers/"),
        "case_page": (agent_client, f"/agent/dossiers/{case.number}/"),
        "my_cases": (citizen_client, "/mes-demandes/"),
        "my_work": (agent_client, "/agent/taches/"),
        "ged_search": (agent_client, "/documents/?q=subvention"),
        "document_page": (agent_client, f"/documents/{document.pk}/"),
    }
    pages: dict[str, Any] = {}
    with override_settings(ROOT_URLCONF="bench.bare_urls", MIDDLEWARE=[]):
        bare = _measure(Client(**host), "/", requests=requests, batches=batches, backend=backend)
    for name, (client, path) in targets.items():
        _log(f"    {name} : {path}")
        pages[name] = _measure(client, path, requests=requests, batches=batches, backend=backend)
        pages[name]["within_budget"] = pages[name]["server_ms"] <= BUDGET_MS
        pages[name]["ratio_to_bare"] = (round(bare["server_ms"] / pages[name]["server_ms"], 3)
                                        if pages[name]["server_ms"] else None)
    return {"bare": bare, "pages": pages, "fill": filled,
            "citizen_cases": Case.objects.filter(citizen=citizen).count()}


# ---------------------------------------------------------------- parent


def _run(command: list[str], env: dict[str, str], timeout: int) -> str:
    # Progress goes to the caller's stderr as it comes; stdout holds the child's JSON.
    done = subprocess.run(command, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)},
                          stdout=subprocess.PIPE, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} a échoué (code {done.returncode}).")
    return done.stdout


def run() -> dict[str, Any]:
    found, notes = databases()
    if not found:
        raise RuntimeError("Aucune base à mesurer (BENCH_SQLITE=0 sans PostgreSQL).")
    vendor, url = next(((v, u) for v, u in found if v == "postgresql"), found[0])
    cases = int(os.environ.get("BENCH_CASES", "100000"))
    documents = int(os.environ.get(
        "BENCH_SIGNED_DOCUMENTS", "1000000" if vendor == "postgresql" else "100000"))
    config = {"documents": documents,
              "requests": int(os.environ.get("BENCH_SIGNED_REQUESTS", "40")),
              "batches": int(os.environ.get("BENCH_SIGNED_BATCHES", "5"))}
    _log(f"  signed_in ({vendor}) : {cases} dossiers, {documents} documents")
    with tempfile.TemporaryDirectory(prefix="socle-bench-signed-") as work, \
            bench_instance.prepared(work_dir=Path(work), database_url=url,
                                    database_name=BENCH_DATABASE if url else None) as instance:
        seeded = json.loads(_run([sys.executable, "-m", "bench.portal_seed", "--cases", str(cases)],
                                 instance.env, 3600))
        config["agent_email"] = seeded["agents"]["compiegne"]["email"]
        measured = json.loads(_run([sys.executable, "-m", "bench.signed_in", "--worker",
                                    json.dumps(config)], instance.env, 7200))
    pages = measured["pages"]
    return {
        "database": instance.database,
        "notes": notes,
        "cases": seeded["cases"],
        "documents": documents,
        "budget_ms": BUDGET_MS,
        "requests_per_batch": config["requests"],
        "batches": config["batches"],
        "bare": measured["bare"],
        "pages": pages,
        "citizen_cases": measured["citizen_cases"],
        "fill": measured["fill"],
        "within_budget": sorted(name for name, page in pages.items() if page["within_budget"]),
        "over_budget": sorted(name for name, page in pages.items() if not page["within_budget"]),
        "errors": sum(page["errors"] for page in pages.values()) + measured["bare"]["errors"],
    }


def summary(result: dict[str, Any]) -> list[str]:
    bare = result["bare"]
    lines = [f"pages connectées ({result['database'].get('vendor')}, {result['cases']} dossiers, "
             f"{result['documents']} documents) — budget {result['budget_ms']} ms de CPU serveur, "
             f"vue nue {bare['server_ms']} ms :"]
    for name, page in result["pages"].items():
        database = f" + base {page['database_ms']} ms" if page["database_ms"] is not None else ""
        verdict = "dans le budget" if page["within_budget"] else "hors budget"
        lines.append(f"  {name:14s} {page['server_ms']:6.2f} ms (Python {page['python_ms']} ms"
                     f"{database}) — {verdict}")
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2))
