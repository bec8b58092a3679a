"""Explicit sharing of a document with another organisation: read-only, revocable, may expire.

``document_share(*, actor, document, organisation, expires_on=None, reason="") -> DocumentShare``
    Opens the document to the readers (``documents.view``) of that organisation: its page,
    metadata, versions, downloads and search hits, never a write. Only a holder of
    ``documents.share_document`` on the document's organisation may share; not with that
    organisation nor one above it (their agents already see it), never a document under a
    restricted node. Sharing again with the same organisation replaces the previous share.
``document_unshare(*, actor, share)``: closes a share; the document is a 404 again there.

What a share opens is decided in ``selectors.documents_for``; this module only writes
shares and lists them for the document page and the API.

Refusals are ``ShareRefused`` (a ``ServiceError``): ``forbidden``, ``restricted``,
``invalid_organisation``, ``invalid_expiry``, ``already_revoked``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, can, get_or_404
from socle.core.journal import audit_record
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.services import ServiceError

from .models import Document, DocumentShare
from .selectors import _ancestor_paths

SHARE = "documents.share_document"
REASON_MAX = 300


class ShareRefused(ServiceError):
    """A refusal of a sharing operation, in French, with a code."""


def _require_share(actor: User | None, document: Document) -> None:
    # actor None: the system (demo loader, commands run by the operator).
    if actor is not None and not can(actor, SHARE, document.organisation):
        raise ShareRefused("Votre rôle ne permet pas de partager les documents de cette organisation.",
                           code="forbidden")


def _check_target(document: Document, organisation: Organisation) -> None:
    if document.organisation.path.startswith(organisation.path):
        # The owner itself, or an organisation above it whose agents already see the document.
        raise ShareRefused(f"Les agents de {organisation.name} voient déjà ce document : choisissez "
                           "une autre organisation.", code="invalid_organisation")
    access = document.node.access_rule
    if access.startswith("restricted:"):
        raise ShareRefused("Ce document est classé sous un nœud à accès restreint : il ne peut pas "
                           "être partagé avec une autre organisation.", code="restricted")


def document_share(*, actor: User | None, document: Document, organisation: Organisation,
                   expires_on: date | None = None, reason: str = "") -> DocumentShare:
    """Let the readers of another organisation see a document, read-only, until revoked or expired."""
    _require_share(actor, document)
    _check_target(document, organisation)
    if expires_on is not None and expires_on < timezone.localdate():
        raise ShareRefused("La date de fin du partage est déjà passée.", code="invalid_expiry")
    reason = " ".join(reason.replace("\x00", "").split())[:REASON_MAX]
    with transaction.atomic():
        # The document's row orders concurrent shares: one unrevoked share per organisation.
        locked = Document.objects.select_for_update().select_related("organisation", "node").get(
            pk=document.pk)
        _check_target(locked, organisation)
        previous = DocumentShare.objects.filter(document=locked, organisation=organisation,
                                                revoked_at__isnull=True).first()
        now = timezone.now()
        if previous is not None:
            previous.revoked_at = now
            previous.revoked_by = actor
            previous.save(update_fields=["revoked_at", "revoked_by"])
        share = DocumentShare.objects.create(document=locked, organisation=organisation,
                                             granted_by=actor, granted_at=now, expires_on=expires_on,
                                             reason=reason)
        audit_record(actor=actor, action="documents.share", organisation=locked.organisation,
                     target=locked, data={
                         "share": share.pk, "with": organisation.slug,
                         "expires_on": expires_on.isoformat() if expires_on else None,
                         "reason": reason, "replaces": previous.pk if previous else None})
    return share


def document_unshare(*, actor: User | None, share: DocumentShare) -> DocumentShare:
    """Close a share: the other organisation's readers no longer see the document."""
    document = share.document
    _require_share(actor, document)
    with transaction.atomic():
        locked = DocumentShare.objects.select_for_update().select_related("organisation").get(
            pk=share.pk)
        if locked.revoked_at is not None:
            raise ShareRefused("Ce partage a déjà été retiré.", code="already_revoked")
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="documents.unshare", organisation=document.organisation,
                     target=document, data={"share": locked.pk, "with": locked.organisation.slug})
    share.revoked_at, share.revoked_by = locked.revoked_at, locked.revoked_by
    return locked


# ---------------------------------------------------------------- reads


def may_share(actor: Actor, document: Document) -> bool:
    """Tell whether the actor may share (and unshare) a document obtained through a selector."""
    return can(actor, SHARE, document.organisation) and not document.node.access_rule.startswith(
        "restricted:")


def shares_active(document: Document, today: date | None = None) -> QuerySet[DocumentShare]:
    """Return the current shares of a document obtained through a selector, by organisation."""
    today = today or timezone.localdate()
    return (document.shares.filter(revoked_at__isnull=True)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .select_related("organisation", "granted_by").order_by("organisation__name"))


def share_get(document: Document, organisation_slug: Any) -> DocumentShare:
    """Return the unrevoked share of a document with an organisation (by slug), or 404.

    An expired share is still found, so that it can be closed for good.
    """
    return get_or_404(document.shares.filter(revoked_at__isnull=True).select_related("organisation"),
                      organisation__slug=str(organisation_slug)[:80])


def share_targets(document: Document) -> QuerySet[Organisation]:
    """Return the communes a document may be shared with (not its own nor those above it)."""
    return (Organisation.objects.filter(kind=OrganisationKind.COMMUNE)
            .exclude(path__in=_ancestor_paths(document.organisation.path)).order_by("name"))


def share_target_get(slug: Any) -> Organisation | None:
    """Return the organisation a share names, or None when there is none of that slug."""
    return Organisation.objects.filter(slug=str(slug)[:80]).first()
