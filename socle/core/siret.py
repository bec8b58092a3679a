"""The SIRET number of a French establishment: 14 digits whose last one is a Luhn key."""

from __future__ import annotations

import re


def siret_is_valid(value: str) -> bool:
    """Check a SIRET: 14 digits and its Luhn key (La Poste's establishments excepted)."""
    if not re.fullmatch(r"\d{14}", value):
        return False
    if value.startswith("356000000"):
        # La Poste's establishments share one SIREN: their key is the digit sum modulo 5.
        return sum(int(d) for d in value) % 5 == 0
    total = 0
    for index, digit in enumerate(reversed(value)):
        n = int(digit)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0
