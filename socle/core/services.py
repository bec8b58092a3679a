"""Every write of the core: people, memberships, tokens. Each one is journaled."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from .access import forget_memberships
from .consultations import consultation_record
from .errors import Forbidden, ServiceError
from .journal import audit_record
from .models import (
    ApiToken,
    CitizenProfile,
    IdentityAssurance,
    Membership,
    Organisation,
    OrganisationKind,
    User,
)
from .roles import role_get


def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    check_password: bool = True,
) -> User:
    """Create an account; the password is checked against the password rules."""
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ServiceError("L'adresse électronique n'est pas valide.", code="invalid_email")
    if User.objects.filter(email=email).exists():
        raise ServiceError("Un compte existe déjà avec cette adresse.", code="duplicate")
    user = User(email=email, first_name=first_name, last_name=last_name)
    if password is not None and check_password:
        from django.core.exceptions import ValidationError

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages), code="weak_password") from exc
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit_record(actor=actor, action="user.create", target=user, data={"email": email})
    return user


def citizen_profile_set(
    *,
    actor: User | None,
    user: User,
    home_commune: Organisation | None = None,
    address: str = "",
    postal_code: str = "",
    city: str = "",
    identity_assurance: str = IdentityAssurance.EMAIL,
) -> CitizenProfile:
    """Create or update the citizen profile of an account."""
    if home_commune is not None and home_commune.kind != OrganisationKind.COMMUNE:
        raise ServiceError("La commune de résidence doit être une commune.", code="not_a_commune")
    with transaction.atomic():
        profile, created = CitizenProfile.objects.get_or_create(user=user)
        profile.home_commune = home_commune
        profile.address = address
        profile.postal_code = postal_code
        profile.city = city
        profile.identity_assurance = identity_assurance
        profile.save()
        audit_record(
            actor=actor or user,
            action="citizen.create" if created else "citizen.update",
            organisation=home_commune,
            target=user,
            data={"home_commune": home_commune.slug if home_commune else None},
        )
    return profile


def membership_grant(
    *, actor: User | None, user: User, organisation: Organisation, role: str
) -> Membership:
    """Grant a role on an organisation (and the nodes below it) to an agent."""
    role_get(role)  # raises UnknownRole
    with transaction.atomic():
        existing = Membership.objects.filter(
            user=user, organisation=organisation, role=role, revoked_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        membership = Membership.objects.create(
            user=user, organisation=organisation, role=role, granted_by=actor
        )
        audit_record(
            actor=actor,
            action="membership.grant",
            organisation=organisation,
            target=membership,
            data={"user": user.email, "role": role},
        )
    forget_memberships(user)
    return membership


def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    """Revoke a role; the membership stays for the record."""
    with transaction.atomic():
        membership.revoked_at = timezone.now()
        membership.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="membership.revoke",
            organisation=membership.organisation,
            target=membership,
            data={"user": membership.user.email, "role": membership.role},
        )
    forget_memberships(membership.user)
    return membership


TOKEN_PREFIX = "socle_"


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


TOKEN_ACCESS = ("read", "write")


def token_scope_parse(text: str) -> tuple[str, tuple[str, ...]]:
    """Read a scope written "read", "write", "read:portal" or "write:portal,documents"."""
    from .modules import modules

    access, _, names = text.strip().partition(":")
    if access not in TOKEN_ACCESS:
        raise ServiceError(f"Portée « {text} » illisible : écrivez read ou write, suivi si besoin "
                           "de « : » et des modules (read:portal,documents).", code="invalid_scope")
    chosen = tuple(dict.fromkeys(name.strip() for name in names.split(",") if name.strip()))
    known = {module.name for module in modules()}
    if unknown := [name for name in chosen if name not in known]:
        raise ServiceError(f"Module(s) inconnu(s) dans la portée : {', '.join(unknown)}. "
                           f"Modules : {', '.join(sorted(known))}.", code="invalid_scope")
    return access, chosen


def token_create(*, actor: User | None, user: User, name: str = "",
                 expires_at: datetime | None = None, scope: str = "write") -> tuple[ApiToken, str]:
    """Create an API token; the clear value is returned once and never stored.

    A person creating one in the pages (``actor`` from a session) must have passed the
    second factor, and the token expires; the operator at the command line (``actor`` None)
    may leave the expiry out.
    """
    from .assurance import without_second_factor

    if actor is not None and without_second_factor(actor):
        raise Forbidden("Créer un jeton d'API demande une session ouverte avec le second facteur.")
    if actor is not None and expires_at is None:
        raise ServiceError("Un jeton créé en ligne a une date d'expiration.", code="invalid")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("La date d'expiration doit être dans le futur.", code="invalid")
    access, chosen = token_scope_parse(scope)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    clear = f"{TOKEN_PREFIX}{prefix}_{secret}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, digest=_token_digest(clear),
            expires_at=expires_at, access=access, modules=",".join(chosen),
        )
        audit_record(
            actor=actor,
            action="token.create",
            target=token,
            data={"user": user.email, "prefix": prefix, "name": name,
                  "scope": token.scope_label(),
                  "expires_at": expires_at.isoformat() if expires_at else None},
        )
    return token, clear


def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke an API token at once."""
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="token.revoke", target=token,
                     data={"user": token.user.email, "prefix": token.prefix})
    return token


def token_authenticate(clear: str, *, method: str = "GET", path: str = "",
                       ip_address: str | None = None) -> ApiToken | None:
    """Return the live token a bearer value names (revoked, expired or of an inactive
    person: None), its user loaded. Every use is recorded (decision 0019: one insertion in
    the consultation register, folded into the sealed journal by a job, never the journal's
    lock on the request's path); the token's « dernière utilisation » moves once a minute."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = clear[len(TOKEN_PREFIX):].partition("_")
    if not prefix or not secret:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _token_digest(clear)):
        return None
    now = timezone.now()
    if not token.user.is_active or (token.expires_at is not None and token.expires_at <= now):
        return None
    consultation_record(actor=token.user, action="token.use", organisation=None, target=token,
                        data={"prefix": token.prefix, "method": method, "path": path[:200]},
                        ip_address=ip_address)
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
