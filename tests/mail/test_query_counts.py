"""The register's lists cost the same number of queries for 3 letters as for 30 (decision 0013)."""

from __future__ import annotations

from itertools import count as _count

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from socle.mail.services import contact_create, mail_assign, mail_type_create
from tests.support.clients import signed_in

_SERIAL = _count()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _letters(count, *, clerk, compiegne, register, make_user, territory) -> None:
    # Each letter its own sender, type and agent, so that a lookup per row would show.
    for _ in range(count):
        n = next(_SERIAL)
        sender = contact_create(actor=clerk, organisation=compiegne, kind="person",
                                name=f"Correspondant {n}", address="1 place de l'Hôtel de ville")
        kind = mail_type_create(actor=clerk, organisation=compiegne, name=f"Type {n}",
                                processing_days=30)
        mail = register(contact=sender, mail_type=kind)
        agent = make_user(roles=[(territory["compiegne"], "mail.clerk")])
        mail_assign(actor=clerk, mail=mail, service=None, assignee=agent, copies=[clerk])


def test_the_register_page_does_not_query_per_letter(clerk, compiegne, register, make_user,
                                                     territory):
    client = signed_in(clerk)
    url = reverse("mail:register")
    make = {"clerk": clerk, "compiegne": compiegne, "register": register, "make_user": make_user,
            "territory": territory}
    _letters(3, **make)
    client.get(url)  # the session and the actor's roles, read once
    few = _queries(client, url)
    _letters(27, **make)
    many = _queries(client, url)
    assert len(client.get(url).context["rows"]) == 30
    assert many == few


def test_the_register_api_does_not_query_per_letter(api_client, clerk, compiegne, register,
                                                    make_user, territory):
    client = api_client(clerk)
    make = {"clerk": clerk, "compiegne": compiegne, "register": register, "make_user": make_user,
            "territory": territory}
    _letters(3, **make)
    client.get("/api/v1/mail")
    few = _queries(client, "/api/v1/mail?limit=100")
    _letters(27, **make)
    many = _queries(client, "/api/v1/mail?limit=100")
    assert len(client.get("/api/v1/mail?limit=100").json()["items"]) == 30
    assert many == few
