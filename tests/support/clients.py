"""A test client already signed in, as after a successful sign-in (TOTP included)."""

from __future__ import annotations

from django.test import Client

from socle.core.assurance import SECOND_FACTOR_METHODS, SESSION_KEY


def signed_in(user, *, method: str = "password+totp") -> Client:
    """A client whose session was opened as the sign-in pages open it, with ``method``
    (by default with the second factor, as an agent signs in)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"method": method, "second_factor": method in SECOND_FACTOR_METHODS,
                            "at": 0}
    session.save()
    return client


def sign_in(client: Client, user, *, method: str = "password+totp") -> Client:
    """Sign ``user`` in on an existing client, as ``signed_in`` does."""
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"method": method, "second_factor": method in SECOND_FACTOR_METHODS,
                            "at": 0}
    session.save()
    return client
