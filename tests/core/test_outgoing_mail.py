"""Outgoing mail as a mail reader receives it, through a real SMTP server."""

from __future__ import annotations

from datetime import date

from django.core.management import call_command

from socle.core.letters import french_date
from socle.core.notifications import email_notify, html_alternative
from tests.support.smtp_server import running_smtp_server

LONG_SUBJECT = "Votre demande n° 2026-000123 « Inscription à la cantine scolaire » est acceptée"


def test_a_mail_has_an_id_on_our_domain_says_it_is_automatic_and_has_an_html_part(
        db, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_MESSAGE_ID_DOMAIN = "agglo.example"
    with running_smtp_server() as relay:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = relay.host, relay.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        with django_capture_on_commit_callbacks(execute=True):
            email_notify(to=["habitant@exemple.fr"], subject=LONG_SUBJECT,
                         body="Bonjour,\n\nSuivez votre demande :\nhttps://services.agglo.example/"
                              "demarches/suivi/?a=1&b=2\n\nÀ bientôt <3")
        call_command("worker", "--batch")
        [received] = relay.to("habitant@exemple.fr")
    message = received.message
    assert message["Message-ID"].endswith("@agglo.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert received.subject == LONG_SUBJECT
    raw = message.as_string()
    subject_line = next(line for line in raw.splitlines() if line.startswith("Subject:"))
    assert subject_line.strip() != "Subject:", "the first line of the subject is not empty"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<a href="https://services.agglo.example/demarches/suivi/?a=1&amp;b=2">' in html
    assert "À bientôt &lt;3" in html
    assert "Suivez votre demande" in received.body


def test_the_html_alternative_escapes_and_keeps_the_paragraphs():
    html = html_alternative("Un <b>texte</b>\nsur deux lignes\n\nSecond paragraphe")
    assert "<p>Un &lt;b&gt;texte&lt;/b&gt;<br>\nsur deux lignes</p>" in html
    assert "<p>Second paragraphe</p>" in html and 'lang="fr"' in html


def test_dates_in_letters_and_mails_are_written_the_french_way():
    assert french_date(date(2027, 2, 1)) == "1er février 2027"
    assert french_date(date(2027, 3, 15)) == "15 mars 2027"
