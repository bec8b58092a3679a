"""GDPR register fixtures: one mutualised DPO on the ARC, referents of Margny and Venette."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from socle.core.models import Organisation, User
from socle.privacy.models import Breach, SubjectRequest
from socle.privacy.services import breach_create, request_create


@pytest.fixture
def margny(territory) -> Organisation:
    return territory["margny-les-compiegne"]


@pytest.fixture
def venette(territory) -> Organisation:
    return territory["venette"]


@pytest.fixture
def dpo(territory, make_user) -> User:
    return make_user("dpo@exemple.fr", roles=[(territory["arc"], "privacy.dpo")])


@pytest.fixture
def referent(margny, make_user) -> User:
    return make_user("rgpd.margny@exemple.fr", roles=[(margny, "privacy.referent")])


@pytest.fixture
def other_referent(venette, make_user) -> User:
    return make_user("rgpd.venette@exemple.fr", roles=[(venette, "privacy.referent")])


@pytest.fixture
def new_request(referent, margny) -> Callable[..., SubjectRequest]:
    def make(**values: Any) -> SubjectRequest:
        values.setdefault("actor", referent)
        values.setdefault("organisation", margny)
        values.setdefault("kind", "access")
        values.setdefault("requester_name", "Camille Martin")
        values.setdefault("requester_email", "camille@exemple.fr")
        return request_create(**values)

    return make


@pytest.fixture
def new_breach(referent, margny) -> Callable[..., Breach]:
    def make(**values: Any) -> Breach:
        values.setdefault("actor", referent)
        values.setdefault("organisation", margny)
        values.setdefault("title", "Courriel envoyé à une mauvaise liste")
        values.setdefault("description", "La liste des inscrits à la cantine envoyée à tous.")
        values.setdefault("aware_at", timezone.now() - timedelta(hours=10))
        values.setdefault("confidentiality", True)
        return breach_create(**values)

    return make
