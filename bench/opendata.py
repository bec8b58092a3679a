"""Open data: socle's Table Schema validator against frictionless on a generated subventions file.

A ``BENCH_OPENDATA_ROWS``-row file (100,000 by default) following SCDL subventions is
generated before the clock starts, with about 2 % of rows carrying the errors people make
(a SIRET one digit short, a comma as decimal mark, an unknown nature, a missing cell, a
blank line, a percentage over 1). Both validators read the same file from disk; the counts
of errors each finds are compared code by code (socle's own checks, which frictionless
does not make, are counted apart). Each tool runs ``BENCH_OPENDATA_REPEAT`` times (3),
alternated; the best run of each is kept.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

AIM_RATIO = 10.0
HEADER = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]
ASSOCIATIONS = [
    "Amicale des sapeurs-pompiers",
    "Club de football de Margny",
    "Les Amis du théâtre",
    "Secours populaire — antenne de Compiègne",
    "Harmonie municipale",
    "Judo club du Compiégnois",
]


def _siret(rng: random.Random) -> str:
    body = [rng.randrange(10) for _ in range(13)]
    for key in range(10):
        digits = [*body, key]
        total = 0
        for index, digit in enumerate(reversed(digits)):
            n = digit * 2 if index % 2 else digit
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return "".join(map(str, digits))
    raise AssertionError("unreachable")


def subventions_csv(rows: int, *, seed: int = 13, error_rate: float = 0.02) -> str:
    """Return a subventions file of that many rows, a share of them with typical errors."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    attributor = _siret(random.Random(1))
    for number in range(rows):
        year = rng.choice((2023, 2024, 2025))
        row = [
            "Ville de Compiègne",
            attributor,
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"DEL-{year}-{number:06d}",
            rng.choice(ASSOCIATIONS),
            _siret(rng),
            "",
            "Subvention de fonctionnement pour la saison",
            f"{rng.randint(300, 90000)}.{rng.randint(0, 99):02d}",
            "aide en numéraire",
            "Versement unique",
            f"{year}-06-30",
            "",
            rng.choice(("oui", "non")),
            f"{rng.randint(5, 100) / 100:.2f}",
            "Soutien aux associations",
        ]
        if rng.random() < error_rate:
            kind = rng.randrange(6)
            if kind == 0:
                row[1] = attributor[:-1]
            elif kind == 1:
                row[8] = row[8].replace(".", ",")
            elif kind == 2:
                row[9] = "subvention"
            elif kind == 3:
                row = row[:12]
            elif kind == 4:
                row = []
            else:
                row[14] = "1.5"
        writer.writerow(row)
    return out.getvalue()


def _frictionless(path: Path, descriptor: dict[str, Any]) -> tuple[float, Counter[str]]:
    from frictionless import Resource, Schema

    started = time.perf_counter()
    here = os.getcwd()
    os.chdir(path.parent)  # frictionless only reads paths under the working directory
    try:
        report = Resource(path=path.name, schema=Schema.from_descriptor(descriptor)).validate(limit_errors=0)
    finally:
        os.chdir(here)
    return time.perf_counter() - started, Counter(e.type for e in report.tasks[0].errors)


def run() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    import django

    django.setup()
    from socle.opendata.schemas import schema_load
    from socle.opendata.validation import FRICTIONLESS_CODES, bytes_validate

    rows = int(os.environ.get("BENCH_OPENDATA_ROWS", "100000"))
    repeat = max(1, int(os.environ.get("BENCH_OPENDATA_REPEAT", "3")))
    schema = schema_load("scdl/subventions")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subventions.csv"
        path.write_text(subventions_csv(rows), encoding="utf-8")
        # Both validators first read a small file, so that neither pays its start-up in the figure.
        warm = Path(folder) / "warm.csv"
        warm.write_text(subventions_csv(500, seed=1), encoding="utf-8")
        bytes_validate(warm.read_bytes(), schema)
        _frictionless(warm, schema.descriptor)
        # The best of REPEAT runs of each, alternated: on a shared 2-CPU machine a run can be
        # slowed by others' work; the fastest is the one least disturbed, for both tools alike.
        ours = theirs = float("inf")
        counted: Counter[str] = Counter()
        for attempt in range(repeat):
            print(f"  socle : {rows} lignes (passage {attempt + 1}/{repeat})…", file=sys.stderr)
            started = time.perf_counter()
            report = bytes_validate(path.read_bytes(), schema)
            ours = min(ours, time.perf_counter() - started)
            print(f"  frictionless (référence, passage {attempt + 1}/{repeat})…", file=sys.stderr)
            seconds, counted = _frictionless(path, schema.descriptor)
            theirs = min(theirs, seconds)
        size = path.stat().st_size
    standard = {code: n for code, n in report.counts.items() if code in FRICTIONLESS_CODES}
    own = {code: n for code, n in report.counts.items() if code not in FRICTIONLESS_CODES}
    same = standard == dict(counted)
    return {
        "benchmark": "opendata",
        "file": {"rows": rows, "bytes": size, "schema": schema.ref},
        "runs": f"le meilleur de {repeat} passages de chacun, alternés",
        "socle": {
            "seconds": round(ours, 3),
            "rows_per_second": round(rows / ours),
            "errors": sum(standard.values()),
            "errors_by_code": standard,
            "socle_checks": own,
        },
        "frictionless": {
            "seconds": round(theirs, 3),
            "rows_per_second": round(rows / theirs),
            "errors": sum(counted.values()),
            "errors_by_code": dict(sorted(counted.items())),
        },
        "ratio": round(theirs / ours, 1),
        "aim": AIM_RATIO,
        "aim_met": theirs / ours >= AIM_RATIO,
        "same_errors": same,
        **({"errors": ["socle and frictionless found different errors"]} if not same else {}),
    }


def summary(result: dict[str, Any]) -> list[str]:
    return [
        f"  validation : socle {result['socle']['rows_per_second']} lignes/s, frictionless "
        f"{result['frictionless']['rows_per_second']} lignes/s (x{result['ratio']}), "
        f"mêmes erreurs : {result['same_errors']} ({result['socle']['errors']})"
    ]


if __name__ == "__main__":
    outcome = run()
    print(json.dumps(outcome, ensure_ascii=False, indent=2))
    print("\n".join(summary(outcome)), file=sys.stderr)
    sys.exit(1 if outcome.get("errors") else 0)
