"""FranceConnect sign-in, end to end against a real OpenID Connect provider on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from socle.core.models import AuditEvent, CitizenProfile, IdentityAssurance, User
from tests.support.clients import sign_in
from tests.support.oidc_provider import Misbehaviour, OidcProvider, follow_once

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["ES256", "RS256"])
def provider(request: pytest.FixtureRequest) -> Iterator[OidcProvider]:
    with OidcProvider(alg=request.param) as running:
        yield running


@pytest.fixture
def es256_provider() -> Iterator[OidcProvider]:
    with OidcProvider(alg="ES256") as running:
        yield running


def _configure(settings, provider: OidcProvider) -> OidcProvider:
    settings.FRANCECONNECT_ENABLED = True
    settings.FRANCECONNECT_BASE_URL = provider.base_url
    settings.FRANCECONNECT_CLIENT_ID = provider.client_id
    settings.FRANCECONNECT_CLIENT_SECRET = provider.client_secret
    settings.FRANCECONNECT_SCOPES = "openid given_name family_name email birthdate"
    return provider


@pytest.fixture
def fc(settings, db, provider: OidcProvider) -> OidcProvider:
    """FranceConnect enabled against the test provider, once per signing algorithm."""
    return _configure(settings, provider)


@pytest.fixture
def fc1(settings, db, es256_provider: OidcProvider) -> OidcProvider:
    """FranceConnect enabled against one test provider (for tests that need no variation)."""
    return _configure(settings, es256_provider)


def _leave_for_provider(client: Client) -> str:
    response = client.post(reverse("core:franceconnect_login"))
    assert response.status_code == 302
    return str(response["Location"])


def _sign_in(client: Client) -> Any:
    """Press the button, let the provider consent, come back: what a browser does."""
    authorize_url = _leave_for_provider(client)
    callback_url = follow_once(authorize_url)
    return client.get(callback_url)


def _failures(reason: str) -> int:
    return AuditEvent.objects.filter(action="auth.login_failed", data__reason=reason,
                                     data__method="franceconnect").count()


def _assert_refused(response: Any) -> None:
    assert response.status_code == 400
    assert "Connexion avec FranceConnect impossible" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


# --- the journey -----------------------------------------------------------------------


def test_first_sign_in_creates_a_franceconnect_citizen_and_journals_it(fc: OidcProvider) -> None:
    client = Client()
    response = _sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:my_cases")
    user = User.objects.get(email="angela.dubois@exemple.fr")
    assert (user.first_name, user.last_name) == ("Angela Claire Louise", "DUBOIS")
    assert not user.has_usable_password()
    profile = user.citizen
    assert profile.identity_assurance == IdentityAssurance.FRANCECONNECT
    assert profile.franceconnect_sub == fc.identity.sub
    assert profile.birthdate == date(1962, 8, 24)
    assert AuditEvent.objects.filter(action="auth.login", actor=user).count() == 1
    assert AuditEvent.objects.filter(action="auth.method", actor=user,
                                     data__method="franceconnect").count() == 1
    assert client.get(reverse("core:account")).status_code == 200


def test_second_sign_in_reuses_the_same_account(fc1: OidcProvider) -> None:
    _sign_in(Client())
    fc1.identity.email = "nouvelle.adresse@exemple.fr"  # the person changed e-mail since

    response = _sign_in(Client())

    assert response.status_code == 302
    assert User.objects.count() == 1
    assert CitizenProfile.objects.get().franceconnect_sub == fc1.identity.sub
    assert AuditEvent.objects.filter(action="auth.login").count() == 2


def test_authorize_request_asks_for_eidas1_the_scopes_and_a_fresh_state_and_nonce(
    fc1: OidcProvider,
) -> None:
    _sign_in(Client())
    _sign_in(Client())

    first, second = fc1.authorize_requests
    assert first["acr_values"] == "eidas1"
    assert first["response_type"] == "code"
    assert first["scope"].split() == ["openid", "given_name", "family_name", "email",
                                      "birthdate"]
    assert first["redirect_uri"] == "http://testserver/connexion/franceconnect/retour/"
    assert len(first["state"]) >= 32 and len(first["nonce"]) >= 32
    assert first["state"] != second["state"] and first["nonce"] != second["nonce"]


def test_code_is_traded_with_client_secret_post(fc1: OidcProvider) -> None:
    _sign_in(Client())

    (form,) = fc1.token_requests
    assert form["client_secret"] == fc1.client_secret
    assert form["grant_type"] == "authorization_code"


def test_userinfo_as_plain_json_is_refused(fc1: OidcProvider) -> None:
    """FranceConnect v2 signs the userinfo: an unsigned one could come from anyone."""
    fc1.misbehave.add(Misbehaviour.PLAIN_USERINFO)

    response = _sign_in(Client())

    _assert_refused(response)
    assert not User.objects.exists()


def test_sign_in_returns_to_the_page_asked_before(fc1: OidcProvider) -> None:
    client = Client()
    client.get(reverse("core:login"), {"next": "/communes/"})

    response = _sign_in(client)

    assert response["Location"] == "/communes/"


# --- refusals ----------------------------------------------------------------------------


def test_state_mismatch_is_refused(fc1: OidcProvider) -> None:
    client = Client()
    callback_url = follow_once(_leave_for_provider(client))
    parts = urllib.parse.urlsplit(callback_url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["state"] = "x" * 43

    response = client.get(parts.path, query)

    _assert_refused(response)
    assert "ne correspond pas à votre demande" in response.content.decode()
    assert not User.objects.exists()
    assert _failures("state_mismatch") == 1
    assert fc1.token_requests == []  # the code was never traded


def test_a_callback_serves_once(fc1: OidcProvider) -> None:
    client = Client()
    callback_url = follow_once(_leave_for_provider(client))
    assert client.get(callback_url).status_code == 302
    client.logout()

    response = client.get(callback_url)

    _assert_refused(response)
    assert _failures("session_expired") == 1


def test_callback_without_starting_from_the_button_is_refused(fc1: OidcProvider) -> None:
    response = Client().get(reverse("core:franceconnect_callback"),
                            {"code": "forged", "state": "x" * 43})

    _assert_refused(response)
    assert _failures("session_expired") == 1


@pytest.mark.parametrize("misbehaviour", [
    Misbehaviour.WRONG_NONCE,
    Misbehaviour.BAD_SIGNATURE,
    Misbehaviour.WRONG_AUDIENCE,
    Misbehaviour.EXPIRED,
    Misbehaviour.NO_ACR,
    Misbehaviour.WEAK_ACR,
    Misbehaviour.ODD_ACR,
    Misbehaviour.WRONG_ISS_PARAM,
    Misbehaviour.NO_ISS_PARAM,
    Misbehaviour.BAD_USERINFO_SIGNATURE,
])
def test_an_unverifiable_answer_is_refused(fc: OidcProvider, misbehaviour: str) -> None:
    fc.misbehave.add(misbehaviour)

    response = _sign_in(Client())

    _assert_refused(response)
    assert "pas pu être vérifiée" in response.content.decode()
    assert not User.objects.exists()
    assert _failures("invalid_response") == 1


def test_access_denied_shows_a_french_page_and_is_journaled(fc1: OidcProvider) -> None:
    fc1.misbehave.add(Misbehaviour.ACCESS_DENIED)

    response = _sign_in(Client())

    _assert_refused(response)
    assert "Vous avez annulé la connexion avec FranceConnect" in response.content.decode()
    assert _failures("access_denied") == 1


def test_unreachable_provider_shows_a_french_page(fc1: OidcProvider) -> None:
    client = Client()
    callback_url = follow_once(_leave_for_provider(client))
    fc1.stop()

    response = client.get(callback_url)

    _assert_refused(response)
    assert "FranceConnect ne répond pas" in response.content.decode()
    assert _failures("provider_unreachable") == 1


def test_wrong_client_secret_is_refused(settings, fc1: OidcProvider) -> None:
    settings.FRANCECONNECT_CLIENT_SECRET = "not-the-secret"

    response = _sign_in(Client())

    _assert_refused(response)
    assert _failures("invalid_response") == 1


# --- matching existing accounts -----------------------------------------------------------


def test_the_same_email_does_not_open_an_existing_password_account(fc1: OidcProvider, territory,
                                                                   make_user) -> None:
    citizen = make_user("angela.dubois@exemple.fr", commune=territory["compiegne"])

    response = _sign_in(Client())

    _assert_refused(response)
    assert "Relier mon compte à FranceConnect" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.citizen.franceconnect_sub is None
    assert User.objects.count() == 1
    assert _failures("existing_account") == 1


def test_a_citizen_signed_in_with_the_password_links_franceconnect_then_uses_it(
        fc1: OidcProvider, territory, make_user) -> None:
    citizen = make_user("angela.dubois@exemple.fr", commune=territory["compiegne"])
    client = sign_in(Client(), citizen, method="password")
    page = client.get(reverse("core:account")).content.decode()
    assert "Relier mon compte à FranceConnect" in page

    linked = _sign_in(client)  # the account page's button, then the provider

    assert linked.status_code == 302 and linked["Location"] == reverse("core:account")
    citizen.refresh_from_db()
    profile = citizen.citizen
    assert profile.identity_assurance == IdentityAssurance.FRANCECONNECT
    assert profile.franceconnect_sub == fc1.identity.sub
    assert profile.home_commune == territory["compiegne"]  # what the citizen had is kept
    assert citizen.has_usable_password()
    assert AuditEvent.objects.filter(action="citizen.franceconnect_link",
                                     actor=citizen).count() == 1
    # Later, FranceConnect alone opens this account.
    again = Client()
    assert _sign_in(again).status_code == 302
    assert int(again.session["_auth_user_id"]) == citizen.pk


def test_an_identity_linked_to_one_account_is_not_linked_to_another(
        fc1: OidcProvider, territory, make_user) -> None:
    _sign_in(Client())  # creates the identity's own account
    other = make_user("autre@exemple.fr", commune=territory["jaux"])
    refused = _sign_in(sign_in(Client(), other, method="password"))
    assert refused.status_code == 400
    assert "déjà reliée à un autre compte" in refused.content.decode()
    assert CitizenProfile.objects.get(user=other).franceconnect_sub is None


def test_agent_with_the_same_email_is_never_signed_in(fc1: OidcProvider, territory,
                                                      make_user) -> None:
    agent = make_user("angela.dubois@exemple.fr",
                      roles=[(territory["compiegne"], "core.admin")])

    response = _sign_in(Client())

    _assert_refused(response)
    assert "Ce compte appartient à un agent" in response.content.decode()
    agent.refresh_from_db()
    assert not CitizenProfile.objects.filter(user=agent).exists()
    assert AuditEvent.objects.filter(action="auth.login_failed", actor=agent,
                                     data__reason="agent").count() == 1


def test_linked_citizen_who_became_an_agent_is_refused(fc1: OidcProvider, territory,
                                                       make_user) -> None:
    from socle.core.services import membership_grant

    _sign_in(Client())
    user = User.objects.get()
    membership_grant(actor=None, user=user, organisation=territory["compiegne"],
                     role="core.admin")

    response = _sign_in(Client())

    _assert_refused(response)
    assert _failures("agent") == 1


def test_unconfirmed_account_with_the_same_email_is_not_taken_over(
    fc1: OidcProvider, make_user,
) -> None:
    squatter = make_user("angela.dubois@exemple.fr", citizen=True)
    squatter.is_active = False
    squatter.save(update_fields=["is_active"])

    response = _sign_in(Client())

    _assert_refused(response)
    squatter.refresh_from_db()
    assert not squatter.is_active
    assert squatter.citizen.franceconnect_sub is None


# --- logout ------------------------------------------------------------------------------


def test_logout_goes_through_the_provider_and_comes_back_home(fc1: OidcProvider) -> None:
    client = Client()
    _sign_in(client)
    id_token = fc1.issued_id_tokens[-1]

    response = client.post(reverse("core:logout"))

    assert response.status_code == 302
    end_session = urllib.parse.urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == \
        f"{fc1.base_url}/session/end"
    back_home = follow_once(response["Location"])
    (received,) = fc1.logout_requests
    assert received["id_token_hint"] == id_token
    assert received["post_logout_redirect_uri"] == "http://testserver/"
    assert len(received["state"]) >= 32
    assert urllib.parse.urlsplit(back_home).path == "/"
    assert client.get(back_home).status_code == 200
    assert client.get(reverse("core:account")).status_code == 302  # signed out here too


def test_password_session_logs_out_without_the_provider(fc1: OidcProvider, make_user) -> None:
    user = make_user(citizen=True)
    client = Client()
    client.force_login(user)

    response = client.post(reverse("core:logout"))

    assert response["Location"] == reverse("core:home")
    assert fc1.logout_requests == []


# --- switched off, and the settings --------------------------------------------------------


def test_login_page_shows_the_franceconnect_button_only_when_enabled(settings, db) -> None:
    settings.FRANCECONNECT_ENABLED = False
    assert "S'identifier avec FranceConnect" not in Client().get(
        reverse("core:login")).content.decode()

    settings.FRANCECONNECT_ENABLED = True
    page = Client().get(reverse("core:login")).content.decode()
    assert "S'identifier avec FranceConnect" in page
    assert f'action="{reverse("core:franceconnect_login")}"' in page


def test_franceconnect_routes_are_absent_when_disabled(settings, db) -> None:
    settings.FRANCECONNECT_ENABLED = False
    client = Client()

    assert client.post(reverse("core:franceconnect_login")).status_code == 404
    assert client.get(reverse("core:franceconnect_callback")).status_code == 404


def _import_settings(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_FRANCECONNECT_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return subprocess.run([sys.executable, "-c", "import socle.settings"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_enabling_franceconnect_with_incomplete_settings_fails_at_start() -> None:
    result = _import_settings({"SOCLE_FRANCECONNECT_ENABLED": "1"})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SOCLE_FRANCECONNECT_CLIENT_SECRET" in result.stderr


def test_enabling_franceconnect_with_complete_settings_starts() -> None:
    result = _import_settings({
        "SOCLE_FRANCECONNECT_ENABLED": "1",
        "SOCLE_FRANCECONNECT_BASE_URL": "https://fcp-low.integ01.dev-franceconnect.fr/api/v2",
        "SOCLE_FRANCECONNECT_CLIENT_ID": "client",
        "SOCLE_FRANCECONNECT_CLIENT_SECRET": "secret",
    })

    assert result.returncode == 0, result.stderr
