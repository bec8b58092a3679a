"""Notifications to people: emails are sent by a background task after commit.

Every message carries a ``Message-ID`` on the platform's own domain
(``EMAIL_MESSAGE_ID_DOMAIN``), says it was sent by a program (``Auto-Submitted:
auto-generated``, RFC 3834, so that auto-responders stay quiet), has an HTML alternative
beside its plain text (the same words, links clickable), and a subject folded the way
mail readers expect (its first line is never empty). Links in a body are built from
``BASE_URL`` by their authors (``absolute_url``), never from a request's Host header.
"""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage as ModernMessage
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils.html import escape
from django_tasks import task

_LINK = re.compile(r"https?://[^\s<>\"]+")


def absolute_url(path: str) -> str:
    """An address of the platform for a message: the configured base, never the request's."""
    return settings.BASE_URL + path


def html_alternative(body: str) -> str:
    """The plain text as simple HTML: paragraphs, line breaks, clickable links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        html = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(block)))
        paragraphs.append("<p>" + html.replace("\n", "<br>\n") + "</p>")
    return ('<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"></head>'
            '<body style="font-family: sans-serif; line-height: 1.5">\n'
            + "\n".join(paragraphs) + "\n</body></html>\n")


def _folded_subject(subject: str) -> str:
    # Python's legacy header folding puts a long encoded subject on a second line, leaving
    # "Subject:" empty; the modern policy folds as mail readers expect.
    message = ModernMessage(policy=email.policy.SMTP)
    message["Subject"] = subject
    return email.policy.SMTP.fold("Subject", message["Subject"]).split(":", 1)[1].strip() \
        .replace("\r\n", "\n")


class SocleMessage(EmailMultiAlternatives):
    """Django's message, with the subject folded by the modern policy."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        built = super().message(*args, **kwargs)
        built.replace_header("Subject", _folded_subject(str(self.subject)))
        return built


def email_build(*, to: list[str], subject: str, body: str) -> SocleMessage:
    """The message as socle sends it (see the module's docstring)."""
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN
    message = SocleMessage(subject, body, None, to, headers={
        "Message-ID": make_msgid(domain=domain), "Auto-Submitted": "auto-generated"})
    message.attach_alternative(html_alternative(body), "text/html")
    return message


@task(queue_name="default")
def email_send_task(*, to: list[str], subject: str, body: str) -> int:
    """Send one email (run by `socle worker`, retried if the relay fails)."""
    return email_build(to=to, subject=subject, body=body).send()


def email_notify(*, to: list[str], subject: str, body: str) -> None:
    """Queue an email once the current transaction commits, never before."""
    transaction.on_commit(lambda: email_send_task.enqueue(to=to, subject=subject, body=body))
