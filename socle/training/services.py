"""Every write of the training service: the catalogue, plans and sessions (the DCSI's),
registrations with the manager's decision and the waiting list, attendance, the census
of needs, and the enrolment of phishing-campaign clickers into an awareness session.

Each service runs in one transaction and writes its journal event. Taking a place locks
the session's row, so that the capacity is never exceeded and a freed place goes to the
first on the waiting list within the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, NotFound, ServiceError
from socle.core.journal import audit_record
from socle.core.letters import french_date
from socle.core.models import Membership, Organisation, User
from socle.core.modules import object_ref
from socle.core.notices import notice_send
from socle.core.roles import roles_granting

from . import selectors
from .models import (
    ACTIVE_STATUSES,
    Audience,
    Course,
    CourseKind,
    Need,
    NeedSource,
    Origin,
    Plan,
    Registration,
    RegistrationStatus,
    Session,
)

AGENT, MANAGE, APPROVE = selectors.AGENT, selectors.MANAGE, selectors.APPROVE
ENROL = selectors.ENROL
REGISTRATION_PATH = "/formation/inscriptions/{pk}/"


def _text(value: str, label: str, max_length: int, *, required: bool = False,
          field: str = "") -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ServiceError(f"{label} est obligatoire.", code="invalid",
                           errors={field or label: "Ce champ est obligatoire."})
    if len(value) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid",
                           errors={field or label: f"{max_length} caractères au plus."})
    return value


def _require(actor: User | None, permission: str, organisation: Organisation,
             message: str = "Votre rôle ne permet pas cette opération.") -> User:
    if actor is None or not can(actor, permission, organisation):
        raise Forbidden(message)
    return actor


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{french_date(local)} à {local:%H:%M}".replace(":", " h ", 1)


# -------------------------------------------------------------------------- catalogue


def course_save(*, actor: User | None, organisation: Organisation, code: str, title: str,
                kind: str, duration_hours: Any, objectives: str, audience: str = Audience.AGENTS,
                description: str = "", awareness: bool = False, active: bool = True,
                course: Course | None = None) -> Course:
    """Create or update a course of the catalogue (the DCSI's training service)."""
    if actor is not None:
        _require(actor, MANAGE, organisation)
    code = _text(code, "Le code", 20, required=True, field="code").upper()
    title = _text(title, "L'intitulé", 200, required=True, field="title")
    objectives = _text(objectives, "Les objectifs", 5000, required=True, field="objectives")
    description = _text(description, "La description", 10000, field="description")
    if kind not in CourseKind.values:
        raise ServiceError("Type de formation inconnu.", code="invalid_kind",
                           errors={"kind": "Choisissez un type de formation."})
    if audience not in Audience.values:
        raise ServiceError("Public inconnu.", code="invalid_audience",
                           errors={"audience": "Choisissez un public."})
    try:
        hours = Decimal(str(duration_hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        hours = Decimal(0)
    if not Decimal("0.5") <= hours <= Decimal(500):
        raise ServiceError("La durée va de 0,5 à 500 heures.", code="invalid_duration",
                           errors={"duration_hours": "De 0,5 à 500 heures."})
    clash = Course.objects.filter(code=code)
    if course is not None:
        clash = clash.exclude(pk=course.pk)
    if clash.exists():
        raise Conflict(f"Le code {code} est déjà pris.", code="code_taken",
                       errors={"code": "Ce code est déjà pris."})
    with transaction.atomic():
        course = course or Course(organisation=organisation)
        course.code, course.title, course.kind, course.audience = code, title, kind, audience
        course.duration_hours, course.objectives, course.description = hours, objectives, description
        course.awareness, course.active = bool(awareness), bool(active)
        course.save()
        audit_record(actor=actor, action="training.course_save", organisation=organisation,
                     target=course, data={"code": code})
    return course


def plan_save(*, actor: User | None, organisation: Organisation, year: int, title: str,
              notes: str = "") -> Plan:
    """Create or update an organisation's training plan for a year."""
    if actor is not None:
        _require(actor, MANAGE, organisation)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ServiceError("Année invalide.", code="invalid_year", errors={"year": "Année invalide."})
    title = _text(title, "L'intitulé", 200, required=True, field="title")
    notes = _text(notes, "Les notes", 10000, field="notes")
    with transaction.atomic():
        plan, _ = Plan.objects.update_or_create(organisation=organisation, year=year,
                                                defaults={"title": title, "notes": notes})
        audit_record(actor=actor, action="training.plan_save", organisation=organisation,
                     target=plan, data={"year": year})
    return plan


def session_create(*, actor: User | None, course: Course, start: datetime, end: datetime,
                   capacity: int, place: str = "", remote: bool = False,
                   trainer: User | None = None, plan: Plan | None = None) -> Session:
    """Schedule a session of a course, in a room or remote."""
    organisation = course.organisation
    if actor is not None:
        _require(actor, MANAGE, organisation)
    place = _text(place, "Le lieu", 200, field="place")
    if not place and not remote:
        raise ServiceError("Indiquez le lieu de la session, ou qu'elle a lieu à distance.",
                           code="place_required", errors={"place": "Lieu ou distance."})
    if end <= start:
        raise ServiceError("La fin de la session suit son début.", code="invalid_dates",
                           errors={"end": "La fin suit le début."})
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 500:
        raise ServiceError("La capacité va de 1 à 500 places.", code="invalid_capacity",
                           errors={"capacity": "De 1 à 500 places."})
    if trainer is not None and not can(trainer, selectors.ATTENDANCE, organisation):
        raise ServiceError("Le formateur choisi n'a pas le rôle de formateur.",
                           code="invalid_trainer", errors={"trainer": "Pas formateur."})
    if plan is not None and plan.year != timezone.localtime(start).year:
        raise ServiceError(f"La session n'a pas lieu en {plan.year}, l'année du plan.",
                           code="plan_year", errors={"plan": "Autre année que la session."})
    with transaction.atomic():
        session = Session.objects.create(course=course, organisation=organisation, plan=plan,
                                         start=start, end=end, place=place, remote=bool(remote),
                                         trainer=trainer, capacity=capacity)
        audit_record(actor=actor, action="training.session_create", organisation=organisation,
                     target=session, data={"course": course.code, "start": start.isoformat()})
    return session


def session_cancel(*, actor: User, session: Session, reason: str) -> Session:
    """Cancel a session; every active registration is cancelled and its agent told."""
    _require(actor, MANAGE, session.organisation)
    reason = _text(reason, "Le motif", 2000, required=True, field="reason")
    with transaction.atomic():
        held = Session.objects.select_for_update().get(pk=session.pk)
        if held.cancelled_at is not None:
            raise Conflict("Cette session est déjà annulée.", code="cancelled")
        held.cancelled_at = timezone.now()
        held.save(update_fields=["cancelled_at"])
        registrations = list(held.registrations.filter(status__in=ACTIVE_STATUSES)
                             .select_related("agent"))
        for registration in registrations:
            registration.status = RegistrationStatus.CANCELLED
            registration.save(update_fields=["status"])
            _tell_agent(actor, registration, f"Session annulée : {held.course.title}", reason)
        audit_record(actor=actor, action="training.session_cancel", organisation=held.organisation,
                     target=held, data={"reason": reason, "registrations": len(registrations)})
    return held


# ---------------------------------------------------------------------- registrations


def approvers_of(organisation: Organisation) -> list[User]:
    """Return who decides for an agent of this organisation: the nearest holders of the role."""
    roles = roles_granting(APPROVE)
    ancestors = [organisation.path[: i + 1] for i, ch in enumerate(organisation.path)
                 if ch == "/" and i > 0]
    rows = (Membership.objects.filter(role__in=roles, revoked_at__isnull=True,
                                      organisation__path__in=ancestors, user__is_active=True)
            .select_related("user", "organisation"))
    by_depth: dict[int, list[User]] = {}
    for row in rows:
        by_depth.setdefault(len(row.organisation.path), []).append(row.user)
    return by_depth[max(by_depth)] if by_depth else []


def _tell_agent(actor: User | None, registration: Registration, title: str, body: str = "",
                kind: str = "training.registration_decided") -> None:
    notice_send(kind=kind, recipients=[registration.agent], title=title,
                url=REGISTRATION_PATH.format(pk=registration.pk),
                ref=object_ref("training.registration", registration.pk),
                organisation=registration.organisation, body=body, actor=actor)


def _open_for_registration(session: Session, now: datetime) -> None:
    if session.cancelled_at is not None:
        raise Conflict("Cette session est annulée.", code="session_cancelled")
    if session.start <= now:
        raise ServiceError("Cette session a déjà commencé ou est passée.", code="past")


def registration_create(*, actor: User, session: Session, motivation: str = "",
                        now: datetime | None = None) -> Registration:
    """Ask for a place in a session; the agent's manager approves or refuses it."""
    organisation = selectors.home_organisation(actor=actor)
    if organisation is None:
        raise Forbidden("Seuls les agents des communes membres s'inscrivent aux formations.")
    now = now or timezone.now()
    motivation = _text(motivation, "La motivation", 2000, field="motivation")
    try:
        with transaction.atomic():
            held = Session.objects.select_for_update().get(pk=session.pk)
            _open_for_registration(held, now)
            if selectors.active_registration(actor=actor, session=held) is not None:
                raise Conflict("Vous êtes déjà inscrit à cette session.",
                               code="already_registered")
            registration = Registration.objects.create(
                session=held, agent=actor, organisation=organisation, motivation=motivation,
                created_at=now)
            audit_record(actor=actor, action="training.registration_create",
                         organisation=organisation, target=registration,
                         data={"session": held.pk})
            notice_send(kind="training.registration_pending", recipients=approvers_of(organisation),
                        title=f"Demande de formation de {actor.display_name} : {held.course.title}",
                        url=REGISTRATION_PATH.format(pk=registration.pk),
                        ref=object_ref("training.registration", registration.pk),
                        organisation=organisation, actor=actor,
                        body=f"Session du {_when(held.start)}.")
    except IntegrityError:
        raise Conflict("Vous êtes déjà inscrit à cette session.",
                       code="already_registered") from None
    return registration


def _seat(held: Session, registration: Registration) -> str:
    """Give a place if one is left, else a rank on the waiting list (the caller holds the lock)."""
    taken = Registration.objects.filter(session=held, status=RegistrationStatus.CONFIRMED).count()
    registration.status = (RegistrationStatus.CONFIRMED if taken < held.capacity
                           else RegistrationStatus.WAITING)
    return registration.status


def registration_decide(*, actor: User, registration: Registration, approve: bool,
                        reason: str = "", now: datetime | None = None) -> Registration:
    """Approve a request (a place, or the waiting list when full) or refuse it with a reason."""
    if not selectors.may_decide(actor=actor, registration=registration):
        raise Forbidden("Seul un responsable de la commune de l'agent donne son avis.")
    reason = _text(reason, "Le motif", 2000, required=not approve, field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        held = Session.objects.select_for_update().get(pk=registration.session_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != RegistrationStatus.PENDING:
            raise Conflict("Un avis a déjà été donné sur cette demande.", code="already_decided")
        if approve:
            _open_for_registration(held, now)
            status = _seat(held, registration)
        else:
            status = registration.status = RegistrationStatus.REFUSED
        registration.decided_by, registration.decided_at = actor, now
        registration.decision_reason = reason
        registration.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, action="training.registration_decide",
                     organisation=registration.organisation, target=registration,
                     data={"status": status, "reason": reason})
        course = held.course.title
        title = {str(RegistrationStatus.CONFIRMED): f"Formation acceptée : {course}",
                 str(RegistrationStatus.WAITING): f"Formation acceptée, sur liste d'attente : "
                                                  f"{course}",
                 str(RegistrationStatus.REFUSED): f"Formation refusée : {course}"}[status]
        _tell_agent(actor, registration, title,
                    f"Motif : {reason}" if reason else f"Session du {_when(held.start)}.")
    return registration


def _promote(held: Session, actor: User | None, now: datetime) -> Registration | None:
    """Give a freed place to the first on the waiting list (the caller holds the lock)."""
    if held.start <= now or held.cancelled_at is not None:
        return None
    first = (Registration.objects.select_for_update()
             .filter(session=held, status=RegistrationStatus.WAITING)
             .order_by("decided_at", "pk").first())
    if first is None:
        return None
    first.status = RegistrationStatus.CONFIRMED
    first.save(update_fields=["status"])
    audit_record(actor=actor, action="training.registration_promote",
                 organisation=first.organisation, target=first, data={"session": held.pk})
    _tell_agent(actor, first, f"Une place s'est libérée : {held.course.title}",
                f"Vous passez de la liste d'attente aux inscrits pour la session du "
                f"{_when(held.start)}.", kind="training.registration_promoted")
    return first


def registration_cancel(*, actor: User, registration: Registration,
                        now: datetime | None = None) -> Registration:
    """Cancel a registration (the agent's own, or by their manager or the DCSI)."""
    own = registration.agent_id == actor.pk
    if not own and not (can(actor, APPROVE, registration.organisation)
                        or can(actor, MANAGE, registration.organisation)):
        raise Forbidden("Seul l'agent ou son responsable annule cette inscription.")
    now = now or timezone.now()
    with transaction.atomic():
        held = Session.objects.select_for_update().get(pk=registration.session_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE_STATUSES:
            raise Conflict("Cette inscription n'est plus active.", code="not_active")
        if held.start <= now:
            raise ServiceError("La session a commencé : l'inscription ne s'annule plus.",
                               code="past")
        freed = registration.status == RegistrationStatus.CONFIRMED
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status"])
        audit_record(actor=actor, action="training.registration_cancel",
                     organisation=registration.organisation, target=registration,
                     data={"session": held.pk})
        if not own:
            _tell_agent(actor, registration, f"Inscription annulée : {held.course.title}")
        if freed:
            _promote(held, actor, now)
    return registration


def attendance_record(*, actor: User, session: Session, present: Iterable[int],
                      now: datetime | None = None) -> int:
    """Record who attended a session that has begun; return how many were present."""
    if not selectors.may_take_attendance(actor=actor, session=session):
        raise Forbidden("Seul le formateur de la session ou la DCSI relève les présences.")
    now = now or timezone.now()
    if session.start > now:
        raise ServiceError("Les présences se relèvent une fois la session commencée.",
                           code="not_started")
    if session.cancelled_at is not None:
        raise Conflict("Cette session est annulée.", code="session_cancelled")
    wanted = {int(pk) for pk in present}
    with transaction.atomic():
        held = Session.objects.select_for_update().get(pk=session.pk)
        confirmed = list(Registration.objects.select_for_update()
                         .filter(session=held, status=RegistrationStatus.CONFIRMED))
        unknown = wanted - {r.pk for r in confirmed}
        if unknown:
            raise ServiceError("Une personne cochée n'est pas inscrite à cette session.",
                               code="unknown_registration")
        for registration in confirmed:
            registration.attended = registration.pk in wanted
        Registration.objects.bulk_update(confirmed, ["attended"])
        held.attendance_taken_at = now
        held.save(update_fields=["attendance_taken_at"])
        count = sum(1 for r in confirmed if r.attended)
        audit_record(actor=actor, action="training.attendance", organisation=held.organisation,
                     target=held, data={"present": count, "registered": len(confirmed)})
    return count


# ---------------------------------------------------------------------------- census


def need_declare(*, actor: User, organisation: Organisation, title: str, description: str = "",
                 headcount: int = 1, course: Course | None = None,
                 year: int | None = None) -> Need:
    """Declare a training need of a commune for the census (an agent or their manager)."""
    if not selectors.organisations_declaring(actor=actor).filter(pk=organisation.pk).exists():
        raise Forbidden("Vous déclarez les besoins de votre commune seulement.")
    title = _text(title, "L'intitulé", 200, required=True, field="title")
    description = _text(description, "La description", 5000, field="description")
    if isinstance(headcount, bool) or not isinstance(headcount, int) or not 1 <= headcount <= 500:
        raise ServiceError("Le nombre d'agents concernés va de 1 à 500.", code="invalid_headcount",
                           errors={"headcount": "De 1 à 500."})
    year = year or timezone.localdate().year + 1
    if not timezone.localdate().year <= year <= timezone.localdate().year + 2:
        raise ServiceError("Le recensement porte sur cette année ou les deux suivantes.",
                           code="invalid_year", errors={"year": "Année invalide."})
    source = NeedSource.MANAGER if can(actor, APPROVE, organisation) else NeedSource.AGENT
    with transaction.atomic():
        need = Need.objects.create(organisation=organisation, year=year, title=title,
                                   description=description, headcount=headcount, course=course,
                                   source=source, author=actor)
        audit_record(actor=actor, action="training.need_declare", organisation=organisation,
                     target=need, data={"year": year, "source": source})
    return need


# --------------------------------------------------------------- awareness enrolment


@dataclass(frozen=True)
class AwarenessEnrolment:
    """What became of an enrolment: a registration, or a need when no session is open."""

    registration: Registration | None
    need: Need | None
    already: bool = False


def _awareness_need(actor: User | None, organisation: Organisation, campaign: str) -> Need:
    """Count one more agent to sensitise in the commune's census (one need a year)."""
    year = timezone.localdate().year
    need = (Need.objects.select_for_update()
            .filter(organisation=organisation, year=year, source=NeedSource.SECURITY).first())
    if need is None:
        need = Need.objects.create(
            organisation=organisation, year=year, title="Sensibilisation à la cybersécurité",
            description="Agents à sensibiliser après une campagne d'hameçonnage, faute de "
                        "session ouverte.", source=NeedSource.SECURITY, author=actor)
    elif need.headcount < 500:
        need.headcount += 1
        need.save(update_fields=["headcount"])
    audit_record(actor=actor, action="training.need_declare", organisation=organisation,
                 target=need, data={"source": NeedSource.SECURITY, "campaign": campaign,
                                    "headcount": need.headcount})
    return need


def enrol_for_awareness(*, actor: User | None, agent: User, organisation: Organisation,
                        campaign: str = "", reason: str = "",
                        now: datetime | None = None) -> AwarenessEnrolment:
    """Enrol an agent (a phishing-campaign clicker) in the next awareness session.

    No manager's approval: the enrolment is the security officer's decision. The agent
    gets a place, or the waiting list when the session is full; with no awareness
    session open, a need is recorded in the commune's census instead. Called by the
    ``security`` module (``actor`` None from a job, else an agent holding
    ``training.enrol`` on the organisation).
    """
    if actor is not None:
        _require(actor, ENROL, organisation)
    if not can(agent, AGENT, organisation):
        raise NotFound("Cet agent n'appartient pas à cette organisation.")
    campaign = _text(campaign, "La campagne", 200)
    reason = _text(reason, "Le motif", 2000)
    now = now or timezone.now()
    with transaction.atomic():
        existing = (Registration.objects.filter(
            agent=agent, status__in=ACTIVE_STATUSES, session__course__awareness=True,
            session__start__gt=now).first())
        if existing is not None:
            return AwarenessEnrolment(registration=existing, need=None, already=True)
        session = (Session.objects.select_for_update()
                   .filter(course__awareness=True, course__active=True, start__gt=now,
                           cancelled_at__isnull=True).order_by("start", "pk").first())
        if session is None:
            need = _awareness_need(actor, organisation, campaign)
            return AwarenessEnrolment(registration=None, need=need)
        registration = Registration(session=session, agent=agent, organisation=organisation,
                                    origin=Origin.AWARENESS, origin_label=campaign,
                                    motivation=reason, decided_by=actor, decided_at=now,
                                    created_at=now)
        _seat(session, registration)
        registration.save()
        audit_record(actor=actor, action="training.awareness_enrol", organisation=organisation,
                     target=registration, data={"session": session.pk, "campaign": campaign,
                                                "status": registration.status})
        _tell_agent(actor, registration,
                    f"Vous êtes inscrit à une sensibilisation : {session.course.title}",
                    f"Session du {_when(session.start)}.")
    return AwarenessEnrolment(registration=registration, need=None)
