"""The signed links that open a case filed without an account."""

from __future__ import annotations

from django.core import signing

# Signs the links that open a case filed without an account (portal:case_access).
ACCESS_SALT = "socle.portal.case-access"
ACCESS_MAX_AGE = 365 * 24 * 3600


def access_token_make(number: str) -> str:
    """Return the signed token that names a case in its access link."""
    return signing.dumps({"n": number}, salt=ACCESS_SALT)


def access_token_read(token: str) -> str | None:
    """Return the case number a genuine, unexpired access token names, or None."""
    try:
        payload = signing.loads(token, salt=ACCESS_SALT, max_age=ACCESS_MAX_AGE)
    except signing.BadSignature:
        return None
    number = payload.get("n") if isinstance(payload, dict) else None
    return number if isinstance(number, str) and number else None
