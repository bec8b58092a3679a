"""The module contract: what each app declares about itself, in one place of its own folder.

Each domain app ships ``socle/<app>/module.py`` defining ``MODULE = Module(...)``: its
roles, navigation, pages, API router, demo loader and accounts, scheduled jobs, journal
actions with their French labels, dashboard indicators, panels shown on other apps'
objects and the processing activities it performs on personal data. Core collects the
declarations at start-up (``autodiscover``), as Django's admin does with ``admin.py``:
the URL map, the API, the roles, the demo command, the worker and the checks read them
here and hold no list of apps.

Callables are named by dotted paths (``"socle.portal.api:router"``) so that declaring a
module imports none of its views, models or services.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .navigation import NavItem
from .role_declarations import Role

CORE = "core"


@dataclass(frozen=True)
class Job:
    """A periodic job, run by ``socle worker`` when due (at most once per due time)."""

    name: str  # "mail.escalate": the module's name, a dot, the job's
    func: str  # "socle.mail.jobs:escalate", called with no argument; returns a French summary
    schedule: str  # "daily 06:00", "hourly", "every 15m", "weekly mon 05:00" (server time zone)
    label: str  # French, for `socle jobs` and the DCSI's pages


@dataclass(frozen=True)
class Indicator:
    """A figure a module offers to dashboards, computed for what the viewer may see."""

    name: str  # "portal.cases_filed"
    label: str  # French
    unit: str  # "dossiers", "jours", "Go"...
    # dotted path of (*, actor, start, end, organisation=None) -> int | float: the value over
    # [start, end) of what the actor may see, narrowed to one organisation's subtree if given
    func: str
    permission: str  # what the viewer must hold on an organisation for it to count
    access: str = "agents"  # "agents", or "open" when an organisation may publish it


@dataclass(frozen=True)
class Panel:
    """A box one module shows on another module's object, so that neither imports the other.

    ``target`` names the object kind it shows on (``"portal.case"``, ``"mail.letter"``);
    ``func`` is called as ``func(*, actor, ref)`` with the object's reference
    (``"portal.case:42"``) and returns a ``PanelContent`` or ``None`` when it has nothing
    to show to that actor.
    """

    target: str
    label: str
    func: str


@dataclass(frozen=True)
class PanelLink:
    text: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class PanelSection:
    """A titled list of links inside a panel (the procedures of one category)."""

    title: str
    links: tuple[PanelLink, ...] = ()


@dataclass(frozen=True)
class PanelContent:
    title: str
    links: tuple[PanelLink, ...] = ()
    lines: tuple[str, ...] = ()
    sections: tuple[PanelSection, ...] = ()


@dataclass(frozen=True)
class WorkSource:
    """What waits for an agent in a module, gathered on their "Mes tâches" page.

    ``func`` is called as ``func(*, actor, limit)`` and returns at most ``limit``
    ``WorkItem``s that wait for that actor (a case to instruct, a visa to give...).
    """

    name: str  # "portal.cases_to_process"
    label: str  # French: "Dossiers à instruire"
    func: str


@dataclass(frozen=True)
class WorkItem:
    title: str
    url: str
    since: Any = None  # a datetime or date: how long it has waited
    detail: str = ""
    unread: bool = False


@dataclass(frozen=True)
class Gate:
    """A page a signed-in person must pass through before any other (a charter to accept).

    ``func`` is called as ``func(*, actor)`` and returns the URL to send the person to, or
    ``None`` when they may go on. ``stamp`` names a callable with no argument returning a
    short string that changes whenever ``func``'s answers may change (a new version put in
    force); a ``None`` is kept in the session under that stamp, so ``func`` runs once per
    session and stamp, and the empty stamp means the gate is open to everyone. ``paths``
    are the path prefixes the gate lets through: its own pages. Checked by
    ``socle.core.gates.GateMiddleware``.
    """

    name: str  # "security.charter"
    func: str
    stamp: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    commune: str | None = None  # a citizen's home commune
    grants: tuple[tuple[str, str], ...] = ()  # (organisation slug, role)


@dataclass(frozen=True)
class ProcessingActivity:
    """A processing of personal data the module performs, for the GDPR register (art. 30)."""

    name: str
    purpose: str
    legal_basis: str
    data_subjects: str
    data_categories: str
    retention: str


@dataclass(frozen=True)
class Module:
    name: str  # the app's label: "portal"
    label: str  # French: "Démarches en ligne (GRU)"
    description: str = ""
    roles: tuple[Role, ...] = ()
    navigation: tuple[NavItem, ...] = ()
    urls: str = ""  # dotted module of a urlconf, included at the site's root
    api: str = ""  # "socle.portal.api:router"
    demo: str = ""  # "socle.portal.demo:demo_load": idempotent, no argument, returns lines
    demo_accounts: tuple[DemoAccount, ...] = ()
    jobs: tuple[Job, ...] = ()
    journal_actions: dict[str, str] = field(default_factory=dict)  # action -> French label
    indicators: tuple[Indicator, ...] = ()
    panels: tuple[Panel, ...] = ()
    work_sources: tuple[WorkSource, ...] = ()
    # Kinds of notices the module sends to agents (kind -> French label), see notices.py.
    notices: dict[str, str] = field(default_factory=dict)
    # Kinds of the module's objects that other modules or core refer to ("documents.step"),
    # as in object_ref(): references, panels' targets and notices' refs.
    object_kinds: tuple[str, ...] = ()
    processing_activities: tuple[ProcessingActivity, ...] = ()
    gates: tuple[Gate, ...] = ()  # pages a signed-in person must pass first (gates.py)
    requires: tuple[str, ...] = ()  # modules whose demo data this one's builds on
    # For `socle demo` only: settings (Django names, str/bool/int values) set in the demo's
    # processes, and helper processes it starts beside the server (arguments of `socle`),
    # such as a simulator standing in for an outside system.
    demo_settings: dict[str, str | bool | int] = field(default_factory=dict)
    demo_processes: tuple[tuple[str, ...], ...] = ()
    # Core and modules every organisation needs cannot be switched off.
    switchable: bool = True


class ModuleError(RuntimeError):
    """A declaration that breaks the contract (duplicate name, unknown module...)."""


_registry: dict[str, Module] = {}
_discovered = False


def register(module: Module) -> Module:
    """Add a module's declaration to the registry (done by autodiscovery)."""
    existing = _registry.get(module.name)
    if existing is not None and existing is not module:
        raise ModuleError(f"Le module « {module.name} » est déclaré deux fois.")
    _registry[module.name] = module
    return module


def autodiscover() -> None:
    """Import ``<app>.module`` of every installed app that has one; safe to call again."""
    global _discovered
    if _discovered:
        return
    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.module"
        if importlib.util.find_spec(name) is None:
            continue
        declared = getattr(importlib.import_module(name), "MODULE", None)
        if not isinstance(declared, Module):
            raise ModuleError(f"{name} ne définit pas MODULE = Module(...).")
        if declared.name != config.label:
            raise ModuleError(f"{name} déclare « {declared.name} » au lieu de « {config.label} ».")
        register(declared)
    _discovered = True
    _clear_caches()


_discovery_listeners: list[Callable[[], None]] = []


def on_discovery(listener: Callable[[], None]) -> None:
    """Call the listener once the registry is complete (readers drop what they cached)."""
    _discovery_listeners.append(listener)


def _clear_caches() -> None:
    _action_labels.clear()
    for listener in _discovery_listeners:
        listener()


def modules() -> list[Module]:
    """Return every declared module, each after the modules it requires, core first."""
    autodiscover()
    ordered: list[Module] = []
    seen: set[str] = set()

    def visit(module: Module, path: tuple[str, ...]) -> None:
        if module.name in seen:
            return
        if module.name in path:
            raise ModuleError(f"Dépendance circulaire entre modules : {' → '.join(path)}.")
        for required in module.requires:
            if required in _registry:
                visit(_registry[required], (*path, module.name))
        seen.add(module.name)
        ordered.append(module)

    for name in sorted(_registry, key=lambda n: (n != CORE, n)):
        visit(_registry[name], ())
    return ordered


def module_get(name: str) -> Module:
    """Return the declared module of that name, or raise ModuleError."""
    autodiscover()
    try:
        return _registry[name]
    except KeyError:
        raise ModuleError(f"Module inconnu : « {name} ».") from None


def resolve(dotted: str) -> Any:
    """Import what ``"package.module:attribute"`` (or ``"package.module"``) names."""
    module_name, _, attribute = dotted.partition(":")
    target = importlib.import_module(module_name)
    return getattr(target, attribute) if attribute else target


def declared_roles() -> list[Role]:
    return [role for module in modules() for role in module.roles]


def navigation() -> list[NavItem]:
    return [item for module in modules() for item in module.navigation]


def journal_actions() -> dict[str, str]:
    """Return every declared journal action with its French label."""
    if not _action_labels:
        for module in modules():
            _action_labels.update(module.journal_actions)
    return _action_labels


_action_labels: dict[str, str] = {}


def journal_action_label(action: str) -> str:
    """Return the French label of a journal action (its name when it is not declared)."""
    return journal_actions().get(action, action)


def jobs() -> list[Job]:
    return [job for module in modules() for job in module.jobs]


def indicators() -> list[Indicator]:
    return [indicator for module in modules() for indicator in module.indicators]


def panels_for(target: str) -> list[Panel]:
    return [panel for module in modules() for panel in module.panels if panel.target == target]


def work_sources() -> list[WorkSource]:
    return [source for module in modules() for source in module.work_sources]


def gates() -> list[Gate]:
    return [gate for module in modules() for gate in module.gates]


def notice_kinds() -> dict[str, str]:
    """Return every declared kind of notice to agents with its French label."""
    return {kind: label for module in modules() for kind, label in module.notices.items()}


def panels_on(*, actor: Any, target: str, ref: str) -> list[PanelContent]:
    """Return what every module shows on one object for that actor (panels with nothing left out)."""
    shown = []
    for panel in panels_for(target):
        content = resolve(panel.func)(actor=actor, ref=ref)
        if content is not None:
            shown.append(content)
    return shown


def object_ref(kind: str, pk: object) -> str:
    """Return the reference of another module's object: ``"portal.case:42"``."""
    return f"{kind}:{pk}"


def object_ref_parse(ref: str, kind: str) -> int | None:
    """Return the primary key in a reference of that kind, or None if it is of another kind."""
    prefix, _, pk = ref.partition(":")
    return int(pk) if prefix == kind and pk.isdigit() else None


def demo_accounts() -> list[DemoAccount]:
    return [account for module in modules() for account in module.demo_accounts]


def processing_activities() -> list[tuple[Module, ProcessingActivity]]:
    return [(module, activity) for module in modules() for activity in module.processing_activities]


def url_includes() -> list[str]:
    return [module.urls for module in modules() if module.urls]


def api_routers() -> list[Any]:
    return [resolve(module.api) for module in modules() if module.api]


def demo_loaders() -> list[tuple[Module, Callable[[], Iterable[str] | None]]]:
    return [(module, resolve(module.demo)) for module in modules() if module.demo]


def module_of_permission(permission: str) -> str:
    """Return the module a permission belongs to: the part before its first dot."""
    return permission.split(".", 1)[0]


def describe(module: Module) -> dict[str, Any]:
    """Return a module's declarations as plain data, for `socle modules --json`."""
    return {
        "name": module.name,
        "label": module.label,
        "description": module.description,
        "switchable": module.switchable,
        "requires": list(module.requires),
        "roles": [{"name": r.name, "label": r.label, "permissions": sorted(r.permissions)}
                  for r in module.roles],
        "navigation": [{"label": n.label, "url_name": n.url_name, "audience": n.audience,
                        "permission": n.permission} for n in module.navigation],
        "urls": module.urls,
        "api": module.api,
        "demo": module.demo,
        "jobs": [{"name": j.name, "schedule": j.schedule, "label": j.label, "func": j.func}
                 for j in module.jobs],
        "journal_actions": dict(sorted(module.journal_actions.items())),
        "indicators": [{"name": i.name, "label": i.label, "unit": i.unit, "access": i.access,
                        "permission": i.permission} for i in module.indicators],
        "panels": [{"target": p.target, "label": p.label} for p in module.panels],
        "work_sources": [{"name": w.name, "label": w.label} for w in module.work_sources],
        "notices": dict(module.notices),
        "processing_activities": [a.name for a in module.processing_activities],
        "gates": [g.name for g in module.gates],
    }
