"""Document types and their metadata fields, as declared on a plan node.

``document_types`` is a JSON list: ``[{"code": "deliberation", "label": "Délibération",
"fields": [{"name": "numero", "label": "Numéro", "type": "text", "required": true}]}]``.
Field types: text, date (ISO, YYYY-MM-DD), number, choice (``choices``: list of strings).
Deliberately small and local: the portal's form schema is the portal's business.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

FIELD_TYPES = {"text", "date", "number", "choice"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class MetadataInvalid(ValueError):
    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def types_check(types: Any) -> list[dict[str, Any]]:
    """Return the document types of a node if well formed, else raise MetadataInvalid."""
    if not isinstance(types, list):
        raise MetadataInvalid("Les types de documents doivent être une liste.")
    codes = set()
    for item in types:
        if not isinstance(item, dict) or not _NAME.match(str(item.get("code", ""))):
            raise MetadataInvalid("Chaque type de document a un code (minuscules, chiffres, _).")
        if item["code"] in codes:
            raise MetadataInvalid(f"Type de document en double : « {item['code']} ».")
        codes.add(item["code"])
        fields = item.get("fields", [])
        if not isinstance(fields, list):
            raise MetadataInvalid("Les champs d'un type de document doivent être une liste.")
        for field in fields:
            if not isinstance(field, dict) or not _NAME.match(str(field.get("name", ""))):
                raise MetadataInvalid("Chaque champ a un nom (minuscules, chiffres, _).")
            if field.get("type", "text") not in FIELD_TYPES:
                raise MetadataInvalid(f"Type de champ inconnu : « {field.get('type')} ».")
            if field.get("type") == "choice" and not isinstance(field.get("choices"), list):
                raise MetadataInvalid(f"Le champ « {field['name']} » doit lister ses choix.")
    return types


def type_of(types: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
    return next((item for item in types if item.get("code") == code), None)


def _value_clean(field: dict[str, Any], raw: Any) -> str:
    """Return one value normalised for its declared kind; a ValueError carries the French reason."""
    kind = field.get("type", "text")
    text = str(raw).strip()
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Date attendue au format AAAA-MM-JJ.") from None
    if kind == "number":
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError("Nombre attendu.") from None
        if not number.is_finite():
            raise ValueError("Nombre attendu.")
        return str(number)
    if kind == "choice":
        if text not in [str(choice) for choice in field.get("choices", [])]:
            raise ValueError("Valeur hors des choix proposés.")
        return text
    return text[:500]


def metadata_clean(types: list[dict[str, Any]], doc_type: str, values: Any) -> dict[str, Any]:
    """Check a document's metadata against its type; return the values, normalised."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise MetadataInvalid("Les métadonnées doivent être un objet JSON (clé : valeur).")
    if not types:
        if doc_type:
            raise MetadataInvalid("Ce nœud du plan ne déclare aucun type de document.")
        # A node without declared types accepts free text values.
        return {str(k)[:40]: str(v)[:500] for k, v in values.items() if _NAME.match(str(k))}
    declared = type_of(types, doc_type)
    if declared is None:
        allowed = ", ".join(item["code"] for item in types)
        raise MetadataInvalid(f"Type de document non prévu sous ce nœud (types permis : {allowed}).")
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    fields = {field["name"]: field for field in declared.get("fields", [])}
    for name in values:
        if name not in fields:
            errors[str(name)[:40]] = "Ce champ n'est pas prévu pour ce type de document."
    for name, field in fields.items():
        raw = values.get(name)
        if raw in (None, ""):
            if field.get("required"):
                errors[name] = "Ce champ est obligatoire."
            continue
        try:
            cleaned[name] = _value_clean(field, raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise MetadataInvalid("Certaines métadonnées ne sont pas valides.", errors)
    return cleaned
