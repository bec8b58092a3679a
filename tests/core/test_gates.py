"""Gates (modules.Gate, core/gates.py): a page a signed-in person passes before any other,
asked once per session and stamp, never in the way of the API, static files, signing out
or the gate's own page."""

from __future__ import annotations

import pytest
from django.test import Client

from socle.core import gates
from socle.core.modules import Gate
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db

GATE_PAGE = "/compte/"


class FakeGate:
    """A gate whose answer and stamp the test sets, counting how often it is asked."""

    def __init__(self) -> None:
        self.stamp = "v1"
        self.open_to: set[int] = set()
        self.asked = 0

    def func(self, *, actor) -> str | None:
        self.asked += 1
        return None if actor.pk in self.open_to else GATE_PAGE

    def stamp_of(self) -> str:
        return self.stamp


@pytest.fixture
def fake(monkeypatch) -> FakeGate:
    gate = FakeGate()
    declared = Gate("example.charter", "unused:func", "unused:stamp", paths=(GATE_PAGE,))
    monkeypatch.setattr(gates, "_resolved", lambda: [(declared, gate.func, gate.stamp_of)])
    return gate


@pytest.fixture
def agent(territory, make_user):
    return make_user("agent@margny.exemple.fr",
                     roles=[(territory["margny-les-compiegne"], "helpdesk.requester")])


def test_a_signed_in_person_is_sent_to_the_gate_with_where_they_were_going(fake, agent):
    response = signed_in(agent).get("/agent/taches/?vue=1")
    assert response.status_code == 302
    assert response["Location"] == "/compte/?next=%2Fagent%2Ftaches%2F%3Fvue%3D1"


def test_a_form_sent_past_the_gate_is_refused_to_the_gate_without_next(fake, agent):
    response = signed_in(agent).post("/compte/coordonnees/", {"first_name": "X"})
    assert response.status_code == 302 and response["Location"] == GATE_PAGE


def test_the_gates_own_page_the_api_static_files_and_signing_out_are_let_through(fake, agent):
    client = signed_in(agent)
    assert client.get(GATE_PAGE).status_code == 200
    assert client.get("/api/v1/organisations").status_code == 200
    assert client.get("/static/does-not-exist.css").status_code == 404
    assert client.post("/deconnexion/").status_code == 302
    assert client.get("/deconnexion/").status_code == 405  # not sent to the gate


def test_visitors_are_never_gated(fake):
    assert Client().get("/agent/taches/").status_code == 302  # to sign in, not to the gate
    assert Client().get("/agent/taches/")["Location"].startswith("/connexion/")
    assert fake.asked == 0


def test_an_open_gate_is_asked_once_per_session_until_its_stamp_changes(fake, agent):
    fake.open_to.add(agent.pk)
    client = signed_in(agent)
    for _ in range(3):
        assert client.get("/agent/taches/").status_code == 200
    assert fake.asked == 1
    fake.stamp = "v2"  # a new version put in force
    fake.open_to.clear()
    response = client.get("/agent/taches/")
    assert response.status_code == 302 and response["Location"].startswith(GATE_PAGE)
    assert fake.asked == 2


def test_an_empty_stamp_means_nobody_is_held_and_nothing_is_asked(fake, agent):
    fake.stamp = ""
    assert signed_in(agent).get("/agent/taches/").status_code == 200
    assert fake.asked == 0


def test_a_pass_kept_for_one_person_does_not_serve_another_on_the_same_session(
        fake, agent, make_user, territory):
    fake.open_to.add(agent.pk)
    client = signed_in(agent)
    assert client.get("/agent/taches/").status_code == 200
    other = make_user("autre@venette.exemple.fr",
                      roles=[(territory["venette"], "helpdesk.requester")])
    session = client.session
    session["_auth_user_id"] = str(other.pk)  # the same session, now another person's
    session["_auth_user_hash"] = other.get_session_auth_hash()
    session.save()
    assert client.get("/agent/taches/")["Location"].startswith(GATE_PAGE)
