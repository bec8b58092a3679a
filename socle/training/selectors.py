"""Every read of the training service, scoped to the actor.

The catalogue, the sessions and the plans are offered to every agent of the territory.
A registration is seen by its agent, by the managers of the agent's organisation
(``training.approve`` held on it or above), by the DCSI (``training.manage``) and by the
trainer of its session (who takes attendance); anyone else gets a 404. A Margny manager
never sees a Compiègne agent's registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for, scope
from socle.core.models import Membership, Organisation, User
from socle.core.module_activation import module_paths_off
from socle.core.roles import roles_granting
from socle.helpdesk.selectors import training_needs

from .models import (
    ACTIVE_STATUSES,
    Course,
    CourseKind,
    Need,
    Plan,
    Registration,
    RegistrationStatus,
    Session,
)

AGENT = "core.view_organisation"  # held by every agent's role: the catalogue is theirs
MANAGE = "training.manage"
APPROVE = "training.approve"
ATTENDANCE = "training.attendance"
REPORT = "training.report"
ENROL = "training.enrol"
# Hours of training a year an elected official is entitled to (DIF des élus, CGCT L2123-12-1).
DIF_HOURS_PER_YEAR = 20


def _id(pk: Any) -> int:
    # An id from a request: anything but a positive 64-bit integer names nothing (404).
    text = str(pk)
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise Http404("Introuvable.")
    return int(text)


def _agent_paths(actor: Actor) -> list[str]:
    # Every agent's role grants the core permission, which no switch turns off: the
    # organisations where training is switched off are taken out here.
    off = module_paths_off("training")
    return [path for path in granted_paths(actor, AGENT)
            if not any(path.startswith(prefix) for prefix in off)]


def is_agent(*, actor: Actor) -> bool:
    """Tell whether the actor is an agent where training is offered (may see the catalogue)."""
    return bool(_agent_paths(actor))


def may_manage(*, actor: Actor) -> bool:
    """Tell whether the actor runs the training service (the catalogue, sessions and plans)."""
    return bool(granted_paths(actor, MANAGE))


def may_report(*, actor: Actor) -> bool:
    """Tell whether the actor reports on some commune (the plan's figures, the census)."""
    return bool(granted_paths(actor, REPORT))


# -------------------------------------------------------------------------- catalogue


def courses_for(*, actor: Actor, kind: str = "", q: str = "") -> QuerySet[Course]:
    """Return the catalogue's courses: active ones for agents, every one for the DCSI."""
    if not is_agent(actor=actor):
        return Course.objects.none()
    courses = Course.objects.all()
    if not may_manage(actor=actor):
        courses = courses.filter(active=True)
    if kind in CourseKind.values:
        courses = courses.filter(kind=kind)
    query = q.strip()
    if query:
        courses = courses.filter(Q(title__icontains=query) | Q(objectives__icontains=query))
    return courses.order_by("title", "pk")


def course_get_for(*, actor: Actor, pk: Any) -> Course:
    """Return one course of the catalogue the actor may see, or 404."""
    return get_or_404(courses_for(actor=actor), pk=_id(pk))


def sessions_for(*, actor: Actor, course: Course | None = None, upcoming: bool = False,
                 year: int | None = None) -> QuerySet[Session]:
    """Return the sessions offered to agents, cancelled ones shown as such, by date."""
    if not is_agent(actor=actor):
        return Session.objects.none()
    sessions = Session.objects.filter(course__in=courses_for(actor=actor))
    if course is not None:
        sessions = sessions.filter(course=course)
    if upcoming:
        sessions = sessions.filter(start__gt=timezone.now(), cancelled_at__isnull=True)
    if year is not None:
        sessions = sessions.filter(start__year=year)
    return sessions.select_related("course", "trainer", "organisation").annotate(
        seats_taken=Count("registrations", filter=Q(
            registrations__status=RegistrationStatus.CONFIRMED))).order_by("start", "pk")


def session_get_for(*, actor: Actor, pk: Any) -> Session:
    """Return one session the actor may see, or 404."""
    return get_or_404(sessions_for(actor=actor), pk=_id(pk))


def seats_taken(*, actor: Actor, session: Session) -> int:
    """Return how many confirmed places a session has (a figure shown to every agent)."""
    return Registration.objects.filter(session=session,
                                       status=RegistrationStatus.CONFIRMED).count()


def plans_for(*, actor: Actor) -> QuerySet[Plan]:
    """Return the annual plans, published to every agent of the territory."""
    if not is_agent(actor=actor):
        return Plan.objects.none()
    return Plan.objects.select_related("organisation").order_by("-year", "organisation__path")


def plan_get_for(*, actor: Actor, pk: Any) -> Plan:
    """Return one plan, or 404."""
    return get_or_404(plans_for(actor=actor), pk=_id(pk))


def trainers_for(*, actor: Actor) -> QuerySet[User]:
    """Return who may be a session's trainer; nobody for anyone but the DCSI."""
    if not may_manage(actor=actor):
        return User.objects.none()
    ids = Membership.objects.filter(role__in=roles_granting(ATTENDANCE),
                                    revoked_at__isnull=True).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "email")


# ---------------------------------------------------------------------- registrations


def home_organisation(*, actor: Actor) -> Organisation | None:
    """Return the organisation an agent registers as (the highest node of their roles)."""
    paths = sorted(_agent_paths(actor), key=lambda p: (p.count("/"), p))
    return Organisation.objects.filter(path=paths[0]).first() if paths else None


def registrations_visible(*, actor: Actor) -> QuerySet[Registration]:
    """Return the registrations the actor may see (theirs, their agents', their sessions')."""
    if not isinstance(actor, User) or not is_agent(actor=actor):
        return Registration.objects.none()
    own = Registration.objects.filter(agent=actor)
    managed = scope(Registration.objects.all(), actor, APPROVE)
    dcsi = scope(Registration.objects.all(), actor, MANAGE)
    trained = (Registration.objects.filter(session__trainer=actor)
               if granted_paths(actor, ATTENDANCE) else Registration.objects.none())
    return own | managed | dcsi | trained


def registration_get_for(*, actor: Actor, pk: Any) -> Registration:
    """Return one registration the actor may see, or 404."""
    return get_or_404(registrations_visible(actor=actor).select_related(
        "session", "session__course", "agent", "organisation", "decided_by"), pk=_id(pk))


def registrations_of(*, actor: Actor) -> QuerySet[Registration]:
    """Return the actor's own registrations, newest session first (their history)."""
    if not isinstance(actor, User):
        return Registration.objects.none()
    return (Registration.objects.filter(agent=actor)
            .select_related("session", "session__course", "organisation")
            .order_by("-session__start", "-pk"))


def registrations_to_decide(*, actor: Actor) -> QuerySet[Registration]:
    """Return the requests waiting for the actor's decision (never their own)."""
    if not isinstance(actor, User):
        return Registration.objects.none()
    return (scope(Registration.objects.filter(status=RegistrationStatus.PENDING), actor, APPROVE)
            .exclude(agent=actor)
            .select_related("session", "session__course", "agent", "organisation")
            .order_by("created_at", "pk"))


def may_decide(*, actor: Actor, registration: Registration) -> bool:
    """Tell whether the actor may approve or refuse this registration."""
    return (isinstance(actor, User) and registration.agent_id != actor.pk
            and can(actor, APPROVE, registration.organisation))


def may_take_attendance(*, actor: Actor, session: Session) -> bool:
    """Tell whether the actor takes this session's attendance (its trainer, or the DCSI)."""
    if not isinstance(actor, User):
        return False
    if can(actor, MANAGE, session.organisation):
        return True
    return session.trainer_id == actor.pk and can(actor, ATTENDANCE, session.organisation)


def attendees_of(*, actor: Actor, session: Session) -> QuerySet[Registration]:
    """Return a session's confirmed registrations for its trainer or the DCSI; else none."""
    if not may_take_attendance(actor=actor, session=session):
        return Registration.objects.none()
    return (Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED)
            .select_related("agent", "organisation").order_by("agent__last_name", "pk"))


def waiting_of(*, actor: Actor, session: Session) -> QuerySet[Registration]:
    """Return a session's waiting list, in its order, for its trainer or the DCSI."""
    if not may_take_attendance(actor=actor, session=session):
        return Registration.objects.none()
    return (Registration.objects.filter(session=session, status=RegistrationStatus.WAITING)
            .select_related("agent", "organisation").order_by("decided_at", "pk"))


def active_registration(*, actor: Actor, session: Session) -> Registration | None:
    """Return the actor's pending, confirmed or waiting registration to a session."""
    if not isinstance(actor, User):
        return None
    return Registration.objects.filter(session=session, agent=actor,
                                       status__in=ACTIVE_STATUSES).first()


def sessions_to_take_attendance(*, actor: Actor, limit: int) -> list[Session]:
    """Return the actor's past sessions whose attendance is not taken yet."""
    if not isinstance(actor, User) or not granted_paths(actor, ATTENDANCE):
        return []
    return list(Session.objects.filter(trainer=actor, start__lte=timezone.now(),
                                       cancelled_at__isnull=True,
                                       attendance_taken_at__isnull=True)
                .select_related("course").order_by("start")[:limit])


@dataclass(frozen=True)
class History:
    hours_year: Decimal
    elected_hours_year: Decimal
    dif_left: Decimal
    year: int


def history_of(*, actor: Actor, year: int) -> History:
    """Return the actor's hours of training attended in a year, and their DIF des élus left."""
    attended = registrations_of(actor=actor).filter(attended=True, session__start__year=year)
    hours = attended.aggregate(total=Sum("session__course__duration_hours"))["total"]
    elected = attended.filter(session__course__kind=CourseKind.ELECTED).aggregate(
        total=Sum("session__course__duration_hours"))["total"]
    hours, elected = Decimal(hours or 0), Decimal(elected or 0)
    return History(hours_year=hours, elected_hours_year=elected, year=year,
                   dif_left=max(Decimal(DIF_HOURS_PER_YEAR) - elected, Decimal(0)))


# ------------------------------------------------------------------------ plan report


@dataclass(frozen=True)
class ReportRow:
    label: str
    sessions: int
    registered: int
    attended: int
    hours: Decimal

    @property
    def rate(self) -> str:
        return f"{100 * self.attended / self.registered:.1f} %".replace(".", ",") \
            if self.registered else "—"


def reported_registrations(*, actor: Actor, year: int,
                           organisation: Organisation | None = None) -> QuerySet[Registration]:
    """Return the confirmed registrations of a year's past sessions the actor reports on."""
    rows = scope(Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED, session__start__year=year,
        session__start__lte=timezone.now()), actor, REPORT)
    if organisation is not None:
        rows = rows.filter(organisation__path__startswith=organisation.path)
    return rows


def _rows(registrations: QuerySet[Registration], key: str, label: str) -> list[ReportRow]:
    grouped = (registrations.values(key, label).annotate(
        n_sessions=Count("session", distinct=True), n_registered=Count("pk"),
        n_attended=Count("pk", filter=Q(attended=True)),
        n_hours=Sum("session__course__duration_hours", filter=Q(attended=True)))
        .order_by(label))
    return [ReportRow(label=row[label], sessions=row["n_sessions"],
                      registered=row["n_registered"], attended=row["n_attended"],
                      hours=Decimal(row["n_hours"] or 0))
            for row in grouped]


def plan_report(*, actor: Actor, year: int, organisation: Organisation | None = None
                ) -> tuple[list[ReportRow], list[ReportRow], ReportRow]:
    """Return a year's figures per course and per commune, and their total."""
    registrations = reported_registrations(actor=actor, year=year, organisation=organisation)
    per_course = _rows(registrations, "session__course", "session__course__title")
    per_commune = _rows(registrations, "organisation", "organisation__name")
    total = ReportRow(label="Total",
                      sessions=registrations.values("session").distinct().count(),
                      registered=sum(r.registered for r in per_course),
                      attended=sum(r.attended for r in per_course),
                      hours=sum((r.hours for r in per_course), Decimal(0)))
    return per_course, per_commune, total


def organisations_reporting(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the communes (and the ARC) the actor may see figures of, for the report's filter."""
    return organisations_for(actor, REPORT).filter(kind__in=["epci", "commune"]).order_by("path")


def organisation_reporting_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one organisation the actor reports on, or 404."""
    return get_or_404(organisations_reporting(actor=actor), slug=slug)


# ---------------------------------------------------------------------------- census


def needs_for(*, actor: Actor, year: int | None = None) -> QuerySet[Need]:
    """Return the needs the actor may read: their own, and their communes' for managers."""
    if not isinstance(actor, User):
        return Need.objects.none()
    needs = Need.objects.filter(author=actor) | scope(Need.objects.all(), actor, REPORT)
    if year is not None:
        needs = needs.filter(year=year)
    return needs.select_related("organisation", "course", "author").order_by(
        "organisation__path", "-created_at", "-pk")


def organisations_declaring(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the communes (or the ARC) for which the actor may declare a need."""
    declaring = organisations_for(actor, AGENT).filter(kind__in=["epci", "commune"])
    for prefix in module_paths_off("training"):
        declaring = declaring.exclude(path__startswith=prefix)
    return declaring.order_by("path")


def organisation_declaring_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one organisation the actor may declare a need for, or 404."""
    return get_or_404(organisations_declaring(actor=actor), slug=slug)


def helpdesk_flags(*, actor: Actor) -> list[Any]:
    """Return the helpdesk's recurring questions flagged as training needs the actor may read."""
    return list(training_needs(actor=actor)[:100])
