"""CVSS 3.1 base scores: read a vector string, refuse a malformed one, compute the score and
severity exactly as the FIRST specification does (section 7, with its Roundup)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from socle.core.errors import ServiceError

PREFIX = "CVSS:3.1/"
WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "PR": {"N": 0.85, "L": 0.62, "H": 0.27},
    "UI": {"N": 0.85, "R": 0.62},
    "S": {"U": 0.0, "C": 0.0},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
# Privileges required weigh more when the scope changes.
PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
MAX_LENGTH = 120


class InvalidVector(ServiceError):
    """A CVSS vector string that is not a valid CVSS 3.1 base vector."""


@dataclass(frozen=True)
class Cvss:
    vector: str
    score: float
    severity: str  # "none", "low", "medium", "high", "critical"


def roundup(value: float) -> float:
    """Round up to one decimal, as CVSS 3.1 defines it (free of floating-point surprises)."""
    whole = round(value * 100_000)
    if whole % 10_000 == 0:
        return whole / 100_000.0
    return (math.floor(whole / 10_000) + 1) / 10.0


def severity_of(score: float) -> str:
    """Return the qualitative severity of a CVSS 3.1 score."""
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


def _invalid(message: str) -> InvalidVector:
    return InvalidVector(f"Vecteur CVSS invalide : {message}", code="invalid_cvss",
                         errors={"cvss_vector": message})


def parse(vector: str) -> dict[str, str]:
    """Return the base metrics of a CVSS 3.1 vector, or raise InvalidVector."""
    vector = vector.strip()
    if len(vector) > MAX_LENGTH:
        raise _invalid("il est trop long.")
    if not vector.startswith(PREFIX):
        raise _invalid("il doit commencer par « CVSS:3.1/ ».")
    metrics: dict[str, str] = {}
    for part in vector[len(PREFIX):].split("/"):
        name, sep, value = part.partition(":")
        if not sep or name not in WEIGHTS:
            raise _invalid(f"« {part} » n'est pas une métrique de base CVSS 3.1.")
        if name in metrics:
            raise _invalid(f"la métrique {name} est donnée deux fois.")
        if value not in WEIGHTS[name]:
            allowed = ", ".join(WEIGHTS[name])
            raise _invalid(f"{name} vaut « {value} », attendu l'une de : {allowed}.")
        metrics[name] = value
    missing = [name for name in WEIGHTS if name not in metrics]
    if missing:
        raise _invalid(f"il manque {', '.join(missing)}.")
    return metrics


def score(vector: str) -> Cvss:
    """Return the base score and severity of a CVSS 3.1 vector, or raise InvalidVector."""
    m = parse(vector)
    changed = m["S"] == "C"
    iss = 1 - ((1 - WEIGHTS["C"][m["C"]]) * (1 - WEIGHTS["I"][m["I"]])
               * (1 - WEIGHTS["A"][m["A"]]))
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    privileges = (PR_CHANGED if changed else WEIGHTS["PR"])[m["PR"]]
    exploitability = (8.22 * WEIGHTS["AV"][m["AV"]] * WEIGHTS["AC"][m["AC"]] * privileges
                      * WEIGHTS["UI"][m["UI"]])
    if impact <= 0:
        base = 0.0
    elif changed:
        base = roundup(min(1.08 * (impact + exploitability), 10))
    else:
        base = roundup(min(impact + exploitability, 10))
    canonical = PREFIX + "/".join(f"{name}:{m[name]}" for name in WEIGHTS)
    return Cvss(vector=canonical, score=base, severity=severity_of(base))
