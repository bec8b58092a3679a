"""Declarative forms of procedures: checking a definition, then validating a citizen's data.

A definition is a list of fields (JSON), each a dict:

    {"name": "motif", "label": "Motif", "type": "choice", "required": true,
     "choices": [{"value": "perte", "label": "Perte"}, ...],
     "help": "...", "messages": {"required": "Indiquez le motif."},
     "show_if": {"field": "autre", "equals": true}}

Types: text, textarea, email, phone, number, date, choice, multichoice, yesno,
address, commune, siret, file, group (repeatable, with its own "fields"), and step:
not a question but the start of a new page of the form, titled by its label; a step
with "show_if" is skipped, with all its fields, when its condition does not hold.
Options by type: max_length and pattern (text), min and max (number, date),
types and max_size (file), min_rows and max_rows (group). Authors may write the
message of each check: required, invalid, min, max, pattern, type, size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Re-exported: the check lives in the core, shared with the mail register's contacts.
from socle.core.siret import siret_is_valid

FIELD_TYPES = {
    "text": "Texte court",
    "textarea": "Texte long",
    "email": "Adresse électronique",
    "phone": "Téléphone",
    "number": "Nombre",
    "date": "Date",
    "choice": "Choix unique",
    "multichoice": "Choix multiple",
    "yesno": "Oui / non",
    "address": "Adresse postale",
    "commune": "Commune du territoire",
    "siret": "Numéro SIRET",
    "file": "Fichier",
    "group": "Groupe répétable",
    "step": "Nouvelle étape",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
DEFAULT_FILE_TYPES = ["application/pdf", "image/jpeg", "image/png"]
DEFAULT_FILE_MAX_SIZE = 10 * 1024 * 1024
MAX_FIELDS = 200
MAX_GROUP_ROWS = 50

DEFAULT_MESSAGES = {
    "required": "Ce champ est obligatoire.",
    "invalid": "La valeur saisie n'est pas valide.",
    "too_long": "Le texte est trop long ({max_length} caractères au plus).",
    "pattern": "Le format n'est pas celui attendu.",
    "email": "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr).",
    "phone": "Le numéro de téléphone n'est pas valide (exemple : 03 44 40 00 00).",
    "number": "Indiquez un nombre (exemple : 12 ou 12,5).",
    "min": "La valeur doit être au moins {min}.",
    "max": "La valeur doit être au plus {max}.",
    "date": "Indiquez une date valide au format JJ/MM/AAAA.",
    "choice": "Choisissez une des réponses proposées.",
    "yesno": "Répondez par oui ou par non.",
    "address": "Indiquez une adresse complète : voie, code postal et commune.",
    "postal_code": "Le code postal doit comporter 5 chiffres.",
    "commune": "Choisissez une commune de l'agglomération.",
    "siret": "Le numéro SIRET doit comporter 14 chiffres et sa clé doit être valide.",
    "file": "Joignez un fichier.",
    "type": "Ce type de fichier n'est pas accepté.",
    "size": "Le fichier dépasse la taille maximale autorisée.",
    "rows_min": "Ajoutez au moins {min_rows} ligne(s).",
    "rows_max": "Vous ne pouvez pas ajouter plus de {max_rows} lignes.",
}


class DefinitionError(ValueError):
    """A procedure form definition that cannot be used, with a French message for its author."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    choices: tuple[Choice, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    messages: Mapping[str, str] = field(default_factory=dict)
    show_if: Mapping[str, Any] | None = None
    fields: tuple[Field, ...] = ()

    def message(self, key: str, **values: Any) -> str:
        """Return the author's message for a check, or the default one."""
        template = self.messages.get(key) or DEFAULT_MESSAGES.get(key) or DEFAULT_MESSAGES["invalid"]
        try:
            return template.format(**{**self.options, **values})
        except (KeyError, IndexError, ValueError):
            return template

    def as_json(self) -> dict[str, Any]:
        """Return the definition of the field as stored."""
        data: dict[str, Any] = {"name": self.name, "label": self.label, "type": self.type,
                                "required": self.required}
        if self.help:
            data["help"] = self.help
        if self.choices:
            data["choices"] = [{"value": c.value, "label": c.label} for c in self.choices]
        data.update(self.options)
        if self.messages:
            data["messages"] = dict(self.messages)
        if self.show_if:
            data["show_if"] = dict(self.show_if)
        if self.fields:
            data["fields"] = [f.as_json() for f in self.fields]
        return data


_OPTION_KEYS = {
    "text": {"max_length", "pattern", "placeholder"},
    "textarea": {"max_length"},
    "number": {"min", "max", "integer"},
    "date": {"min", "max"},
    "file": {"types", "max_size"},
    "group": {"min_rows", "max_rows"},
}
_KNOWN_KEYS = {"name", "label", "type", "required", "help", "choices", "messages", "show_if",
               "fields"}


_INTEGER_OPTIONS = {"max_length": 100_000, "max_size": 1024 ** 3, "min_rows": MAX_GROUP_ROWS,
                    "max_rows": MAX_GROUP_ROWS}


def _check_option_types(options: Mapping[str, Any], where: str) -> None:
    # Definitions also come from imported files: a wrong type must fail here, in
    # French for the author, not later while a citizen files a case.
    for key, ceiling in _INTEGER_OPTIONS.items():
        value = options.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= ceiling):
            raise DefinitionError(f"{where} : « {key} » doit être un entier entre 0 et {ceiling}.")
    if "integer" in options and not isinstance(options["integer"], bool):
        raise DefinitionError(f"{where} : « integer » doit valoir vrai ou faux.")
    if "placeholder" in options and not isinstance(options["placeholder"], str):
        raise DefinitionError(f"{where} : « placeholder » doit être un texte.")
    if "pattern" in options and not isinstance(options["pattern"], str):
        raise DefinitionError(f"{where} : « pattern » doit être un texte.")
    types = options.get("types")
    if types is not None and (not isinstance(types, list) or not types
                              or not all(isinstance(t, str) and "/" in t for t in types)):
        raise DefinitionError(f"{where} : « types » doit être une liste de types de fichier "
                              "(exemple : application/pdf).")


def _parse_identity(raw: Any, where: str) -> tuple[str, str, str]:
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{where} : chaque champ doit être un objet.")
    name = str(raw.get("name", ""))
    if not _NAME.match(name):
        raise DefinitionError(
            f"{where} : le nom « {name} » doit commencer par une lettre minuscule et ne contenir "
            "que des minuscules, chiffres et « _ »."
        )
    kind = str(raw.get("type", ""))
    if kind not in FIELD_TYPES:
        raise DefinitionError(f"{where} ({name}) : type de champ inconnu « {kind} ».")
    label = str(raw.get("label", "")).strip()
    if not label:
        raise DefinitionError(f"{where} ({name}) : le libellé est obligatoire.")
    unknown = set(raw) - (_KNOWN_KEYS | _OPTION_KEYS.get(kind, set()))
    if unknown:
        raise DefinitionError(f"{where} ({name}) : propriétés inconnues : {', '.join(sorted(unknown))}.")
    return name, kind, label


def _parse_choices(raw_choices: Any, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw_choices, list) or not raw_choices:
        raise DefinitionError(f"{where} : un choix demande une liste de réponses.")
    parsed = []
    for item in raw_choices:
        if isinstance(item, str):
            parsed.append(Choice(item, item))
        elif isinstance(item, Mapping) and "value" in item:
            parsed.append(Choice(str(item["value"]), str(item.get("label") or item["value"])))
        else:
            raise DefinitionError(f"{where} : réponse de choix invalide.")
    values = [c.value for c in parsed]
    if len(set(values)) != len(values):
        raise DefinitionError(f"{where} : deux réponses ont la même valeur.")
    return tuple(parsed)


def _check_option_values(options: Mapping[str, Any], kind: str, where: str) -> None:
    _check_option_types(options, where)
    if "pattern" in options:
        try:
            re.compile(str(options["pattern"]))
        except re.error as exc:
            raise DefinitionError(f"{where} : motif invalide ({exc}).") from exc
    for key in ("min", "max"):
        if key not in options:
            continue
        if kind == "number":
            try:
                Decimal(str(options[key]))
            except InvalidOperation:
                raise DefinitionError(f"{where} : « {key} » doit être un nombre.") from None
        if kind == "date":
            try:
                date.fromisoformat(str(options[key]))
            except ValueError:
                raise DefinitionError(f"{where} : « {key} » doit être une date AAAA-MM-JJ.") from None


def _parse_behaviour(raw: Mapping[str, Any], where: str) -> tuple[dict[str, str], dict[str, Any] | None]:
    messages = raw.get("messages") or {}
    if not isinstance(messages, Mapping) or not all(isinstance(v, str) for v in messages.values()):
        raise DefinitionError(f"{where} : « messages » doit associer un texte à chaque contrôle.")
    show_if = raw.get("show_if")
    if show_if is not None and (not isinstance(show_if, Mapping) or "field" not in show_if
                                or not ({"equals", "in"} & set(show_if))
                                or not isinstance(show_if.get("in", []), list)):
        raise DefinitionError(f"{where} : « show_if » demande « field » et « equals » ou « in ».")
    return dict(messages), dict(show_if) if show_if else None


def _parse_field(raw: Any, where: str, depth: int = 0) -> Field:
    name, kind, label = _parse_identity(raw, where)
    here = f"{where} ({name})"
    choices = _parse_choices(raw.get("choices"), here) if kind in {"choice", "multichoice"} else ()
    options = {key: raw[key] for key in _OPTION_KEYS.get(kind, set()) if key in raw}
    _check_option_values(options, kind, here)
    messages, show_if = _parse_behaviour(raw, here)
    subfields: tuple[Field, ...] = ()
    if kind == "step" and (depth > 0 or raw.get("required")):
        raise DefinitionError(f"{here} : une étape n'est pas une question : elle ne peut être ni "
                              "obligatoire ni placée dans un groupe.")
    if kind == "group":
        if depth > 0:
            raise DefinitionError(f"{here} : un groupe ne peut pas contenir de groupe.")
        subfields = tuple(_parse_list(raw.get("fields"), here, depth + 1))
        if not subfields:
            raise DefinitionError(f"{here} : un groupe demande au moins un champ.")
    return Field(name=name, label=label, type=kind, required=bool(raw.get("required", False)),
                 help=str(raw.get("help", "")), choices=choices, options=options,
                 messages=messages, show_if=show_if, fields=subfields)


def _parse_list(raw: Any, where: str, depth: int = 0) -> list[Field]:
    if not isinstance(raw, list):
        raise DefinitionError(f"{where} : la liste des champs est attendue.")
    if len(raw) > MAX_FIELDS:
        raise DefinitionError(f"{where} : {MAX_FIELDS} champs au plus.")
    fields = [_parse_field(item, f"{where}, champ {i}", depth) for i, item in enumerate(raw, 1)]
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError(f"{where} : noms de champ en double : {', '.join(duplicates)}.")
    kinds = {f.name: f.type for f in fields}
    for f in fields:
        if f.show_if and f.show_if["field"] not in names[: names.index(f.name)]:
            raise DefinitionError(
                f"{where} ({f.name}) : la condition d'affichage doit porter sur un champ placé avant.")
        if f.show_if and kinds[str(f.show_if["field"])] == "step":
            raise DefinitionError(
                f"{where} ({f.name}) : la condition d'affichage doit porter sur une question, "
                "pas sur une étape.")
    return fields


def definition_parse(raw: Any) -> list[Field]:
    """Check a form definition and return its fields, or raise DefinitionError in French."""
    return _parse_list(raw, "Formulaire")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def field_visible(f: Field, values: Mapping[str, Any]) -> bool:
    """Whether a field (or a step) applies, given the cleaned answers placed before it."""
    return _visible(f, values)


def _visible(f: Field, values: Mapping[str, Any]) -> bool:
    if not f.show_if:
        return True
    other = values.get(str(f.show_if["field"]))
    if "equals" in f.show_if:
        return bool(other == f.show_if["equals"])
    candidates = f.show_if.get("in") or []
    if isinstance(other, list):
        return any(item in candidates for item in other)
    return other in candidates


@dataclass
class ValidationResult:
    data: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


CommuneLookup = Callable[[str], bool]
# A file reference as a client or a page gives it ({"upload": handle} for a file just
# deposited, {"sha256": ...} for one the case already holds) -> (sha256, mime type, size),
# or None when the caller holds no right to such a file.
FileLookup = Callable[[Mapping[str, Any]], tuple[str, str, int] | None]


@dataclass
class Context:
    """What validation needs to know of the platform: communes and stored files."""

    commune_exists: CommuneLookup
    file_lookup: FileLookup
    commune_for_postal: Callable[[str, str], str | None] = lambda postal, city: None


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _clean_text(f: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f.message("invalid"))
    text = value.strip() if f.type != "textarea" else value.strip("\n ")
    max_length = int(f.options.get("max_length", 10000 if f.type == "textarea" else 500))
    if len(text) > max_length:
        raise _Invalid(f.message("too_long", max_length=max_length))
    if "\x00" in text:
        raise _Invalid(f.message("invalid"))
    pattern = f.options.get("pattern")
    if pattern and not re.fullmatch(str(pattern), text):
        raise _Invalid(f.message("pattern"))
    return text


def _clean_phone(f: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f.message("phone"))
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise _Invalid(f.message("phone"))
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def _clean_number(f: Field, value: Any) -> str:
    if isinstance(value, bool):
        raise _Invalid(f.message("number"))
    text = str(value).strip().replace(" ", "").replace("\u202f", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Invalid(f.message("number")) from None
    if not number.is_finite() or abs(number) > Decimal("1e12"):
        raise _Invalid(f.message("number"))
    if f.options.get("integer") and number != number.to_integral_value():
        raise _Invalid(f.message("number"))
    if "min" in f.options and number < Decimal(str(f.options["min"])):
        raise _Invalid(f.message("min"))
    if "max" in f.options and number > Decimal(str(f.options["max"])):
        raise _Invalid(f.message("max"))
    # Stored as a string: exact, and JSON has no decimal type.
    return format(number.normalize(), "f")


def _clean_date(f: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f.message("date"))
    text = value.strip()
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    try:
        day = (date(int(match.group(3)), int(match.group(2)), int(match.group(1))) if match
               else date.fromisoformat(text))
    except ValueError:
        raise _Invalid(f.message("date")) from None
    if "min" in f.options and day < date.fromisoformat(str(f.options["min"])):
        raise _Invalid(f.message("min", min=date.fromisoformat(str(f.options["min"])).strftime("%d/%m/%Y")))
    if "max" in f.options and day > date.fromisoformat(str(f.options["max"])):
        raise _Invalid(f.message("max", max=date.fromisoformat(str(f.options["max"])).strftime("%d/%m/%Y")))
    return day.isoformat()


def _clean_yesno(f: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"oui", "true", "1", "on", "yes"}:
        return True
    if text in {"non", "false", "0", "no", "off"}:
        return False
    raise _Invalid(f.message("yesno"))


def _clean_address(f: Field, value: Any, ctx: Context) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _Invalid(f.message("address"))
    street = str(value.get("street", "")).strip()
    postal = str(value.get("postal_code", "")).strip()
    city = str(value.get("city", "")).strip()
    if not street or not postal or not city or len(street) > 300 or len(city) > 150:
        raise _Invalid(f.message("address"))
    if "\x00" in street + city:
        raise _Invalid(f.message("invalid"))
    if not re.fullmatch(r"\d{5}", postal):
        raise _Invalid(f.message("postal_code"))
    address = {"street": street, "postal_code": postal, "city": city}
    commune = ctx.commune_for_postal(postal, city)
    if commune:
        address["commune"] = commune
    return address


def _clean_email(f: Field, value: Any) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else ""
    try:
        validate_email(text)
    except ValidationError:
        raise _Invalid(f.message("email")) from None
    return text


def _clean_choice(f: Field, value: Any) -> str:
    if not isinstance(value, str) or value not in {c.value for c in f.choices}:
        raise _Invalid(f.message("choice"))
    return value


def _clean_multichoice(f: Field, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    allowed = {c.value for c in f.choices}
    if not isinstance(items, list) or not all(isinstance(i, str) and i in allowed for i in items):
        raise _Invalid(f.message("choice"))
    return [c.value for c in f.choices if c.value in items]


def _clean_siret(f: Field, value: Any) -> str:
    digits = re.sub(r"\s", "", str(value)) if isinstance(value, str | int) else ""
    if not siret_is_valid(digits):
        raise _Invalid(f.message("siret"))
    return digits


# Cleaners that need only the field and the value; the others also need the context.
_SIMPLE_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _clean_text, "textarea": _clean_text, "email": _clean_email,
    "phone": _clean_phone, "number": _clean_number, "date": _clean_date,
    "choice": _clean_choice, "multichoice": _clean_multichoice, "yesno": _clean_yesno,
    "siret": _clean_siret,
}


def _clean_one(f: Field, value: Any, ctx: Context, path: str, errors: dict[str, str]) -> Any:
    simple = _SIMPLE_CLEANERS.get(f.type)
    if simple is not None:
        return simple(f, value)
    if f.type == "address":
        return _clean_address(f, value, ctx)
    if f.type == "commune":
        if not isinstance(value, str) or not ctx.commune_exists(value):
            raise _Invalid(f.message("commune"))
        return value
    if f.type == "file":
        return _clean_files(f, value, ctx)
    if f.type == "group":
        return _clean_group(f, value, ctx, path, errors)
    raise _Invalid(f.message("invalid"))


def _clean_files(f: Field, value: Any, ctx: Context) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    cleaned = []
    types = set(f.options.get("types") or DEFAULT_FILE_TYPES)
    max_size = int(f.options.get("max_size") or DEFAULT_FILE_MAX_SIZE)
    for item in items:
        if not isinstance(item, Mapping) or not (isinstance(item.get("upload"), str)
                                                 or isinstance(item.get("sha256"), str)):
            raise _Invalid(f.message("file"))
        info = ctx.file_lookup(item)
        if info is None:
            raise _Invalid(f.message("file"))
        sha256, mime, size = info
        if mime not in types:
            raise _Invalid(f.message("type"))
        if size > max_size:
            raise _Invalid(f.message("size"))
        name = re.sub(r"[\x00-\x1f/\\]", "_", str(item.get("name") or "fichier"))[:200]
        cleaned.append({"sha256": sha256, "name": name, "mime_type": mime, "size": size})
    return cleaned


def _clean_group(f: Field, value: Any, ctx: Context, path: str,
                 errors: dict[str, str]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        raise _Invalid(f.message("invalid"))
    # Blank rows are dropped, but errors keep the row's position as it was sent,
    # so that a form shows each message on the row it concerns.
    rows = [(index, row) for index, row in enumerate(value)
            if not all(_empty(v) for v in row.values())]
    min_rows = int(f.options.get("min_rows", 1 if f.required else 0))
    max_rows = min(int(f.options.get("max_rows", MAX_GROUP_ROWS)), MAX_GROUP_ROWS)
    if len(rows) < min_rows:
        raise _Invalid(f.message("rows_min", min_rows=min_rows))
    if len(rows) > max_rows:
        raise _Invalid(f.message("rows_max", max_rows=max_rows))
    cleaned_rows = []
    for index, row in rows:
        result = _validate(f.fields, row, ctx, prefix=f"{path}.{index}.")
        errors.update(result.errors)
        cleaned_rows.append(result.data)
    return cleaned_rows


def _validate(fields: Iterable[Field], data: Mapping[str, Any], ctx: Context,
              prefix: str = "", partial: bool = False) -> ValidationResult:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    step_shown = True
    for f in fields:
        path = f"{prefix}{f.name}"
        if f.type == "step":
            # Every field of a step that does not apply is skipped, as the step is.
            step_shown = _visible(f, cleaned)
            continue
        if not step_shown or not _visible(f, cleaned):
            continue
        value = data.get(f.name)
        if _empty(value):
            if f.required and not partial:
                errors[path] = f.message("required")
            continue
        try:
            cleaned[f.name] = _clean_one(f, value, ctx, path, errors)
        except _Invalid as exc:
            errors[path] = exc.message
    return ValidationResult(cleaned, errors)


def data_validate(fields: list[Field], data: Any, ctx: Context, *,
                  partial: bool = False) -> ValidationResult:
    """Validate a citizen's answers against the form; ``partial`` accepts a draft's gaps."""
    if not isinstance(data, Mapping):
        return ValidationResult({}, {"": "Les réponses doivent être un objet JSON."})
    unknown = sorted(set(data) - {f.name for f in fields})
    result = _validate(fields, data, ctx, partial=partial)
    for name in unknown:
        result.errors[name] = "Ce champ n'existe pas dans le formulaire."
    return result


def file_fields(fields: Iterable[Field]) -> list[Field]:
    """Return the file fields of a form, groups included."""
    found = []
    for f in fields:
        if f.type == "file":
            found.append(f)
        elif f.type == "group":
            found += file_fields(f.fields)
    return found
