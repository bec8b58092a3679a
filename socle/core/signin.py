"""Signing in: password check, throttling per account and per address, TOTP second factor.

Every attempt is journaled. An agent (anyone holding a role) must pass a TOTP
code after the password, enrolling one at the first sign-in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from .journal import audit_record
from .models import LoginAttempt, Membership, User

TOTP_ISSUER = "socle"


class SignInRefused(Exception):
    """A refused sign-in, with the French message shown to the person."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


GENERIC_FAILURE = "Adresse électronique ou mot de passe incorrect."
THROTTLED = (
    "Trop de tentatives de connexion ont échoué. Pour protéger le compte, "
    "réessayez dans {minutes} minute(s), ou choisissez un nouveau mot de passe "
    "(« Mot de passe oublié ? »)."
)
BACKOFF_BASE_SECONDS = 60


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)


def _backoff(failures: list[datetime], threshold: int) -> int:
    """Seconds still to wait: none below the threshold, then 1, 2, 4... minutes after the
    last failure, doubling with each failure past it, at most the window."""
    if len(failures) < threshold:
        return 0
    wait = min(BACKOFF_BASE_SECONDS * 2 ** (len(failures) - threshold),
               settings.LOGIN_WINDOW_SECONDS)
    remaining = (max(failures) + timedelta(seconds=wait) - timezone.now()).total_seconds()
    return max(0, int(remaining + 0.999))


def _known_address(email: str, ip_address: str | None) -> bool:
    # An address this account signed in from lately: its owner's, whom an attack elsewhere
    # must not lock out.
    return bool(ip_address) and LoginAttempt.objects.filter(
        email=email, ip_address=ip_address, succeeded=True,
        at__gte=timezone.now() - timedelta(days=30)).exists()


def throttle_wait(email: str, ip_address: str | None) -> int:
    """Seconds before this address may try this account again (0: it may now).

    Failures count per account *and* address (an attacker's guesses block the attacker's
    address, not the owner), per address (one address trying many accounts), and per
    account from every address (a spread attack) except from an address the owner signed
    in from in the last 30 days. Each limit backs off: the wait doubles with each failure
    past it. A password reset clears the account's failures.
    """
    failures = LoginAttempt.objects.filter(succeeded=False, at__gte=_window_start())
    waits = [_backoff(list(failures.filter(email=email, ip_address=ip_address)
                           .values_list("at", flat=True)), settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)]
    if ip_address:
        waits.append(_backoff(list(failures.filter(ip_address=ip_address).values_list("at", flat=True)),
                              settings.LOGIN_MAX_FAILURES_PER_ADDRESS))
    spread = list(failures.filter(email=email).values_list("at", flat=True))
    if len(spread) >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL and not _known_address(email, ip_address):
        waits.append(_backoff(spread, settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL))
    return max(waits)


def is_throttled(email: str, ip_address: str | None) -> bool:
    """Tell whether recent failures block a new attempt from this address on this account."""
    return throttle_wait(email, ip_address) > 0


def throttled_message(email: str, ip_address: str | None) -> str:
    """The French refusal, with the minutes still to wait."""
    return THROTTLED.format(minutes=max(1, -(-throttle_wait(email, ip_address) // 60)))


def _record(email: str, ip_address: str | None, *, user: User | None, succeeded: bool,
            action: str, reason: str = "") -> None:
    with transaction.atomic():
        LoginAttempt.objects.create(email=email, ip_address=ip_address, succeeded=succeeded)
        audit_record(actor=user, action=action, ip_address=ip_address, actor_label=email,
                     data={"reason": reason} if reason else {})


def password_check(*, email: str, password: str, ip_address: str | None) -> User:
    """Check a password sign-in, throttled and journaled; return the user or raise."""
    email = email.strip().lower()
    if is_throttled(email, ip_address):
        message = throttled_message(email, ip_address)
        _record(email, ip_address, user=None, succeeded=False, action="auth.login_failed",
                reason="throttled")
        raise SignInRefused(message, "throttled")
    user = authenticate(username=email, password=password)
    if not isinstance(user, User):
        _record(email, ip_address, user=None, succeeded=False, action="auth.login_failed",
                reason="bad_credentials")
        raise SignInRefused(GENERIC_FAILURE, "bad_credentials")
    return user


def needs_second_factor(user: User) -> bool:
    """Agents need a TOTP code; citizens do not."""
    return Membership.objects.filter(user=user, revoked_at__isnull=True).exists()


def login_succeeded(*, user: User, ip_address: str | None, method: str) -> None:
    """Journal a completed sign-in."""
    _record(user.email, ip_address, user=user, succeeded=True, action="auth.login",
            reason="")
    audit_record(actor=user, action="auth.method", ip_address=ip_address,
                 data={"method": method})


def totp_failed(*, user: User, ip_address: str | None) -> None:
    """Journal a wrong second-factor code: it counts towards throttling."""
    _record(user.email, ip_address, user=user, succeeded=False, action="auth.login_failed",
            reason="bad_totp")


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def totp_enrolment(user: User, secret: str | None = None) -> Enrolment:
    """Return a new TOTP secret for the user, its otpauth URI and a QR code (SVG)."""
    secret = secret or pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, title="Code QR à scanner avec l'application d'authentification")
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def _matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    for drift in (0, -1, 1):
        step = int(now // totp.interval) + drift
        if totp.at(step * totp.interval) == code:
            return step
    return None


def totp_confirm(*, user: User, secret: str, code: str, ip_address: str | None) -> bool:
    """Confirm an enrolment with a first code; store the secret when it matches."""
    step = _matching_step(secret, code)
    if step is None:
        totp_failed(user=user, ip_address=ip_address)
        return False
    with transaction.atomic():
        user.totp_secret = secret
        user.totp_confirmed_at = timezone.now()
        user.totp_last_step = step
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        audit_record(actor=user, action="auth.totp_enrolled", target=user, ip_address=ip_address)
    return True


def totp_verify(*, user: User, code: str, ip_address: str | None) -> bool:
    """Check a code against the user's secret, refusing a code already used (replay)."""
    step = _matching_step(user.totp_secret, code) if user.totp_secret else None
    if step is None or step <= user.totp_last_step:
        totp_failed(user=user, ip_address=ip_address)
        return False
    # Conditional update: of two requests racing with the same code, one wins.
    won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if not won:
        totp_failed(user=user, ip_address=ip_address)
        return False
    user.totp_last_step = step
    return True


def totp_reset(*, actor: User | None, user: User) -> None:
    """Forget a user's second factor so they enrol again (lost phone)."""
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_confirmed_at = None
        user.totp_last_step = 0
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        audit_record(actor=actor, action="auth.totp_reset", target=user)
