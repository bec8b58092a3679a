"""Every write of the GDPR registers, each in one transaction with its journal event.

Processing activities (entered by a structure, or declared by the platform's modules and
synced), processors, data-subject requests with their legal delay, breaches with their
72-hour clock and the decision to notify, impact assessments from shared templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import AuditEntry, audit_record, audit_record_many
from socle.core.letters import french_date
from socle.core.models import Organisation, User
from socle.core.module_activation import module_enabled
from socle.core.modules import ProcessingActivity, processing_activities
from socle.core.notifications import absolute_url, email_notify

from . import selectors
from ._checks import _choice, _require, _text
from .deadlines import (
    breach_clock,
    breach_deadline,
    request_due_on,
    request_extended_due_on,
)
from .models import (
    OPEN_REQUEST_STATUSES,
    Activity,
    ActivitySource,
    Breach,
    Decision,
    ExportStatus,
    LegalBasis,
    Processor,
    RequestKind,
    RequestStatus,
    Risk,
    SubjectRequest,
)

VIEW = selectors.VIEW
MANAGE = selectors.MANAGE
TEMPLATES = selectors.TEMPLATES
OPINION = selectors.OPINION

# What the platform itself does for every activity it declares: said once here, so that a
# platform-declared entry of the register is complete and true.
PLATFORM_RECIPIENTS = ("Agents de la structure habilités par leur rôle sur la plateforme ; "
                       "la DCSI de l'ARC pour l'exploitation")
PLATFORM_TRANSFERS = ("Aucun transfert hors de l'Union européenne organisé par la plateforme ; "
                      "lieu d'hébergement : fiche d'exploitation de la DCSI")
PLATFORM_SECURITY = ("Accès par rôle, cloisonné par organisation ; second facteur (TOTP) pour "
                     "les agents ; journal des actions chaîné (SHA-256), scellé par horodatage "
                     "RFC 3161 quand l'autorité est configurée ; fichiers contrôlés au dépôt "
                     "(taille, type reconnu au contenu, PDF actifs refusés)")
# Fields a platform declaration owns: the register shows them as declared, a person does
# not edit them (they would be overwritten by the next sync).
PLATFORM_FIELDS = ("name", "purpose", "legal_basis", "legal_basis_detail", "data_subjects",
                   "data_categories", "retention")
ACTIVITY_TEXTS = {
    "name": ("Le nom du traitement", 200), "purpose": ("La finalité", 2000),
    "legal_basis_detail": ("La précision sur la base légale", 500),
    "data_categories": ("Les catégories de données", 2000),
    "data_subjects": ("Les catégories de personnes", 2000),
    "recipients": ("Les destinataires", 2000), "transfers": ("Les transferts", 2000),
    "retention": ("Les durées de conservation", 2000),
    "security_measures": ("Les mesures de sécurité", 4000),
}


# ----------------------------------------------------------------------------- activities


def _activity_values(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, (label, length) in ACTIVITY_TEXTS.items():
        if name in values or not partial:
            cleaned[name] = _text(values.get(name, ""), label, length,
                                  required=name in {"name", "purpose"}, name=name)
    if "legal_basis" in values or not partial:
        cleaned["legal_basis"] = _choice(str(values.get("legal_basis", "")), LegalBasis,
                                         "La base légale", "legal_basis")
    if "sensitive_data" in values:
        cleaned["sensitive_data"] = bool(values["sensitive_data"])
    return cleaned


def _processors_of(organisation: Organisation, processors: Iterable[Processor]) -> list[Processor]:
    chosen = list(processors)
    if any(p.organisation_id != organisation.pk for p in chosen):
        raise ServiceError("Un sous-traitant d'une autre structure ne peut pas être lié à ce "
                           "traitement.", code="invalid", errors={"processors": "Sous-traitant inconnu."})
    return chosen


def activity_create(*, actor: User | None, organisation: Organisation,
                    processors: Iterable[Processor] = (), **values: Any) -> Activity:
    """Enter a processing activity in a structure's register (art. 30-1)."""
    actor = _require(actor, MANAGE, organisation)
    unknown = set(values) - set(ACTIVITY_TEXTS) - {"legal_basis", "sensitive_data"}
    if unknown:
        raise ServiceError(f"Champs inconnus : {', '.join(sorted(unknown))}.", code="invalid")
    cleaned = _activity_values(values, partial=False)
    chosen = _processors_of(organisation, processors)
    with transaction.atomic():
        activity = Activity.objects.create(organisation=organisation, **cleaned)
        activity.processors.set(chosen)
        audit_record(actor=actor, action="privacy.activity_create", organisation=organisation,
                     target=activity, data={"name": activity.name,
                                            "legal_basis": activity.legal_basis})
    return activity


def activity_update(*, actor: User | None, activity: Activity,
                    processors: Iterable[Processor] | None = None, **values: Any) -> Activity:
    """Change an activity; a platform-declared one keeps what its module declares."""
    actor = _require(actor, MANAGE, activity.organisation)
    if activity.archived_at is not None:
        raise Conflict("Ce traitement est retiré du registre : il ne se modifie plus.")
    unknown = set(values) - set(ACTIVITY_TEXTS) - {"legal_basis", "sensitive_data"}
    if unknown:
        raise ServiceError(f"Champs inconnus : {', '.join(sorted(unknown))}.", code="invalid")
    cleaned = _activity_values(values, partial=True)
    if activity.is_platform:
        owned = [name for name in PLATFORM_FIELDS
                 if name in cleaned and cleaned[name] != getattr(activity, name)]
        if owned:
            raise Conflict("Ce traitement est déclaré par la plateforme : sa finalité, sa base "
                           "légale, ses personnes, données et durées suivent la déclaration du "
                           "module.", code="platform_declared")
    changed = sorted(name for name, value in cleaned.items() if value != getattr(activity, name))
    with transaction.atomic():
        for name in changed:
            setattr(activity, name, cleaned[name])
        activity.updated_at = timezone.now()
        activity.save()
        if processors is not None:
            activity.processors.set(_processors_of(activity.organisation, processors))
            changed.append("processors")
        audit_record(actor=actor, action="privacy.activity_update",
                     organisation=activity.organisation, target=activity,
                     data={"fields": changed})
    return activity


def activity_archive(*, actor: User | None, activity: Activity, reason: str) -> Activity:
    """Withdraw an activity the structure no longer performs (kept, shown as withdrawn)."""
    actor = _require(actor, MANAGE, activity.organisation)
    reason = _text(reason, "Le motif", 500, required=True, name="reason")
    if activity.is_platform:
        raise Conflict("Un traitement déclaré par la plateforme se retire en désactivant son "
                       "module pour la structure.", code="platform_declared")
    if activity.archived_at is not None:
        return activity
    with transaction.atomic():
        activity.archived_at = timezone.now()
        activity.save(update_fields=["archived_at"])
        audit_record(actor=actor, action="privacy.activity_archive",
                     organisation=activity.organisation, target=activity, data={"reason": reason})
    return activity


def _legal_basis_of(text: str) -> LegalBasis:
    """Read the legal basis a module declares in words ("… (RGPD, art. 6-1-e)")."""
    compact = text.replace(" ", "").lower()
    for letter, basis in (("a", LegalBasis.CONSENT), ("b", LegalBasis.CONTRACT),
                          ("c", LegalBasis.LEGAL_OBLIGATION), ("d", LegalBasis.VITAL_INTERESTS),
                          ("e", LegalBasis.PUBLIC_TASK), ("f", LegalBasis.LEGITIMATE_INTERESTS)):
        if f"6-1-{letter}" in compact or f"6.1.{letter}" in compact or f"6(1)({letter})" in compact:
            return basis
    return LegalBasis.PUBLIC_TASK


def _declared_values(declared: ProcessingActivity) -> dict[str, Any]:
    return {"name": declared.name[:200], "purpose": declared.purpose,
            "legal_basis": _legal_basis_of(declared.legal_basis),
            "legal_basis_detail": declared.legal_basis[:500],
            "data_subjects": declared.data_subjects, "data_categories": declared.data_categories,
            "retention": declared.retention}


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    archived: int = 0
    restored: int = 0
    organisations: set[str] = field(default_factory=set)

    def summary(self) -> str:
        return (f"Traitements de la plateforme : {self.created} ajoutés, {self.updated} mis à "
                f"jour, {self.archived} retirés, {self.restored} rétablis, dans "
                f"{len(self.organisations)} registres.")


def _sync_one(organisation: Organisation, declarations: Sequence[tuple[str, ProcessingActivity]],
              existing: dict[tuple[str, str], Activity], now: datetime,
              report: SyncReport) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for module_name, declared in declarations:
        key = (module_name, declared.name)
        if not module_enabled(module_name, organisation):
            continue
        seen.add(key)
        values = _declared_values(declared)
        activity = existing.get(key)
        if activity is None:
            Activity.objects.create(
                organisation=organisation, source=ActivitySource.PLATFORM,
                platform_module=module_name, platform_name=declared.name,
                recipients=PLATFORM_RECIPIENTS, transfers=PLATFORM_TRANSFERS,
                security_measures=PLATFORM_SECURITY, created_at=now, updated_at=now, **values)
            report.created += 1
            changes.append({"module": module_name, "activity": declared.name, "change": "created"})
            continue
        differs = [name for name, value in values.items() if getattr(activity, name) != value]
        if differs or activity.archived_at is not None:
            for name in differs:
                setattr(activity, name, values[name])
            restored = activity.archived_at is not None
            activity.archived_at = None
            activity.updated_at = now
            activity.save()
            report.restored += restored
            report.updated += bool(differs) and not restored
            changes.append({"module": module_name, "activity": declared.name,
                            "change": "restored" if restored else "updated", "fields": differs})
    for key, activity in existing.items():
        if key not in seen and activity.archived_at is None:
            activity.archived_at = now
            activity.save(update_fields=["archived_at"])
            report.archived += 1
            changes.append({"module": key[0], "activity": key[1], "change": "archived"})
    return changes


def platform_sync(*, actor: User | None = None,
                  organisations: Iterable[Organisation] | None = None) -> SyncReport:
    """Bring each structure's register in line with what the platform's modules declare.

    A module switched off for a structure does not process data there: its activities are
    withdrawn from that register, and come back when it is switched on again.
    """
    declarations = [(module.name, declared) for module, declared in processing_activities()]
    targets = list(organisations) if organisations is not None else list(Organisation.objects.all())
    report = SyncReport()
    now = timezone.now()
    with transaction.atomic():
        entries = []
        for organisation in targets:
            existing = {(a.platform_module, a.platform_name): a for a in
                        Activity.objects.select_for_update().filter(
                            organisation=organisation, source=ActivitySource.PLATFORM)}
            changes = _sync_one(organisation, declarations, existing, now, report)
            if changes:
                report.organisations.add(organisation.slug)
                entries.append(AuditEntry(actor=actor, action="privacy.platform_sync",
                                          organisation=organisation, data={"changes": changes}))
        audit_record_many(entries)
    return report


# ----------------------------------------------------------------------------- processors


def processor_create(*, actor: User | None, organisation: Organisation, name: str, service: str,
                     contact: str = "", country: str = "France", contract_clauses: bool = False,
                     guarantees: str = "") -> Processor:
    """Enter a processor acting for a structure (art. 28, art. 30-1-d)."""
    actor = _require(actor, MANAGE, organisation)
    name = _text(name, "Le nom du sous-traitant", 200, required=True, name="name")
    values = {"service": _text(service, "La prestation", 500, required=True, name="service"),
              "contact": _text(contact, "Le contact", 300, name="contact"),
              "country": _text(country, "Le pays", 100, required=True, name="country"),
              "contract_clauses": bool(contract_clauses),
              "guarantees": _text(guarantees, "Les garanties", 2000, name="guarantees")}
    with transaction.atomic():
        if Processor.objects.filter(organisation=organisation, name=name).exists():
            raise Conflict(f"Le sous-traitant « {name} » est déjà au registre.", code="duplicate")
        processor = Processor.objects.create(organisation=organisation, name=name, **values)
        audit_record(actor=actor, action="privacy.processor_create", organisation=organisation,
                     target=processor, data={"name": name, "country": values["country"]})
    return processor


# ------------------------------------------------------------------------------- requests


def request_create(*, actor: User | None, organisation: Organisation, kind: str,
                   requester_name: str, requester_email: str = "", description: str = "",
                   received_on: date | None = None) -> SubjectRequest:
    """Record a data subject's request; its due date is one month from receipt (art. 12-3)."""
    actor = _require(actor, MANAGE, organisation)
    kind = _choice(kind, RequestKind, "Le droit exercé", "kind")
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        raise ServiceError("La date de réception ne peut pas être dans le futur.", code="invalid",
                           errors={"received_on": "Date dans le futur."})
    if received_on < today - timedelta(days=3 * 366):
        raise ServiceError("La date de réception remonte à plus de trois ans.", code="invalid",
                           errors={"received_on": "Date trop ancienne."})
    email = _text(requester_email, "L'adresse électronique", 254, name="requester_email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError("L'adresse électronique n'est pas valide.", code="invalid",
                               errors={"requester_email": "Adresse invalide."}) from None
    request = SubjectRequest(
        organisation=organisation, kind=kind, requester_email=email,
        requester_name=_text(requester_name, "Le nom de la personne", 200, required=True,
                             name="requester_name"),
        description=_text(description, "L'objet de la demande", 4000, name="description"),
        received_on=received_on, due_on=request_due_on(received_on))
    with transaction.atomic():
        request.save()
        audit_record(actor=actor, action="privacy.request_create", organisation=organisation,
                     target=request, data={"kind": kind, "received_on": received_on.isoformat(),
                                           "due_on": request.due_on.isoformat()})
    return request


def _open(request: SubjectRequest) -> None:
    if not request.is_open:
        raise Conflict("Cette demande est close.", code="closed")


def request_assign(*, actor: User | None, request: SubjectRequest, handler: User) -> SubjectRequest:
    """Give a request to the DPO or a referent who answers for that structure."""
    actor = _require(actor, MANAGE, request.organisation)
    _open(request)
    if not can(handler, MANAGE, request.organisation):
        raise ServiceError("Cette personne ne peut pas traiter les demandes de cette structure.",
                           code="invalid", errors={"handler": "Personne non habilitée."})
    with transaction.atomic():
        request.handler = handler
        request.status = RequestStatus.IN_PROGRESS
        request.save(update_fields=["handler", "status"])
        audit_record(actor=actor, action="privacy.request_assign",
                     organisation=request.organisation, target=request,
                     data={"handler": handler.email})
    return request


def request_link_subject(*, actor: User | None, request: SubjectRequest,
                         subject: User | None) -> SubjectRequest:
    """Record which account of the platform is the person's, once their identity checked."""
    actor = _require(actor, MANAGE, request.organisation)
    _open(request)
    if subject is None:
        raise ServiceError("Aucun compte de la plateforme ne porte cette adresse.",
                           code="unknown_account", errors={"email": "Compte introuvable."})
    # The account must be the one the request names: a handler cannot pull someone else's
    # data into a request by linking another account to it.
    if subject.email.lower() != request.requester_email.lower():
        raise ServiceError("Ce compte ne porte pas l'adresse électronique de la demande : seule "
                           "la personne qui a fait la demande peut recevoir ses données.",
                           code="account_mismatch", errors={"email": "Autre adresse que celle "
                                                                     "de la demande."})
    with transaction.atomic():
        request.subject = subject
        request.save(update_fields=["subject"])
        audit_record(actor=actor, action="privacy.request_link",
                     organisation=request.organisation, target=request,
                     data={"subject": subject.pk})
    return request


def request_extend(*, actor: User | None, request: SubjectRequest, reason: str,
                   today: date | None = None) -> SubjectRequest:
    """Extend a request by two months, within the first month and with the reason told."""
    actor = _require(actor, MANAGE, request.organisation)
    _open(request)
    reason = _text(reason, "Le motif de la prolongation", 2000, required=True, name="reason")
    today = today or timezone.localdate()
    if request.extended_due_on is not None:
        raise Conflict("Cette demande a déjà été prolongée : le RGPD ne permet qu'une "
                       "prolongation de deux mois.", code="already_extended")
    if today > request.due_on:
        raise Conflict("Le délai d'un mois est passé : la prolongation devait être annoncée à la "
                       "personne dans le mois suivant sa demande (art. 12-3).", code="too_late")
    with transaction.atomic():
        request.extended_due_on = request_extended_due_on(request.received_on)
        request.extension_reason = reason
        request.alert_stage = 0  # the reminders start again for the new due date
        request.save(update_fields=["extended_due_on", "extension_reason", "alert_stage"])
        audit_record(actor=actor, action="privacy.request_extend",
                     organisation=request.organisation, target=request,
                     data={"due_on": request.extended_due_on.isoformat(), "reason": reason})
    return request


def request_close(*, actor: User | None, request: SubjectRequest, status: str,
                  answer: str, closed_on: date | None = None) -> SubjectRequest:
    """Close a request as answered, or refused with its reasons (art. 12-4)."""
    actor = _require(actor, MANAGE, request.organisation)
    _open(request)
    if status not in (RequestStatus.ANSWERED, RequestStatus.REFUSED):
        raise ServiceError("Une demande se clôt répondue ou refusée.", code="invalid",
                           errors={"status": "Choisissez répondue ou refusée."})
    label = "Le motif du refus" if status == RequestStatus.REFUSED else "La réponse"
    answer = _text(answer, label, 4000, required=True, name="answer")
    closed_on = closed_on or timezone.localdate()
    if closed_on < request.received_on:
        raise ServiceError("La date de réponse précède la réception.", code="invalid")
    with transaction.atomic():
        request.status, request.answer, request.closed_on = status, answer, closed_on
        request.save(update_fields=["status", "answer", "closed_on"])
        audit_record(actor=actor, action="privacy.request_close",
                     organisation=request.organisation, target=request,
                     data={"status": status, "closed_on": closed_on.isoformat(),
                           "late": closed_on > request.deadline})
    return request


def export_request(*, actor: User | None, request: SubjectRequest) -> SubjectRequest:
    """Queue the zip of what the platform holds on the person, for the request's handler."""
    from .tasks import export_build_task

    actor = _require(actor, MANAGE, request.organisation)
    _open(request)
    if request.kind not in (RequestKind.ACCESS, RequestKind.PORTABILITY):
        raise Conflict("Un export ne répond qu'à une demande d'accès ou de portabilité.",
                       code="wrong_kind")
    if request.subject_id is None:
        raise Conflict("Reliez d'abord la demande au compte de la personne, une fois son "
                       "identité vérifiée.", code="no_subject")
    if request.handler_id != actor.pk:
        raise Forbidden("Seule la personne qui traite la demande peut en demander l'export : "
                        "prenez la demande en charge d'abord.")
    if request.export_status == ExportStatus.PENDING:
        raise Conflict("Un export est déjà en préparation.", code="pending")
    with transaction.atomic():
        request.export_status = ExportStatus.PENDING
        request.export_error = ""
        request.save(update_fields=["export_status", "export_error"])
        audit_record(actor=actor, action="privacy.export_request",
                     organisation=request.organisation, target=request, data={})
        request_id = request.pk
        transaction.on_commit(lambda: export_build_task.enqueue(request_id=request_id))
    return request


def export_download_record(*, actor: User, request: SubjectRequest) -> None:
    """Journal that the handler downloaded a request's export."""
    with transaction.atomic():
        audit_record(actor=actor, action="privacy.export_download",
                     organisation=request.organisation, target=request,
                     data={"sha256": request.export_blob.sha256 if request.export_blob else ""})


# ------------------------------------------------------------------------------- breaches


def _moment(value: datetime | None, label: str, name: str) -> datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + timedelta(minutes=5):
        raise ServiceError(f"{label} ne peut pas être dans le futur.", code="invalid",
                           errors={name: "Date dans le futur."})
    if value.year < 2000:
        raise ServiceError(f"{label} n'est pas plausible.", code="invalid",
                           errors={name: "Date invalide."})
    return value


def breach_create(*, actor: User | None, organisation: Organisation, title: str,
                  description: str, aware_at: datetime, occurred_at: datetime | None = None,
                  confidentiality: bool = False, integrity: bool = False,
                  availability: bool = False, data_categories: str = "",
                  subjects_count: int | None = None, consequences: str = "", measures: str = "",
                  risk: str = Risk.RISK) -> Breach:
    """Document a breach (art. 33-5); the 72 hours run from when the structure became aware."""
    actor = _require(actor, MANAGE, organisation)
    aware = _moment(aware_at, "Le moment de la prise de connaissance", "aware_at")
    if aware is None:
        raise ServiceError("Le moment de la prise de connaissance est obligatoire.",
                           code="invalid", errors={"aware_at": "Obligatoire."})
    occurred = _moment(occurred_at, "Le moment de la violation", "occurred_at")
    if occurred is not None and occurred > aware:
        raise ServiceError("La violation ne peut pas avoir eu lieu après sa découverte.",
                           code="invalid", errors={"occurred_at": "Postérieure à la découverte."})
    if not (confidentiality or integrity or availability):
        raise ServiceError("Dites si la violation touche la confidentialité, l'intégrité ou la "
                           "disponibilité des données.", code="invalid",
                           errors={"nature": "Cochez au moins une nature."})
    if subjects_count is not None and not 0 <= subjects_count < 10**9:
        raise ServiceError("Le nombre de personnes concernées n'est pas plausible.",
                           code="invalid", errors={"subjects_count": "Nombre invalide."})
    breach = Breach(
        organisation=organisation, aware_at=aware, occurred_at=occurred,
        title=_text(title, "Le titre", 200, required=True, name="title"),
        description=_text(description, "La description", 4000, required=True, name="description"),
        confidentiality=confidentiality, integrity=integrity, availability=availability,
        data_categories=_text(data_categories, "Les données concernées", 2000,
                              name="data_categories"),
        subjects_count=subjects_count,
        consequences=_text(consequences, "Les conséquences", 4000, name="consequences"),
        measures=_text(measures, "Les mesures", 4000, name="measures"),
        risk=_choice(risk, Risk, "Le niveau de risque", "risk"), recorded_by=actor)
    with transaction.atomic():
        breach.save()
        audit_record(actor=actor, action="privacy.breach_create", organisation=organisation,
                     target=breach, data={"aware_at": aware.isoformat(), "risk": breach.risk,
                                          "deadline": breach_deadline(aware).isoformat()})
    return breach


def breach_decide(*, actor: User | None, breach: Breach, cnil: str, cnil_reason: str = "",
                  subjects: str = Decision.PENDING, subjects_reason: str = "") -> Breach:
    """Decide whether to notify the CNIL (art. 33) and the people concerned (art. 34)."""
    actor = _require(actor, MANAGE, breach.organisation)
    cnil = _choice(cnil, Decision, "La décision de notifier la CNIL", "cnil")
    subjects = _choice(subjects, Decision, "La décision d'informer les personnes", "subjects")
    cnil_reason = _text(cnil_reason, "Le motif", 2000, name="cnil_reason")
    subjects_reason = _text(subjects_reason, "Le motif", 2000, name="subjects_reason")
    if breach.cnil_notified_at is not None and cnil != Decision.NOTIFY:
        raise Conflict("La CNIL a déjà été notifiée de cette violation.", code="notified")
    if cnil == Decision.NOT_REQUIRED and breach.risk != Risk.UNLIKELY:
        raise ServiceError("Une violation qui présente un risque pour les personnes se notifie "
                           "à la CNIL (art. 33-1) : seul un risque improbable en dispense.",
                           code="notification_required",
                           errors={"cnil": "Notification obligatoire pour ce niveau de risque."})
    if cnil == Decision.NOT_REQUIRED and not cnil_reason:
        raise ServiceError("Motivez l'absence de notification : le registre doit permettre à la "
                           "CNIL de la vérifier (art. 33-5).", code="invalid",
                           errors={"cnil_reason": "Motif obligatoire."})
    if subjects == Decision.NOT_REQUIRED and breach.risk == Risk.HIGH and not subjects_reason:
        raise ServiceError("Un risque élevé impose d'informer les personnes, sauf l'une des "
                           "exceptions de l'art. 34-3 : dites laquelle.", code="invalid",
                           errors={"subjects_reason": "Motif obligatoire."})
    with transaction.atomic():
        breach.cnil_decision, breach.cnil_reason = cnil, cnil_reason
        breach.subjects_decision, breach.subjects_reason = subjects, subjects_reason
        breach.save(update_fields=["cnil_decision", "cnil_reason", "subjects_decision",
                                   "subjects_reason"])
        audit_record(actor=actor, action="privacy.breach_decide",
                     organisation=breach.organisation, target=breach,
                     data={"cnil": cnil, "subjects": subjects})
    return breach


def breach_notify(*, actor: User | None, breach: Breach, to: str, at: datetime | None = None,
                  reference: str = "", delay_reason: str = "") -> Breach:
    """Record a notification to the CNIL or to the people; a late one carries its reasons."""
    actor = _require(actor, MANAGE, breach.organisation)
    moment = _moment(at, "Le moment de la notification", "at") or timezone.now()
    if moment < breach.aware_at:
        raise ServiceError("La notification ne peut pas précéder la découverte.", code="invalid",
                           errors={"at": "Antérieure à la découverte."})
    if to == "cnil":
        if breach.cnil_notified_at is not None:
            raise Conflict("La CNIL a déjà été notifiée de cette violation.", code="notified")
        delay_reason = _text(delay_reason, "Le motif du retard", 2000, name="delay_reason")
        if moment > breach_deadline(breach.aware_at) and not delay_reason:
            raise ServiceError("La notification arrive après 72 heures : dites les motifs du "
                               "retard (art. 33-1).", code="delay_reason_required",
                               errors={"delay_reason": "Motif du retard obligatoire."})
        breach.cnil_decision, breach.cnil_notified_at = Decision.NOTIFY, moment
        breach.cnil_reference = _text(reference, "La référence", 100, name="reference")
        breach.delay_reason = delay_reason
        fields = ["cnil_decision", "cnil_notified_at", "cnil_reference", "delay_reason"]
    elif to == "subjects":
        if breach.subjects_notified_at is not None:
            raise Conflict("Les personnes ont déjà été informées.", code="notified")
        breach.subjects_decision, breach.subjects_notified_at = Decision.NOTIFY, moment
        fields = ["subjects_decision", "subjects_notified_at"]
    else:
        raise ServiceError("La notification va à la CNIL ou aux personnes.", code="invalid",
                           errors={"to": "cnil ou subjects."})
    with transaction.atomic():
        breach.save(update_fields=fields)
        audit_record(actor=actor, action="privacy.breach_notify",
                     organisation=breach.organisation, target=breach,
                     data={"to": to, "at": moment.isoformat(),
                           "late": to == "cnil" and moment > breach_deadline(breach.aware_at)})
    return breach


# ------------------------------------------------------------------------------- alerts

BREACH_WARNING = timedelta(hours=24)
REQUEST_WARNING = timedelta(days=7)


def _breach_stage(breach: Breach, now: datetime) -> int:
    remaining = breach_deadline(breach.aware_at) - now
    return 2 if remaining <= timedelta(0) else 1 if remaining <= BREACH_WARNING else 0


def _request_stage(request: SubjectRequest, today: date) -> int:
    left = request.deadline - today
    return 2 if left < timedelta(0) else 1 if left <= REQUEST_WARNING else 0


def _alert(*, organisation: Organisation, target: Any, stage: int, subject: str,
           body: str) -> None:
    recipients = selectors.managers_of(organisation=organisation)
    audit_record(actor=None, action="privacy.alert", organisation=organisation, target=target,
                 data={"stage": stage, "notified": recipients}, actor_label="système")
    if recipients:
        email_notify(to=recipients, subject=subject, body=body)


def deadlines_alert(*, now: datetime | None = None) -> tuple[int, int]:
    """Alert the DPO and referents once when a clock nears its end, once when it is passed.

    A breach not yet notified, with less than 24 hours left, then overdue; an open request
    due within a week, then overdue. Returns how many breaches and requests were alerted.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    breaches = requests = 0
    pending = Breach.objects.filter(cnil_notified_at__isnull=True, alert_stage__lt=2,
                                    aware_at__lte=now - (timedelta(hours=72) - BREACH_WARNING)
                                    ).exclude(cnil_decision=Decision.NOT_REQUIRED)
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            breach = Breach.objects.select_for_update(of=("self",)).select_related(
                "organisation").filter(pk=pk, cnil_notified_at__isnull=True).first()
            stage = _breach_stage(breach, now) if breach else 0
            if breach is None or stage <= breach.alert_stage:
                continue
            breach.alert_stage = stage
            breach.save(update_fields=["alert_stage"])
            clock = breach_clock(aware_at=breach.aware_at, notified_at=None,
                                 decision=breach.cnil_decision, now=now)
            deadline = timezone.localtime(clock.deadline)
            _alert(organisation=breach.organisation, target=breach, stage=stage,
                   subject=f"Violation de données à notifier : {breach.title}",
                   body=f"Bonjour,\n\nLa violation « {breach.title} » ({breach.organisation.name}) "
                        f"doit être notifiée à la CNIL au plus tard le {french_date(deadline.date())} "
                        f"à {deadline:%H:%M}.\n{clock.text}\n\n"
                        f"{absolute_url(reverse('privacy:breach', args=[breach.pk]))}\n")
            breaches += 1
    due = SubjectRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES, alert_stage__lt=2)
    soon = today + REQUEST_WARNING
    due = due.filter(Q(extended_due_on__lte=soon) | Q(extended_due_on__isnull=True,
                                                      due_on__lte=soon))
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            request = SubjectRequest.objects.select_for_update(of=("self",)).select_related(
                "organisation").filter(pk=pk, status__in=OPEN_REQUEST_STATUSES).first()
            stage = _request_stage(request, today) if request else 0
            if request is None or stage <= request.alert_stage:
                continue
            request.alert_stage = stage
            request.save(update_fields=["alert_stage"])
            state = "est en retard" if stage == 2 else "arrive à échéance"
            _alert(organisation=request.organisation, target=request, stage=stage,
                   subject=f"Demande d'exercice des droits : réponse due le "
                           f"{request.deadline:%d/%m/%Y}",
                   body=f"Bonjour,\n\nLa demande « {request.get_kind_display()} » reçue le "
                        f"{french_date(request.received_on)} ({request.organisation.name}) "
                        f"{state} : réponse due au plus tard le {french_date(request.deadline)}."
                        f"\n\n{absolute_url(reverse('privacy:request', args=[request.pk]))}\n")
            requests += 1
    return breaches, requests


# Impact assessments are written in their own module; they are part of this module's services.
from .assessment_services import (  # noqa: E402
    CNIL_QUESTIONS,
    RISKS,
    assessment_decide,
    assessment_save,
    assessment_start,
    template_create,
)

__all__ = ["CNIL_QUESTIONS", "RISKS", "assessment_decide", "assessment_save", "assessment_start",
           "template_create"]
