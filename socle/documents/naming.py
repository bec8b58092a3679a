"""File names: cleaning the name a file was sent under, and applying a node's naming rule.

A naming rule is a pattern of known fields only, such as ``{date:%Y%m%d}_{type}_{title}``:
``date`` (the document's date, else the day it is filed; strftime format after the
colon), ``type`` (document type code), ``title``, ``org`` (organisation slug),
``node`` (plan node code) and ``meta.<name>`` (a metadata value). Anything else is
refused when the rule is saved: ``str.format`` is not used, as a pattern could then
reach attributes of the values.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

FIELD = re.compile(r"\{([a-z_]+(?:\.[A-Za-z0-9_]+)?)(?::([^{}]*))?\}")
KNOWN = {"date", "type", "title", "org", "node"}
_DATE_FORMAT = re.compile(r"^(?:%[YmdHMjyb]|[-_. ])*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 180


class NamingRuleInvalid(ValueError):
    pass


def naming_rule_check(rule: str) -> None:
    """Refuse a rule with an unknown field or a date format other than simple strftime codes."""
    leftover = FIELD.sub("", rule)
    if "{" in leftover or "}" in leftover:
        raise NamingRuleInvalid("La règle de nommage contient une accolade non refermée.")
    for match in FIELD.finditer(rule):
        name, fmt = match.group(1), match.group(2)
        if name not in KNOWN and not name.startswith("meta."):
            raise NamingRuleInvalid(f"Champ inconnu dans la règle de nommage : « {name} ».")
        if fmt is not None and (name != "date" or not _DATE_FORMAT.match(fmt)):
            raise NamingRuleInvalid(f"Format non accepté dans la règle de nommage : « {fmt} ».")


def ascii_fold(text: str) -> str:
    """Drop accents: "Délibération" becomes "Deliberation"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_part(value: str) -> str:
    """Turn a value into a portable piece of a file name (ASCII, no separators)."""
    return _UNSAFE.sub("-", ascii_fold(value)).strip("-.")


def original_name_clean(name: str) -> str:
    """Keep only the last component of a sent name, without control characters nor leading dots."""
    name = _CONTROL.sub("", name or "")
    name = re.split(r"[\\/]", name)[-1].strip().lstrip(".")
    name = name.replace("..", ".")
    return name[:255] or "document"


def extension_of(name: str) -> str:
    """Return the lower-case extension of a name, dot included, or ""."""
    base = original_name_clean(name)
    if "." not in base:
        return ""
    ext = "." + base.rsplit(".", 1)[1].lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ""


def name_apply(rule: str, *, extension: str, title: str, doc_type: str, org: str, node: str,
               on: date, metadata: dict[str, Any]) -> str:
    """Build the normalised name of a file from the node's rule (the title alone without a rule)."""

    def value(match: re.Match[str]) -> str:
        name, fmt = match.group(1), match.group(2)
        if name == "date":
            return on.strftime(fmt or "%Y%m%d")
        if name.startswith("meta."):
            return name_part(str(metadata.get(name[5:], "")))
        return name_part({"type": doc_type, "title": title, "org": org, "node": node}[name])

    stem = FIELD.sub(value, rule) if rule else name_part(title)
    stem = _UNSAFE.sub("-", ascii_fold(stem)).strip("-._") or "document"
    return stem[:MAX_NAME] + extension
