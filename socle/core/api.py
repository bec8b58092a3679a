"""The core's API: the territory (public) and the caller's own identity."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from . import selectors

router = Router(tags=["Territoire et identité"])


class OrganisationOut(Schema):
    slug: str
    name: str
    kind: str
    parent: str | None
    insee_code: str | None
    siret: str | None
    postal_codes: list[str]
    population: int | None
    population_year: int | None


class MembershipOut(Schema):
    organisation: str
    role: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    is_agent: bool
    home_commune: str | None
    identity_assurance: str | None
    memberships: list[MembershipOut]


@router.get("/organisations", response=list[OrganisationOut], auth=None,
            summary="Lister les organisations du territoire")
def organisations(request: HttpRequest) -> list[OrganisationOut]:
    """The intercommunality, its communes and its services (public)."""
    return [
        OrganisationOut(
            slug=org.slug,
            name=org.name,
            kind=org.kind,
            parent=org.parent.slug if org.parent else None,
            insee_code=org.insee_code or None,
            siret=org.siret or None,
            postal_codes=list(org.postal_codes),
            population=org.population,
            population_year=org.population_year,
        )
        for org in selectors.organisations_public()
    ]


@router.get("/me", response=MeOut, summary="Décrire le compte appelant")
def me(request: HttpRequest) -> MeOut:
    """The caller's account, home commune and roles."""
    user = request.user
    profile = getattr(user, "citizen", None)
    memberships = [
        MembershipOut(organisation=m.organisation.slug, role=m.role)
        for m in selectors.memberships_of(user)  # type: ignore[arg-type]
    ]
    return MeOut(
        email=user.email,  # type: ignore[union-attr]
        first_name=user.first_name,  # type: ignore[union-attr]
        last_name=user.last_name,  # type: ignore[union-attr]
        is_agent=bool(memberships),
        home_commune=profile.home_commune.slug if profile and profile.home_commune else None,
        identity_assurance=profile.identity_assurance if profile else None,
        memberships=memberships,
    )
