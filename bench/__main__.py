"""Run the benchmarks and print one JSON document: the machine, then each benchmark's figures.

    python -m bench            # every benchmark
    python -m bench http       # only those named

Progress and a French summary go to stderr; stdout holds only the JSON. The
exit status is 1 when a benchmark failed or reported an error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import signal
import sys
import traceback
from types import FrameType
from typing import Any

# Name on the command line -> module exposing run() -> dict (and optionally summary()).
BENCHMARKS = {
    "http": "bench.http_pages",
    "portal": "bench.portal",
    "documents": "bench.documents",
    "archives": "bench.archives",
    "mobility": "bench.mobility",
    "consultations": "bench.consultations",
    "fixity": "bench.fixity",
    "helpdesk": "bench.helpdesk",
    "opendata": "bench.opendata",
    "agendas": "bench.agendas",
    "signed_in": "bench.signed_in",
}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """Describe what the figures were measured on."""
    import django

    from .instance import database_description

    try:
        database = database_description()
    except Exception as exc:  # noqa: BLE001 - an unreachable database is reported, not fatal
        database = {"error": str(exc)}
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        # Other work on the machine lowers every figure; the ratios suffer less.
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turned into an exception so that every `finally` stops its servers.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description="Lancer les bancs d'essai de socle.")
    parser.add_argument("names", nargs="*", metavar="NOM",
                        help=f"bancs à lancer parmi : {', '.join(BENCHMARKS)} (tous par défaut)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"banc inconnu : {', '.join(unknown)} (connus : {', '.join(BENCHMARKS)})")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    document: dict[str, Any] = {"machine": machine(), "benchmarks": {}}
    failed = False
    for name in args.names or list(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name])
        print(f"Banc « {name} »…", file=sys.stderr)
        try:
            result = module.run()
        except KeyboardInterrupt:
            print("Interrompu : serveurs arrêtés.", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - one failed benchmark must not hide the others
            traceback.print_exc(file=sys.stderr)
            result = {"benchmark": name, "error": str(exc)}
        document["benchmarks"][name] = result
        if "error" in result or result.get("errors"):
            failed = True
        if "error" not in result and hasattr(module, "summary"):
            for line in module.summary(result):
                print(line, file=sys.stderr)
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
