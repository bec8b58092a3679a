"""The register's rules: chrono numbers, contacts, deadlines, assignment, instructions, replies."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from socle.core.blobs import blob_open
from socle.core.models import AuditEvent
from socle.core.services import ServiceError
from socle.mail import selectors
from socle.mail.models import Mail, MailInstruction, MailStatus
from socle.mail.services import (
    PieceUpload,
    contact_create,
    mail_assign,
    mail_close,
    mail_escalate_overdue,
    mail_instruct,
    mail_reply,
    mail_type_create,
)
from tests.mail.conftest import PDF, VALID_SIRET
from tests.support.smtp_server import smtp_server  # noqa: F401


def test_chrono_numbers_follow_each_other_per_direction(register):
    first, second = register(), register()
    outgoing = register(direction="out", mail_type=None)
    assert [first.chrono, second.chrono] == ["2026-ARR-000001", "2026-ARR-000002"]
    assert outgoing.chrono == "2026-DEP-000001"


def test_chrono_numbers_restart_each_year(register):
    register(received_on=date(2025, 12, 30))
    register(received_on=date(2025, 12, 31))
    assert register(received_on=date(2026, 1, 2)).chrono == "2026-ARR-000001"
    assert register(received_on=date(2025, 12, 31)).chrono == "2025-ARR-000003"


def test_each_organisation_has_its_own_sequence(register, other_clerk, territory):
    register()
    venette = territory["venette"]
    contact = contact_create(actor=other_clerk, organisation=venette, kind="person", name="Paul")
    mail = register(actor=other_clerk, organisation=venette, contact=contact, mail_type=None)
    assert mail.chrono == "2026-ARR-000001"


def test_the_deadline_comes_from_the_mail_type(register):
    mail = register(received_on=date(2026, 3, 2))
    assert mail.deadline == date(2026, 4, 1)


def test_a_company_siret_with_a_wrong_key_is_refused(clerk, compiegne):
    with pytest.raises(ServiceError) as refused:
        contact_create(actor=clerk, organisation=compiegne, kind="organisation",
                       name="Entreprise", siret="55201649600011")
    assert refused.value.code == "invalid_siret"
    contact = contact_create(actor=clerk, organisation=compiegne, kind="organisation",
                             name="Entreprise", siret="552 016 496 00010")
    assert contact.siret == VALID_SIRET


def test_a_mail_type_of_another_commune_is_refused(register, other_clerk, territory):
    foreign = mail_type_create(actor=other_clerk, organisation=territory["venette"],
                               name="Réclamation", processing_days=10)
    with pytest.raises(ServiceError) as refused:
        register(mail_type=foreign)
    assert refused.value.code == "unknown_type"


def test_the_intercommunality_types_are_shared_with_communes(register, make_user, territory):
    arc_clerk = make_user(roles=[(territory["arc"], "mail.clerk")])
    shared = mail_type_create(actor=arc_clerk, organisation=territory["arc"], name="Invitation",
                              processing_days=10)
    assert register(mail_type=shared).mail_type == shared


def test_registering_needs_the_clerk_role_on_the_organisation(register, other_clerk):
    with pytest.raises(ServiceError) as refused:
        register(actor=other_clerk)
    assert refused.value.code == "forbidden"


def test_scanned_pieces_are_stored_as_blobs(register):
    mail = register(pieces=[PieceUpload(name="scan.pdf", stream=io.BytesIO(PDF))])
    piece = mail.pieces.get()
    with blob_open(piece.blob) as handle:
        assert handle.read() == PDF
    assert piece.name == "scan.pdf"


def test_an_oversized_or_unreadable_piece_registers_nothing(register, settings):
    settings.BLOB_MAX_SIZE = 20
    with pytest.raises(ServiceError) as refused:
        register(pieces=[PieceUpload(name="gros.pdf", stream=io.BytesIO(PDF))])
    assert refused.value.code == "payload_too_large"
    settings.BLOB_MAX_SIZE = 10_000
    with pytest.raises(ServiceError) as refused:
        register(pieces=[PieceUpload(name="page.html", stream=io.BytesIO(b"<html><script>"))])
    assert refused.value.code == "unsupported_type"
    assert not Mail.objects.exists()


def test_assignment_sets_service_agent_copies_and_supervisor(register, clerk, make_user,
                                                             territory):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    copy = make_user("maire@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    mail = mail_assign(actor=clerk, mail=register(), service=territory["compiegne"],
                       assignee=agent, copies=[copy])
    assert (mail.status, mail.assignee, mail.supervisor) == (MailStatus.ASSIGNED, agent, clerk)
    assert list(mail.copies.all()) == [copy]
    assert AuditEvent.objects.filter(action="mail.assign", target_id=str(mail.pk)).exists()


def test_the_assignee_is_told_and_finds_the_letter_in_their_tasks(register, clerk, make_user,
                                                                  territory, other_clerk):
    from socle.core.models import AgentNotice
    from tests.support.clients import signed_in

    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    mail = mail_assign(actor=clerk, mail=register(), service=territory["compiegne"], assignee=agent)
    [notice] = AgentNotice.objects.filter(kind="mail.letter_assigned")
    assert notice.recipient == agent and notice.url == f"/courrier/{mail.pk}/"
    tasks = signed_in(agent).get("/agent/taches/").text
    assert "Courriers à traiter" in tasks and mail.chrono in tasks and "Nouveau" in tasks
    assert signed_in(agent).get(notice.url).status_code == 200
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert mail.chrono not in signed_in(other_clerk).get("/agent/taches/").text
    # A clerk who takes a letter for herself is not told of her own act.
    mail_assign(actor=clerk, mail=register(), service=territory["compiegne"], assignee=clerk)
    assert not AgentNotice.objects.filter(recipient=clerk).exists()


def test_an_agent_who_cannot_see_the_mail_cannot_be_assigned(register, clerk, other_clerk):
    with pytest.raises(ServiceError) as refused:
        mail_assign(actor=clerk, mail=register(), service=None, assignee=other_clerk)
    assert refused.value.code == "invalid_agent"


def test_a_service_of_another_commune_is_refused(register, clerk, territory):
    with pytest.raises(ServiceError) as refused:
        mail_assign(actor=clerk, mail=register(), service=territory["venette"])
    assert refused.value.code == "invalid_service"


def test_instructions_are_timestamped_and_never_rewritten(register, clerk):
    mail = register()
    instruction = mail_instruct(actor=clerk, mail=mail, kind="instruction",
                                text="Répondre avant la fin du mois. — Le Maire")
    assert instruction.at is not None and instruction.author == clerk
    instruction.text = "autre chose"
    with pytest.raises(PermissionError):
        instruction.save()
    with pytest.raises(PermissionError):
        instruction.delete()
    assert MailInstruction.objects.get().text.startswith("Répondre")


def test_the_assignee_writing_on_the_mail_starts_its_processing(register, clerk, make_user,
                                                                territory):
    agent = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    mail = mail_assign(actor=clerk, mail=register(), service=None, assignee=agent)
    mail_instruct(actor=agent, mail=mail, text="Pris en charge.")
    mail.refresh_from_db()
    assert mail.status == MailStatus.IN_PROGRESS


def test_the_reply_is_an_outgoing_mail_linked_to_the_letter(register, clerk):
    incoming = register()
    reply = mail_reply(actor=clerk, mail=incoming)
    incoming.refresh_from_db()
    assert reply.direction == "out" and reply.chrono.split("-")[1] == "DEP"
    assert reply.reply_to == incoming and reply.contact == incoming.contact
    assert list(selectors.mail_replies(mail=incoming)) == [reply]
    assert incoming.status == MailStatus.ANSWERED and incoming.answered_at is not None


def test_a_closed_mail_cannot_be_closed_again_nor_answered(register, clerk):
    mail = mail_close(actor=clerk, mail=register(), comment="Sans suite.")
    with pytest.raises(ServiceError):
        mail_close(actor=clerk, mail=mail)
    with pytest.raises(ServiceError):
        mail_reply(actor=clerk, mail=mail)
    assert mail.instructions.get().text == "Clôture : Sans suite."


def test_overdue_mail_is_flagged_once(register):
    today = timezone.localdate()
    late = register(received_on=today - timedelta(days=31))
    on_time = register(received_on=today - timedelta(days=29))
    assert selectors.mail_is_overdue(mail=late) and not selectors.mail_is_overdue(mail=on_time)
    assert mail_escalate_overdue() == [late]
    assert mail_escalate_overdue() == []
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert AuditEvent.objects.filter(action="mail.escalate", target_id=str(late.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_escalation_emails_the_assignee_and_the_supervisor(smtp_server, register, clerk,  # noqa: F811
                                                           make_user, territory):
    agent = make_user("agent.urbanisme@exemple.fr",
                      roles=[(territory["compiegne"], "mail.clerk")])
    late = register(received_on=timezone.localdate() - timedelta(days=40))
    mail_assign(actor=clerk, mail=late, service=None, assignee=agent)
    call_command("worker", batch=True)  # the assignment email
    smtp_server.messages.clear()
    call_command("mail", "escalate")
    call_command("worker", batch=True)
    for address in (agent.email, clerk.email):
        [message] = smtp_server.to(address)
        assert message.subject == f"Courrier en retard : {late.chrono}"
        assert "Nuisances sonores rue de Paris" in message.body


def test_answered_mail_is_never_overdue(register, clerk):
    late = register(received_on=timezone.localdate() - timedelta(days=60))
    mail_reply(actor=clerk, mail=late)
    late.refresh_from_db()
    assert not selectors.mail_is_overdue(mail=late)
    assert mail_escalate_overdue() == []


def test_statistics_per_service(register, clerk, territory, compiegne):
    civil = territory["compiegne"]
    first = register(received_on=date(2026, 1, 5))
    second = register(received_on=date(2026, 1, 20))
    register(received_on=date(2026, 2, 3), mail_type=None)
    register(received_on=date(2025, 6, 1))  # another year
    mail_assign(actor=clerk, mail=first, service=civil)
    for mail, days in ((first, 10), (second, 20)):
        Mail.objects.filter(pk=mail.pk).update(
            answered_at=timezone.make_aware(timezone.datetime(2026, 1, 5) + timedelta(days=days))
            if mail is first else
            timezone.make_aware(timezone.datetime(2026, 1, 20) + timedelta(days=days)),
            status=MailStatus.ANSWERED)
    figures = {s.service: s for s in selectors.mail_stats(actor=clerk, organisation=compiegne, year=2026,
                                                          today=date(2026, 6, 1))}
    assert set(figures) == {"Compiègne", "Non attribué"}
    assigned, unassigned = figures["Compiègne"], figures["Non attribué"]
    assert (assigned.received, assigned.processed, assigned.median_days) == (1, 1, 10.0)
    assert unassigned.received == 2 and unassigned.by_month[:2] == [1, 1]
    assert unassigned.by_type == {"Réclamation": 1, "Sans type": 1}
    assert unassigned.median_days == 20.0 and unassigned.overdue == 0


def test_statistics_count_overdue_and_mean_delay(register, clerk, compiegne):
    for day, delay in ((1, 4), (2, 6), (3, 20)):
        mail = register(received_on=date(2026, 1, day))
        Mail.objects.filter(pk=mail.pk).update(
            closed_at=timezone.make_aware(timezone.datetime(2026, 1, day) + timedelta(days=delay)),
            status=MailStatus.CLOSED)
    register(received_on=date(2026, 1, 10))  # open, deadline 9 February
    [figures] = selectors.mail_stats(actor=clerk, organisation=compiegne, year=2026, today=date(2026, 3, 1))
    assert (figures.received, figures.processed) == (4, 3)
    assert (figures.median_days, figures.mean_days, figures.overdue) == (6.0, 10.0, 1)


def test_a_commune_statistics_are_invisible_to_another(register, other_clerk, compiegne):
    register()
    assert selectors.mail_stats(actor=other_clerk, organisation=compiegne, year=2026) == []


def test_scanned_pieces_are_filed_in_the_ged_under_the_register_node(register, territory,
                                                                   make_user):
    import socle.documents.selectors as documents_selectors
    import socle.documents.services as documents_services
    from socle.mail.services import DOCUMENTS_NODE_CODE

    plan = documents_services.plan_create(actor=None, organisation=territory["arc"], code="REF",
                                          title="Plan de référence")
    documents_services.node_create(actor=None, plan=plan, code=DOCUMENTS_NODE_CODE,
                                   title="Courrier (pièces numérisées)")
    mail = register(pieces=[PieceUpload(name="scan.pdf", stream=io.BytesIO(PDF))])
    piece = mail.pieces.get()
    reader = make_user(roles=[(territory["compiegne"], "documents.reader")])
    document = documents_selectors.document_get_for(actor=reader, document_id=piece.documents_document_id)
    assert document.title.startswith(mail.chrono)
    assert document.organisation == territory["compiegne"]


def test_without_the_register_node_the_piece_stays_in_the_register(register):
    mail = register(pieces=[PieceUpload(name="scan.pdf", stream=io.BytesIO(PDF))])
    assert mail.pieces.get().documents_document_id is None


def test_a_letter_goes_to_any_agent_of_the_commune_who_then_sees_that_letter_only(
        register, clerk, make_user, territory, other_clerk):
    from django.urls import reverse

    from tests.support.clients import signed_in

    planner = make_user("urbanisme@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    stranger = make_user("venette@exemple.fr", roles=[(territory["venette"], "portal.caseworker")])
    given, other = register(), register(subject="Autre courrier")
    assert planner in selectors.agents_for(organisation=given.organisation)
    with pytest.raises(ServiceError) as refused:
        mail_assign(actor=clerk, mail=given, service=None, assignee=stranger)
    assert refused.value.code == "invalid_agent"
    given = mail_assign(actor=clerk, mail=given, service=None, assignee=planner)
    client = signed_in(planner)
    assert client.get(reverse("mail:detail", args=[given.pk])).status_code == 200
    assert client.get(reverse("mail:detail", args=[other.pk])).status_code == 404
    assert given.chrono in client.get("/agent/taches/").text
    assert signed_in(stranger).get(reverse("mail:detail", args=[given.pk])).status_code == 404
    # The assignee may annotate the letter given to them, not re-dispatch it.
    mail_instruct(actor=planner, mail=given, text="Vu, je m'en occupe.")
    with pytest.raises(ServiceError):
        mail_assign(actor=planner, mail=given, service=None, assignee=planner)
    # Without a mail role, the register itself stays closed.
    assert client.get(reverse("mail:register")).status_code == 403
