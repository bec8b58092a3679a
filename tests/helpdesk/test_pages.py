"""The pages, without JavaScript: an agent opens a ticket and follows it, a technician works
it from the queue and answers with an article, the agent accepts it; the SLA report, the
knowledge base, "Mes tâches" and the indicators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from socle.core.modules import module_get, resolve
from socle.helpdesk.models import Status, Ticket
from socle.helpdesk.services import article_save, ticket_assign, ticket_pending, ticket_solve
from socle.helpdesk.work import assigned_to_me, waiting_for_me
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db


def test_an_agent_opens_a_ticket_and_a_technician_solves_it_with_an_article(
        agent, colleague, technician, slas, territory):
    article = article_save(actor=technician, organisation=territory["arc"],
                           title="Débloquer une imprimante", body="Éteindre, attendre, rallumer.",
                           category="printing")
    client = signed_in(agent)
    form = client.get(reverse("helpdesk:create"))
    assert form.status_code == 200 and "Collègues à tenir informés" in form.content.decode()
    response = client.post(reverse("helpdesk:create"), {
        "organisation": "margny-les-compiegne", "kind": "incident", "category": "printing",
        "title": "Imprimante bloquée", "description": "Voyant orange.", "urgency": "4",
        "impact": "2", "observers": [str(colleague.pk)]})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assistance/tickets/{ticket.pk}/"
    assert ticket.priority == 3 and ticket.observer_rows.get().user == colleague
    assert ticket.number in client.get(reverse("helpdesk:mine")).content.decode()

    tech = signed_in(technician)
    queue = tech.get(reverse("helpdesk:queue"), {"organisation": "margny-les-compiegne",
                                                 "category": "printing", "assigned": "none"})
    assert [t.pk for t in queue.context["tickets"]] == [ticket.pk]
    assert tech.get(reverse("helpdesk:queue"), {"category": "network"}).context["tickets"] == []
    assert tech.post(reverse("helpdesk:assign", args=[ticket.pk]),
                     {"assignee": str(technician.pk)}).status_code == 302
    assert tech.post(reverse("helpdesk:task", args=[ticket.pk]),
                     {"text": "Diagnostic", "minutes": "15"}).status_code == 302
    assert tech.post(reverse("helpdesk:comment", args=[ticket.pk]),
                     {"text": "Note interne : spouleur", "internal": "on"}).status_code == 302
    assert tech.post(reverse("helpdesk:solve", args=[ticket.pk]),
                     {"solution": "", "article": str(article.pk)}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solution_article == article

    page = client.get(reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    assert "Débloquer une imprimante" in page and "spouleur" not in page
    assert "Votre avis sur la solution" in page
    assert client.post(reverse("helpdesk:answer", args=[ticket.pk]), {
        "decision": "accept", "satisfaction": "4", "comment": ""}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.satisfaction == 4

    report = tech.get(reverse("helpdesk:sla_report"))
    assert report.status_code == 200
    assert report.context["total"].resolve_met == 1 and report.context["missed"] == []


def test_a_form_with_errors_answers_400_with_a_summary(agent, slas):
    response = signed_in(agent).post(reverse("helpdesk:create"), {
        "organisation": "margny-les-compiegne", "kind": "incident", "category": "licorne",
        "title": "", "description": "x", "urgency": "3", "impact": "3"})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_refused_action_answers_400_and_changes_nothing(open_ticket, technician):
    ticket = open_ticket()
    response = signed_in(technician).post(reverse("helpdesk:solve", args=[ticket.pk]),
                                          {"solution": "", "article": ""})
    assert response.status_code == 400
    assert "Décrivez la solution" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_technician_opens_a_ticket_for_a_caller(technician, agent, slas):
    response = signed_in(technician).post(reverse("helpdesk:create"), {
        "organisation": "margny-les-compiegne", "kind": "request", "category": "account",
        "title": "Nouveau compte", "description": "Arrivée lundi.", "urgency": "3",
        "impact": "3", "requester": str(agent.pk)})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.requester == agent and ticket.channel == "phone"


def test_the_requester_answers_a_question_from_the_page(open_ticket, technician, agent):
    ticket = open_ticket()
    ticket_pending(actor=technician, ticket=ticket, question="Quel poste ?")
    client = signed_in(agent)
    assert "attend votre réponse" in client.get(
        reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    client.post(reverse("helpdesk:comment", args=[ticket.pk]), {"text": "Le poste 4."})
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.pending_since is None


def test_the_late_filter_of_the_queue(open_ticket, technician):
    now = timezone.now()
    late = open_ticket(at=now - timedelta(days=30))
    fresh = open_ticket()
    rows = signed_in(technician).get(reverse("helpdesk:queue"), {"late": "1"}).context["tickets"]
    assert late in rows and fresh not in rows


def test_my_tasks_sources(open_ticket, technician, agent):
    mine = open_ticket(title="Pour le technicien")
    ticket_assign(actor=technician, ticket=mine, assignee=technician)
    asked = open_ticket(title="Question posée")
    ticket_pending(actor=technician, ticket=asked, question="?")
    solved = open_ticket(title="Résolu")
    ticket_solve(actor=technician, ticket=solved, solution="Fait.")
    titles = [i.title for i in assigned_to_me(actor=technician, limit=10)]
    assert titles == [f"{mine.number} — Pour le technicien"]
    waiting = waiting_for_me(actor=agent, limit=10)
    assert {i.url for i in waiting} == {f"/assistance/tickets/{asked.pk}/",
                                        f"/assistance/tickets/{solved.pk}/"}
    assert waiting_for_me(actor=technician, limit=10) == []
    assert assigned_to_me(actor=agent, limit=10) == []


def test_indicators_count_what_the_viewer_may_see(open_ticket, technician, agent, outsider,
                                                  venette, margny):
    from socle.helpdesk.services import ticket_open

    open_ticket(category="printing")
    ticket_open(actor=outsider, organisation=venette, title="x", description="y",
                category="network")
    today = timezone.localdate()
    span = {"start": today - timedelta(days=1), "end": today + timedelta(days=1)}
    declared = {i.name: resolve(i.func) for i in module_get("helpdesk").indicators}
    assert declared["helpdesk.tickets_opened"](actor=technician, **span) == 2
    assert declared["helpdesk.tickets_opened"](actor=agent, **span) == 1
    assert declared["helpdesk.tickets_opened"](actor=technician, organisation=venette, **span) == 1
    assert declared["helpdesk.tickets_network"](actor=agent, **span) == 0
    assert declared["helpdesk.tickets_network"](actor=technician, **span) == 1
    assert declared["helpdesk.tickets_printing"](actor=agent, **span) == 1
    assert declared["helpdesk.sla_compliance"](actor=agent, **span) == 0.0


def test_sla_compliance_is_the_share_solved_in_time(open_ticket, technician):
    from tests.helpdesk.conftest import paris

    on_time = open_ticket(at=paris(2026, 12, 7, 9))
    ticket_solve(actor=technician, ticket=on_time, solution="ok", at=paris(2026, 12, 7, 10))
    late = open_ticket(at=paris(2026, 12, 7, 9))
    ticket_solve(actor=technician, ticket=late, solution="ok", at=paris(2026, 12, 10, 10))
    func = resolve(next(i.func for i in module_get("helpdesk").indicators
                        if i.name == "helpdesk.sla_compliance"))
    assert func(actor=technician, start=date(2026, 12, 1), end=date(2027, 1, 1)) == 50.0


def test_the_knowledge_base_pages(technician, agent):
    tech = signed_in(technician)
    assert tech.get(reverse("helpdesk:article_new")).status_code == 200
    response = tech.post(reverse("helpdesk:article_new"), {
        "title": "Configurer le VPN", "category": "network", "visibility": "public",
        "body": "Installer le client.", "training_need": "on"})
    assert response.status_code == 302
    listing = signed_in(agent).get(reverse("helpdesk:articles"), {"q": "VPN"}).content.decode()
    assert "Configurer le VPN" in listing and "besoin de formation" in listing


def test_the_queue_and_the_list_cost_the_same_queries_for_3_or_30_tickets(
        open_ticket, technician, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tech, requester = signed_in(technician), signed_in(agent)

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queue:
            assert tech.get(reverse("helpdesk:queue")).status_code == 200
        with CaptureQueriesContext(connection) as mine:
            assert requester.get(reverse("helpdesk:mine")).status_code == 200
        return len(queue), len(mine)

    for _ in range(3):
        open_ticket()
    cost()  # the first request of a session also fills the caches of the modules switched off
    few = cost()
    for _ in range(27):
        ticket_assign(actor=technician, ticket=open_ticket(), assignee=technician)
    assert cost() == few


def test_recurring_questions_are_offered_as_training_needs(technician, agent, territory):
    from socle.helpdesk.selectors import training_needs

    article_save(actor=technician, organisation=territory["arc"], title="Fusionner un PDF",
                 body="Avec l'outil de la DCSI.", category="software", training_need=True)
    article_save(actor=technician, organisation=territory["arc"], title="Pare-feu",
                 body="Interne.", category="network", visibility="internal",
                 training_need=True)
    assert [a.title for a in training_needs(actor=agent)] == ["Fusionner un PDF"]
    assert len(training_needs(actor=technician)) == 2


def test_hostile_query_strings_are_ignored(open_ticket, technician, agent):
    open_ticket()
    tech = signed_in(technician)
    for params in ({"priority": "abc"}, {"priority": "9"}, {"before": "-1"},
                   {"before": "99999999999999999999999"}, {"status": "<script>"},
                   {"category": "\x00"}, {"assigned": "everyone"}, {"q": "x" * 5000}):
        assert tech.get(reverse("helpdesk:queue"), params).status_code == 200, params
        assert signed_in(agent).get(reverse("helpdesk:mine"), params).status_code == 200
    assert tech.get(reverse("helpdesk:sla_report"), {"month": "2026-13"}).status_code == 200
    assert tech.get(reverse("helpdesk:sla_report"), {"month": "x-y"}).status_code == 200


def test_a_technician_corrects_urgency_and_impact_from_the_page(open_ticket, technician, agent):
    ticket = open_ticket()
    url = reverse("helpdesk:levels", args=[ticket.pk])
    assert signed_in(agent).post(url, {"urgency": "5", "impact": "5"}).status_code == 403
    assert signed_in(technician).post(url, {"urgency": "9", "impact": "5"}).status_code == 400
    assert signed_in(technician).post(url, {"urgency": "5", "impact": "5"}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.urgency, ticket.impact, ticket.priority) == (5, 5, 6)
