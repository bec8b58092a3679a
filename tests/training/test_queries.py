"""The lists cost the same number of queries whatever their length (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from socle.training import services
from tests.support.clients import signed_in

from .conftest import passed

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_do_not_query_per_row(make_user, margny, manager, trainer, make_session,
                                    api_client):
    sessions = [make_session(days=10 + n) for n in range(6)]
    people = [make_user(roles=[(margny, "helpdesk.requester")]) for _ in range(6)]

    def register(n: int) -> None:
        for person in people[:n]:
            services.registration_create(actor=person, session=sessions[n - 1])
        services.need_declare(actor=people[0], organisation=margny, title=f"Besoin {n}")

    register(1)
    urls = [reverse("training:approvals"), reverse("training:catalogue"),
            reverse("training:needs"), reverse("training:plan")]
    client = signed_in(manager)
    for url in urls:  # the first request of a session reads what later ones find cached
        client.get(url)
    before = [_queries(client, url) for url in urls]
    api = api_client(manager)
    api.get("/api/v1/training/registrations")
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/training/registrations")
    register(6)
    assert [_queries(client, url) for url in urls] == before
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/training/registrations")
    assert len(many) == len(one)
    history = signed_in(people[0])
    history.get(reverse("training:history"))
    first = _queries(history, reverse("training:history"))
    for session in sessions[1:3]:
        services.registration_create(actor=people[0], session=session)
    passed(sessions[5])
    assert _queries(history, reverse("training:history")) == first
