"""The helpdesk at 200,000 tickets: the technicians' queue beside the bare Django view.

For each database (SQLite, then PostgreSQL when a server answers, as ``bench.portal``
chooses them), a production-like instance is prepared (``socle demo --no-serve``) and
filled with ``BENCH_TICKETS`` tickets (200,000 by default) across the 22 communes over
two years, one in ten still open, by this module run as ``python -m bench.helpdesk
--seed N`` in the instance's environment (rows written in bulk, not through the
services: the journal of 200,000 openings is not what is measured). Then gunicorn serves
socle and the bare view with the same configuration and, with 32 keep-alive connections
and again at light load (4 clients, a connection per request):

- the DCSI technician's queue ``/assistance/file`` (open tickets, the default), all
  tickets, one commune's, and the late ones, with the technician's session cookie;
- ``/api/v1/tickets`` with the technician's bearer token;
- "Mes tickets" of an agent of Margny (their commune's tickets, ~1/22 of them).

The aim (issue 16): p99 under 150 ms at light load on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

AIM_P99_MS = 150.0
DURATION = 5.0
WARMUP = 1.0
LIGHT_CONNECTIONS = 4
LIGHT_DURATION = 5.0
BENCH_DATABASE = "socle_helpdesk_bench"
TARGETS = {
    "queue": ("/assistance/file", "technician_session", "file des techniciens (non résolus)"),
    "queue_all": ("/assistance/file?status=all", "technician_session", "file, tous les tickets"),
    "queue_commune": ("/assistance/file?status=all&organisation=margny-les-compiegne",
                      "technician_session", "file, une commune"),
    "queue_late": ("/assistance/file?late=1", "technician_session", "file, en retard"),
    "api_list": ("/api/v1/tickets", "technician_token", "API liste des tickets"),
    "agent_mine": ("/assistance/?commune=1", "agent_session", "« Mes tickets » d'un agent"),
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ seed


def _seed(total: int) -> dict[str, Any]:
    """Fill the instance with tickets; return the sessions and token the load will use."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.portal_seed import _session
    from socle.core.models import Organisation, User
    from socle.core.services import membership_grant, token_create
    from socle.helpdesk.models import Category, Sla, Status, Ticket, TicketCounter

    started = time.perf_counter()
    rng = random.Random(16)
    technician = User.objects.get(email="technicien@demo.socle.fr")
    communes = list(Organisation.objects.filter(kind="commune").order_by("path"))
    requesters = {}
    for commune in communes:
        user, created = User.objects.get_or_create(email=f"banc.{commune.slug}@bench.socle.fr",
                                                   defaults={"first_name": "Agent",
                                                             "last_name": commune.name[:30]})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            membership_grant(actor=None, user=user, organisation=commune,
                             role="helpdesk.requester")
        requesters[commune.pk] = user
    slas = {sla.priority: sla for sla in Sla.objects.all()}
    now = timezone.now()
    counters = {row.year: row.last for row in TicketCounter.objects.all()}
    categories = list(Category.values)
    batch: list[Ticket] = []
    by_status: dict[str, int] = {}
    for index in range(total):
        opened = now - timedelta(days=730 * (total - index) / total, minutes=rng.randint(0, 600))
        year = timezone.localtime(opened).year
        counters[year] = counters.get(year, 0) + 1
        commune = communes[rng.randrange(len(communes))]
        priority = rng.choice([2, 3, 3, 3, 4, 4, 5])
        still_open = index >= total - total // 10 or rng.random() < 0.01
        status = (rng.choice([Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING])
                  if still_open else rng.choice([Status.CLOSED, Status.CLOSED, Status.SOLVED]))
        by_status[status] = by_status.get(status, 0) + 1
        owned = opened + timedelta(minutes=rng.randint(5, 400))
        solved = opened + timedelta(hours=rng.randint(1, 120))
        due_resolve = opened + timedelta(hours=48)
        batch.append(Ticket(
            organisation=commune, year=year, seq=counters[year],
            number=f"{year}-{counters[year]:05d}", category=rng.choice(categories),
            title=f"Ticket de banc n° {index}", description="Rempli pour le banc.",
            urgency=3, impact=3, priority=priority, status=status,
            requester=requesters[commune.pk],
            assignee=technician if status != Status.NEW else None, sla=slas.get(priority),
            opened_at=opened, owned_at=None if status == Status.NEW else owned,
            due_own_at=opened + timedelta(hours=4),
            due_resolve_at=None if status == Status.PENDING else due_resolve,
            solved_at=None if still_open else solved,
            closed_at=solved + timedelta(days=2) if status == Status.CLOSED else None,
            own_met=None if still_open else owned <= opened + timedelta(hours=4),
            resolve_met=None if still_open else solved <= due_resolve))
        if len(batch) == 5000:
            with transaction.atomic():
                Ticket.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        Ticket.objects.bulk_create(batch)
        for year, last in counters.items():
            TicketCounter.objects.update_or_create(year=year, defaults={"last": last})
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    margny = next(c for c in communes if c.slug == "margny-les-compiegne")
    return {
        "tickets": Ticket.objects.count(), "by_status": by_status,
        "seconds": round(seeded, 1), "total_seconds": round(time.perf_counter() - started, 1),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "technician_session": _session(technician),
        "technician_token": token_create(actor=None, user=technician, name="banc")[1],
        "agent_session": _session(requesters[margny.pk]),
    }


def _seed_in(env: dict[str, str], total: int) -> dict[str, Any]:
    from .server import REPO

    _log(f"    remplissage : {total} tickets…")
    done = subprocess.run([sys.executable, "-m", "bench.helpdesk", "--seed", str(total)],
                          cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"Le remplissage a échoué :\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ----------------------------------------------------------------------------- load


def _headers(seeded: dict[str, Any], credential: str) -> dict[str, str]:
    if credential.endswith("_token"):
        return {"Authorization": f"Bearer {seeded[credential]}"}
    return {"Cookie": f"{seeded['session_cookie']}={seeded[credential]}"}


def _measure_database(vendor: str, url: str, *, total: int, load: Any, light: Any,
                      server_config: Any, wrk: str) -> dict[str, Any]:
    from .instance import prepared
    from .portal import Bench, _load_average
    from .server import served

    result: dict[str, Any] = {"load_average_1m_at_start": _load_average()}
    with tempfile.TemporaryDirectory(prefix="socle-bench-helpdesk-") as tmp:
        work_dir = Path(tmp)
        _log(f"  base {vendor} : préparation d'une instance de production…")
        with prepared(work_dir=work_dir, database_url=url,
                      database_name=BENCH_DATABASE if url else None) as instance:
            result["database"] = instance.database
            seeded = _seed_in(instance.env, total)
            result["seed"] = {k: seeded[k] for k in ("tickets", "by_status", "seconds")}
            bench = Bench(wrk, load, BENCH_DATABASE if url else None)
            with (
                served("bench.bare_wsgi:application", config=server_config, env=instance.env,
                       log_dir=work_dir) as bare,
                served("socle.wsgi:application", config=server_config, env=instance.env,
                       log_dir=work_dir, ready_path="/healthz") as app,
            ):
                targets: dict[str, Any] = {
                    "bare_view": bench.measure(bare, "/", "vue Django nue", light=light)}
                for name, (path, credential, label) in TARGETS.items():
                    targets[name] = bench.measure(app, path, label,
                                                  headers=_headers(seeded, credential),
                                                  light=light)
    result["targets"] = targets
    ceiling = targets["bare_view"].get("requests_per_second")
    result["ratios"] = {f"{name}_vs_bare": round(t["requests_per_second"] / ceiling, 3)
                        for name, t in targets.items()
                        if name != "bare_view" and ceiling and t.get("requests_per_second")}
    light_p99 = [t["light_load"]["p99_ms"] for name, t in targets.items()
                 if name.startswith("queue") and t.get("light_load", {}).get("requests")]
    if light_p99:
        result["queue_p99_ms_max_light_load"] = max(light_p99)
        if vendor == "postgresql":
            result["aim_met_light_load"] = max(light_p99) < AIM_P99_MS
    return result


def run() -> dict[str, Any]:
    """Measure the helpdesk's queue on each available database, beside the bare view."""
    from .load import LoadConfig, find_wrk
    from .portal import databases
    from .server import ServerConfig

    wrk = find_wrk()
    if wrk is None:
        raise RuntimeError("Ce banc demande wrk : installez le paquet « wrk ».")
    total = int(os.environ.get("BENCH_TICKETS", "200000"))
    server_config = ServerConfig.from_env()
    load = replace(LoadConfig.from_env(),
                   duration=float(os.environ.get("BENCH_DURATION", str(DURATION))),
                   warmup=float(os.environ.get("BENCH_WARMUP", str(WARMUP))))
    light = replace(load, warmup=0, connections=int(os.environ.get(
        "BENCH_LIGHT_CONNECTIONS", str(LIGHT_CONNECTIONS))),
        duration=float(os.environ.get("BENCH_LIGHT_DURATION", str(LIGHT_DURATION))))
    chosen, notes = databases()
    result: dict[str, Any] = {
        "benchmark": "helpdesk", "server": server_config.describe(), "tickets": total,
        "tool": f"wrk connections={load.connections} duration={load.duration:g}s, puis "
                f"{light.connections} clients (une connexion par requête)",
        "aim": {"queue_p99_ms_below_at_light_load": AIM_P99_MS, "database": "postgresql"},
        "notes": notes, "databases": {},
    }
    errors: list[str] = []
    for vendor, url in chosen:
        try:
            measured = _measure_database(vendor, url, total=total, load=load, light=light,
                                         server_config=server_config, wrk=wrk)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one database failing must not hide the other
            measured = {"error": str(exc)}
            errors.append(f"{vendor} : {exc}")
        result["databases"][vendor] = measured
        errors += [f"{vendor} {name} : {figures['error']}"
                   for name, figures in measured.get("targets", {}).items() if "error" in figures]
    if errors:
        result["errors"] = errors
    return result


def summary(result: dict[str, Any]) -> list[str]:
    """Say the figures in French, one line per target and database."""
    lines = [f"{result['tickets']} tickets ; {result['tool']}", *result["notes"]]
    labels = {name: label for name, (_, _, label) in TARGETS.items()}
    labels["bare_view"] = "vue Django nue (plafond)"
    for vendor, measured in result["databases"].items():
        if "error" in measured:
            lines.append(f"  {vendor} : ERREUR : {measured['error']}")
            continue
        lines.append(f"  {vendor} ({measured['seed']['tickets']} tickets) :")
        for name, figures in measured["targets"].items():
            light = figures.get("light_load", {})
            if "requests_per_second" in figures:
                lines.append(f"    {labels[name]:38} {figures['requests_per_second']:>8.1f} req/s "
                             f"p99 {figures['p99_ms']:>7.1f} ms ; charge légère p99 "
                             f"{light.get('p99_ms', float('nan')):>6.1f} ms")
        if "aim_met_light_load" in measured:
            lines.append(f"    objectif p99 < {AIM_P99_MS:.0f} ms (charge légère) : "
                         + ("atteint" if measured["aim_met_light_load"] else "manqué"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.helpdesk")
    parser.add_argument("--seed", type=int, help="remplir l'instance (appelé par le banc)")
    args = parser.parse_args()
    if args.seed:
        print(json.dumps(_seed(args.seed), ensure_ascii=False))
        return
    result = run()
    for line in summary(result):
        _log(line)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result.get("errors"):
        sys.exit(1)


if __name__ == "__main__":
    main()
