"""API tokens: an expiry and a scope (read or write, modules), created in the pages only
after the second factor, every use journaled (at most once a minute)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from socle.core.consultations import consultations_fold
from socle.core.errors import Forbidden, ServiceError
from socle.core.models import ApiToken, AuditEvent, Consultation
from socle.core.services import token_create
from tests.support.clients import signed_in


def bearer(clear: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {clear}"})


def _created(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_the_operator_creates_tokens_with_an_expiry_and_a_scope(make_user, capsys):
    make_user("agent@exemple.fr")
    call_command("token", "create", "agent@exemple.fr", "--name", "tableau", "--expires", "30d",
                 "--scope", "read:portal,documents")
    clear = _created(capsys)
    token = ApiToken.objects.get(name="tableau")
    assert (token.access, token.modules) == ("read", "portal,documents")
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert bearer(clear).get("/api/v1/me").status_code == 200
    call_command("token", "list", "agent@exemple.fr")
    assert "read:portal,documents" in capsys.readouterr().out
    # As before: no option, no expiry, every module.
    call_command("token", "create", "agent@exemple.fr")
    plain = ApiToken.objects.exclude(name="tableau").get()
    assert (plain.expires_at, plain.access, plain.modules) == (None, "write", "")
    for wrong, message in [(["--scope", "admin"], "illisible"), (["--scope", "read:nope"], "inconnu"),
                           (["--expires", "demain"], "illisible")]:
        with pytest.raises(CommandError, match=message):
            call_command("token", "create", "agent@exemple.fr", *wrong)


def test_an_expired_token_is_refused(make_user):
    user = make_user("agent@exemple.fr")
    token, clear = token_create(actor=None, user=user, expires_at=timezone.now() + timedelta(hours=1))
    assert bearer(clear).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = bearer(clear).get("/api/v1/me")
    assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"


def test_a_read_token_cannot_write(territory, make_user):
    user = make_user("habitant@exemple.fr", commune=territory["jaux"])
    _, clear = token_create(actor=None, user=user, scope="read")
    refused = bearer(clear).post("/api/v1/blobs", {"file": SimpleUploadedFile("a.txt", b"bonjour")})
    assert refused.status_code == 403 and refused.json()["code"] == "token_read_only"
    _, writer = token_create(actor=None, user=user, scope="write")
    assert bearer(writer).post("/api/v1/blobs",
                               {"file": SimpleUploadedFile("a.txt", b"bonjour")}).status_code == 201


def test_a_token_scoped_to_modules_reaches_only_those(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker"),
                                                  (territory["compiegne"], "mail.clerk")])
    _, mail_only = token_create(actor=None, user=agent, scope="read:mail")
    refused = bearer(mail_only).get("/api/v1/cases")
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    assert "portal" in refused.json()["message"]
    assert bearer(mail_only).get("/api/v1/mail").status_code == 200
    assert bearer(mail_only).get("/api/v1/me").status_code == 200  # the core is open to every scope
    _, everything = token_create(actor=None, user=agent, scope="read")
    assert bearer(everything).get("/api/v1/cases").status_code == 200


def test_every_token_use_is_recorded_then_folded_into_the_sealed_journal(make_user):
    user = make_user("agent@exemple.fr")
    token, clear = token_create(actor=None, user=user)
    client = bearer(clear)
    client.get("/api/v1/me")
    client.get("/api/v1/me")
    client.get("/api/v1/cases")
    # Off the journal's lock: one insertion per use in the consultation register.
    assert not AuditEvent.objects.filter(action="token.use").exists()
    recorded = Consultation.objects.filter(action="token.use").order_by("at")
    assert [(c.actor_id, c.data["path"]) for c in recorded] == [
        (user.pk, "/api/v1/me"), (user.pk, "/api/v1/me"), (user.pk, "/api/v1/cases")]
    assert all(c.ip_address == "127.0.0.1" for c in recorded)
    consultations_fold()
    uses = AuditEvent.objects.filter(action="token.use").order_by("seq")
    assert [(e.actor_id, e.data["path"], len(e.data["consulted_at"])) for e in uses] == [
        (user.pk, "/api/v1/me", 2), (user.pk, "/api/v1/cases", 1)]
    assert uses[0].data["prefix"] == token.prefix and uses[0].data["method"] == "GET"
    last_used = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/v1/me")  # within the minute: the token's last use does not move
    assert ApiToken.objects.get(pk=token.pk).last_used_at == last_used


def test_an_agent_with_the_second_factor_creates_sees_once_and_revokes_a_token(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    client = signed_in(agent)
    assert client.get("/compte/jetons/").status_code == 200
    page = client.post("/compte/jetons/", {"name": "tableau", "access": "read", "modules": ["mail"],
                                           "days": "30"})
    assert page.status_code == 200
    clear = re.search(r'<code class="token-value">([^<]+)</code>', page.text)[1]
    token = ApiToken.objects.get(user=agent)
    assert (token.access, token.modules) == ("read", "mail")
    assert token.expires_at is not None
    assert clear not in client.get("/compte/jetons/").text  # shown once
    assert bearer(clear).get("/api/v1/mail").status_code == 200
    assert AuditEvent.objects.filter(action="token.create", actor=agent).exists()
    assert client.post(f"/compte/jetons/{token.prefix}/revoquer/").status_code == 302
    assert bearer(clear).get("/api/v1/mail").status_code == 401


def test_token_pages_refuse_sessions_without_the_second_factor_and_others_tokens(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    weak = signed_in(agent, method="password")
    assert weak.get("/compte/jetons/").status_code == 403
    assert weak.post("/compte/jetons/", {"name": "x", "access": "write", "days": "30"}).status_code == 403
    assert not ApiToken.objects.exists()
    citizen = make_user("habitant@exemple.fr", commune=territory["jaux"])
    assert signed_in(citizen).get("/compte/jetons/").status_code == 403
    other = make_user("autre@exemple.fr", roles=[(territory["jaux"], "mail.clerk")])
    token, clear = token_create(actor=None, user=other)
    assert signed_in(agent).post(f"/compte/jetons/{token.prefix}/revoquer/").status_code == 404
    assert bearer(clear).get("/api/v1/me").status_code == 200


def test_a_person_must_have_passed_the_second_factor_and_give_an_expiry(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    agent._socle_second_factor = False  # as the middleware marks a weak session's user
    with pytest.raises(Forbidden):
        token_create(actor=agent, user=agent, expires_at=timezone.now() + timedelta(days=1))
    agent._socle_second_factor = True
    with pytest.raises(ServiceError, match="expiration"):
        token_create(actor=agent, user=agent)
