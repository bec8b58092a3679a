"""Agents are told when work reaches them: notices, emails (at once or a daily digest), "Mes tâches"."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from socle.core.errors import ServiceError
from socle.core.models import AgentNotice, NoticeDelivery
from socle.core.notices import digests_send, notice_send, preference_set, unread_count
from socle.portal import selectors
from socle.portal.services import case_assign, case_message, case_submit
from tests.support.clients import signed_in
from tests.support.smtp_server import smtp_server  # noqa: F401

GOOD = {"nom": "Martin", "motif": "perte"}


@pytest.fixture
def procedure(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")


def file_case(procedure, citizen, territory):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data=GOOD)


def deliver() -> None:
    call_command("worker", batch=True)


worker_test = pytest.mark.django_db(transaction=True)


@worker_test
def test_a_new_case_reaches_its_communes_caseworker_by_notice_and_email_and_no_one_else(
        smtp_server, territory, procedure, citizen, caseworker, other_caseworker):  # noqa: F811
    case = file_case(procedure, citizen, territory)
    [notice] = AgentNotice.objects.filter(kind="portal.case_new")
    assert notice.recipient == caseworker and notice.read_at is None
    assert notice.url == f"/agent/dossiers/{case.number}/"
    assert not AgentNotice.objects.filter(recipient=other_caseworker).exists()
    deliver()
    [mail] = smtp_server.to(caseworker.email)
    assert mail.subject == f"Nouveau dossier n° {case.number} : Carte de stationnement"
    assert f"/agent/dossiers/{case.number}/" in mail.body
    assert smtp_server.to(other_caseworker.email) == []


@worker_test
def test_an_agent_who_chose_the_digest_gets_one_message_a_day_and_never_twice(
        smtp_server, territory, procedure, citizen, caseworker):  # noqa: F811
    preference_set(actor=caseworker, delivery=NoticeDelivery.DIGEST)
    first = file_case(procedure, citizen, territory)
    second = file_case(procedure, citizen, territory)
    case_message(actor=citizen, case=first, text="J'ai oublié une pièce.")
    deliver()
    assert smtp_server.to(caseworker.email) == [], "no immediate email for a digest reader"
    sent = digests_send()
    assert [(d.recipient, d.count) for d in sent] == [(caseworker.email, 3)]
    deliver()
    [digest] = smtp_server.to(caseworker.email)
    assert digest.subject == "3 avis depuis votre dernier récapitulatif"
    body = " ".join(digest.body.split())
    assert first.number in body and second.number in body and "Message de l'usager" in body
    assert digests_send() == [], "what was mailed is not mailed again"


def test_agents_who_want_no_email_still_see_their_notices(territory, procedure, citizen, caseworker):
    preference_set(actor=caseworker, delivery=NoticeDelivery.NONE)
    file_case(procedure, citizen, territory)
    assert unread_count(actor=caseworker) == 1
    assert digests_send() == []
    with pytest.raises(ServiceError):
        preference_set(actor=caseworker, delivery="pigeon")


def test_the_queue_marks_new_cases_until_the_agent_opens_them(territory, procedure, citizen, caseworker):
    case = file_case(procedure, citizen, territory)
    client = signed_in(caseworker)
    queue = client.get(reverse("portal:queue")).text
    row = queue[queue.index(f">{case.number}<") - 200:queue.index(f">{case.number}<")]
    assert "Nouveau" in row
    assert client.get(reverse("portal:agent_case", args=[case.number])).status_code == 200
    queue = client.get(reverse("portal:queue")).text
    assert "Nouveau" not in queue
    assert AgentNotice.objects.get(recipient=caseworker).read_at is not None


def test_a_citizens_message_and_an_assignment_are_notices_too(
        territory, procedure, citizen, caseworker, make_user):
    colleague = make_user("collegue@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    case = file_case(procedure, citizen, territory)
    case_assign(actor=caseworker, case=case, agent=colleague)
    case_message(actor=citizen, case=case, text="Une question sur mon dossier.")
    kinds = sorted(AgentNotice.objects.filter(recipient=colleague).values_list("kind", flat=True))
    # Filed before the assignment: both were told of the new case; then only the assignee.
    assert kinds == ["portal.case_assigned", "portal.case_message", "portal.case_new"]
    assert not AgentNotice.objects.filter(recipient=caseworker, kind="portal.case_message").exists()
    # Whoever assigns is not told of their own act.
    assert not AgentNotice.objects.filter(recipient=caseworker, kind="portal.case_assigned").exists()


def test_my_tasks_gathers_the_agents_cases_and_only_theirs(
        territory, procedure, citizen, caseworker, other_caseworker):
    case = file_case(procedure, citizen, territory)
    page = signed_in(caseworker).get("/agent/taches/")
    assert page.status_code == 200
    text = page.text
    assert "Dossiers à instruire" in text and case.number in text and "Nouveau" in text
    other = signed_in(other_caseworker).get("/agent/taches/").text
    assert case.number not in other and "Rien ne vous attend" in other


def test_my_tasks_is_for_agents_who_passed_the_second_factor(territory, citizen, caseworker):
    assert signed_in(citizen, method="password").get("/agent/taches/").status_code == 403
    assert signed_in(caseworker, method="password").get("/agent/taches/").status_code == 403


def test_a_notice_opens_only_for_its_recipient_and_leads_inside_the_platform(
        territory, procedure, citizen, caseworker, other_caseworker):
    case = file_case(procedure, citizen, territory)
    notice = AgentNotice.objects.get(recipient=caseworker)
    assert signed_in(other_caseworker).get(f"/agent/avis/{notice.pk}/").status_code == 404
    answer = signed_in(caseworker).get(f"/agent/avis/{notice.pk}/")
    assert answer.status_code == 302 and answer["Location"] == f"/agent/dossiers/{case.number}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    for url in ("https://ailleurs.example/", "//ailleurs.example/"):
        with pytest.raises(ServiceError):
            notice_send(kind="portal.case_new", recipients=[caseworker], title="x", url=url)
    with pytest.raises(ServiceError):
        notice_send(kind="portal.not_declared", recipients=[caseworker], title="x", url="/")


def test_the_preference_page_saves_the_choice_and_refuses_nonsense(territory, caseworker):
    client = signed_in(caseworker)
    assert "Un courriel à chaque avis" in client.get("/compte/avis/").text
    assert client.post("/compte/avis/", {"delivery": "digest"}).status_code == 302
    assert caseworker.notice_preference.delivery == "digest"
    answer = client.post("/compte/avis/", {"delivery": "fax"})
    assert answer.status_code == 400 and "Choisissez" in answer.text


def test_an_agent_sets_the_function_printed_under_their_signature(territory, caseworker):
    client = signed_in(caseworker)
    assert client.post("/compte/avis/", {"job_title": "  Responsable   de l'état civil "}).status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.job_title == "Responsable de l'état civil"
    assert client.post("/compte/avis/", {"job_title": "x" * 151}).status_code == 400
