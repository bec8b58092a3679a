"""Security fixtures: the DCSI's officer (RSSI), security leads of Margny and Venette, agents
of both communes, and a charter in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from socle.core.models import Organisation, User
from socle.security.models import AwarenessModule, CharterVersion
from socle.security.services import charter_publish, module_save

QUIZ = [{"question": "Un courriel vous demande votre mot de passe : que faites-vous ?",
         "choices": ["Je le donne", "Je le signale à la DCSI"], "answer": 1},
        {"question": "Un lien douteux : que faites-vous ?",
         "choices": ["Je clique", "Je ne clique pas"], "answer": 1}]


@pytest.fixture
def margny(territory) -> Organisation:
    return territory["margny-les-compiegne"]


@pytest.fixture
def venette(territory) -> Organisation:
    return territory["venette"]


@pytest.fixture
def officer(territory, make_user) -> User:
    return make_user("rssi@dcsi.exemple.fr", roles=[(territory["arc"], "security.officer")])


@pytest.fixture
def lead(margny, make_user) -> User:
    return make_user("securite@margny.exemple.fr", roles=[(margny, "security.viewer")])


@pytest.fixture
def other_lead(venette, make_user) -> User:
    return make_user("securite@venette.exemple.fr", roles=[(venette, "security.viewer")])


@pytest.fixture
def agent(margny, make_user) -> User:
    return make_user("agent@margny.exemple.fr", roles=[(margny, "helpdesk.requester")])


@pytest.fixture
def outsider(venette, make_user) -> User:
    return make_user("agent@venette.exemple.fr", roles=[(venette, "helpdesk.requester")])


@pytest.fixture
def charter(territory) -> CharterVersion:
    return charter_publish(actor=None, organisation=territory["arc"], number="2026.1",
                           title="Charte d'usage", text_body="Article 1. Soyez prudents.",
                           in_force_from=timezone.now() - timedelta(days=1))


@pytest.fixture
def awareness(territory) -> AwarenessModule:
    return module_save(actor=None, organisation=territory["arc"], title="Hameçonnage",
                       body="Méfiez-vous des liens.", questions=QUIZ, pass_mark=100)
