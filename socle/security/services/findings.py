"""Penetration-test findings: recorded with their CVSS 3.1 vector, followed until retested."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.modules import object_ref_parse

from .. import cvss, selectors
from ..models import Finding, FindingStatus, Retest
from .common import require, text

ASSET_KIND = "inventory.asset"


def _asset(asset: str) -> tuple[int | None, str]:
    """An inventory asset's key (``inventory.asset:12``) or a free reference."""
    asset = text(asset, field="asset", label="Actif", max_length=200)
    if asset.startswith(f"{ASSET_KIND}:"):
        pk = object_ref_parse(asset, ASSET_KIND)
        if pk is None:
            raise ServiceError("Une clé d'actif s'écrit « inventory.asset:<numéro> ».",
                               code="invalid", errors={"asset": "Clé d'actif invalide."})
        return pk, ""
    return None, asset


def finding_create(*, actor: User | None, organisation: Organisation, title: str, asset: str,
                   cvss_vector: str, recommendation: str, owner: str, due_on: date,
                   reported_on: date | None = None) -> Finding:
    """Record a penetration-test finding on one of an organisation's assets."""
    if actor is not None:
        require(actor, selectors.MANAGE, organisation)
    scored = cvss.score(cvss_vector)  # raises InvalidVector (400) on a malformed vector
    asset_id, asset_label = _asset(asset)
    with transaction.atomic():
        finding = Finding.objects.create(
            organisation=organisation, title=text(title, field="title", label="Titre",
                                                  max_length=200),
            inventory_asset_id=asset_id, asset_label=asset_label, cvss_vector=scored.vector,
            cvss_score=Decimal(str(scored.score)), severity=scored.severity,
            recommendation=text(recommendation, field="recommendation", label="Recommandation",
                                max_length=20_000),
            owner=text(owner, field="owner", label="Responsable", max_length=150),
            due_on=due_on, reported_on=reported_on or timezone.localdate())
        audit_record(actor=actor, action="security.finding_create", organisation=organisation,
                     target=finding, data={"cvss": scored.vector, "score": scored.score})
    return finding


def finding_status_set(*, actor: User | None, finding: Finding, status: str) -> Finding:
    """Move a finding to another status (closing one takes a passed retest)."""
    if actor is not None:
        require(actor, selectors.MANAGE, finding.organisation)
    if status not in FindingStatus.values:
        raise ServiceError("Statut inconnu.", code="invalid", errors={"status": "Statut inconnu."})
    if status == FindingStatus.CLOSED and finding.retest != Retest.PASSED:
        raise ServiceError("Une vulnérabilité se clôt après une revérification réussie.",
                           code="retest_required")
    with transaction.atomic():
        previous, finding.status = finding.status, status
        finding.save(update_fields=["status"])
        audit_record(actor=actor, action="security.finding_status",
                     organisation=finding.organisation, target=finding,
                     data={"from": previous, "to": status})
    return finding


def finding_retest(*, actor: User | None, finding: Finding, passed: bool,
                   on: date | None = None) -> Finding:
    """Record a retest: a passed one closes the finding, a failed one reopens it."""
    if actor is not None:
        require(actor, selectors.MANAGE, finding.organisation)
    with transaction.atomic():
        finding.retest = Retest.PASSED if passed else Retest.FAILED
        finding.retested_on = on or timezone.localdate()
        finding.status = FindingStatus.CLOSED if passed else FindingStatus.OPEN
        finding.save(update_fields=["retest", "retested_on", "status"])
        audit_record(actor=actor, action="security.finding_retest",
                     organisation=finding.organisation, target=finding,
                     data={"passed": passed})
    return finding
