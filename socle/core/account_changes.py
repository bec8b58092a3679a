"""What a person changes in « Mon compte »: profile, email, password, or the account itself.

A new email address is taken only once its owner opens the link sent to it (single use,
one day); the former address is told. Deleting an account does not erase what the law
keeps: filed cases stay with their answers (public archives), the journal keeps its
events; the account itself is closed and stripped of the person's details.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .account_recovery import LinkRefused, _challenge, _flooded, _link, _normalised, _open
from .errors import Conflict, ServiceError
from .journal import audit_record
from .models import (
    ApiToken,
    ChallengePurpose,
    CitizenProfile,
    EmailChallenge,
    IdentityAssurance,
    Organisation,
    User,
)
from .notifications import email_notify
from .services import citizen_profile_set

EMAIL_CHANGE_VALID = timedelta(days=1)


def _password_matches(user: User, password: str) -> None:
    # Accounts opened with FranceConnect have no password: their session is the proof.
    if user.has_usable_password() and not user.check_password(password):
        raise ServiceError("Le mot de passe actuel est incorrect.", code="wrong_password",
                           errors={"current_password": "Le mot de passe actuel est incorrect."})


def account_profile_update(*, actor: User, address: str, home_commune: Organisation | None
                           ) -> CitizenProfile:
    """Change the person's postal address and home commune, keeping their identity level."""
    profile = CitizenProfile.objects.filter(user=actor).first()
    return citizen_profile_set(
        actor=actor, user=actor, home_commune=home_commune, address=address.strip()[:300],
        postal_code=profile.postal_code if profile else "", city=profile.city if profile else "",
        identity_assurance=profile.identity_assurance if profile else IdentityAssurance.EMAIL)


def account_email_change_request(*, actor: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; nothing changes until it is opened."""
    _password_matches(actor, password)
    email = _normalised(new_email)
    if email == actor.email:
        raise ServiceError("C'est déjà l'adresse de votre compte.", code="same_email",
                           errors={"email": "C'est déjà l'adresse de votre compte."})
    with transaction.atomic():
        if _flooded(email):
            return
        secret = _challenge(ChallengePurpose.EMAIL, email, EMAIL_CHANGE_VALID, user=actor)
        audit_record(actor=actor, action="user.email_change_requested", target=actor)
        email_notify(to=[email], subject="Confirmez votre nouvelle adresse électronique",
                     body="Bonjour,\n\nPour que cette adresse devienne celle de votre compte, "
                          "ouvrez ce lien (valable 24 heures, une seule fois) :\n"
                          f"{_link('core:email_change_confirm', secret)}\n\n"
                          "Si vous n'avez rien demandé, ignorez ce message : rien ne change.")


def account_email_change_confirm(*, secret: str) -> User:
    """Make the link's address the account's email, once; the former address is told."""
    with transaction.atomic():
        challenge = _open(secret, ChallengePurpose.EMAIL)
        user = challenge.user
        if user is None or not user.is_active:
            raise LinkRefused("Ce compte n'est plus actif.")
        challenge.used_at = timezone.now()
        challenge.save(update_fields=["used_at"])
        if User.objects.filter(email=challenge.email).exclude(pk=user.pk).exists():
            raise LinkRefused("Cette adresse est déjà celle d'un autre compte.")
        former = user.email
        user.email = challenge.email
        user.save(update_fields=["email"])
        audit_record(actor=user, action="user.email_changed", target=user,
                     data={"from": former, "to": user.email})
        email_notify(to=[former], subject="L'adresse de votre compte a changé",
                     body="Bonjour,\n\nL'adresse électronique de votre compte est désormais "
                          f"{user.email}. Si vous n'êtes pas à l'origine de ce changement, "
                          "contactez votre mairie.")
    return user


def account_password_change(*, actor: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other sessions end."""
    if not actor.has_usable_password() or not actor.check_password(current_password):
        raise ServiceError("Le mot de passe actuel est incorrect.", code="wrong_password",
                           errors={"current_password": "Le mot de passe actuel est incorrect."})
    try:
        validate_password(new_password, actor)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        raise ServiceError(message, code="weak_password", errors={"new_password": message}) from exc
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        audit_record(actor=actor, action="user.password_changed", target=actor)


def account_delete(*, actor: User, password: str) -> None:
    """Close a citizen's account and erase their details; filed cases stay, as the law wants."""
    if actor.memberships.filter(revoked_at__isnull=True).exists():
        raise Conflict("Un compte d'agent ne se supprime pas ici : adressez-vous à la DCSI.",
                       code="agent_account")
    _password_matches(actor, password)
    with transaction.atomic():
        audit_record(actor=actor, action="user.delete", target=actor)
        CitizenProfile.objects.filter(user=actor).delete()
        ApiToken.objects.filter(user=actor, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        EmailChallenge.objects.filter(user=actor, used_at__isnull=True).update(
            used_at=timezone.now())
        actor.email = f"compte-supprime-{actor.pk}@invalid"
        actor.first_name = actor.last_name = ""
        actor.is_active = False
        actor.set_unusable_password()
        actor.totp_secret = ""
        actor.save()
