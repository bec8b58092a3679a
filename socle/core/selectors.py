"""Every read of the core's tenant data, scoped to the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .access import Actor, organisations_for, roles_held
from .models import ApiToken, AuditEvent, Membership, Organisation, OrganisationKind, User
from .navigation import NavItem


def organisations_public() -> QuerySet[Organisation]:
    """Return the whole territory, which is public."""
    return Organisation.objects.select_related("parent").order_by("path")


def communes_public(*, query: str = "") -> QuerySet[Organisation]:
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


def organisation_get_public(*, slug: str) -> Organisation | None:
    """Return one organisation of the territory by slug."""
    return Organisation.objects.filter(slug=slug).first()


def user_signing_in(*, user_id: int) -> User | None:
    """Return the active account half-way through its sign-in, before any actor exists."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def memberships_of(*, actor: User) -> QuerySet[Membership]:
    """Return the active roles of the actor."""
    return (
        Membership.objects.filter(user=actor, revoked_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation__path", "role")
    )


def audit_events_for(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Return the journal events the actor may read: those of organisations under their roles."""
    orgs = organisations_for(actor, "core.view_audit").values_list("slug", flat=True)
    return AuditEvent.objects.filter(organisation_slug__in=orgs).order_by("-seq")


def _app_entries() -> list[NavItem]:
    from .modules import navigation

    return navigation()


def _granted(user: Actor, permission: str) -> bool:
    from .access import granted_paths

    return not permission or bool(granted_paths(user, permission))


def agent_modules_for(*, actor: Actor) -> list[NavItem]:
    """Return the modules an agent may open from their home page."""
    return [item for item in _app_entries()
            if item.audience == "agent" and _granted(actor, item.permission)]


def navigation_for(*, actor: Actor) -> list[NavItem]:
    """Return the main navigation entries for a visitor, a citizen or an agent."""
    items = [NavItem("Accueil", "core:home")]
    items += [item for item in _app_entries() if item.audience == "all"]
    items.append(NavItem("Les communes", "core:communes"))
    if actor is None or not actor.is_authenticated:
        return items
    items += [item for item in _app_entries() if item.audience == "citizen"]
    items.append(NavItem("Mon compte", "core:account"))
    # The roles read once per request (access.py), not one more query per page.
    if roles_held(actor):
        items.append(NavItem("Mes tâches", "core:my_work"))
        items.append(NavItem("Espace agent", "core:agent_home"))
    return items


def home_cards() -> list[NavItem]:
    """Return the public services the modules offer, as the home page's cards."""
    return [item for item in _app_entries() if item.audience == "all"]


def tokens_of(*, actor: User) -> QuerySet[ApiToken]:
    """The API tokens of the person themselves, newest first (nobody sees another's)."""
    return ApiToken.objects.filter(user=actor).order_by("-created_at")


def token_of(*, actor: User, prefix: str) -> ApiToken | None:
    """One of the person's own tokens by its prefix, or None."""
    return ApiToken.objects.filter(user=actor, prefix=prefix).first()


def commune_public_get(*, pk: int) -> Organisation | None:
    """Return one commune of the territory by id, or None."""
    return Organisation.objects.filter(pk=pk, kind=OrganisationKind.COMMUNE).first()
