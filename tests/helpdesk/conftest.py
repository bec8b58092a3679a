"""Helpdesk fixtures: a DCSI technician, agents of Margny and Venette, a business calendar
(Monday to Friday, 9:00-12:00 and 14:00-18:00, French public holidays off) and SLAs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from socle.core.models import Organisation, User
from socle.helpdesk.models import BusinessCalendar, Sla, Ticket
from socle.helpdesk.services import calendar_save, sla_save, ticket_open

PARIS = ZoneInfo("Europe/Paris")
HOURS = {str(day): [["09:00", "12:00"], ["14:00", "18:00"]] for day in range(5)}


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def margny(territory) -> Organisation:
    return territory["margny-les-compiegne"]


@pytest.fixture
def venette(territory) -> Organisation:
    return territory["venette"]


@pytest.fixture
def technician(territory, make_user) -> User:
    user = make_user("tech@dcsi.exemple.fr", roles=[(territory["arc"], "helpdesk.technician")])
    user.first_name, user.last_name = "Karim", "Benali"
    user.save()
    return user


@pytest.fixture
def agent(margny, make_user) -> User:
    return make_user("agent@margny.exemple.fr", roles=[(margny, "helpdesk.requester")])


@pytest.fixture
def colleague(margny, make_user) -> User:
    return make_user("collegue@margny.exemple.fr", roles=[(margny, "helpdesk.requester")])


@pytest.fixture
def outsider(venette, make_user) -> User:
    return make_user("agent@venette.exemple.fr", roles=[(venette, "helpdesk.requester")])


@pytest.fixture
def calendar(territory) -> BusinessCalendar:
    return calendar_save(actor=None, organisation=territory["arc"], name="DCSI", hours=HOURS)


@pytest.fixture
def slas(territory, calendar) -> dict[int, Sla]:
    """Priority 3: own in 1 hour, resolve in 10 business hours; priority 5: 30 min, 4 hours."""
    arc = territory["arc"]
    return {
        3: sla_save(actor=None, organisation=arc, name="Standard", calendar=calendar,
                    own_minutes=60, resolve_minutes=600, priority=3),
        5: sla_save(actor=None, organisation=arc, name="Urgent", calendar=calendar,
                    own_minutes=30, resolve_minutes=240, priority=5),
    }


@pytest.fixture
def open_ticket(agent, margny, slas) -> Callable[..., Ticket]:
    def make(**values: Any) -> Ticket:
        values.setdefault("actor", agent)
        values.setdefault("organisation", margny)
        values.setdefault("title", "L'imprimante de l'accueil ne répond plus")
        values.setdefault("description", "Plus rien ne sort depuis ce matin.")
        values.setdefault("category", "printing")
        return ticket_open(**values)

    return make


def queued_emails() -> list[dict[str, Any]]:
    """Return the emails queued for sending (the keyword arguments of each email task)."""
    from django_tasks_db.models import DBTaskResult

    return [row.args_kwargs["kwargs"] for row in DBTaskResult.objects.filter(
        task_path__endswith="email_send_task").order_by("enqueued_at")]
