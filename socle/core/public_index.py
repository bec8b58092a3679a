"""The index of every module's public services and selectors, generated from the code.

Each app's README stays short and points here: ``socle modules --index`` lists, for each
installed module, the functions its ``services`` and ``selectors`` offer to the other apps
(module or package), with their signature and the one-line docstring the conventions ask for.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from types import FunctionType, ModuleType

from django.apps import apps

from .modules import modules

LAYERS = ("services", "selectors")


@dataclass(frozen=True)
class PublicFunction:
    module: str  # the socle module's name: "portal"
    layer: str  # "services" or "selectors"
    name: str
    signature: str
    summary: str  # the docstring's first line, "" when missing
    defined_in: str  # "socle.portal.services.cases"


def _public_names(namespace: ModuleType) -> list[str]:
    declared = getattr(namespace, "__all__", None)
    if declared is not None:
        return sorted(declared)
    return sorted(name for name in vars(namespace) if not name.startswith("_"))


def _functions_of(dotted: str) -> list[tuple[str, FunctionType]]:
    """Public functions defined in a module or, for a package, in its submodules."""
    if importlib.util.find_spec(dotted) is None:
        return []
    namespace = importlib.import_module(dotted)
    found = []
    for name in _public_names(namespace):
        value = getattr(namespace, name, None)
        if not inspect.isfunction(value):
            continue
        origin = value.__module__
        if origin == dotted or origin.startswith(dotted + "."):
            found.append((name, value))
    return found


def public_index() -> list[PublicFunction]:
    """Return every public service and selector of every installed module, module by module."""
    entries: list[PublicFunction] = []
    for module in modules():
        package = apps.get_app_config(module.name).name
        for layer in LAYERS:
            for name, function in _functions_of(f"{package}.{layer}"):
                doc = inspect.getdoc(function) or ""
                entries.append(PublicFunction(
                    module=module.name, layer=layer, name=name,
                    signature=f"{name}{inspect.signature(function)}",
                    summary=doc.splitlines()[0] if doc else "",
                    defined_in=function.__module__))
    return entries


def public_index_markdown() -> str:
    """Render the index as Markdown, one section per module and layer."""
    lines = ["# Services et sélecteurs publics", "",
             "Généré par `socle modules --index` : ne pas modifier à la main."]
    current: tuple[str, str] | None = None
    for entry in public_index():
        if (entry.module, entry.layer) != current:
            current = (entry.module, entry.layer)
            lines += ["", f"## {entry.module} — {entry.layer}", ""]
        summary = entry.summary or "(sans description)"
        lines.append(f"- `{entry.signature}` — {summary} ({entry.defined_in})")
    return "\n".join(lines) + "\n"
