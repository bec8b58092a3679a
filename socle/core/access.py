"""Tenancy: which organisations an actor may act on, and scoping querysets to them.

Every selector of every app goes through ``organisations_for`` or ``scope``: an
object of an organisation the actor may not see does not exist for them (404).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import Http404

from .assurance import without_second_factor
from .models import Membership, Organisation, User
from .roles import roles_granting

M = TypeVar("M", bound=models.Model)

Actor = User | AnonymousUser | None


_MEMBERSHIPS_CACHE = "_socle_memberships"


def _memberships(actor: User) -> tuple[tuple[str, str], ...]:
    # One query per actor object for every permission a page asks about: the agent home
    # and the navigation ask for seven, at one query each before.
    cached = actor.__dict__.get(_MEMBERSHIPS_CACHE)
    if cached is None:
        cached = tuple(Membership.objects.filter(user=actor, revoked_at__isnull=True)
                       .values_list("role", "organisation__path"))
        actor.__dict__[_MEMBERSHIPS_CACHE] = cached
    return cached


def memberships_held(actor: User) -> tuple[tuple[str, str], ...]:
    """Return the person's active roles as (role, organisation path), read once per request."""
    return _memberships(actor)


def forget_memberships(user: object) -> None:
    """Drop the roles (and modules switched off) read on this user object, after they changed."""
    getattr(user, "__dict__", {}).pop(_MEMBERSHIPS_CACHE, None)
    getattr(user, "__dict__", {}).pop("_socle_modules_off", None)


_MODULES_OFF_CACHE = "_socle_modules_off"


def _paths_off(actor: User, permission: str) -> tuple[str, ...]:
    # The organisations where the permission's module is switched off, read once per actor
    # object (that is, per request) like its memberships.
    off = actor.__dict__.get(_MODULES_OFF_CACHE)
    if off is None:
        from .module_activation import disabled_paths

        off = actor.__dict__[_MODULES_OFF_CACHE] = disabled_paths()
    return () if permission.startswith("core.") else off.get(permission.split(".", 1)[0], ())


def _switched_off(path: str, off: tuple[str, ...]) -> bool:
    return any(path.startswith(prefix) for prefix in off)


def granted_paths(actor: Actor, permission: str) -> list[str]:
    """Return the paths of the nodes on which the actor holds a role granting the permission.

    A role held on an organisation where the permission's module is switched off grants
    nothing (``module_activation``).
    """
    if actor is None or not actor.is_authenticated or without_second_factor(actor):
        # A session opened without the second factor holds no agent permission (assurance.py).
        return []
    token_modules = getattr(actor, "_socle_token_modules", ())
    if token_modules and permission.split(".", 1)[0] not in (*token_modules, "core"):
        return []  # an API token scoped to other modules (api_auth.py)
    roles = roles_granting(permission)
    if not roles:
        return []
    off = _paths_off(actor, permission)
    paths: list[str] = []
    for role, path in _memberships(actor):
        if role in roles and path not in paths and not _switched_off(path, off):
            paths.append(path)
    return paths


def roles_held(actor: Actor) -> bool:
    """Whether the person holds any role at all, whatever their session may use."""
    return isinstance(actor, User) and bool(_memberships(actor))


def _without_off(condition: models.Q, actor: User, permission: str, field: str) -> models.Q:
    off = _paths_off(actor, permission)
    if not off:
        return condition
    return condition & ~_path_condition(list(off), field)


def _path_condition(paths: list[str], field: str) -> models.Q:
    prefix = f"{field}__path__startswith" if field else "path__startswith"
    return reduce(or_, (models.Q(**{prefix: path}) for path in paths))


def organisations_for(actor: Actor, permission: str) -> models.QuerySet[Organisation]:
    """Return the organisations on which the actor holds the permission, inherited downwards."""
    paths = granted_paths(actor, permission)
    if not paths:
        return Organisation.objects.none()
    assert isinstance(actor, User)
    return Organisation.objects.filter(_without_off(_path_condition(paths, ""), actor, permission, ""))


def can(actor: Actor, permission: str, organisation: Organisation) -> bool:
    """Tell whether the actor holds the permission on that organisation."""
    paths = granted_paths(actor, permission)
    if not paths or not any(organisation.path.startswith(path) for path in paths):
        return False
    assert isinstance(actor, User)
    return not _switched_off(organisation.path, _paths_off(actor, permission))


def scope(
    queryset: models.QuerySet[M], actor: Actor, permission: str, field: str = "organisation"
) -> models.QuerySet[M]:
    """Restrict a queryset to rows whose organisation the actor holds the permission on."""
    paths = granted_paths(actor, permission)
    if not paths:
        return queryset.none()
    assert isinstance(actor, User)
    return queryset.filter(_without_off(_path_condition(paths, field), actor, permission, field))


def get_or_404(queryset: models.QuerySet[M], **lookup: object) -> M:
    """Return the one object matching the lookup in an already scoped queryset, else 404."""
    from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError

    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, MultipleObjectsReturned, ValueError, ValidationError):
        raise Http404("Introuvable.") from None
