"""Tickets through their life: numbering per year, the priority matrix, statuses, tasks,
observers, solution and satisfaction, automatic closing, and a journal event per write."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_verify
from socle.core.models import AuditEvent
from socle.helpdesk.models import Followup, Status, Ticket
from socle.helpdesk.services import (
    PRIORITY_MATRIX,
    article_save,
    followup_add,
    observer_add,
    priority_of,
    task_add,
    ticket_answer_solution,
    ticket_assign,
    ticket_levels_set,
    ticket_open,
    ticket_pending,
    ticket_solve,
    ticket_start,
    tickets_close_solved,
)
from tests.helpdesk.conftest import paris, queued_emails

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.filter(action__startswith="helpdesk.").order_by("seq")
                .values_list("action", flat=True))


def test_numbers_run_per_year(open_ticket):
    first = open_ticket(at=paris(2026, 12, 30, 10))
    second = open_ticket(at=paris(2026, 12, 31, 10))
    third = open_ticket(at=paris(2027, 1, 4, 10))
    assert [first.number, second.number, third.number] == ["2026-00001", "2026-00002",
                                                           "2027-00001"]


def test_the_priority_matrix_rises_with_urgency_and_impact():
    assert priority_of(1, 1) == 1 and priority_of(3, 3) == 3 and priority_of(5, 5) == 6
    for urgency, row in PRIORITY_MATRIX.items():
        assert list(row) == sorted(row), urgency
        if urgency < 5:
            assert all(a <= b for a, b in zip(row, PRIORITY_MATRIX[urgency + 1], strict=True))


def test_a_major_ticket_has_no_sla_when_none_is_declared_for_its_priority(open_ticket, slas):
    ticket = open_ticket(urgency=5, impact=5)
    assert ticket.priority == 6 and ticket.sla is None and ticket.due_own_at is None


def test_the_urgent_sla_applies_to_priority_five(open_ticket, slas):
    ticket = open_ticket(urgency=5, impact=3)
    assert ticket.priority == 5 and ticket.sla == slas[5]


def test_a_whole_life_is_journaled(open_ticket, technician, agent, colleague,
                                   django_capture_on_commit_callbacks):
    ticket = open_ticket(observers=[colleague], at=paris(2026, 12, 7, 9))
    assert ticket.status == Status.NEW and ticket.requester == agent
    ticket = ticket_assign(actor=technician, ticket=ticket, assignee=technician,
                           at=paris(2026, 12, 7, 9, 15))
    assert ticket.status == Status.ASSIGNED and ticket.owned_at == paris(2026, 12, 7, 9, 15)
    ticket = ticket_start(actor=technician, ticket=ticket, at=paris(2026, 12, 7, 9, 20))
    assert ticket.status == Status.IN_PROGRESS
    task_add(actor=technician, ticket=ticket, text="Diagnostic à distance", minutes=25)
    followup_add(actor=technician, ticket=ticket, text="Le spouleur était bloqué.", internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_solve(actor=technician, ticket=ticket, solution="Spouleur relancé.",
                              at=paris(2026, 12, 7, 11))
    assert ticket.status == Status.SOLVED and ticket.resolve_met and ticket.own_met
    ticket = ticket_answer_solution(actor=agent, ticket=ticket, accept=True, satisfaction=5,
                                    comment="Merci !")
    assert ticket.status == Status.CLOSED and ticket.satisfaction == 5
    assert actions() == [
        "helpdesk.calendar_save", "helpdesk.sla_save", "helpdesk.sla_save",
        "helpdesk.ticket_open", "helpdesk.ticket_assign", "helpdesk.ticket_status",
        "helpdesk.task", "helpdesk.followup", "helpdesk.ticket_solve", "helpdesk.ticket_close",
        "helpdesk.satisfaction"]
    assert audit_verify().ok
    # The solution went to the requester and the observer, by email.
    [sent] = queued_emails()
    assert sent["to"] == ["agent@margny.exemple.fr", "collegue@margny.exemple.fr"]
    assert sent["subject"].startswith("[#2026-00001]")
    assert "Spouleur relancé." in sent["body"]
    assert "spouleur était bloqué" not in sent["body"]


def test_a_refused_solution_reopens_the_ticket(open_ticket, technician, agent):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    ticket_assign(actor=technician, ticket=ticket, assignee=technician)
    ticket = ticket_solve(actor=technician, ticket=ticket, solution="Redémarrez.")
    with pytest.raises(ServiceError):
        ticket_answer_solution(actor=agent, ticket=ticket, accept=False)
    ticket = ticket_answer_solution(actor=agent, ticket=ticket, accept=False,
                                    comment="Toujours en panne.")
    assert ticket.status == Status.IN_PROGRESS and ticket.resolve_met is None
    assert ticket.followups.last().text == "Toujours en panne."


def test_only_the_requester_judges_the_solution(open_ticket, technician, colleague):
    ticket = open_ticket()
    ticket = ticket_solve(actor=technician, ticket=ticket, solution="Fait.")
    with pytest.raises(Forbidden):
        ticket_answer_solution(actor=colleague, ticket=ticket, accept=True)
    with pytest.raises(Forbidden):
        ticket_answer_solution(actor=technician, ticket=ticket, accept=True)


def test_agents_cannot_act_as_technicians(open_ticket, agent, technician):
    ticket = open_ticket()
    for attempt in (
        lambda: ticket_assign(actor=agent, ticket=ticket, assignee=technician),
        lambda: ticket_start(actor=agent, ticket=ticket),
        lambda: ticket_pending(actor=agent, ticket=ticket, question="?"),
        lambda: task_add(actor=agent, ticket=ticket, text="x", minutes=5),
        lambda: ticket_solve(actor=agent, ticket=ticket, solution="x"),
        lambda: ticket_levels_set(actor=agent, ticket=ticket, urgency=5, impact=5),
        lambda: followup_add(actor=agent, ticket=ticket, text="x", internal=True),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert not Followup.objects.exists()


def test_a_ticket_is_assigned_only_to_a_technician(open_ticket, technician, colleague):
    ticket = open_ticket()
    with pytest.raises(ServiceError) as refused:
        ticket_assign(actor=technician, ticket=ticket, assignee=colleague)
    assert refused.value.code == "invalid_assignee"


def test_the_technician_given_a_ticket_is_told_and_finds_it_read_once_opened(
        open_ticket, technician, make_user, territory):
    from socle.core.models import AgentNotice
    from tests.support.clients import signed_in

    other = make_user("tech2@dcsi.exemple.fr", roles=[(territory["arc"], "helpdesk.technician")])
    ticket = ticket_assign(actor=technician, ticket=open_ticket(), assignee=other)
    [notice] = AgentNotice.objects.filter(kind="helpdesk.ticket_assigned")
    assert notice.recipient == other and notice.url == f"/assistance/tickets/{ticket.pk}/"
    assert signed_in(other).get(notice.url).status_code == 200
    notice.refresh_from_db()
    assert notice.read_at is not None
    # Taking a ticket oneself tells no one.
    ticket_assign(actor=technician, ticket=open_ticket(), assignee=technician)
    assert AgentNotice.objects.count() == 1


def test_a_dcsi_group_takes_a_ticket(open_ticket, technician, territory):
    ticket = ticket_assign(actor=technician, ticket=open_ticket(), group=territory["dcsi"])
    assert ticket.assigned_group == territory["dcsi"] and ticket.status == Status.ASSIGNED


def test_a_closed_ticket_takes_no_more_writing(open_ticket, technician, agent):
    ticket = open_ticket()
    ticket = ticket_solve(actor=technician, ticket=ticket, solution="Fait.")
    ticket_answer_solution(actor=agent, ticket=ticket, accept=True)
    with pytest.raises(Conflict):
        followup_add(actor=agent, ticket=ticket, text="Encore une chose")
    with pytest.raises(Conflict):
        ticket_assign(actor=technician, ticket=ticket, assignee=technician)


def test_an_observer_must_belong_to_the_tickets_commune(open_ticket, agent, outsider, colleague):
    ticket = open_ticket()
    with pytest.raises(ServiceError) as refused:
        observer_add(actor=agent, ticket=ticket, user=outsider)
    assert refused.value.code == "invalid_observer"
    observer_add(actor=agent, ticket=ticket, user=colleague)
    assert list(ticket.observer_rows.values_list("user__email", flat=True)) == [colleague.email]


def test_a_technician_opens_a_ticket_on_the_phone_for_an_agent(technician, agent, outsider,
                                                               margny, slas):
    ticket = ticket_open(actor=technician, organisation=margny, title="Écran noir",
                         description="Appel de l'accueil.", category="hardware",
                         requester=agent, channel="phone")
    assert ticket.requester == agent and ticket.created_by == technician
    with pytest.raises(ServiceError) as refused:
        ticket_open(actor=technician, organisation=margny, title="Écran noir",
                    description="Appel.", category="hardware", requester=outsider)
    assert refused.value.code == "invalid_requester"


def test_an_agent_cannot_open_on_someone_elses_behalf(agent, colleague, margny, slas):
    with pytest.raises(Forbidden):
        ticket_open(actor=agent, organisation=margny, title="x", description="y",
                    category="other", requester=colleague)


def test_hostile_values_are_refused_and_nothing_is_written(agent, margny, slas):
    for values, code in [
        ({"category": "spaceship"}, "invalid_category"),
        ({"urgency": 9}, "invalid_level"),
        ({"impact": True}, "invalid_level"),
        ({"title": "  "}, "invalid"),
        ({"title": "x" * 201}, "invalid"),
        ({"kind": "problem"}, "invalid_kind"),
    ]:
        base = {"title": "Titre", "description": "Texte", "category": "other"}
        with pytest.raises(ServiceError) as refused:
            ticket_open(actor=agent, organisation=margny, **{**base, **values})
        assert refused.value.code == code
    assert not Ticket.objects.exists()
    ticket = ticket_open(actor=agent, organisation=margny, title="Nul\x00 caractère",
                         description="<script>alert(1)</script>", category="other")
    assert ticket.title == "Nul caractère"


def test_an_agent_cannot_open_for_another_commune(agent, venette, slas):
    with pytest.raises(Forbidden):
        ticket_open(actor=agent, organisation=venette, title="x", description="y",
                    category="other")


def test_solved_tickets_close_themselves_after_a_week(open_ticket, technician):
    ticket = open_ticket(at=paris(2026, 12, 1, 9))
    ticket_solve(actor=technician, ticket=ticket, solution="Fait.", at=paris(2026, 12, 1, 10))
    assert tickets_close_solved(at=paris(2026, 12, 8, 9)) == []
    assert [t.pk for t in tickets_close_solved(at=paris(2026, 12, 8, 11))] == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_answering_with_an_internal_article_is_refused(open_ticket, technician, territory):
    internal = article_save(actor=technician, organisation=territory["arc"], title="Mots de "
                            "passe du serveur", body="Dans le coffre.", category="security",
                            visibility="internal")
    public = article_save(actor=technician, organisation=territory["arc"], title="Relancer "
                          "l'imprimante", body="Éteindre, attendre, rallumer.",
                          category="printing")
    ticket = open_ticket()
    with pytest.raises(ServiceError) as refused:
        ticket_solve(actor=technician, ticket=ticket, article=internal)
    assert refused.value.code == "internal_article"
    ticket = ticket_solve(actor=technician, ticket=ticket, article=public)
    assert ticket.solution_article == public and "Relancer l'imprimante" in ticket.solution


@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_get_distinct_numbers(agent, margny, slas):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the counter's lock is tested on PostgreSQL.")
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            ticket_open(actor=agent, organisation=margny, title="x", description="y",
                        category="other")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(Ticket.objects.values_list("seq", flat=True)) == list(range(1, 9))
