"""FranceConnect sign-in against a certified OpenID provider (panva's oidc-provider).

The provider of ``test_franceconnect.py`` is socle's own, so that it can be told to
misbehave; these tests check that what socle expects is what a certified implementation of
the standards does: the code flow with client_secret_post, a signed id_token, a signed
userinfo (application/jwt), the eIDAS acr, and the callback's iss (RFC 9207).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from socle.core.models import AuditEvent, IdentityAssurance, User
from tests.support.certified_oidc import CertifiedProvider


def _configure(settings, provider: CertifiedProvider) -> CertifiedProvider:
    settings.FRANCECONNECT_ENABLED = True
    settings.FRANCECONNECT_BASE_URL = provider.issuer
    settings.FRANCECONNECT_CLIENT_ID = provider.client_id
    settings.FRANCECONNECT_CLIENT_SECRET = provider.client_secret
    settings.FRANCECONNECT_SCOPES = "openid given_name family_name email birthdate"
    return provider


@pytest.fixture
def certified(settings, db) -> Iterator[CertifiedProvider]:
    with CertifiedProvider(acr="eidas1") as provider:
        yield _configure(settings, provider)


@pytest.fixture
def weak(settings, db) -> Iterator[CertifiedProvider]:
    """The provider asserts eidas0 (no guarantee), below the eidas1 socle asks for."""
    with CertifiedProvider(acr="eidas0") as provider:
        yield _configure(settings, provider)


def _sign_in(client: Client, provider: CertifiedProvider) -> tuple[str, object]:
    start = client.post(reverse("core:franceconnect_login"))
    assert start.status_code == 302
    back = provider.browse(str(start["Location"]))
    return back, client.get(back)


def test_the_provider_publishes_what_socle_relies_on(certified: CertifiedProvider) -> None:
    found = certified.discovery()
    assert found["issuer"] == certified.issuer
    assert found["authorization_endpoint"] == f"{certified.issuer}/authorize"
    assert found["userinfo_endpoint"] == f"{certified.issuer}/userinfo"
    assert found["jwks_uri"] == f"{certified.issuer}/jwks"
    assert found["authorization_response_iss_parameter_supported"] is True
    assert "ES256" in found["userinfo_signing_alg_values_supported"]


def test_a_citizen_signs_in_with_franceconnect(certified: CertifiedProvider) -> None:
    client = Client()
    back, response = _sign_in(client, certified)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
    assert query["iss"] == [certified.issuer]  # RFC 9207, sent by the provider itself
    assert response.status_code == 302 and response["Location"] == reverse("portal:my_cases")
    user = User.objects.get(email="angela.dubois@exemple.fr")
    assert (user.first_name, user.last_name) == ("Angela Claire Louise", "DUBOIS")
    assert user.citizen.identity_assurance == IdentityAssurance.FRANCECONNECT
    assert user.citizen.franceconnect_sub == certified.identity["sub"]
    login = AuditEvent.objects.get(action="auth.method", actor=user)
    assert login.data["method"] == "franceconnect"
    assert client.get(reverse("core:account")).status_code == 200


def test_an_assurance_below_the_one_asked_for_is_refused(weak: CertifiedProvider) -> None:
    client = Client()
    _, response = _sign_in(client, weak)
    assert response.status_code == 400
    assert "Connexion avec FranceConnect impossible" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="angela.dubois@exemple.fr").exists()


def test_a_callback_replayed_is_refused(certified: CertifiedProvider) -> None:
    client = Client()
    back, first = _sign_in(client, certified)
    assert first.status_code == 302
    replay = Client().get(back)
    assert replay.status_code == 400
    assert User.objects.count() == 1
