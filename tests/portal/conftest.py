"""Portal fixtures: a published procedure of Compiègne, an ARC template, agents, citizens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from socle.core.models import Organisation, User
from socle.portal.models import Procedure
from socle.portal.services import procedure_create, procedure_publish

SIMPLE_FIELDS: list[dict[str, Any]] = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True},
    {"name": "motif", "label": "Motif", "type": "choice", "required": True,
     "choices": [{"value": "perte", "label": "Perte"}, {"value": "vol", "label": "Vol"}]},
    {"name": "precisions", "label": "Précisions", "type": "textarea"},
]


@pytest.fixture
def editor(territory, make_user) -> User:
    """An editor for the whole agglomeration (the DCSI's editor)."""
    return make_user("redacteur@exemple.fr", roles=[(territory["arc"], "portal.editor")])


@pytest.fixture
def publish(editor) -> Callable[..., Procedure]:
    def make(organisation: Organisation, slug: str, fields: list[dict[str, Any]] | None = None,
             **values: Any) -> Procedure:
        values.setdefault("title", slug.replace("-", " ").capitalize())
        procedure = procedure_create(actor=editor, organisation=organisation, slug=slug,
                                     fields=fields or SIMPLE_FIELDS, **values)
        procedure_publish(actor=editor, procedure=procedure)
        procedure.refresh_from_db()
        return procedure

    return make


@pytest.fixture
def caseworker(territory, make_user) -> User:
    return make_user("instructeur.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "portal.caseworker")])


@pytest.fixture
def other_caseworker(territory, make_user) -> User:
    return make_user("instructeur.venette@exemple.fr",
                     roles=[(territory["venette"], "portal.caseworker")])


@pytest.fixture
def citizen(territory, make_user) -> User:
    return make_user("camille@exemple.fr", commune=territory["compiegne"])
