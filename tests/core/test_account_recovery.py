"""Signing up and resetting a password: links used once, short-lived, from SOCLE_BASE_URL;
no page tells whether an address has an account; nobody blocks an address's owner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from socle.core.models import AuditEvent, EmailChallenge, LoginAttempt, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "Un-tout-autre-secret-9"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://services.agglo.example"


def _sign_up(client, django_capture_on_commit_callbacks, email="alix@exemple.fr",
             password=PASSWORD, first_name="Alix"):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/inscription/", {"first_name": first_name, "last_name": "Roy",
                                               "email": email, "password": password,
                                               "home_commune": "venette"})
    call_command("worker", "--batch")
    return answer


def _last_link(prefix: str) -> str:
    found = re.findall(r"https://services\.agglo\.example(/\S+)", mail.outbox[-1].body)
    assert found and found[-1].startswith(prefix), mail.outbox[-1].body
    return found[-1]


def _login(client, email, password=PASSWORD):
    return client.post("/connexion/", {"email": email, "password": password})


def test_a_confirmation_link_serves_once_and_comes_from_the_base_url(
        client, territory, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _last_link("/inscription/confirmer/")
    assert not User.objects.filter(email="alix@exemple.fr").exists()  # nothing before the link
    assert client.post(link).status_code == 200
    user = User.objects.get(email="alix@exemple.fr")
    assert user.is_active and user.citizen.home_commune.slug == "venette"
    assert AuditEvent.objects.filter(action="user.email_confirmed", actor=user).exists()
    replay = client.post(link)
    assert replay.status_code == 400 and "déjà servi" in replay.text


def test_replaying_a_link_never_reactivates_a_deactivated_account(
        client, territory, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _last_link("/inscription/confirmer/")
    client.post(link)
    User.objects.filter(email="alix@exemple.fr").update(is_active=False)  # an administrator's act
    assert client.post(link).status_code == 400
    assert not User.objects.get(email="alix@exemple.fr").is_active


def test_an_expired_confirmation_link_is_refused(client, territory, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    EmailChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = client.post(_last_link("/inscription/confirmer/"))
    assert refused.status_code == 400 and "expiré" in refused.text
    assert not User.objects.filter(email="alix@exemple.fr").exists()


def test_someone_registering_my_address_does_not_block_me(
        client, territory, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks, password="Mot-de-passe-de-l-intrus-1",
             first_name="Intrus")
    intruder_link = _last_link("/inscription/confirmer/")
    _sign_up(client, django_capture_on_commit_callbacks)  # the owner, days later
    client.post(_last_link("/inscription/confirmer/"))
    assert _login(client, "alix@exemple.fr").status_code == 302
    assert User.objects.get(email="alix@exemple.fr").first_name == "Alix"
    assert client.post(intruder_link).status_code == 400  # the other request is spent


def test_an_account_left_unconfirmed_by_the_former_sign_up_does_not_block_its_owner(
        client, territory, make_user, django_capture_on_commit_callbacks):
    legacy = make_user("alix@exemple.fr", password="Ancien-mot-de-passe-1")
    User.objects.filter(pk=legacy.pk).update(is_active=False)
    _sign_up(client, django_capture_on_commit_callbacks)
    assert client.post(_last_link("/inscription/confirmer/")).status_code == 200
    assert _login(client, "alix@exemple.fr").status_code == 302


def test_signing_up_with_an_address_that_has_an_account_tells_only_its_mailbox(
        client, territory, make_user, django_capture_on_commit_callbacks):
    make_user("alix@exemple.fr")
    known = _sign_up(client, django_capture_on_commit_callbacks)
    unknown = _sign_up(client, django_capture_on_commit_callbacks, email="nouveau@exemple.fr")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("alix@exemple.fr", "X") == unknown.text.replace("nouveau@exemple.fr", "X")
    [told] = [m for m in mail.outbox if m.to == ["alix@exemple.fr"]]
    assert told.subject == "Vous avez déjà un compte"
    assert "/mot-de-passe-oublie/" in told.body
    assert User.objects.filter(email="alix@exemple.fr").count() == 1


def test_a_forgotten_password_is_reset_once_through_the_mailbox(
        client, territory, make_user, django_capture_on_commit_callbacks):
    user = make_user("alix@exemple.fr", commune=territory["venette"])
    for _ in range(3):
        LoginAttempt.objects.create(email=user.email, succeeded=False)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/mot-de-passe-oublie/", {"email": "Alix@Exemple.fr"})
        unknown = client.post("/mot-de-passe-oublie/", {"email": "personne@exemple.fr"})
    assert known.text.replace("Alix@Exemple.fr", "X") == unknown.text.replace("personne@exemple.fr", "X")
    call_command("worker", "--batch")
    assert [m.to for m in mail.outbox] == [["alix@exemple.fr"]]
    link = _last_link("/mot-de-passe-oublie/")
    assert client.get(link).status_code == 200
    mismatch = client.post(link, {"password": NEW_PASSWORD, "confirmation": "autre"})
    assert mismatch.status_code == 400 and "pas identiques" in mismatch.text
    weak = client.post(link, {"password": "court", "confirmation": "court"})
    assert weak.status_code == 400
    done = client.post(link, {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}, follow=True)
    assert "Votre mot de passe est enregistré" in done.text
    assert _login(client, "alix@exemple.fr").status_code == 400
    assert _login(client, "alix@exemple.fr", NEW_PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="user.password_reset", actor=user).exists()
    assert client.get(link).status_code == 400  # used


def test_an_expired_reset_link_is_refused(client, territory, make_user,
                                          django_capture_on_commit_callbacks):
    make_user("alix@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mot-de-passe-oublie/", {"email": "alix@exemple.fr"})
    call_command("worker", "--batch")
    EmailChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    link = _last_link("/mot-de-passe-oublie/")
    refused = client.post(link, {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert refused.status_code == 400 and "expiré" in refused.text


def test_an_address_gets_at_most_three_links_an_hour(client, territory, make_user,
                                                     django_capture_on_commit_callbacks):
    make_user("alix@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert client.post("/mot-de-passe-oublie/", {"email": "alix@exemple.fr"}).status_code == 200
    call_command("worker", "--batch")
    assert len(mail.outbox) == 3
