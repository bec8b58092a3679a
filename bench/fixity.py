"""Fixity: `socle archives verify` against bagit-python, wall time, same data, same run.

A child process (``python -m bench.fixity --worker``) with its own data directory (SQLite,
two local offers) ingests generated SEDA packages, then links the object files of the
first offer into a BagIt bag (SHA-256 manifest, made by bagit-python). Then, in turns,
``BENCH_FIXITY_ROUNDS`` times, each as its own process, timed from outside:

- ``socle archives verify --offer offer-a --no-repair``: the whole command, start-up,
  journal comparison, sidecars, manifests and the stray scan included;
- ``python -m bagit --validate --processes N`` on the bag, N being the number of hashing
  threads socle uses (``fixity.HASH_THREADS``): the same parallelism;
- socle's own BagIt validator (``bagit_validation.validate_bag``) on the same bag;
- start-up: ``socle archives verify --help`` (without, then with the API documentation's
  app, SOCLE_WITHOUT_API_DOCS=0) against ``python -m django help`` on bare settings.

The best (shortest) round of each is kept; ratios above 1 mean socle is faster.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def worker(config: dict[str, Any]) -> dict[str, Any]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
    import django

    django.setup()
    from bench.archives import _package, _plan, archives_world, bag_of_first_offer
    from socle.archives.ingest import transfer_ingest
    from socle.archives.models import ArchiveObject

    arc = archives_world()
    work = Path(config["work"])
    rng = random.Random(11)
    plan = _plan(config["bytes"], rng)
    rejected = 0
    for number, sizes in enumerate(plan, start=1):
        path = work / f"sip-{number}.zip"
        _package(path, number, sizes, rng)
        rejected += transfer_ingest(actor=None, organisation=arc, package=path).status != "accepted"
        path.unlink()
    offer_name, object_files, bag_dir, _bag = bag_of_first_offer(work)
    return {"packages": len(plan), "rejected": rejected, "objects": ArchiveObject.objects.count(),
            "offer": offer_name, "object_files": len(object_files),
            "object_bytes": sum(p.stat().st_size for p in object_files), "bag": str(bag_dir)}


def _timed(command: list[str], env: dict[str, str], *, ok_codes: tuple[int, ...] = (0,)
           ) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(command[:4])}… a échoué (code {done.returncode}) : "
                           f"{done.stderr[-500:]}")
    return seconds


def run() -> dict[str, Any]:
    total = int(os.environ.get("BENCH_FIXITY_BYTES", str(512 * 1024**2)))
    rounds = max(1, int(os.environ.get("BENCH_FIXITY_ROUNDS", "3")))
    base = Path(os.environ.get("BENCH_TMPDIR", tempfile.gettempdir()))
    needed = 2 * total + 1024**3
    if shutil.disk_usage(base).free < needed:
        raise RuntimeError(f"Espace disque insuffisant dans {base} : {needed / 2**30:.1f} Gio "
                           "nécessaires (réduisez BENCH_FIXITY_BYTES).")
    threads = min(8, os.cpu_count() or 1)  # fixity.HASH_THREADS, without importing Django
    socle = str(Path(sys.executable).with_name("socle"))
    with tempfile.TemporaryDirectory(prefix="socle-bench-fixity-", dir=base) as tmp:
        data, work = Path(tmp) / "data", Path(tmp) / "work"
        data.mkdir()
        work.mkdir()
        # Bytecode cached as on a server (PYTHONDONTWRITEBYTECODE would time the compiler).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SOCLE_")
               and k not in {"DJANGO_SETTINGS_MODULE", "PYTHONDONTWRITEBYTECODE"}}
        env.update({"SOCLE_DATA_DIR": str(data), "SOCLE_SECRET_KEY": "bench-" + "x" * 50,
                    "SOCLE_LOG_LEVEL": "WARNING", "SOCLE_DEBUG": "0"})
        print(f"  {total / 2**20:.0f} Mio : génération et versement…", file=sys.stderr)
        done = subprocess.run([sys.executable, "-m", "bench.fixity", "--worker",
                               json.dumps({"bytes": total, "work": str(work)})],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"la préparation a échoué (code {done.returncode})")
        data_set: dict[str, Any] = json.loads(done.stdout)
        bag = data_set.pop("bag")
        commands = {
            "socle_verify": [socle, "archives", "verify", "--offer", data_set["offer"],
                             "--no-repair"],
            "bagit_python": [sys.executable, "-m", "bagit", "--validate", "--processes",
                             str(threads), bag],
            "socle_bag_validator": [sys.executable, "-c",
                                    "import sys; from pathlib import Path; from socle.archives."
                                    "bagit_validation import validate_bag; "
                                    "sys.exit(0 if validate_bag(Path(sys.argv[1])).valid else 1)",
                                    bag],
            "startup_socle_verify_help": [socle, "archives", "verify", "--help"],
            "startup_with_api_docs_app": [socle, "archives", "verify", "--help"],
            "startup_bare_django": [sys.executable, "-m", "django", "help", "--settings",
                                    "bench.bare_settings"],
        }
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                run_env = env if name != "startup_with_api_docs_app" else {
                    **env, "SOCLE_WITHOUT_API_DOCS": "0"}
                runs[name].append(round(_timed(command, run_env), 3))
    best = {name: min(seconds) for name, seconds in runs.items()}
    rate = data_set["object_bytes"] / 1e6
    return {
        "benchmark": "fixity",
        "archive_bytes": total, "rounds": rounds, "hash_threads": threads,
        "database": "sqlite", **data_set,
        "method": ("each command its own process, timed from outside (wall time), in turns; "
                   "best round kept; the same object files: on offer-a for socle, hard-linked "
                   "into a bag for bagit-python, which gets --processes = socle's hashing "
                   "threads; files in the page cache"),
        "seconds": runs, "best_seconds": best,
        "mb_per_second": {name: round(rate / best[name], 1)
                          for name in ("socle_verify", "bagit_python", "socle_bag_validator")},
        "ratios": {
            "socle_verify_vs_bagit_python": round(best["bagit_python"] / best["socle_verify"], 3),
            "socle_bag_validator_vs_bagit_python": round(
                best["bagit_python"] / best["socle_bag_validator"], 3),
            "startup_vs_bare_django": round(best["startup_socle_verify_help"]
                                            / best["startup_bare_django"], 3),
        },
        "aim_met": {"verify_at_least_bagit": best["socle_verify"] <= best["bagit_python"],
                    "startup_under_one_second": best["startup_socle_verify_help"] < 1.0},
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def summary(result: dict[str, Any]) -> list[str]:
    best, ratios = result["best_seconds"], result["ratios"]
    return [
        f"  {result['object_files']} fichiers, {result['object_bytes'] / 1e6:.0f} Mo, "
        f"{result['hash_threads']} fil(s) de calcul",
        f"  socle archives verify : {best['socle_verify']} s ; bagit-python : "
        f"{best['bagit_python']} s (rapport {ratios['socle_verify_vs_bagit_python']}) ; "
        f"validateur BagIt de socle : {best['socle_bag_validator']} s",
        f"  démarrage : {best['startup_socle_verify_help']} s (avec l'app de la doc d'API : "
        f"{best['startup_with_api_docs_app']} s ; Django nu : {best['startup_bare_django']} s)",
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.stdout.write(json.dumps(worker(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2))
