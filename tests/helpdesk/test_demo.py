"""The demo: a month of tickets across communes, SLAs met and missed, loaded once."""

from __future__ import annotations

import pytest

from socle.core.management.commands.demo import demo_load as core_demo_load
from socle.helpdesk.demo import demo_load
from socle.helpdesk.models import Article, Status, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_month_of_tickets_met_and_missed_and_loads_once():
    core_demo_load()
    [summary] = demo_load()
    tickets = Ticket.objects.all()
    assert tickets.count() >= 60
    assert tickets.values("organisation").distinct().count() >= 5
    assert tickets.filter(resolve_met=True).exists() and tickets.filter(resolve_met=False).exists()
    assert tickets.filter(own_met=False).exists()
    assert tickets.filter(status=Status.CLOSED, satisfaction__isnull=False).exists()
    assert tickets.filter(status__in=[Status.IN_PROGRESS, Status.PENDING, Status.NEW,
                                      Status.ASSIGNED]).exists()
    spread = tickets.order_by("opened_at")
    assert (spread.last().opened_at - spread.first().opened_at).days >= 25
    assert Article.objects.filter(visibility="internal").exists()
    assert "hors délai" in summary
    count = tickets.count()
    assert demo_load() == ["Assistance informatique : déjà présente."]
    assert Ticket.objects.count() == count
