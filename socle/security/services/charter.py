"""The IT charter: the DCSI publishes versions, every agent accepts the one in force."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .. import selectors
from ..gate import stamp_forget
from ..models import CharterAcceptance, CharterVersion
from .common import require, text


def charter_publish(*, actor: User | None, organisation: Organisation, number: str, title: str,
                    text_body: str, in_force_from: datetime | None = None) -> CharterVersion:
    """Publish a version of the IT charter, in force from a date (now by default)."""
    if actor is not None:
        require(actor, selectors.MANAGE, organisation)
    number = text(number, field="number", label="Numéro de version", max_length=20)
    title = text(title, field="title", label="Titre", max_length=200)
    body = text(text_body, field="text", label="Texte de la charte", max_length=100_000)
    start = in_force_from or timezone.now()
    current = selectors.charter_in_force()
    if current is not None and start <= current.in_force_from:
        raise ServiceError("La nouvelle version doit entrer en vigueur après la version "
                           "actuelle.", code="invalid", errors={"in_force_from": "Date trop tôt."})
    try:
        with transaction.atomic():
            version = CharterVersion.objects.create(
                organisation=organisation, number=number, title=title, text=body,
                in_force_from=start, published_by=actor)
            audit_record(actor=actor, action="security.charter_publish",
                         organisation=organisation, target=version,
                         data={"number": number, "in_force_from": start.isoformat()})
            # Now and once committed: a page read in between must not keep the old stamp.
            stamp_forget()
            transaction.on_commit(stamp_forget)
    except IntegrityError:
        raise Conflict(f"La version {number} existe déjà.", code="duplicate_version") from None
    return version


def charter_accept(*, actor: User, version: CharterVersion,
                   at: datetime | None = None) -> CharterAcceptance:
    """Record that the agent accepts that version of the charter (once)."""
    organisation = selectors.agent_organisation(actor=actor)
    if organisation is None:
        raise Forbidden("Seuls les agents acceptent la charte informatique.")
    current = selectors.charter_in_force(at=at)
    if current is None or current.pk != version.pk:
        raise Conflict("Cette version de la charte n'est plus celle en vigueur : relisez la "
                       "nouvelle.", code="not_in_force")
    with transaction.atomic():
        acceptance, created = CharterAcceptance.objects.get_or_create(
            version=version, user=actor,
            defaults={"organisation": organisation, "accepted_at": at or timezone.now()})
        if created:
            audit_record(actor=actor, action="security.charter_accept",
                         organisation=organisation, target=version,
                         data={"number": version.number})
    return acceptance
