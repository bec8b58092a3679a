"""Registration with the manager's decision, the waiting list, attendance, certificates,
the census of needs and the enrolment of phishing clickers (services and selectors)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from socle.core.errors import Conflict, Forbidden, NotFound, ServiceError
from socle.core.models import AgentNotice, AuditEvent
from socle.training import selectors, services
from socle.training.certificates import certificate_pdf
from socle.training.models import NeedSource, Registration, RegistrationStatus

from .conftest import passed


def test_a_request_waits_for_the_manager_who_is_told(agent, manager, admin, session):
    registration = services.registration_create(actor=agent, session=session)
    assert registration.status == RegistrationStatus.PENDING
    assert registration.organisation.slug == "margny-les-compiegne"
    notices = AgentNotice.objects.filter(kind="training.registration_pending")
    # The nearest manager is told, not the DCSI above him.
    assert [n.recipient for n in notices] == [manager]
    assert AuditEvent.objects.filter(action="training.registration_create").count() == 1


def test_without_a_manager_in_the_commune_the_dcsi_decides(compiegne_agent, admin, session):
    services.registration_create(actor=compiegne_agent, session=session)
    assert [n.recipient for n in AgentNotice.objects.filter(
        kind="training.registration_pending")] == [admin]


def test_approval_gives_a_place_then_the_waiting_list(agent, colleague, manager, make_session):
    session = make_session(capacity=1)
    first = services.registration_create(actor=agent, session=session)
    second = services.registration_create(actor=colleague, session=session)
    first = services.registration_decide(actor=manager, registration=first, approve=True)
    second = services.registration_decide(actor=manager, registration=second, approve=True)
    assert (first.status, second.status) == (RegistrationStatus.CONFIRMED,
                                             RegistrationStatus.WAITING)
    notice = AgentNotice.objects.get(recipient=colleague, kind="training.registration_decided")
    assert "liste d'attente" in notice.title


def test_a_cancelled_place_goes_to_the_first_waiting(agent, colleague, manager, make_user,
                                                      margny, make_session):
    third = make_user("troisieme@margny.exemple.fr", roles=[(margny, "helpdesk.requester")])
    session = make_session(capacity=1)
    rows = [services.registration_create(actor=a, session=session)
            for a in (agent, colleague, third)]
    rows = [services.registration_decide(actor=manager, registration=r, approve=True)
            for r in rows]
    services.registration_cancel(actor=agent, registration=rows[0])
    statuses = [Registration.objects.get(pk=r.pk).status for r in rows]
    assert statuses == [RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED,
                        RegistrationStatus.WAITING]
    assert AgentNotice.objects.filter(recipient=colleague,
                                      kind="training.registration_promoted").exists()


def test_a_refusal_needs_a_reason_that_the_agent_receives(agent, manager, session):
    registration = services.registration_create(actor=agent, session=session)
    with pytest.raises(ServiceError) as refused:
        services.registration_decide(actor=manager, registration=registration, approve=False)
    assert refused.value.code == "invalid"
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.PENDING
    services.registration_decide(actor=manager, registration=registration, approve=False,
                                 reason="Service en sous-effectif ce jour-là.")
    notice = AgentNotice.objects.get(recipient=agent, kind="training.registration_decided")
    assert notice.title.startswith("Formation refusée")
    with pytest.raises(Conflict):
        services.registration_decide(actor=manager, registration=registration, approve=True)


def test_nobody_approves_their_own_request(manager, session):
    registration = services.registration_create(actor=manager, session=session)
    with pytest.raises(Forbidden):
        services.registration_decide(actor=manager, registration=registration, approve=True)


def test_an_agent_registers_once_and_never_to_a_past_or_cancelled_session(
        agent, admin, session, make_session):
    services.registration_create(actor=agent, session=session)
    with pytest.raises(Conflict) as twice:
        services.registration_create(actor=agent, session=session)
    assert twice.value.code == "already_registered"
    with pytest.raises(ServiceError) as past:
        services.registration_create(actor=agent, session=passed(make_session()))
    assert past.value.code == "past"
    other = make_session(days=20)
    services.session_cancel(actor=admin, session=other, reason="Formateur malade.")
    with pytest.raises(Conflict):
        services.registration_create(actor=agent, session=other)


def test_a_person_without_an_agent_role_cannot_register(make_user, session):
    with pytest.raises(Forbidden):
        services.registration_create(actor=make_user("usager@exemple.fr"), session=session)


def test_the_trainer_takes_attendance_once_the_session_began(agent, colleague, manager, trainer,
                                                             make_user, session):
    rows = [services.registration_decide(
        actor=manager, registration=services.registration_create(actor=a, session=session),
        approve=True) for a in (agent, colleague)]
    with pytest.raises(ServiceError) as early:
        services.attendance_record(actor=trainer, session=session, present=[rows[0].pk])
    assert early.value.code == "not_started"
    passed(session)
    other_trainer = make_user("autre@arc.exemple.fr", roles=[(session.organisation,
                                                                 "training.trainer")])
    with pytest.raises(Forbidden):
        services.attendance_record(actor=other_trainer, session=session, present=[])
    with pytest.raises(ServiceError) as unknown:
        services.attendance_record(actor=trainer, session=session, present=[999999])
    assert unknown.value.code == "unknown_registration"
    assert services.attendance_record(actor=trainer, session=session, present=[rows[0].pk]) == 1
    assert [Registration.objects.get(pk=r.pk).attended for r in rows] == [True, False]


def test_the_certificate_is_a_pdf_for_those_present_only(agent, colleague, manager, trainer,
                                                         session):
    rows = [services.registration_decide(
        actor=manager, registration=services.registration_create(actor=a, session=session),
        approve=True) for a in (agent, colleague)]
    passed(session)
    services.attendance_record(actor=trainer, session=session, present=[rows[0].pk])
    present = Registration.objects.get(pk=rows[0].pk)
    pdf = certificate_pdf(actor=agent, registration=present)
    assert pdf.startswith(b"%PDF")
    # pypdf (a dependency) rather than poppler's pdftotext, which a fresh machine may lack.
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    assert "Attestation de présence" in text and "Hugo Petit" in text
    assert "3,5 heures" in text
    with pytest.raises(Conflict):
        certificate_pdf(actor=colleague, registration=Registration.objects.get(pk=rows[1].pk))


def test_the_history_counts_hours_and_the_elected_officials_dif(agent, manager, trainer, arc,
                                                               make_session):
    elected = services.course_save(actor=None, organisation=arc, code="ELU-01",
                                   title="Budget pour les élus", kind="elected",
                                   duration_hours=4, objectives="Lire un budget.")
    sessions = [make_session(), make_session(course=elected)]
    for s in sessions:
        r = services.registration_create(actor=agent, session=s)
        services.registration_decide(actor=manager, registration=r, approve=True)
        passed(s)
        services.attendance_record(actor=trainer, session=s, present=[r.pk])
    summary = selectors.history_of(actor=agent, year=sessions[0].start.year)
    assert (summary.hours_year, summary.elected_hours_year, summary.dif_left) == (
        Decimal("7.5"), Decimal("4"), Decimal("16"))


def test_a_clicker_is_enrolled_in_the_next_awareness_session(agent, margny, awareness_course,
                                                             make_session):
    later = make_session(days=20, course=awareness_course)
    sooner = make_session(days=5, course=awareness_course)
    enrolled = services.enrol_for_awareness(actor=None, agent=agent, organisation=margny,
                                            campaign="Campagne d'octobre")
    assert enrolled.registration is not None and enrolled.registration.session == sooner
    assert enrolled.registration.status == RegistrationStatus.CONFIRMED
    assert enrolled.registration.origin == "awareness"
    again = services.enrol_for_awareness(actor=None, agent=agent, organisation=margny)
    assert again.already and again.registration == enrolled.registration
    assert later.registrations.count() == 0


def test_without_an_awareness_session_the_clicker_becomes_a_need(agent, colleague, margny,
                                                                 compiegne):
    enrolled = services.enrol_for_awareness(actor=None, agent=agent, organisation=margny)
    assert enrolled.registration is None and enrolled.need is not None
    assert enrolled.need.source == NeedSource.SECURITY
    second = services.enrol_for_awareness(actor=None, agent=colleague, organisation=margny)
    assert second.need == enrolled.need and second.need.headcount == 2
    with pytest.raises(NotFound):
        services.enrol_for_awareness(actor=None, agent=agent, organisation=compiegne)


def test_only_an_enrolling_role_may_enrol_someone_else(agent, colleague, margny,
                                                       awareness_course, make_session):
    make_session(course=awareness_course)
    with pytest.raises(Forbidden):
        services.enrol_for_awareness(actor=colleague, agent=agent, organisation=margny)


def test_needs_are_declared_for_ones_own_commune(agent, manager, margny, compiegne):
    need = services.need_declare(actor=agent, organisation=margny, title="Tableur", headcount=3)
    assert need.source == NeedSource.AGENT
    assert services.need_declare(actor=manager, organisation=margny,
                                 title="Accueil").source == NeedSource.MANAGER
    with pytest.raises(Forbidden):
        services.need_declare(actor=agent, organisation=compiegne, title="Tableur")
    with pytest.raises(ServiceError):
        services.need_declare(actor=agent, organisation=margny, title="x", headcount=0)
    with pytest.raises(ServiceError):
        services.need_declare(actor=agent, organisation=margny, title="x" * 201)


def test_the_catalogue_refuses_bad_courses_and_sessions(admin, arc, course, trainer, agent):
    with pytest.raises(Conflict):
        services.course_save(actor=admin, organisation=arc, code="bur-01", title="Double",
                             kind="workshop", duration_hours=1, objectives="x")
    with pytest.raises(ServiceError):
        services.course_save(actor=admin, organisation=arc, code="X", title="x",
                             kind="workshop", duration_hours="beaucoup", objectives="x")
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(ServiceError):
        services.session_create(actor=admin, course=course, start=start, end=start,
                                capacity=5, place="Salle")
    with pytest.raises(ServiceError):
        services.session_create(actor=admin, course=course, start=start,
                                end=start + timedelta(hours=1), capacity=0, place="Salle")
    with pytest.raises(ServiceError) as not_a_trainer:
        services.session_create(actor=admin, course=course, start=start,
                                end=start + timedelta(hours=1), capacity=5, place="Salle",
                                trainer=agent)
    assert not_a_trainer.value.code == "invalid_trainer"
