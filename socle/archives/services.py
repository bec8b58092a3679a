"""Writes of the archives besides ingest (see ingest.py): holds, elimination, audit requests."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.services import ServiceError

from .agencies import IDENTIFIER_PATTERN, organisation_for_agency
from .models import AgencyIdentifier, ArchivalPackage, Elimination, PackageStatus
from .offers import digest_key, manifest_key, object_key, offers


def package_hold_set(*, actor: User, package: ArchivalPackage, hold: bool,
                     reason: str = "") -> ArchivalPackage:
    """Put a package on hold (no elimination possible) or release it."""
    if not can(actor, "archives.eliminate", package.organisation):
        raise ServiceError("Vous ne pouvez pas geler ce paquet.", code="forbidden")
    if hold and not reason.strip():
        raise ServiceError("Indiquez le motif du gel.", code="reason_required")
    with transaction.atomic():
        package.hold = hold
        package.hold_reason = reason.strip()[:300] if hold else ""
        package.save(update_fields=["hold", "hold_reason"])
        audit_record(actor=actor, action="archives.hold" if hold else "archives.release",
                     organisation=package.organisation, target=package,
                     data={"package": package.identifier, "reason": package.hold_reason})
    return package


def package_eliminate(*, actor: User, package: ArchivalPackage, visa_name: str,
                      visa_date: dt.date, visa_reference: str) -> Elimination:
    """Destroy every copy of a package whose appraisal ended with Destroy, with the director's visa.

    The destruction certificate is the journal event ``archives.eliminate``: package,
    digests, approvals. The package row stays (status destroyed) so the certificate
    keeps its target.
    """
    if not can(actor, "archives.eliminate", package.organisation):
        raise ServiceError("Vous ne pouvez pas éliminer ce paquet.", code="forbidden")
    if package.status != PackageStatus.KEPT:
        raise ServiceError("Ce paquet est déjà éliminé.", code="already_destroyed")
    if package.hold:
        raise ServiceError(f"Ce paquet est gelé : {package.hold_reason}", code="on_hold")
    today = timezone.localdate()
    if package.final_action != "Destroy" or not package.appraisal_end_date \
            or package.appraisal_end_date > today:
        raise ServiceError("Le sort final de ce paquet n'est pas l'élimination, ou sa durée "
                           "d'utilité administrative n'est pas échue.", code="not_eliminable")
    if not (visa_name.strip() and visa_reference.strip()):
        raise ServiceError("Le visa du directeur des archives départementales (nom, date, "
                           "référence) est obligatoire.", code="visa_required")
    contents = list(package.contents.order_by("path"))
    with transaction.atomic():
        elimination = Elimination.objects.create(
            package=package, approved_by=actor, visa_name=visa_name.strip()[:200],
            visa_date=visa_date, visa_reference=visa_reference.strip()[:200])
        package.status = PackageStatus.DESTROYED
        package.destroyed_at = timezone.now()
        package.save(update_fields=["status", "destroyed_at"])
        event = audit_record(
            actor=actor, action="archives.eliminate", organisation=package.organisation,
            target=package, data={
                "certificate": "Certificat de destruction",
                "package": package.identifier, "title": package.title,
                "manifest_sha256": package.manifest_sha256,
                "objects": {obj.path: obj.sha256 for obj in contents},
                "appraisal_rule": package.appraisal_rule,
                "appraisal_end_date": str(package.appraisal_end_date),
                "approved_by": actor.email,
                "visa": {"name": elimination.visa_name, "date": str(visa_date),
                         "reference": elimination.visa_reference},
                "offers": [offer.name for offer in offers()],
            })
        elimination.certificate_event = event.seq
        elimination.save(update_fields=["certificate_event"])
        # Removed last, inside the transaction: if the journal write fails, nothing is lost.
        for offer in offers():
            for obj in contents:
                offer.delete(object_key(package.identifier, obj.path))
                offer.delete(digest_key(package.identifier, obj.path))
            offer.delete(manifest_key(package.identifier))
    return elimination


AUDIT = "archives.audit"
# The fractions an archivist may ask for from the audits page (the full audit is the
# weekly job, or `socle archives verify`).
AUDIT_SAMPLES = (0.01, 0.05, 0.1, 0.25)


def audit_request(*, actor: User, organisation: Organisation, sample: float) -> None:
    """Queue a sampled fixity audit of an organisation's packages (run by `socle worker`)."""
    from .tasks import verify_organisation_task

    if not can(actor, AUDIT, organisation):
        raise ServiceError("Vous ne pouvez pas lancer d'audit pour ce service.", code="forbidden")
    if sample not in AUDIT_SAMPLES:
        raise ServiceError("Choisissez la part des objets à contrôler.", code="invalid_sample")
    with transaction.atomic():
        audit_record(actor=actor, action="archives.audit_request", organisation=organisation,
                     data={"sample": sample})
        transaction.on_commit(lambda: verify_organisation_task.enqueue(
            organisation_id=organisation.pk, actor_id=actor.pk, sample=sample))


def agency_identifier_add(*, actor: User, organisation: Organisation, identifier: str,
                          label: str = "") -> AgencyIdentifier:
    """Declare a name the organisation answers to in SEDA messages."""
    if not can(actor, "archives.ingest", organisation):
        raise Forbidden("Vous ne pouvez pas déclarer d'identifiant pour cette organisation.")
    value = identifier.strip()
    if not IDENTIFIER_PATTERN.fullmatch(value):
        raise ServiceError("Un identifiant de service tient en 100 caractères au plus : lettres "
                           "sans accent, chiffres et . _ : / -, sans espace (par exemple "
                           "FRAD060).", code="invalid_identifier")
    value = value.upper()
    taken = organisation_for_agency(value)
    if taken is not None:
        raise Conflict(f"« {value} » désigne déjà « {taken.name} » : un identifiant ne "
                           "désigne qu'une organisation.", code="identifier_taken")
    with transaction.atomic():
        declared = AgencyIdentifier.objects.create(organisation=organisation, identifier=value,
                                                   label=label.strip()[:200], created_by=actor)
        audit_record(actor=actor, action="archives.agency_identifier_add",
                     organisation=organisation, target=declared,
                     data={"identifier": value, "label": declared.label})
    return declared


def agency_identifier_remove(*, actor: User, declared: AgencyIdentifier) -> None:
    """Withdraw a declared identifier (packages already archived keep what they said)."""
    if not can(actor, "archives.ingest", declared.organisation):
        raise Forbidden("Vous ne pouvez pas retirer cet identifiant.")
    with transaction.atomic():
        audit_record(actor=actor, action="archives.agency_identifier_remove",
                     organisation=declared.organisation, target=declared,
                     data={"identifier": declared.identifier})
        declared.delete()
