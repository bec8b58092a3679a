"""The training pages: catalogue, registration, the manager's decision, attendance, history,
certificates, the plan's report, the census and the DCSI's forms; refusals in French."""

from __future__ import annotations

import pytest
from django.urls import reverse

from socle.training import services
from socle.training.models import Course, Registration, Session
from tests.support.clients import signed_in

from .conftest import passed

pytestmark = pytest.mark.django_db


def test_an_agent_browses_the_catalogue_and_asks_for_a_place(agent, course, session):
    client = signed_in(agent)
    page = client.get(reverse("training:catalogue")).content.decode()
    assert "Tableur au quotidien" in page and "<caption>" in page
    assert course.title in client.get(reverse("training:course", args=[course.pk])).content.decode()
    asked = client.post(reverse("training:session", args=[session.pk]), {"motivation": "Oui"})
    registration = Registration.objects.get()
    assert asked.status_code == 302
    assert asked["Location"] == reverse("training:registration", args=[registration.pk])
    again = client.post(reverse("training:session", args=[session.pk]), {})
    assert again.status_code == 400
    assert "déjà inscrit" in again.content.decode() and Registration.objects.count() == 1


def test_the_manager_refuses_only_with_a_reason(agent, manager, session):
    registration = services.registration_create(actor=agent, session=session)
    client = signed_in(manager)
    assert "Hugo Petit" in client.get(reverse("training:approvals")).content.decode()
    url = reverse("training:registration", args=[registration.pk])
    missing = client.post(url, {"decision": "refuse", "reason": ""})
    assert missing.status_code == 400
    assert "Indiquez le motif du refus" in missing.content.decode()
    done = client.post(url, {"decision": "refuse", "reason": "Pas ce mois-ci."})
    assert done.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "refused" and registration.decision_reason == "Pas ce mois-ci."


def test_a_plain_agent_may_not_open_the_managers_pages(agent):
    client = signed_in(agent)
    for name in ("training:approvals", "training:plan", "training:course_create",
                 "training:session_create"):
        assert client.get(reverse(name)).status_code == 403
    assert signed_in(agent).get("/formation/seances/99999/").status_code == 404


def test_attendance_then_history_and_certificate(agent, manager, trainer, session):
    registration = services.registration_decide(
        actor=manager, registration=services.registration_create(actor=agent, session=session),
        approve=True)
    client = signed_in(trainer)
    early = client.post(reverse("training:attendance", args=[session.pk]),
                        {"present": [registration.pk]})
    assert early.status_code == 400
    assert "une fois la session commencée" in early.content.decode()
    passed(session)
    forged = client.post(reverse("training:attendance", args=[session.pk]),
                         {"present": ["1e9"]})
    assert forged.status_code == 404
    taken = client.post(reverse("training:attendance", args=[session.pk]),
                        {"present": [registration.pk]})
    assert taken.status_code == 302
    history = signed_in(agent).get(reverse("training:history")).content.decode()
    assert "3,5 h" in history and "Attestation du" in history
    pdf = signed_in(agent).get(reverse("training:certificate", args=[registration.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]


def test_the_plan_page_reports_per_course_and_commune(agent, manager, trainer, admin, session):
    registration = services.registration_decide(
        actor=manager, registration=services.registration_create(actor=agent, session=session),
        approve=True)
    passed(session)
    services.attendance_record(actor=trainer, session=session, present=[registration.pk])
    page = signed_in(admin).get(reverse("training:plan") + f"?annee={session.start.year}")
    text = page.content.decode()
    assert page.status_code == 200 and "Margny-lès-Compiègne" in text and "100,0 %" in text


def test_the_census_takes_a_need_and_lists_the_helpdesk_flags(agent, arc, make_user):
    from socle.helpdesk.services import article_save

    technician = make_user("tech@arc.exemple.fr", roles=[(arc, "helpdesk.technician")])
    article_save(actor=technician, organisation=arc, title="Changer son mot de passe",
                 body="Ctrl + Alt + Suppr.", category="account", training_need=True)
    article_save(actor=technician, organisation=arc, title="Autre question",
                 body="…", category="account", training_need=False)
    client = signed_in(agent)
    page = client.get(reverse("training:needs")).content.decode()
    assert "Changer son mot de passe" in page and "Autre question" not in page
    done = client.post(reverse("training:needs"), {
        "organisation": "margny-les-compiegne", "title": "Tableur avancé", "headcount": 3,
        "course": ""})
    assert done.status_code == 302
    bad = client.post(reverse("training:needs"), {"organisation": "margny-les-compiegne",
                                                  "title": "", "headcount": 0})
    assert bad.status_code == 400 and "error-summary" in bad.content.decode()


def test_the_dcsi_adds_a_course_and_a_session(admin, trainer):
    client = signed_in(admin)
    created = client.post(reverse("training:course_create"), {
        "code": "ECV-01", "title": "État civil", "kind": "workshop", "audience": "agents",
        "duration_hours": "7", "objectives": "Saisir un acte."})
    assert created.status_code == 302
    course = Course.objects.get(code="ECV-01")
    duplicate = client.post(reverse("training:course_create"), {
        "code": "ecv-01", "title": "Encore", "kind": "workshop", "audience": "agents",
        "duration_hours": "7", "objectives": "x"})
    assert duplicate.status_code == 400 and "déjà pris" in duplicate.content.decode()
    session = client.post(reverse("training:session_create"), {
        "course": course.pk, "date": "15/01/2099", "start": "09:00", "end": "12:00",
        "place": "", "remote": "on", "capacity": 10, "trainer": trainer.pk, "plan": ""})
    assert session.status_code == 302
    stored = Session.objects.get()
    assert stored.remote and stored.trainer == trainer
    backwards = client.post(reverse("training:session_create"), {
        "course": course.pk, "date": "15/01/2099", "start": "12:00", "end": "09:00",
        "place": "Salle", "capacity": 10})
    assert backwards.status_code == 400 and "La fin de la session" in backwards.content.decode()


def test_the_dcsi_saves_the_plan_and_cancels_a_session(admin, agent, manager, session):
    from socle.core.models import AgentNotice
    from socle.training.models import Plan

    registration = services.registration_create(actor=agent, session=session)
    client = signed_in(admin)
    saved = client.post(reverse("training:plan_save"), {"annee": "2027", "title": "Plan 2027",
                                                        "notes": "Priorité : la sécurité."})
    assert saved.status_code == 302 and Plan.objects.get().year == 2027
    empty = client.post(reverse("training:plan_save"), {"annee": "2027", "title": ""})
    assert empty.status_code == 302 and Plan.objects.get().title == "Plan 2027"
    url = reverse("training:session_cancel", args=[session.pk])
    assert signed_in(agent).post(url, {"reason": "Non."}).status_code == 403
    assert signed_in(manager).post(url, {"reason": "Non."}).status_code == 403
    client.post(url, {"reason": ""})
    session.refresh_from_db()
    assert session.cancelled_at is None
    client.post(url, {"reason": "Formateur malade."})
    session.refresh_from_db()
    registration.refresh_from_db()
    assert session.cancelled_at is not None and registration.status == "cancelled"
    assert AgentNotice.objects.filter(recipient=agent, title__startswith="Session annulée").exists()


def test_the_agent_home_offers_the_training_card_to_every_agent(agent, manager):
    home = signed_in(agent).get(reverse("core:agent_home")).content.decode()
    assert reverse("training:catalogue") in home
    assert reverse("training:approvals") not in home
    assert reverse("training:approvals") in signed_in(manager).get(
        reverse("core:agent_home")).content.decode()


def test_the_census_exports_as_csv_without_formulas_and_within_ones_communes(
        agent, compiegne_agent, manager, margny, compiegne):
    services.need_declare(actor=agent, organisation=margny,
                          title='=HYPERLINK("http://exemple.invalid","clic")', headcount=2)
    services.need_declare(actor=compiegne_agent, organisation=compiegne, title="BESOIN-COMPIEGNE")
    assert signed_in(agent).get(reverse("training:needs_export")).status_code == 403
    answer = signed_in(manager).get(reverse("training:needs_export"))
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    text = answer.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Commune;Année;Besoin")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text
    assert "BESOIN-COMPIEGNE" not in text and len(lines) == 2
