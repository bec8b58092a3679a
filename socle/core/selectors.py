"""Every read of the core's tenant data, scoped to the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .access import Actor, organisations_for
from .models import AuditEvent, Membership, Organisation, OrganisationKind, User
from .navigation import NavItem


def organisations_public() -> QuerySet[Organisation]:
    """Return the whole territory, which is public."""
    return Organisation.objects.select_related("parent").order_by("path")


def communes_public(query: str = "") -> QuerySet[Organisation]:
    """Return the communes, filtered by name or postal code when a query is given."""
    communes = Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("name")
    query = query.strip()
    if not query:
        return communes
    if query.isdigit():
        # Postal codes are a JSON list: match on its text form, portable on both databases.
        return communes.filter(Q(postal_codes__icontains=query) | Q(insee_code=query))
    from django.utils.text import slugify

    return communes.filter(Q(name__icontains=query) | Q(slug__icontains=slugify(query)))


def organisation_get_public(slug: str) -> Organisation | None:
    """Return one organisation of the territory by slug."""
    return Organisation.objects.filter(slug=slug).first()


def memberships_of(user: User) -> QuerySet[Membership]:
    """Return the active roles of an agent."""
    return (
        Membership.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation__path", "role")
    )


def audit_events_for(actor: Actor) -> QuerySet[AuditEvent]:
    """Return the journal events the actor may read: those of organisations under their roles."""
    orgs = organisations_for(actor, "core.view_audit").values_list("slug", flat=True)
    return AuditEvent.objects.filter(organisation_slug__in=orgs).order_by("-seq")


def _app_entries() -> list[NavItem]:
    from .modules import navigation

    return navigation()


def _granted(user: Any, permission: str) -> bool:
    from .access import granted_paths

    return not permission or bool(granted_paths(user, permission))


def agent_modules_for(user: Any) -> list[NavItem]:
    """Return the modules an agent may open from their home page."""
    return [item for item in _app_entries()
            if item.audience == "agent" and _granted(user, item.permission)]


def navigation_for(user: Any) -> list[NavItem]:
    """Return the main navigation entries for a visitor, a citizen or an agent."""
    items = [NavItem("Accueil", "core:home")]
    items += [item for item in _app_entries() if item.audience == "all"]
    items.append(NavItem("Les communes", "core:communes"))
    if user is None or not user.is_authenticated:
        return items
    items += [item for item in _app_entries() if item.audience == "citizen"]
    items.append(NavItem("Mon compte", "core:account"))
    if memberships_of(user).exists():
        items.append(NavItem("Espace agent", "core:agent_home"))
    return items
