"""The session's capacity holds under parallel approvals, and an agent asking twice at once
gets one registration (PostgreSQL, where the row locks are real)."""

from __future__ import annotations

import pytest
from django.db import connection

from socle.core.errors import Conflict
from socle.training import services
from socle.training.models import Registration
from tests.support.concurrency import run_concurrently

WRITERS = 6


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with SOCLE_DATABASE_URL")


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_exceed_capacity_on_postgresql(make_session, make_user, margny,
                                                                manager):
    _postgresql_only()
    session = make_session(capacity=2)
    people = [make_user(roles=[(margny, "helpdesk.requester")]) for _ in range(WRITERS)]
    asked = [services.registration_create(actor=p, session=session) for p in people]

    def writer(n: int) -> None:
        services.registration_decide(actor=manager, registration=asked[n], approve=True)

    assert run_concurrently(WRITERS, writer) == []
    statuses = sorted(Registration.objects.filter(session=session)
                      .values_list("status", flat=True))
    assert statuses == ["confirmed"] * 2 + ["waiting"] * (WRITERS - 2)


@pytest.mark.django_db(transaction=True)
def test_an_agent_asking_twice_at_once_gets_one_registration_on_postgresql(session, agent):
    _postgresql_only()
    refused: list[str] = []

    def writer(n: int) -> None:
        try:
            services.registration_create(actor=agent, session=session)
        except Conflict as exc:
            refused.append(exc.code)

    assert run_concurrently(4, writer) == []
    assert Registration.objects.filter(session=session).count() == 1
    assert refused == ["already_registered"] * 3
