"""What every inventory service shares: permission checks and the cleaning of values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from socle.core.access import can
from socle.core.errors import Forbidden, ServiceError
from socle.core.models import Organisation, User

VIEW = "inventory.view"
MANAGE = "inventory.manage"
REQUEST = "inventory.request"
OPINE = "inventory.opine"

# A cell that a spreadsheet would run as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|")


def require(actor: User | None, permission: str, organisation: Organisation) -> User:
    """Return the actor if they hold the permission on the organisation, else refuse."""
    if actor is None or not can(actor, permission, organisation):
        raise Forbidden("Votre rôle ne permet pas cette opération sur l'inventaire de "
                        f"{organisation.name}.")
    return actor


def text(value: Any, label: str, max_length: int, *, required: bool = False,
         field: str = "") -> str:
    """Return a value as clean text, or refuse it with a French message."""
    cleaned = str(value or "").replace("\x00", "").strip()
    key = field or label
    if required and not cleaned:
        raise ServiceError(f"{label} est obligatoire.", code="invalid",
                           errors={key: "Ce champ est obligatoire."})
    if len(cleaned) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid",
                           errors={key: f"{max_length} caractères au plus."})
    if cleaned.startswith(FORMULA_STARTS) and not _is_number(cleaned):
        raise ServiceError(f"{label} ne peut pas commencer par « {cleaned[0]} » (formule "
                           "de tableur refusée).", code="formula",
                           errors={key: "Une formule de tableur est refusée."})
    return cleaned


def _is_number(value: str) -> bool:
    try:
        Decimal(value.replace(",", "."))
    except InvalidOperation:
        return False
    return True


def choice(value: Any, label: str, choices: Any, field: str = "") -> str:
    """Return a value that is one of the choices' keys (or French labels), else refuse."""
    raw = str(value or "").strip()
    by_label = {str(lab).lower(): key for key, lab in choices}
    if raw in dict(choices):
        return raw
    if raw.lower() in by_label:
        return str(by_label[raw.lower()])
    allowed = ", ".join(str(lab) for _, lab in choices)
    raise ServiceError(f"{label} inconnu : « {raw[:40]} ». Valeurs possibles : {allowed}.",
                       code="invalid", errors={field or label: "Valeur inconnue."})


def money(value: Any, label: str = "Le coût") -> Decimal | None:
    """Return an amount in euros (« 1 234,50 » or 1234.5), None when empty."""
    if value in (None, ""):
        return None
    raw = str(value).replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    raw = raw.replace("€", "").replace(",", ".")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ServiceError(f"{label} n'est pas un montant : « {str(value)[:20]} ».",
                           code="invalid") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("100000000"):
        raise ServiceError(f"{label} doit être un montant positif.", code="invalid")
    return amount.quantize(Decimal("0.01"))


def day(value: Any, label: str) -> date | None:
    """Return a date written JJ/MM/AAAA or AAAA-MM-JJ, None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    try:
        if "/" in raw:
            d, m, y = raw.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(f"{label} n'est pas une date JJ/MM/AAAA : « {raw[:20]} ».",
                           code="invalid") from None


def position(latitude: Any, longitude: Any, *, required: bool = False) -> tuple[float | None,
                                                                              float | None]:
    """Return a latitude and longitude in degrees, both or neither."""
    if latitude in (None, "") and longitude in (None, ""):
        if required:
            raise ServiceError("La position (latitude et longitude) est obligatoire.",
                               code="invalid", errors={"latitude": "Ce champ est obligatoire."})
        return None, None
    try:
        lat = float(str(latitude).replace(",", "."))
        lon = float(str(longitude).replace(",", "."))
    except ValueError:
        raise ServiceError("La latitude et la longitude sont des nombres en degrés.",
                           code="invalid", errors={"latitude": "Nombre attendu."}) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError("Position hors du globe : latitude entre -90 et 90, longitude "
                           "entre -180 et 180.", code="invalid",
                           errors={"latitude": "Position impossible."})
    return lat, lon
