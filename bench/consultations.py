"""What recording consultations costs an agent's case page, and what the chained design would.

For each database (SQLite, then PostgreSQL when a server answers, as ``bench/portal.py``
chooses), a production-like instance (``socle demo --no-serve``) gets a few thousand cases
from ``bench/portal_seed.py``. An agent of Compiègne then opens one case page,
``/agent/dossiers/<number>/``, served by gunicorn three times in the same run
(``bench/consultation_wsgi.py``):

- ``off``: no consultation recorded, the baseline;
- ``log``: socle as shipped, one insert into the consultation log (decision 0019);
- ``chained``: a chained journal event on each opening, which takes the lock of the
  journal's head on every page (the design decision 0019 set aside).

Each at 32 connections, then under a light load (4 clients, a new connection per request).
Then the fold job moves the consultations logged during the ``log`` measurement into the
chained journal: consultations per second, events written.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .instance import prepared
from .load import LoadConfig, find_wrk
from .portal import Bench, _get, databases
from .server import REPO, ServerConfig, served

MODES = {"off": "sans enregistrement (référence)", "log": "registre des consultations (socle)",
         "chained": "événement chaîné à chaque page"}
BENCH_DATABASE = "socle_consultations_bench"
CASES = 3000
ROUNDS = 3
SEEDED_AGENT = "agent.compiegne@bench.socle.fr"  # bench/portal_seed.py
UNIT_CALLS = 2000
DURATION = 5.0
WARMUP = 1.0
LIGHT_CONNECTIONS = 4
LIGHT_DURATION = 5.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _in_instance(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.consultations", *args], cwd=REPO,
                          env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"bench.consultations {' '.join(args)} a échoué :\n"
                           f"{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _seed(env: dict[str, str], cases: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.portal_seed", "--cases", str(cases)],
                          cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"Le remplissage a échoué :\n{done.stderr[-3000:]}")
    seeded: dict[str, Any] = json.loads(done.stdout)
    return seeded


def _ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value and reference else None


def _median_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the rounds (other work on the machine moves them all)."""
    keys = ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_ms_per_request",
            "database_cpu_ms_per_request")
    merged: dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in rounds if r.get(key) is not None]
        if values:
            merged[key] = round(statistics.median(values), 3)
    light = [r["light_load"] for r in rounds if r.get("light_load", {}).get("requests")]
    if light:
        merged["light_load"] = {key: round(statistics.median(entry[key] for entry in light), 3)
                                for key in ("requests_per_second", "p50_ms", "p99_ms")}
    for key in ("consultations_logged", "journal_events_written", "requests"):
        merged[key] = sum(r.get(key, 0) for r in rounds)
    errors = [r["error"] for r in rounds if "error" in r]
    if errors:
        merged["error"] = errors[0]
    return merged


def _measure_database(vendor: str, url: str, *, cases: int, rounds: int, config: LoadConfig,
                      light: LoadConfig, server_config: ServerConfig, wrk: str) -> dict[str, Any]:
    result: dict[str, Any] = {"load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    measured: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    folds = []
    with tempfile.TemporaryDirectory(prefix="socle-bench-consultations-") as tmp:
        work_dir = Path(tmp)
        _log(f"  base {vendor} : préparation de l'instance et de {cases} dossiers…")
        with prepared(work_dir=work_dir, database_url=url,
                      database_name=BENCH_DATABASE if url else None) as instance:
            result["database"] = instance.database
            seeded = _seed(instance.env, cases)
            agent = seeded["agents"]["compiegne"]
            session = {"Cookie": f"{seeded['session_cookie']}={agent['session']}"}
            bench = Bench(wrk, config, BENCH_DATABASE if url else None)
            path = ""
            # Modes alternate within each round, so that a busy moment of the machine
            # weighs on all three rather than on one.
            for number in range(1, rounds + 1):
                for mode, label in MODES.items():
                    env = {**instance.env, "BENCH_CONSULTATION_MODE": mode}
                    with served("bench.consultation_wsgi:application", config=server_config,
                                env=env, log_dir=work_dir, ready_path="/healthz") as app:
                        if not path:
                            status, body = _get(f"{app.base_url}/api/v1/cases?limit=1",
                                                {"Authorization": f"Bearer {agent['token']}"})
                            if status != 200:
                                raise RuntimeError(f"/api/v1/cases a répondu {status}.")
                            path = f"/agent/dossiers/{json.loads(body)['items'][0]['number']}/"
                        before = _in_instance(instance.env, "--count")
                        figures = bench.measure(app, path, f"tour {number}, {label}",
                                                headers=session, light=light)
                        after = _in_instance(instance.env, "--count")
                    figures["consultations_logged"] = after["pending"] - before["pending"]
                    figures["journal_events_written"] = after["events"] - before["events"]
                    measured[mode].append(figures)
                    if mode == "log":
                        folds.append(_in_instance(instance.env, "--fold"))
            _log("    coût unitaire et versement de consultations distinctes…")
            result["in_process"] = _in_instance(instance.env, "--unit")
    result["path"] = path
    result["rounds"] = measured
    result["folds_after_log"] = folds
    targets = {mode: _median_figures(figures) for mode, figures in measured.items()}
    result["targets"] = targets
    reference = targets["off"]
    result["ratios"] = {f"{mode}_vs_off": _ratio(targets[mode].get("requests_per_second"),
                                                 reference.get("requests_per_second"))
                        for mode in ("log", "chained")}
    result["cpu_ratios"] = {f"{mode}_vs_off": _ratio(
        reference.get("server_cpu_ms_per_request"), targets[mode].get("server_cpu_ms_per_request"))
        for mode in ("log", "chained")}
    result["light_load_p99_ratios"] = {f"{mode}_vs_off": _ratio(
        targets[mode].get("light_load", {}).get("p99_ms"),
        reference.get("light_load", {}).get("p99_ms")) for mode in ("log", "chained")}
    return result


def run() -> dict[str, Any]:
    """Measure the case page without, with the log, and with chained recording, per database."""
    wrk = find_wrk()
    if wrk is None:
        raise RuntimeError("Ce banc demande wrk : installez le paquet « wrk ».")
    cases = int(os.environ.get("BENCH_CASES", str(CASES)))
    rounds = int(os.environ.get("BENCH_ROUNDS", str(ROUNDS)))
    server_config = ServerConfig.from_env()
    config = replace(LoadConfig.from_env(),
                     duration=float(os.environ.get("BENCH_DURATION", str(DURATION))),
                     warmup=float(os.environ.get("BENCH_WARMUP", str(WARMUP))))
    light = replace(config, warmup=0,
                    connections=int(os.environ.get("BENCH_LIGHT_CONNECTIONS",
                                                   str(LIGHT_CONNECTIONS))),
                    duration=float(os.environ.get("BENCH_LIGHT_DURATION", str(LIGHT_DURATION))))
    chosen, notes = databases()
    result: dict[str, Any] = {
        "benchmark": "consultations",
        "server": server_config.describe(),
        "load": (f"{config.connections} connexions {config.duration:g} s (échauffement "
                 f"{config.warmup:g} s), puis {light.connections} clients {light.duration:g} s"),
        "cases": cases,
        "rounds": rounds,
        "figures": "médiane des tours pour chaque chiffre",
        "notes": notes,
        "databases": {},
    }
    errors: list[str] = []
    for vendor, url in chosen:
        try:
            measured = _measure_database(vendor, url, cases=cases, rounds=rounds, config=config,
                                         light=light,
                                         server_config=server_config, wrk=wrk)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one database failing must not hide the other
            measured = {"error": str(exc)}
            errors.append(f"{vendor} : {exc}")
        result["databases"][vendor] = measured
        for mode, figures in measured.get("targets", {}).items():
            if "error" in figures:
                errors.append(f"{vendor} {mode} : {figures['error']}")
        left = [fold["pending_after"] for fold in measured.get("folds_after_log", [])
                if fold["pending_after"]]
        if left:
            errors.append(f"{vendor} : {left[0]} consultations non versées")
    if errors:
        result["errors"] = errors
    return result


def summary(result: dict[str, Any]) -> list[str]:
    """Say the figures in French, one line per mode and database."""
    lines = [f"Serveur : {result['server']} ; charge : {result['load']}"]
    lines += [f"  {note}" for note in result["notes"]]
    for vendor, measured in result["databases"].items():
        if "error" in measured:
            lines.append(f"  {vendor} : ERREUR : {measured['error']}")
            continue
        lines.append(f"  {vendor} ({measured['path']}) :")
        for mode, figures in measured["targets"].items():
            if "requests_per_second" not in figures:
                continue
            light = figures.get("light_load", {})
            cpu = figures.get("server_cpu_ms_per_request")
            lines.append(
                f"    {MODES[mode]:38} {figures['requests_per_second']:>7.1f} req/s  "
                f"p99 {figures['p99_ms']:>7.1f} ms"
                + (f"  CPU {cpu:.1f} ms/req" if cpu is not None else "")
                + (f"  ; 4 clients p50 {light['p50_ms']:.1f} ms p99 {light['p99_ms']:.1f} ms"
                   if "p99_ms" in light else ""))
        unit = measured.get("in_process", {})
        if unit:
            lines.append(f"    par appel, dans le processus : consultation_record "
                         f"{unit['consultation_record_us']} µs, audit_record "
                         f"{unit['audit_record_us']} µs")
            fold = unit["fold_distinct"]
            lines.append(f"    versement de {fold['consultations']} consultations distinctes : "
                         f"{fold['seconds']} s ({fold['per_second']} consultations/s)")
    return lines


# ------------------------------------------------------------------ inside the instance


def _inside(argument: str) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    import django

    django.setup()
    from socle.core.consultations import consultations_fold, consultations_pending
    from socle.core.models import AuditEvent

    if argument == "--count":
        return {"pending": consultations_pending(), "events": AuditEvent.objects.count()}
    if argument == "--unit":
        return _unit()
    pending = consultations_pending()
    started = time.perf_counter()
    report = consultations_fold()
    seconds = time.perf_counter() - started
    return {"consultations": report.consultations, "events": report.events,
            "pending_before": pending, "pending_after": consultations_pending(),
            "seconds": round(seconds, 3),
            "per_second": round(report.consultations / seconds) if seconds else None}


def _unit() -> dict[str, Any]:
    """Time one consultation_record and one chained audit_record, then a fold of distinct rows."""
    from django.db import transaction
    from django.utils import timezone

    from socle.core.consultations import consultation_record, consultations_fold
    from socle.core.journal import audit_record
    from socle.core.models import Consultation, User
    from socle.portal.models import Case

    agent = User.objects.get(email=SEEDED_AGENT)
    case = Case.objects.filter(organisation__slug="compiegne").exclude(status="draft").first()
    assert case is not None
    timings: dict[str, Any] = {"calls": UNIT_CALLS}
    started = time.perf_counter()
    for _ in range(UNIT_CALLS):
        consultation_record(actor=agent, action="case.consult", organisation=case.organisation,
                            target=case, data={"number": case.number, "via": "page"})
    timings["consultation_record_us"] = round((time.perf_counter() - started) * 1e6 / UNIT_CALLS)
    started = time.perf_counter()
    for _ in range(UNIT_CALLS):
        with transaction.atomic():
            audit_record(actor=agent, action="case.consult", organisation=case.organisation,
                         target=case, data={"number": case.number, "via": "page"})
    timings["audit_record_us"] = round((time.perf_counter() - started) * 1e6 / UNIT_CALLS)
    consultations_fold()
    # Distinct readings (one per case): one event each, the fold's worst case.
    now = timezone.now()
    cases = list(Case.objects.exclude(status="draft").values_list("pk", "organisation_id",
                                                                  "organisation__slug")[:5000])
    Consultation.objects.bulk_create(
        [Consultation(at=now, actor=agent, actor_label=agent.email, organisation_id=org,
                      organisation_slug=slug, action="case.consult", target_type="portal.case",
                      target_id=str(pk)) for pk, org, slug in cases], batch_size=500)
    started = time.perf_counter()
    report = consultations_fold()
    seconds = time.perf_counter() - started
    timings["fold_distinct"] = {
        "consultations": report.consultations, "events": report.events,
        "seconds": round(seconds, 3),
        "per_second": round(report.consultations / seconds) if seconds else None}
    return timings


if __name__ == "__main__":
    print(json.dumps(_inside(sys.argv[1] if len(sys.argv) > 1 else "--count")))
