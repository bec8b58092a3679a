"""Mail register fixtures: clerks of Compiègne and Venette, mail types, a correspondent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from socle.core.models import Organisation, User
from socle.mail.models import Contact, Mail, MailType
from socle.mail.services import contact_create, mail_register, mail_type_create

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VALID_SIRET = "55201649600010"


@pytest.fixture
def compiegne(territory) -> Organisation:
    return territory["compiegne"]


@pytest.fixture
def clerk(territory, make_user) -> User:
    return make_user("courrier.compiegne@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])


@pytest.fixture
def other_clerk(territory, make_user) -> User:
    return make_user("courrier.venette@exemple.fr", roles=[(territory["venette"], "mail.clerk")])


@pytest.fixture
def reclamation(clerk, compiegne) -> MailType:
    return mail_type_create(actor=clerk, organisation=compiegne, name="Réclamation",
                            processing_days=30)


@pytest.fixture
def sender(clerk, compiegne) -> Contact:
    return contact_create(actor=clerk, organisation=compiegne, kind="person",
                          name="Jeanne Dupont", address="12 rue Solférino, 60200 Compiègne",
                          email="jeanne.dupont@exemple.fr")


@pytest.fixture
def register(clerk, compiegne, sender, reclamation) -> Callable[..., Mail]:
    def make(**values: Any) -> Mail:
        values.setdefault("actor", clerk)
        values.setdefault("organisation", compiegne)
        values.setdefault("direction", "in")
        values.setdefault("channel", "paper")
        values.setdefault("contact", sender)
        values.setdefault("subject", "Nuisances sonores rue de Paris")
        values.setdefault("mail_type", reclamation)
        values.setdefault("received_on", date(2026, 3, 2))
        return mail_register(**values)

    return make
