"""Awareness modules: assigned to groups (an organisation and below, or one role there),
listed on each agent's page, passed by a quiz with a pass mark, reported per commune."""

from __future__ import annotations

import pytest

from socle.core.errors import Forbidden, ServiceError
from socle.security import selectors
from socle.security.services import assignment_add, charter_accept, module_save, quiz_submit
from tests.support.clients import signed_in

from .conftest import QUIZ

pytestmark = pytest.mark.django_db


def test_a_module_assigned_to_a_commune_reaches_its_agents_only(awareness, agent, outsider,
                                                                margny):
    assignment_add(actor=None, module=awareness, organisation=margny)
    assert [m.module for m in selectors.modules_of_agent(actor=agent)] == [awareness]
    assert selectors.modules_of_agent(actor=outsider) == []


def test_a_module_assigned_to_a_role_reaches_only_that_roles_holders(awareness, agent, lead,
                                                                     territory):
    assignment_add(actor=None, module=awareness, organisation=territory["arc"],
                   role="security.viewer")
    assert selectors.modules_of_agent(actor=agent) == []
    assert [m.module for m in selectors.modules_of_agent(actor=lead)] == [awareness]
    with pytest.raises(ServiceError):
        assignment_add(actor=None, module=awareness, organisation=territory["arc"],
                       role="nobody.such_role")


def test_the_quiz_is_scored_against_the_pass_mark_and_the_best_result_kept(awareness, agent):
    first = quiz_submit(actor=agent, module=awareness, answers=[1, 0])
    assert (first.score, first.passed) == (50, False)
    second = quiz_submit(actor=agent, module=awareness, answers=[1, 1])
    assert (second.score, second.passed, second.attempts) == (100, True, 2)
    third = quiz_submit(actor=agent, module=awareness, answers=[0, 0])
    assert (third.score, third.passed, third.attempts) == (100, True, 3)
    with pytest.raises(ServiceError):
        quiz_submit(actor=agent, module=awareness, answers=[1])


def test_a_malformed_quiz_is_refused(territory):
    for questions in ([], [{"question": "Q", "choices": ["seule"], "answer": 0}],
                      [{"question": "Q", "choices": ["a", "b"], "answer": 5}],
                      [{"question": "Q", "choices": ["a", "b"], "answer": None}]):
        with pytest.raises(ServiceError):
            module_save(actor=None, organisation=territory["arc"], title="T", body="B",
                        questions=questions)


def test_only_the_officer_writes_modules(lead, territory):
    with pytest.raises(Forbidden):
        module_save(actor=lead, organisation=territory["margny-les-compiegne"], title="T",
                    body="B", questions=QUIZ)


def test_an_agent_takes_their_module_in_the_pages(awareness, agent, margny, charter):
    assignment_add(actor=None, module=awareness, organisation=margny)
    charter_accept(actor=agent, version=charter)
    client = signed_in(agent)
    page = client.get("/agent/securite/")
    assert page.status_code == 200 and "Hameçonnage" in page.content.decode()
    incomplete = client.post(f"/agent/securite/modules/{awareness.pk}/", {"q0": "1"})
    assert incomplete.status_code == 400
    assert "Question 2 : choisissez une réponse" in incomplete.content.decode()
    done = client.post(f"/agent/securite/modules/{awareness.pk}/", {"q0": "1", "q1": "1"})
    assert done.status_code == 200 and "100 %" in done.content.decode()
    tasks = client.get("/agent/taches/").content.decode()
    assert "Hameçonnage" not in tasks  # passed: no longer waiting


def test_a_module_not_assigned_to_the_agent_is_a_404(awareness, outsider, margny, charter):
    assignment_add(actor=None, module=awareness, organisation=margny)
    charter_accept(actor=outsider, version=charter)
    client = signed_in(outsider)
    assert client.get(f"/agent/securite/modules/{awareness.pk}/").status_code == 404
    assert client.post(f"/agent/securite/modules/{awareness.pk}/",
                       {"q0": "1", "q1": "1"}).status_code == 404


def test_the_modules_to_do_wait_on_the_agents_tasks(awareness, agent, margny, charter):
    assignment_add(actor=None, module=awareness, organisation=margny)
    charter_accept(actor=agent, version=charter)
    assert "Hameçonnage" in signed_in(agent).get("/agent/taches/").content.decode()


def test_progress_per_commune_keeps_to_the_leads_commune(awareness, agent, outsider, lead,
                                                         officer, territory):
    assignment_add(actor=None, module=awareness, organisation=territory["arc"])
    quiz_submit(actor=agent, module=awareness, answers=[1, 1])
    mine = selectors.progress_by_commune(actor=lead)
    assert [(r.organisation.slug, r.expected, r.passed) for r in mine] == [
        ("margny-les-compiegne", 2, 1)]
    everyone = {r.organisation.slug: r for r in selectors.progress_by_commune(actor=officer)}
    assert everyone["venette"].expected == 1 and everyone["venette"].passed == 0
    assert selectors.progress_by_commune(actor=agent) == []


def test_the_progress_page_and_the_catalogue_are_refused_without_the_role(agent, lead, charter,
                                                                          awareness):
    charter_accept(actor=agent, version=charter)
    charter_accept(actor=lead, version=charter)
    assert signed_in(agent).get("/agent/securite/avancement/").status_code == 403
    assert signed_in(lead).get("/agent/securite/avancement/").status_code == 200
    assert signed_in(lead).get("/agent/securite/catalogue/").status_code == 403
    assert signed_in(lead).get(f"/agent/securite/catalogue/{awareness.pk}/").status_code == 403


def test_the_officer_writes_a_module_and_assigns_it_from_the_pages(officer, charter, margny):
    charter_accept(actor=officer, version=charter)
    client = signed_in(officer)
    bad = client.post("/agent/securite/catalogue/", {
        "title": "Mots de passe", "body": "Longs.", "questions": "Question ?\nsans marque",
        "pass_mark": "80"})
    assert bad.status_code == 400 and "commence par * ou -" in bad.content.decode()
    response = client.post("/agent/securite/catalogue/", {
        "title": "Mots de passe", "body": "Longs et uniques.", "pass_mark": "80",
        "questions": "Combien de caractères ?\n- Six\n* Douze\n\nLe même partout ?\n- Oui\n* Non"})
    assert response.status_code == 302
    module = selectors.modules_managed(actor=officer).get(title="Mots de passe")
    assert module.questions[0] == {"question": "Combien de caractères ?",
                                   "choices": ["Six", "Douze"], "answer": 1}
    assigned = client.post(f"/agent/securite/catalogue/{module.pk}/", {
        "organisation": margny.slug, "role": "", "due_on": "31/01/2027"})
    assert assigned.status_code == 302
    assert module.assignments.get().due_on.isoformat() == "2027-01-31"
