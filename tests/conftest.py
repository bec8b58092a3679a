"""Shared fixtures: the ARC territory, people with roles, API clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from socle.core.models import Organisation, User
from socle.core.services import citizen_profile_set, membership_grant, token_create, user_create
from socle.core.territory import territory_load

ROOT = Path(__file__).resolve().parent.parent
ARC_TERRITORY = ROOT / "socle" / "core" / "data" / "territory" / "arc.json"
PASSWORD = "Un-mot-de-passe-solide-42"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a rolled-back test must leave nothing cached."""
    yield
    cache.clear()


@pytest.fixture
def territory(db: None) -> dict[str, Organisation]:
    """The ARC demo territory, by slug."""
    territory_load(actor=None, path=ARC_TERRITORY)
    return {org.slug: org for org in Organisation.objects.all()}


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = {"n": 0}

    def make(
        email: str | None = None,
        *,
        commune: Organisation | None = None,
        citizen: bool = False,
        roles: list[tuple[Organisation, str]] | None = None,
        password: str = PASSWORD,
    ) -> User:
        counter["n"] += 1
        user = user_create(actor=None, email=email or f"personne{counter['n']}@exemple.fr",
                           password=password, check_password=False)
        if citizen or commune is not None:
            citizen_profile_set(actor=None, user=user, home_commune=commune)
        for org, role in roles or []:
            membership_grant(actor=None, user=user, organisation=org, role=role)
        return user

    return make


@pytest.fixture
def api_client() -> Callable[[User | None], Client]:
    """A test client that sends a bearer token for the given user (or none)."""

    def make(user: User | None = None) -> Client:
        if user is None:
            return Client()
        _, clear = token_create(actor=None, user=user)
        return Client(headers={"Authorization": f"Bearer {clear}"})

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The production hasher is deliberately slow; tests check behaviour, not cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
