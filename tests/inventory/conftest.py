"""Inventory fixtures: a DCSI manager (on the ARC), viewers of Margny and Venette, an
Education inspector, sites and assets in both communes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from socle.core.models import Organisation, User
from socle.inventory.models import Asset, Site
from socle.inventory.services import asset_create, site_save


@pytest.fixture
def arc(territory) -> Organisation:
    return territory["arc"]


@pytest.fixture
def margny(territory) -> Organisation:
    return territory["margny-les-compiegne"]


@pytest.fixture
def venette(territory) -> Organisation:
    return territory["venette"]


@pytest.fixture
def manager(arc, make_user) -> User:
    user = make_user("parc@dcsi.exemple.fr", roles=[(arc, "inventory.manager")])
    user.first_name, user.last_name = "Sophie", "Marchand"
    user.save()
    return user


@pytest.fixture
def viewer(margny, make_user) -> User:
    return make_user("agent@margny.exemple.fr", roles=[(margny, "inventory.viewer")])


@pytest.fixture
def outsider(venette, make_user) -> User:
    return make_user("agent@venette.exemple.fr", roles=[(venette, "inventory.viewer")])


@pytest.fixture
def inspector(arc, make_user) -> User:
    return make_user("ien@ac-amiens.exemple.fr", roles=[(arc, "inventory.inspector")])


@pytest.fixture
def town_hall(manager, margny) -> Site:
    return site_save(actor=manager, organisation=margny, name="Mairie", kind="town_hall",
                     latitude="49,428", longitude="2,818")


@pytest.fixture
def school(manager, margny) -> Site:
    return site_save(actor=manager, organisation=margny, name="École Jules-Ferry", kind="school")


@pytest.fixture
def venette_site(manager, venette) -> Site:
    return site_save(actor=manager, organisation=venette, name="Mairie", kind="town_hall")


@pytest.fixture
def make_asset(manager, margny, town_hall) -> Callable[..., Asset]:
    counter = {"n": 0}

    def make(organisation: Organisation | None = None, site: Site | None = None,
             **values: Any) -> Asset:
        counter["n"] += 1
        values.setdefault("inventory_number", f"INV-{counter['n']:04d}")
        values.setdefault("kind", "computer")
        values.setdefault("name", f"Poste {counter['n']}")
        return asset_create(actor=manager, organisation=organisation or margny,
                            site=site if organisation else (site or town_hall), values=values)

    return make
