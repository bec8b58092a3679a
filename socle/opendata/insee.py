"""Which INSEE commune codes can exist in France, checked offline.

No copy of INSEE's Code officiel géographique (COG) is shipped in ``SOCLE_REFERENCE_DIR``,
and the PyPI packages that name it (``insee-cogpy``, ``pynsee``, ``podis``) are clients of
INSEE's online API, not data: socle cannot say offline whether commune 60999 exists.
It checks what it can for the whole of France: the department (01 to 95 without 20, 2A
and 2B, the overseas departments and collectivities 971 to 978, 984, 986 to 988) and a
commune number that is not zero. The territory's own communes are known by their codes.
"""

from __future__ import annotations

import re

METROPOLITAN = r"(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})"
OVERSEAS = r"(?:97[1-8]|98[4678])(?:0[1-9]|[1-9][0-9])"
# anchored for polars' (Rust) regex and Python's alike
INSEE_PATTERN = rf"^(?:{METROPOLITAN}|{OVERSEAS})$"
WHAT_IS_CHECKED = (
    "socle vérifie pour toute la France le département et la forme du code (l'existence de "
    "la commune elle-même n'est vérifiée que pour les communes du territoire)"
)


def insee_code_possible(code: str) -> bool:
    """Say whether a code has an existing French department and a non-zero commune number."""
    return re.fullmatch(INSEE_PATTERN, code) is not None


def insee_reason(code: str) -> str:
    """Say in French why a code cannot be a French commune's."""
    text = code.strip()
    if not re.fullmatch(r"[0-9]{5}|2[AB][0-9]{3}", text):
        return (
            "un code de commune a cinq caractères (deux pour le département, 2A ou 2B en Corse, puis trois)"
        )
    department = text[:3] if text[:2] in {"97", "98"} else text[:2]
    if not re.fullmatch(r"^(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8]|98[4678])$", department):
        return f"aucun département français n'a le numéro « {department} »"
    return f"le numéro de commune « {text[len(department) :]} » n'existe dans aucun département"
