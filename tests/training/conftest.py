"""Training fixtures: the DCSI's training admin and a trainer (roles on the ARC), managers
and agents of Margny and Compiègne, a catalogue of two courses and sessions to come."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from socle.core.models import Organisation, User
from socle.training.models import Course, Session
from socle.training.services import course_save, session_create


def named(user: User, first: str, last: str) -> User:
    user.first_name, user.last_name = first, last
    user.save()
    return user


@pytest.fixture
def arc(territory) -> Organisation:
    return territory["arc"]


@pytest.fixture
def margny(territory) -> Organisation:
    return territory["margny-les-compiegne"]


@pytest.fixture
def compiegne(territory) -> Organisation:
    return territory["compiegne"]


@pytest.fixture
def admin(arc, make_user) -> User:
    return named(make_user("formation@arc.exemple.fr", roles=[(arc, "training.admin")]),
                 "Élise", "Marchand")


@pytest.fixture
def trainer(arc, make_user) -> User:
    return named(make_user("formateur@arc.exemple.fr", roles=[(arc, "training.trainer")]),
                 "Paul", "Girard")


@pytest.fixture
def manager(margny, make_user) -> User:
    return named(make_user("responsable@margny.exemple.fr",
                           roles=[(margny, "training.manager")]), "Anne", "Roussel")


@pytest.fixture
def compiegne_manager(compiegne, make_user) -> User:
    return named(make_user("responsable@compiegne.exemple.fr",
                           roles=[(compiegne, "training.manager")]), "Marc", "Dubois")


@pytest.fixture
def agent(margny, make_user) -> User:
    # Any agent's role makes an agent: here the helpdesk's, held by every commune's agents.
    return named(make_user("agent@margny.exemple.fr", roles=[(margny, "helpdesk.requester")]),
                 "Hugo", "Petit")


@pytest.fixture
def colleague(margny, make_user) -> User:
    return named(make_user("collegue@margny.exemple.fr",
                           roles=[(margny, "helpdesk.requester")]), "Léa", "Martin")


@pytest.fixture
def compiegne_agent(compiegne, make_user) -> User:
    return named(make_user("agent@compiegne.exemple.fr",
                           roles=[(compiegne, "helpdesk.requester")]), "Nadia", "Lefèvre")


@pytest.fixture
def course(arc) -> Course:
    return course_save(actor=None, organisation=arc, code="BUR-01", title="Tableur au quotidien",
                       kind="workshop", duration_hours="3.5",
                       objectives="Construire un tableau de suivi.")


@pytest.fixture
def awareness_course(arc) -> Course:
    return course_save(actor=None, organisation=arc, code="CYB-01",
                       title="Sensibilisation à la cybersécurité", kind="workshop",
                       duration_hours=2, objectives="Reconnaître l'hameçonnage.", awareness=True)


@pytest.fixture
def make_session(course, trainer) -> Callable[..., Session]:
    def make(days: float = 10, capacity: int = 10, **values) -> Session:
        start = timezone.now().replace(microsecond=0) + timedelta(days=days)
        values.setdefault("course", course)
        values.setdefault("trainer", trainer)
        values.setdefault("place", "Salle informatique de l'ARC")
        return session_create(actor=None, start=start, end=start + timedelta(hours=3),
                              capacity=capacity, **values)

    return make


@pytest.fixture
def session(make_session) -> Session:
    return make_session()


def passed(session: Session, days: int = 1) -> Session:
    """The day of the session comes and goes: move it into the past."""
    start: datetime = timezone.now().replace(microsecond=0) - timedelta(days=days)
    Session.objects.filter(pk=session.pk).update(start=start, end=start + timedelta(hours=3))
    session.refresh_from_db()
    return session
