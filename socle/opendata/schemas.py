"""The official Table Schemas socle validates against, read from the reference folder.

Schemas are named ``scdl/subventions`` or ``scdl/subventions@2.1.1``. They are not copied
into the repository: they are read from ``SOCLE_REFERENCE_DIR`` (or the setting
``OPENDATA_REFERENCE_DIR``), by default ``../shared/reference`` beside the project.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from socle.core.errors import ServiceError

NAME = re.compile(r"^(?P<family>[a-z0-9-]+)/(?P<name>[a-z0-9-]+)(?:@(?P<version>[A-Za-z0-9.\-]+))?$")


class SchemaUnknown(ServiceError):
    """The schema named does not exist, or not in that version."""

    code = "unknown_schema"


@dataclass(frozen=True)
class TableSchema:
    family: str
    name: str
    version: str
    descriptor: dict[str, Any]

    @property
    def ref(self) -> str:
        """Return ``scdl/subventions@2.1.1``, the pin a distribution keeps."""
        return f"{self.family}/{self.name}@{self.version}"

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title") or self.name)

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.descriptor.get("fields", []))

    @property
    def field_names(self) -> list[str]:
        return [str(f["name"]) for f in self.fields]

    @property
    def url(self) -> str:
        return str(self.descriptor.get("path") or self.descriptor.get("homepage") or "")


def reference_dir() -> Path:
    """Return the folder holding the official schemas (it may be absent)."""
    configured = os.environ.get("SOCLE_REFERENCE_DIR") or getattr(settings, "OPENDATA_REFERENCE_DIR", "")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR).parent / "shared" / "reference"


@lru_cache(maxsize=32)
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        descriptor: dict[str, Any] = json.load(handle)
    return descriptor


def schema_load(ref: str) -> TableSchema:
    """Load the schema ``family/name[@version]``, or raise SchemaUnknown (in French)."""
    match = NAME.match(ref.strip())
    if match is None:
        raise SchemaUnknown(
            f"Nom de schéma illisible : « {ref[:80]} » (attendu par exemple "
            "« scdl/subventions » ou « scdl/subventions@2.1.1 »)."
        )
    family, name, version = match["family"], match["name"], match["version"]
    path = reference_dir() / family / name / "schema.json"
    if not path.is_file():
        raise SchemaUnknown(
            f"Schéma inconnu : « {family}/{name} ». Schémas disponibles : "
            f"{', '.join(schemas_available()) or 'aucun'}."
        )
    descriptor = _read(str(path))
    actual = str(descriptor.get("version", "")).lstrip("v")
    if version and version.lstrip("v") != actual:
        raise SchemaUnknown(
            f"Le schéma « {family}/{name} » n'est disponible qu'en version {actual}, pas en {version}."
        )
    return TableSchema(family=family, name=name, version=actual, descriptor=descriptor)


def schemas_available() -> list[str]:
    """Return the names of the schemas present in the reference folder."""
    root = reference_dir()
    if not root.is_dir():
        return []
    return sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in root.glob("*/*/schema.json"))
