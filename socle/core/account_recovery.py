"""Proving who reads a mailbox: signing up, and resetting a forgotten password.

Both send a link whose secret is stored only as its SHA-256, used once, and short-lived
(sign-up 3 days, reset 1 hour). Neither the pages nor the mails' existence tell a visitor
whether an address has an account: the answer on screen is always the same, and the
mailbox's owner is the only one told (« vous avez déjà un compte »). An address can ask
for at most ``CHALLENGES_PER_HOUR`` links an hour, so socle cannot be used to flood it.

A sign-up creates no account until its link is opened: somebody registering another
person's address blocks nothing, and the owner signs up as if it had never happened.
Replaying a used link does nothing, and never re-activates an account an administrator
deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .errors import ServiceError
from .journal import audit_record
from .models import ChallengePurpose, EmailChallenge, LoginAttempt, Organisation, User
from .notifications import email_notify
from .services import citizen_profile_set, user_create

SIGNUP_VALID = timedelta(days=3)
RESET_VALID = timedelta(hours=1)
CHALLENGES_PER_HOUR = 3


class LinkRefused(ServiceError):
    """A link that is unknown, used or expired (HTTP 400)."""

    code = "invalid_link"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _normalised(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _flooded(email: str) -> bool:
    since = timezone.now() - timedelta(hours=1)
    return EmailChallenge.objects.filter(email=email, created_at__gte=since).count() >= CHALLENGES_PER_HOUR


def _challenge(purpose: str, email: str, valid: timedelta, *, user: User | None = None,
               payload: dict[str, object] | None = None) -> str:
    secret = secrets.token_urlsafe(32)
    EmailChallenge.objects.create(purpose=purpose, email=email, user=user, digest=_digest(secret),
                                  payload=payload or {}, expires_at=timezone.now() + valid)
    return secret


def _link(name: str, secret: str) -> str:
    # Links in mail come from the configured address, never from the request's Host header.
    return settings.BASE_URL + reverse(name, args=[secret])


def _password_checked(password: str, email: str, first_name: str = "", last_name: str = "") -> None:
    try:
        validate_password(password, User(email=email, first_name=first_name, last_name=last_name))
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password",
                           errors={"password": " ".join(exc.messages)}) from exc


def signup_request(*, email: str, password: str, first_name: str, last_name: str,
                   home_commune: Organisation | None, address: str = "") -> None:
    """Ask for an account: mail a confirmation link, or tell the owner they have one.

    Raises only for what the person typed (a weak password); whether the address has an
    account never changes the outcome on screen.
    """
    email = _normalised(email)
    _password_checked(password, email, first_name, last_name)
    with transaction.atomic():
        if _flooded(email):
            return
        existing = User.objects.filter(email=email).first()
        if existing is not None and not _unconfirmed_legacy(existing):
            reset = ""
            if existing.is_active:
                reset = ("\n\nSi vous avez oublié votre mot de passe, choisissez-en un nouveau "
                         "avec ce lien (valable une heure) :\n"
                         + _link("core:password_reset_confirm",
                                 _challenge(ChallengePurpose.RESET, email, RESET_VALID,
                                            user=existing)))
            email_notify(to=[email], subject="Vous avez déjà un compte",
                         body="Bonjour,\n\nQuelqu'un, peut-être vous, a demandé à créer un compte "
                              "avec cette adresse, qui en a déjà un : aucun compte n'a été créé."
                              f"{reset}\n\nSi vous n'avez rien demandé, ignorez ce message.")
            return
        secret = _challenge(ChallengePurpose.SIGNUP, email, SIGNUP_VALID, payload={
            "password": make_password(password), "first_name": first_name,
            "last_name": last_name, "address": address,
            "home_commune": home_commune.slug if home_commune else ""})
        email_notify(to=[email], subject="Confirmez votre adresse électronique",
                     body="Bonjour,\n\nPour activer votre compte, ouvrez ce lien (valable 3 jours) :\n"
                          f"{_link('core:signup_confirm', secret)}\n\n"
                          "Si vous n'avez rien demandé, ignorez ce message : aucun compte ne sera créé.")


def _unconfirmed_legacy(user: User) -> bool:
    # An account made by the former sign-up, which created it inactive before the link
    # was opened: never signed in, no role. It must not block the address's owner.
    return not user.is_active and user.last_login is None and not user.memberships.exists()


def _open(secret: str, purpose: str) -> EmailChallenge:
    challenge = (EmailChallenge.objects.select_for_update()
                 .filter(digest=_digest(secret), purpose=purpose).first())
    if challenge is None:
        raise LinkRefused("Ce lien n'est pas valide. Vérifiez qu'il est complet, ou recommencez.")
    if challenge.used_at is not None:
        raise LinkRefused("Ce lien a déjà servi : il ne peut être utilisé qu'une fois.")
    if challenge.expires_at <= timezone.now():
        raise LinkRefused("Ce lien a expiré. Recommencez pour en recevoir un nouveau.")
    return challenge


def signup_confirm(*, secret: str) -> User:
    """Create the account a sign-up link stands for, once; journaled."""
    with transaction.atomic():
        challenge = _open(secret, ChallengePurpose.SIGNUP)
        now = timezone.now()
        EmailChallenge.objects.filter(email=challenge.email, purpose=ChallengePurpose.SIGNUP,
                                      used_at__isnull=True).update(used_at=now)
        data = challenge.payload
        existing = User.objects.filter(email=challenge.email).first()
        if existing is not None and not _unconfirmed_legacy(existing):
            raise LinkRefused("Un compte existe déjà avec cette adresse : connectez-vous, ou "
                              "choisissez un nouveau mot de passe si vous l'avez oublié.")
        if existing is not None:
            existing.delete()  # the legacy, never-confirmed account: the owner's sign-up wins
        user = user_create(actor=None, email=challenge.email, password=None,
                           first_name=str(data.get("first_name", "")),
                           last_name=str(data.get("last_name", "")))
        user.password = str(data["password"])
        user.save(update_fields=["password"])
        commune = Organisation.objects.filter(slug=data.get("home_commune") or "").first()
        citizen_profile_set(actor=user, user=user, home_commune=commune,
                            address=str(data.get("address", "")))
        audit_record(actor=user, action="user.email_confirmed", target=user)
    return user


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to an active account's owner; say nothing different otherwise."""
    email = _normalised(email)
    with transaction.atomic():
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None or _flooded(email):
            return
        secret = _challenge(ChallengePurpose.RESET, email, RESET_VALID, user=user)
        audit_record(actor=None, action="user.password_reset_requested", target=user)
        email_notify(to=[email], subject="Choisir un nouveau mot de passe",
                     body="Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien "
                          f"(valable une heure, une seule fois) :\n"
                          f"{_link('core:password_reset_confirm', secret)}\n\n"
                          "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe "
                          "reste le même.")


def password_reset_check(*, secret: str) -> None:
    """Refuse, before the form is shown, a reset link that is unknown, used or expired."""
    with transaction.atomic():
        _open(secret, ChallengePurpose.RESET)


def password_reset_complete(*, secret: str, password: str) -> User:
    """Set the new password of the link's account, once; its sign-in failures are forgiven."""
    with transaction.atomic():
        challenge = _open(secret, ChallengePurpose.RESET)
        user = challenge.user
        if user is None or not user.is_active:
            raise LinkRefused("Ce compte n'est plus actif. Adressez-vous à votre mairie.")
        _password_checked(password, user.email, user.first_name, user.last_name)
        user.set_password(password)  # also ends the account's other sessions
        user.save(update_fields=["password"])
        EmailChallenge.objects.filter(user=user, purpose=ChallengePurpose.RESET,
                                      used_at__isnull=True).update(used_at=timezone.now())
        LoginAttempt.objects.filter(email=user.email, succeeded=False).delete()
        audit_record(actor=user, action="user.password_reset", target=user)
    return user
