"""Email intake through the inbound-mail hook (raw RFC 822 POST with a shared secret):
tickets and follow-ups from people; bounces, automatic replies and loops refused and never
answered; another commune's ticket number refused; a message read twice counted once."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from socle.core.models import AuditEvent
from socle.helpdesk.intake import MAX_MESSAGE_BYTES, STORM_PER_HOUR, message_intake
from socle.helpdesk.models import Followup, IntakeMessage, Status, Ticket
from socle.helpdesk.services import ticket_open, ticket_pending
from tests.helpdesk.conftest import queued_emails
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db
HOOK = "/api/v1/helpdesk/inbound"
counter = {"n": 0}
SHARED = "un-secret-partage"


def message(sender: str = "agent@margny.exemple.fr", subject: str = "Ma souris ne marche plus",
            body: str = "Bonjour,\nla souris du poste 3 est morte.\n", **headers: str) -> bytes:
    counter["n"] += 1
    mail = EmailMessage()
    mail["From"] = f"Agent <{sender}>"
    mail["To"] = "assistance@dcsi.exemple.fr"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<m{counter['n']}@margny.exemple.fr>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


@pytest.fixture
def hook(monkeypatch, slas):
    monkeypatch.setenv("SOCLE_HELPDESK_INTAKE_SECRET", SHARED)
    monkeypatch.setenv("SOCLE_HELPDESK_ADDRESS", "assistance@dcsi.exemple.fr")
    client = Client()

    def post(raw: bytes, secret: str = "") -> dict:
        secret = secret or SHARED
        response = client.post(HOOK, data=raw, content_type="message/rfc822",
                               headers={"X-Socle-Intake-Secret": secret})
        return {"status": response.status_code, **response.json()}

    return post


def test_a_message_from_an_agent_opens_a_ticket_for_their_commune(hook, agent, margny):
    answer = hook(message())
    assert answer["status"] == 202 and answer["outcome"] == "ticket"
    ticket = Ticket.objects.get(number=answer["ticket"])
    assert ticket.organisation == margny and ticket.requester == agent
    assert ticket.channel == "email" and ticket.title == "Ma souris ne marche plus"
    assert "poste 3" in ticket.description


def test_a_reply_with_the_number_in_the_subject_becomes_a_follow_up(hook, agent, technician,
                                                                    open_ticket):
    ticket = open_ticket()
    ticket_pending(actor=technician, ticket=ticket, question="Quel poste ?")
    answer = hook(message(subject=f"RE: [#{ticket.number}] L'imprimante", body="Le poste 12."))
    assert answer["outcome"] == "followup" and answer["ticket"] == ticket.number
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # the requester answered: the clock runs again
    last = ticket.followups.last()
    assert last.text == "Le poste 12." and last.channel == "email"


def test_a_number_of_another_commune_is_refused(hook, outsider, venette, agent):
    theirs = ticket_open(actor=outsider, organisation=venette, title="Réseau", description="x",
                         category="network")
    answer = hook(message(subject=f"[#{theirs.number}] intrusion", body="Je lis ?"))
    assert answer["outcome"] == "unknown_ticket" and answer["ticket"] is None
    assert not theirs.followups.exists()


@pytest.mark.parametrize(("headers", "sender", "outcome"), [
    ({"Auto_Submitted": "auto-replied"}, "agent@margny.exemple.fr", "auto_reply"),
    ({"Precedence": "bulk"}, "agent@margny.exemple.fr", "auto_reply"),
    ({"X_Autoreply": "yes"}, "agent@margny.exemple.fr", "auto_reply"),
    ({"X_Failed_Recipients": "x@exemple.fr"}, "agent@margny.exemple.fr", "bounce"),
    ({}, "MAILER-DAEMON@margny.exemple.fr", "bounce"),
    ({"Return_Path": "<>"}, "agent@margny.exemple.fr", "bounce"),
    ({}, "assistance@dcsi.exemple.fr", "loop"),
    ({"X_Socle_Helpdesk": "1"}, "agent@margny.exemple.fr", "loop"),
    ({}, "inconnu@ailleurs.exemple.fr", "unknown_sender"),
])
def test_what_is_not_a_person_writing_is_refused_and_never_answered(hook, agent, headers, sender,
                                                                    outcome):
    answer = hook(message(sender=sender, **headers))
    assert answer["outcome"] == outcome and answer["ticket"] is None
    assert not Ticket.objects.exists() and not Followup.objects.exists()
    assert queued_emails() == []
    assert AuditEvent.objects.filter(action="helpdesk.intake_refuse").count() == 1


def test_a_delivery_report_is_a_bounce(hook, agent):
    report = (
        b"From: Mail Delivery System <agent@margny.exemple.fr>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@margny.exemple.fr>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n"
        b"\r\n--B--\r\n")
    assert hook(report)["outcome"] == "bounce"


def test_an_auto_reply_to_a_notification_never_makes_a_storm(hook, agent, open_ticket):
    ticket = open_ticket()
    for _ in range(5):
        hook(message(subject=f"Absence : [#{ticket.number}]", Auto_Submitted="auto-replied"))
    assert not ticket.followups.exists() and queued_emails() == []


def test_a_sender_writing_faster_than_a_person_is_a_loop(hook, agent):
    outcomes = [hook(message(subject=f"Message {n}"))["outcome"]
                for n in range(STORM_PER_HOUR + 2)]
    assert outcomes[:STORM_PER_HOUR] == ["ticket"] * STORM_PER_HOUR
    assert outcomes[STORM_PER_HOUR:] == ["loop", "loop"]


def test_a_message_read_twice_is_counted_once(hook, agent):
    raw = message()
    first, second = hook(raw), hook(raw)
    assert first["outcome"] == "ticket" and not first["duplicate"]
    assert second["duplicate"] and Ticket.objects.count() == 1
    assert IntakeMessage.objects.count() == 1


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
                    "890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_an_html_message_with_a_screenshot_and_a_program(hook, agent, outsider):
    mail = EmailMessage()
    mail["From"] = "agent@margny.exemple.fr"
    mail["Subject"] = "Capture d'écran"
    mail["Message-ID"] = "<html-1@margny.exemple.fr>"
    mail.set_content("<p>L'écran <b>clignote</b>.</p><script>alert(1)</script>", subtype="html")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="../ecran.png")
    mail.add_attachment(b"MZ\x90\x00" + b"\x00" * 60, maintype="application",
                        subtype="octet-stream", filename="facture.exe")
    answer = hook(mail.as_bytes())
    ticket = Ticket.objects.get(number=answer["ticket"])
    assert "L'écran clignote." in ticket.description and "<b>" not in ticket.description
    assert "non reprises" in ticket.description and "facture.exe" in ticket.description
    [kept] = ticket.attachments.all()
    assert kept.name == ".._ecran.png" and kept.blob.mime_type == "image/png"
    url = f"/assistance/tickets/{ticket.pk}/pieces/{kept.pk}"
    response = signed_in(agent).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert signed_in(outsider).get(url).status_code == 404
    page = signed_in(agent).get(f"/assistance/tickets/{ticket.pk}/").content.decode()
    assert url in page


def test_a_message_without_subject_or_message_id_still_opens_once(hook, agent):
    raw = b"From: agent@margny.exemple.fr\r\n\r\nUn texte\r\n"
    assert hook(raw)["outcome"] == "ticket"
    assert hook(raw)["duplicate"]
    assert Ticket.objects.get().title == "(sans objet)"


def test_the_hook_refuses_a_wrong_secret_an_empty_body_and_25_mb(hook, agent, monkeypatch):
    assert hook(message(), secret="mauvais")["status"] == 403
    assert hook(b"   ")["status"] == 400
    # 25 MB stops at the platform's request cap, 11 MB at the intake's own.
    for size in (25, 11):
        answer = hook(message(body="x" * 100) + b"A" * (size * 1024 * 1024))
        assert answer["status"] == 413 and answer["code"] == "payload_too_large"
    assert not Ticket.objects.exists()
    monkeypatch.setenv("SOCLE_HELPDESK_INTAKE_SECRET", "")
    assert hook(message())["status"] == 503


def test_an_oversized_message_given_directly_is_refused(agent):
    result = message_intake(b"From: agent@margny.exemple.fr\r\n\r\n" + b"x" * MAX_MESSAGE_BYTES)
    assert result.outcome == "too_large" and not Ticket.objects.exists()


def test_garbage_is_refused_without_error(hook, agent):
    answer = hook(b"\x00\xff\xfe garbage without headers \x00")
    assert answer["status"] == 202 and answer["outcome"] == "unknown_sender"


def test_the_mailbox_job_does_nothing_without_a_server(monkeypatch):
    from socle.helpdesk.jobs import mailbox

    monkeypatch.delenv("SOCLE_HELPDESK_IMAP_HOST", raising=False)
    assert mailbox().startswith("Relève désactivée")
