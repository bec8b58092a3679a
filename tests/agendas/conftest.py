"""Agendas fixtures: a commune counter with opening hours, a workshop agenda, people with roles."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from socle.agendas import services
from socle.agendas.selectors import zone
from socle.agendas.slots import french_holidays

HOURS = [(d, time(9), time(12)) for d in range(5)] + [(d, time(14), time(17)) for d in range(5)]


def open_monday(weeks_ahead: int = 1) -> date:
    """A Monday at least a week ahead with no public holiday that week."""
    day = date.today() + timedelta(days=7 * weeks_ahead)
    day += timedelta(days=(7 - day.weekday()) % 7)
    while any(day + timedelta(days=n) in french_holidays([day.year, day.year + 1]) for n in range(7)):
        day += timedelta(days=7)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), zone())


@pytest.fixture
def monday() -> date:
    return open_monday()


@pytest.fixture
def compiegne(territory):
    return territory["compiegne"]


@pytest.fixture
def manager(make_user, compiegne):
    return make_user("accueil@compiegne.fr", roles=[(compiegne, "agendas.manager")])


@pytest.fixture
def counter(compiegne):
    """Compiègne's counter: two desks, Monday to Friday 9-12 and 14-17, passports of 30 minutes."""
    desks = [
        services.resource_create(actor=None, organisation=compiegne, name=f"Guichet {n}", kind="counter")
        for n in (1, 2)
    ]
    agenda = services.agenda_create(
        actor=None,
        organisation=compiegne,
        title="Titres d'identité",
        kind="meetings",
        resources=desks,
        max_advance_days=120,
    )
    services.opening_hours_set(actor=None, agenda=agenda, hours=HOURS)
    services.meeting_type_create(
        actor=None, agenda=agenda, slug="passeport", name="Passeport", duration_minutes=30
    )
    return agenda


@pytest.fixture
def passport(counter):
    return counter.meeting_types.get(slug="passeport")


@pytest.fixture
def citizen(make_user, compiegne):
    return make_user("camille@exemple.fr", commune=compiegne)


@pytest.fixture
def workshops(territory):
    """The ARC's roving Cyber-base, with a room lent by Venette."""
    arc, venette = territory["arc"], territory["venette"]
    room = services.resource_create(
        actor=None, organisation=venette, name="Salle polyvalente", seats=12, lent_to=[arc]
    )
    return services.agenda_create(
        actor=None, organisation=arc, title="Cyber-base itinérante", kind="events", resources=[room]
    )


@pytest.fixture
def workshop(workshops, territory, monday):
    room = workshops.resources.get()
    return services.event_create(
        actor=None,
        agenda=workshops,
        title="Premiers pas sur une tablette",
        start=at(monday, 14),
        end=at(monday, 16),
        capacity=2,
        waiting_list=2,
        resource=room,
        host=territory["venette"],
        theme="prendre_en_main_du_materiel",
        level="beginner",
    )


@pytest.fixture
def mediator(make_user, territory):
    return make_user("mediateur@agglo.fr", roles=[(territory["arc"], "agendas.mediator")])
