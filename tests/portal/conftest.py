"""Portal fixtures: a published procedure of Compiègne, an ARC template, agents, citizens."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from socle.core.models import Organisation, User
from socle.portal import selectors
from socle.portal.models import Case, Procedure
from socle.portal.payment_config import backends_parse
from socle.portal.services import case_submit, procedure_create, procedure_publish
from tests.support.payfip_server import PayfipServer, running_payfip_server

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


@pytest.fixture
def payfip(settings, tmp_path) -> Iterator[PayfipServer]:
    """A PayFiP web service on 127.0.0.1, configured for the VéloTIC régie of every commune."""
    with running_payfip_server(tmp_path) as server:
        settings.PAYMENT_BACKENDS = backends_parse(json.dumps({"*": {
            "kind": "payfip_ws", "options": {"saisie": "T", "wsdl_url": server.wsdl_url},
            "regies": {"velotic": {"numcli": "123456"}}}}), production=True)
        yield server


@pytest.fixture
def payfip_case(territory, publish, citizen, caseworker) -> Case:
    """A VéloTIC subscription at 12.30 €, collected by PayFiP for the velotic régie."""
    procedure = publish(territory["compiegne"], "abonnement-velotic", fee_kind="fixed",
                        fee_amount=Decimal("12.30"), regie="velotic")
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data={"nom": "Martin", "motif": "perte"})
    assert case.status == "awaiting_payment"
    return case
