"""Natural persons in a published file: never their name or SIRET, a stable pseudonym instead.

Article L. 312-1-2 of the CRPA: a document holding personal data is published only once
processed so that the persons cannot be identified, and the exceptions of article
D. 312-1-3 do not include grant decisions. A grant's beneficiary is a natural person when
the request says so (``personne_physique``), when its INSEE legal category is 1xxx
(``categorie_juridique`` 1000: entrepreneur individuel, whose SIRET designates a person),
or when it has neither SIRET nor RNA number (no legal person without either). The row is
then published with ``nomBeneficiaire`` « Personne physique P-XXXXXXXXXX », a keyed hash of
the organisation and of the person's name and SIRET: the same person keeps the same
pseudonym from one generation to the next (grants to one person can be counted), and no
one without the site's secret key can find the name from it. Both identifiers stay empty
and the free-text purpose is replaced by the nature of the grant.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.crypto import salted_hmac

PSEUDONYM_PREFIX = "Personne physique P-"
PSEUDONYM_PATTERN = r"^Personne physique P-[0-9A-F]{10}$"
TRUE = {"1", "oui", "true", "yes", "on"}


def is_natural_person(data: dict[str, Any]) -> bool:
    """Say whether a grant request's beneficiary is a natural person."""
    if str(data.get("personne_physique", "")).strip().lower() in TRUE:
        return True
    if str(data.get("categorie_juridique", "")).strip().startswith("1"):
        return True
    return not str(data.get("siret") or "").strip() and not str(data.get("rna") or "").strip()


def _normalised(text: str) -> str:
    stripped = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", stripped).strip().lower()


def pseudonym(*, organisation_id: int, name: str, siret: str = "") -> str:
    """Return the stable pseudonym of a person in one organisation's published files."""
    value = f"{organisation_id}|{_normalised(name)}|{re.sub(r'[^0-9]', '', siret)}"
    digest = salted_hmac("socle.opendata.pseudonym", value, algorithm="sha256").hexdigest()
    return PSEUDONYM_PREFIX + digest[:10].upper()


def is_pseudonym(text: str) -> bool:
    return re.fullmatch(PSEUDONYM_PATTERN, text) is not None
