"""Which modules each organisation is offered: the DCSI switches them on and off.

A module switched off for an organisation is hidden from it and from the nodes below
it: roles held there grant nothing of that module, scoped reads leave its rows out,
and its public pages for that commune answer 404. Nothing is deleted; switching the
module back on shows everything again.

The list of switched-off (module, path) pairs is small (modules by organisations) and
read on every permission check, so it is cached in Django's cache for a few seconds
and dropped by every write: with a shared cache (Redis) a change is seen at once by
every instance, with the default per-process cache within ``MODULES_CACHE_SECONDS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .errors import ServiceError
from .journal import audit_record
from .models import ModuleActivation, Organisation, User
from .modules import CORE, module_get

_CACHE_KEY = "socle:modules:disabled"


def disabled_paths() -> dict[str, tuple[str, ...]]:
    """Return, per module, the paths of the organisations it is switched off for."""
    cached = cache.get(_CACHE_KEY)
    if cached is None:
        found: dict[str, list[str]] = {}
        for module, path in (ModuleActivation.objects.filter(enabled=False)
                             .values_list("module", "organisation__path")):
            found.setdefault(module, []).append(path)
        cached = {module: tuple(paths) for module, paths in found.items()}
        cache.set(_CACHE_KEY, cached, settings.MODULES_CACHE_SECONDS)
    return cached


def module_paths_off(module: str) -> tuple[str, ...]:
    """Return the paths of the organisations a module is switched off for."""
    if module == CORE:
        return ()
    return disabled_paths().get(module, ())


def module_enabled(module: str, organisation: Organisation) -> bool:
    """Tell whether a module is offered to an organisation (switched off neither there nor above)."""
    return not any(organisation.path.startswith(path) for path in module_paths_off(module))


def _set(*, actor: User | None, module: str, organisation: Organisation, enabled: bool) -> ModuleActivation:
    declared = module_get(module) if module != CORE else None
    if declared is None or not declared.switchable:
        raise ServiceError(f"Le module « {module} » ne peut pas être désactivé.",
                           code="module_not_switchable")
    with transaction.atomic():
        activation, created = ModuleActivation.objects.select_for_update().get_or_create(
            organisation=organisation, module=module, defaults={"enabled": enabled})
        if created or activation.enabled != enabled:
            activation.enabled = enabled
            activation.changed_at = timezone.now()
            activation.changed_by = actor if actor is not None and actor.pk else None
            activation.save()
            audit_record(actor=actor, action="module.enable" if enabled else "module.disable",
                         organisation=organisation, target=activation,
                         data={"module": module, "organisation": organisation.slug})
        transaction.on_commit(lambda: cache.delete(_CACHE_KEY))
    cache.delete(_CACHE_KEY)
    return activation


def module_enable(*, actor: User | None, module: str, organisation: Organisation) -> ModuleActivation:
    """Offer a module to an organisation again (or for the first time)."""
    return _set(actor=actor, module=module, organisation=organisation, enabled=True)


def module_disable(*, actor: User | None, module: str, organisation: Organisation) -> ModuleActivation:
    """Hide a module from an organisation and the nodes below it; nothing is deleted."""
    return _set(actor=actor, module=module, organisation=organisation, enabled=False)


def module_enable_everywhere(*, actor: User | None) -> int:
    """Switch every switchable module on for every organisation (the demo); return the count."""
    from .modules import modules

    count = 0
    for declared in modules():
        if not declared.switchable:
            continue
        for organisation in Organisation.objects.all():
            module_enable(actor=actor, module=declared.name, organisation=organisation)
            count += 1
    return count


def activations_table() -> list[tuple[Organisation, dict[str, bool]]]:
    """Return each organisation with, per switchable module, whether it is on there."""
    from .modules import modules

    names = [declared.name for declared in modules() if declared.switchable]
    off = {name: module_paths_off(name) for name in names}
    return [(organisation, {name: not any(organisation.path.startswith(p) for p in off[name])
                            for name in names})
            for organisation in Organisation.objects.order_by("path")]
