"""Signing in: citizens with a password, agents with a password then TOTP; throttling."""

import re
import time

import pyotp
import pytest
from django.core import mail
from django.core.management import call_command

from socle.core.models import AuditEvent, LoginAttempt, User
from tests.conftest import PASSWORD


def post_login(client, email, password=PASSWORD, ip="192.0.2.10"):
    return client.post("/connexion/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_a_citizen_signs_in_with_email_and_password(client, territory, make_user):
    make_user("habitant@exemple.fr", commune=territory["compiegne"])
    response = post_login(client, "habitant@exemple.fr")
    # A citizen lands on their requests ("Mes demandes").
    assert response.status_code == 302 and response["Location"] == "/mes-demandes/"
    page = client.get("/compte/").content.decode()
    assert "Compiègne" in page
    assert AuditEvent.objects.filter(action="auth.login", actor_label="habitant@exemple.fr").exists()


def test_a_wrong_password_is_refused_in_french_and_journaled(client, make_user):
    make_user("habitant@exemple.fr")
    response = post_login(client, "habitant@exemple.fr", "mauvais")
    assert response.status_code == 400
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_label == "habitant@exemple.fr" and event.ip_address == "192.0.2.10"
    assert "_auth_user_id" not in client.session


def test_an_attackers_failures_block_the_attacker_not_the_owner(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    make_user("cible@exemple.fr")
    for _ in range(3):
        post_login(client, "cible@exemple.fr", "faux", ip="198.51.100.9")
    # The attacker's address is held back, even with the right password...
    response = post_login(client, "cible@exemple.fr", ip="198.51.100.9")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed", data__reason="throttled").exists()
    # ...the owner, elsewhere, comes in.
    assert post_login(client, "cible@exemple.fr", ip="203.0.113.7").status_code == 302


def test_the_wait_doubles_with_each_failure_past_the_limit(make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    from socle.core import signin

    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    now = timezone.now()
    for _ in range(3):
        LoginAttempt.objects.create(email="cible@exemple.fr", ip_address="198.51.100.9", at=now)
    assert 55 <= signin.throttle_wait("cible@exemple.fr", "198.51.100.9") <= 60
    LoginAttempt.objects.create(email="cible@exemple.fr", ip_address="198.51.100.9", at=now)
    assert 115 <= signin.throttle_wait("cible@exemple.fr", "198.51.100.9") <= 120
    LoginAttempt.objects.update(at=now - timedelta(minutes=3))
    assert signin.throttle_wait("cible@exemple.fr", "198.51.100.9") == 0


def test_a_spread_attack_slows_strangers_but_not_the_owners_usual_address(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL = 4
    make_user("cible@exemple.fr")
    assert post_login(client, "cible@exemple.fr", ip="203.0.113.7").status_code == 302
    client.post("/deconnexion/")
    for n in range(4):
        post_login(client, "cible@exemple.fr", "faux", ip=f"198.51.100.{n}")
    assert post_login(client, "cible@exemple.fr", ip="192.0.2.200").status_code == 429
    assert post_login(client, "cible@exemple.fr", ip="203.0.113.7").status_code == 302


def test_failures_are_throttled_per_address(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    make_user("innocent@exemple.fr")
    for n in range(4):
        post_login(client, f"inconnu{n}@exemple.fr", "faux", ip="203.0.113.99")
    assert post_login(client, "innocent@exemple.fr", ip="203.0.113.99").status_code == 429
    assert post_login(client, "innocent@exemple.fr", ip="203.0.113.100").status_code == 302


def test_old_failures_leave_the_window(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    settings.LOGIN_WINDOW_SECONDS = 900
    make_user("ancien@exemple.fr")
    for _ in range(2):
        post_login(client, "ancien@exemple.fr", "faux")
    LoginAttempt.objects.update(at=LoginAttempt.objects.first().at.replace(year=2020))
    assert post_login(client, "ancien@exemple.fr").status_code == 302


def _secret_from(page: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert match, "the enrolment page shows the secret"
    return match.group(1)


def test_an_agent_enrols_totp_at_first_sign_in_then_must_use_it(client, territory, make_user):
    make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    response = post_login(client, "agent@exemple.fr")
    assert response["Location"] == "/connexion/second-facteur/"
    # Not signed in before the second factor.
    assert client.get("/agent/").status_code == 302
    page = client.get("/connexion/second-facteur/").content.decode()
    assert "<svg" in page
    secret = _secret_from(page)
    wrong = client.post("/connexion/second-facteur/", {"code": "000000"})
    assert wrong.status_code == 400
    ok = client.post("/connexion/second-facteur/", {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302 and ok["Location"] == "/agent/taches/"
    agent_page = client.get("/agent/").content.decode()
    assert "Compiègne" in agent_page and "Instructeur des démarches" in agent_page
    assert "portal.caseworker" not in agent_page, "role codes are never shown to people"
    assert User.objects.get(email="agent@exemple.fr").totp_confirmed_at is not None

    client.post("/deconnexion/")
    post_login(client, "agent@exemple.fr")
    page = client.get("/connexion/second-facteur/").content.decode()
    assert "secret" not in page, "no new enrolment once confirmed"
    # The code just used cannot be replayed; the next one is accepted.
    replay = client.post("/connexion/second-facteur/", {"code": pyotp.TOTP(secret).now()})
    assert replay.status_code == 400
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.post("/connexion/second-facteur/", {"code": code}).status_code == 302


def test_wrong_totp_codes_count_towards_throttling(client, territory, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    post_login(client, "agent@exemple.fr")
    secret = _secret_from(client.get("/connexion/second-facteur/").content.decode())
    for _ in range(3):
        client.post("/connexion/second-facteur/", {"code": "123456"})
    response = client.post("/connexion/second-facteur/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400 and "Trop de tentatives" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_citizen_signs_up_and_confirms_by_email_sent_by_the_worker(
    client, territory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/inscription/", {
            "first_name": "Alix", "last_name": "Roy", "email": "alix@exemple.fr",
            "password": PASSWORD, "address": "1 rue de Paris", "home_commune": "venette",
        })
    assert response.status_code == 200
    assert mail.outbox == []  # the mail is a background task
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    link = re.search(r"http://127.0.0.1:8000(\S+)", mail.outbox[0].body).group(1)
    assert post_login(client, "alix@exemple.fr").status_code == 400  # no account yet
    assert client.get(link).status_code == 200  # a button: opening the link uses nothing up
    assert client.post(link).status_code == 200
    assert post_login(client, "alix@exemple.fr").status_code == 302
    assert User.objects.get(email="alix@exemple.fr").citizen.home_commune.slug == "venette"


@pytest.mark.parametrize("password", ["court", "1234567890123"])
def test_sign_up_refuses_weak_passwords_in_french(client, territory, password):
    response = client.post("/inscription/", {
        "first_name": "A", "last_name": "B", "email": "x@exemple.fr", "password": password,
    })
    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in response.content.decode()
    assert not User.objects.filter(email="x@exemple.fr").exists()


def test_a_tampered_confirmation_link_is_refused(client, db):
    refused = client.post("/inscription/confirmer/abc:def/")
    assert refused.status_code == 400 and "pas valide" in refused.content.decode()


def test_login_redirects_only_to_local_next_urls(client, make_user):
    make_user("habitant@exemple.fr")
    client.get("/connexion/?next=https://evil.example/")
    assert post_login(client, "habitant@exemple.fr")["Location"] == "/mes-demandes/"
