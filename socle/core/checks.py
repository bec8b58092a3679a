"""System checks that turn the module contract into failures (``socle check``, CI).

- every dotted name ``<module>.<thing>`` written in the code is declared: a permission
  some role grants, a role, a journal action, a job, an indicator or a panel target;
- every action passed to the journal is declared with its French label;
- every declared page include, API router, demo loader, job, indicator and panel resolves,
  and every navigation entry names a URL that exists.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core import checks

SOCLE = Path(__file__).resolve().parent.parent
# Object kinds other modules' panels may show on; a module that owns objects adds its own.
OBJECT_KINDS = {"portal.case", "mail.letter", "documents.document", "archives.package"}


def register() -> None:
    checks.register(check_declared_names, "socle")
    checks.register(check_journal_actions, "socle")
    checks.register(check_declarations_resolve, "socle")


def _sources(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if "migrations" not in path.parts and "__pycache__" not in path.parts:
            yield path


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_roots() -> list[tuple[str, Path]]:
    from django.apps import apps

    from .modules import modules

    names = {module.name for module in modules()}
    return [(config.label, Path(config.path)) for config in apps.get_app_configs()
            if config.label in names]


def _docstring_nodes(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _dotted_constants(path: Path, prefixes: set[str]) -> Iterator[tuple[int, str]]:
    tree = _tree(path)
    skip = _docstring_nodes(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip):
            head, dot, tail = node.value.partition(".")
            if dot and head in prefixes and tail and tail.replace("_", "").isalnum() and tail.islower():
                yield node.lineno, node.value


def _known_names() -> set[str]:
    from .modules import indicators, jobs, journal_actions, modules
    from .roles import all_roles, declared_permissions

    known = set(declared_permissions()) | set(all_roles()) | set(journal_actions())
    known |= {job.name for job in jobs()} | {indicator.name for indicator in indicators()}
    known |= {panel.target for module in modules() for panel in module.panels} | OBJECT_KINDS
    known |= {source.name for module in modules() for source in module.work_sources}
    known |= {kind for module in modules() for kind in module.notices}
    known |= {kind for module in modules() for kind in module.object_kinds}
    return known


def check_declared_names(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every ``<module>.<name>`` string in a module's code is declared somewhere."""
    roots = _module_roots()
    prefixes = {label for label, _ in roots}
    known = _known_names()
    errors: list[checks.CheckMessage] = []
    for _label, root in roots:
        for path in _sources(root):
            if path.name == "module.py":
                continue
            for line, name in _dotted_constants(path, prefixes):
                if name not in known:
                    errors.append(checks.Error(
                        f"« {name} » n'est déclaré par aucun module (ni permission d'un rôle, ni "
                        "rôle, ni action du journal, ni tâche, ni indicateur).",
                        obj=f"{path.relative_to(SOCLE.parent)}:{line}", id="socle.E001"))
    return errors


def _journal_calls(path: Path) -> Iterator[tuple[int, ast.expr]]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"audit_record", "consultation_record"}:
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        yield node.lineno, keyword.value


def _constant_actions(value: ast.expr) -> list[str] | None:
    # A literal, or a choice between literals: anything else cannot be checked statically.
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        body, orelse = _constant_actions(value.body), _constant_actions(value.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def check_journal_actions(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every action given to ``audit_record`` in the code is declared with its label."""
    from .modules import journal_actions

    declared = journal_actions()
    errors: list[checks.CheckMessage] = []
    for _label, root in _module_roots():
        for path in _sources(root):
            for line, value in _journal_calls(path):
                actions = _constant_actions(value)
                where = f"{path.relative_to(SOCLE.parent)}:{line}"
                if actions is None:
                    if not isinstance(value, ast.Name):
                        errors.append(checks.Error(
                            "L'action du journal doit être écrite en toutes lettres (ou passée par une "
                            "variable) : une action calculée ne peut pas être vérifiée.",
                            obj=where, id="socle.E002"))
                    continue
                errors += [checks.Error(f"Action du journal non déclarée : « {action} ».",
                                        obj=where, id="socle.E003")
                           for action in actions if action not in declared]
    return errors


def _job_errors(module_name: str, job: Any) -> list[checks.CheckMessage]:
    """A job's name is its module's, and its schedule reads."""
    from .schedules import ScheduleError, schedule_parse

    errors: list[checks.CheckMessage] = []
    if not job.name.startswith(f"{module_name}."):
        errors.append(checks.Error(f"La tâche « {job.name} » doit commencer par « {module_name}. ».",
                                   obj=f"module {module_name}", id="socle.E005"))
    try:
        schedule_parse(job.schedule)
    except ScheduleError as exc:
        errors.append(checks.Error(f"Tâche {job.name} : {exc}", obj=f"module {module_name}",
                                   id="socle.E012"))
    return errors


def check_declarations_resolve(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every declared include, router, loader, job, indicator and panel can be imported."""
    from django.urls import NoReverseMatch, reverse

    from .modules import modules, resolve

    errors: list[checks.CheckMessage] = []

    def importable(dotted: str, what: str, module_name: str) -> None:
        try:
            resolve(dotted)
        except (ImportError, AttributeError) as exc:
            errors.append(checks.Error(f"{what} « {dotted} » introuvable : {exc}",
                                       obj=f"module {module_name}", id="socle.E004"))

    for module in modules():
        for dotted, what in [(module.urls, "Pages"), (module.api, "API"), (module.demo, "Démonstration")]:
            if dotted:
                importable(dotted, what, module.name)
        for job in module.jobs:
            importable(job.func, f"Tâche {job.name}", module.name)
            errors.extend(_job_errors(module.name, job))
        for indicator in module.indicators:
            importable(indicator.func, f"Indicateur {indicator.name}", module.name)
        for panel in module.panels:
            importable(panel.func, f"Panneau {panel.label}", module.name)
        for source in module.work_sources:
            importable(source.func, f"Tâches « {source.label} »", module.name)
        for item in module.navigation:
            try:
                reverse(item.url_name)
            except NoReverseMatch:
                errors.append(checks.Error(f"Entrée de navigation « {item.label} » : l'adresse "
                                           f"« {item.url_name} » n'existe pas.",
                                           obj=f"module {module.name}", id="socle.E006"))
        for action in module.journal_actions:
            if not module.journal_actions[action].strip():
                errors.append(checks.Error(f"L'action « {action} » n'a pas de libellé.",
                                           obj=f"module {module.name}", id="socle.E007"))
    return errors
