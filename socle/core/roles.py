"""Roles and the permissions they grant.

A role is granted on an organisation (``Membership``) and applies to that node and
every node below it. Each module declares its own roles in its ``module.py``
(``socle.core.modules``); this module reads them from the registry. ``socle modules``
lists them all, the one place to review who may do what.
"""

from __future__ import annotations

import functools

from . import modules
from .role_declarations import Role, role

__all__ = ["Role", "UnknownRole", "all_roles", "declared_permissions", "role", "role_get", "role_label",
           "roles_changed", "roles_granting"]


class UnknownRole(ValueError):
    """Raised for a role name that no module declares."""


@functools.cache
def all_roles() -> dict[str, Role]:
    """Return every declared role by name."""
    return {declared.name: declared for declared in modules.declared_roles()}


def roles_changed() -> None:
    """Forget what was read from the registry (after autodiscovery)."""
    all_roles.cache_clear()
    _roles_granting.cache_clear()


def role_get(name: str) -> Role:
    """Return the declared role of that name, or raise UnknownRole."""
    try:
        return all_roles()[name]
    except KeyError:
        raise UnknownRole(f"Rôle inconnu : « {name} ».") from None


def role_label(name: str) -> str:
    """Return a role's French label; an unknown (retired) role shows its name."""
    declared = all_roles().get(name)
    return declared.label if declared else name


def roles_granting(permission: str) -> list[str]:
    """Return the names of the roles that grant a permission."""
    return list(_roles_granting(permission))


def declared_permissions() -> set[str]:
    """Return every permission some declared role grants."""
    return {perm for declared in all_roles().values() for perm in declared.permissions}


@functools.lru_cache(maxsize=256)
def _roles_granting(permission: str) -> tuple[str, ...]:
    return tuple(sorted(name for name, declared in all_roles().items()
                        if permission in declared.permissions))


modules.on_discovery(roles_changed)
