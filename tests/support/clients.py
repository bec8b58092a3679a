"""A test client already signed in, as after a successful sign-in (TOTP included)."""

from __future__ import annotations

from django.test import Client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
