"""Every read of the GDPR registers, scoped to the actor: a commune's register is invisible
to another commune's referent; the mutualised DPO, whose role is held on the ARC, sees all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for, scope
from socle.core.models import Organisation, User
from socle.core.modules import WorkItem
from socle.core.roles import roles_granting

from .deadlines import BreachClock, breach_clock, breach_deadline
from .models import (
    OPEN_REQUEST_STATUSES,
    Activity,
    Assessment,
    Breach,
    Decision,
    PiaTemplate,
    Processor,
    SubjectRequest,
)

VIEW = "privacy.view"
MANAGE = "privacy.manage"
TEMPLATES = "privacy.templates"
OPINION = "privacy.opinion"

# The fields art. 30-1 asks of every activity, with the words a register page uses.
REQUIRED_FIELDS = (
    ("purpose", "finalité"),
    ("legal_basis", "base légale"),
    ("data_categories", "catégories de données"),
    ("data_subjects", "catégories de personnes"),
    ("recipients", "destinataires"),
    ("transfers", "transferts hors de l'Union"),
    ("retention", "durées de conservation"),
    ("security_measures", "mesures de sécurité"),
)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# ------------------------------------------------------------------------------ registers


def registers_for(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the structures whose register the actor may read, in tree order."""
    return organisations_for(actor, VIEW).order_by("path")


def register_get_for(*, actor: Actor, slug: str) -> Organisation:
    """Return one structure whose register the actor may read, or 404."""
    return get_or_404(registers_for(actor=actor), slug=slug)


def register_may_manage(*, actor: Actor, organisation: Organisation) -> bool:
    """Tell whether the actor may write in that structure's register."""
    return can(actor, MANAGE, organisation)


def registers_summary(*, actor: Actor) -> list[dict[str, Any]]:
    """Return each readable register with its counts (activities, open requests, breaches)."""
    organisations = list(registers_for(actor=actor))
    ids = [o.pk for o in organisations]
    activities = dict(Activity.objects.filter(organisation__in=ids, archived_at__isnull=True)
                      .values_list("organisation").annotate(n=Count("pk")))
    requests = dict(SubjectRequest.objects.filter(organisation__in=ids,
                                                  status__in=OPEN_REQUEST_STATUSES)
                    .values_list("organisation").annotate(n=Count("pk")))
    breaches = dict(Breach.objects.filter(organisation__in=ids).values_list("organisation")
                    .annotate(n=Count("pk")))
    return [{"organisation": o, "activities": activities.get(o.pk, 0),
             "open_requests": requests.get(o.pk, 0), "breaches": breaches.get(o.pk, 0)}
            for o in organisations]


# ----------------------------------------------------------------------------- activities


def activities_for(*, actor: Actor, organisation: Organisation | None = None,
                   archived: bool = False) -> QuerySet[Activity]:
    """Return the processing activities the actor may read, of one structure if given."""
    activities = scope(Activity.objects.all(), actor, VIEW)
    if organisation is not None:
        activities = activities.filter(organisation=organisation)
    activities = activities.filter(archived_at__isnull=not archived)
    return activities.select_related("organisation").order_by("organisation__path", "name", "pk")


def activity_get_for(*, actor: Actor, pk: Any) -> Activity:
    """Return one processing activity the actor may read, or 404."""
    return get_or_404(scope(Activity.objects.select_related("organisation"), actor, VIEW), pk=pk)


def activity_missing(*, activity: Activity) -> list[str]:
    """Return what art. 30-1 asks and the activity does not say yet (French labels)."""
    return [label for name, label in REQUIRED_FIELDS if not str(getattr(activity, name)).strip()]


def activity_processors(*, activity: Activity) -> QuerySet[Processor]:
    """Return the processors of an activity already obtained."""
    return activity.processors.order_by("name")


def processors_for(*, actor: Actor, organisation: Organisation | None = None) -> QuerySet[Processor]:
    """Return the processors the actor may read, of one structure if given."""
    processors = scope(Processor.objects.all(), actor, VIEW)
    if organisation is not None:
        processors = processors.filter(organisation=organisation)
    return processors.select_related("organisation")


# ------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestFilters:
    organisation: Organisation | None = None
    open_only: bool = False
    overdue: bool = False


def requests_for(*, actor: Actor, filters: RequestFilters | None = None,
                 today: date | None = None) -> QuerySet[SubjectRequest]:
    """Return the data-subject requests the actor may read, soonest due first."""
    filters = filters or RequestFilters()
    requests = scope(SubjectRequest.objects.all(), actor, VIEW)
    if filters.organisation is not None:
        requests = requests.filter(organisation=filters.organisation)
    if filters.open_only or filters.overdue:
        requests = requests.filter(status__in=OPEN_REQUEST_STATUSES)
    if filters.overdue:
        today = today or timezone.localdate()
        requests = requests.filter(Q(extended_due_on__lt=today)
                                   | Q(extended_due_on__isnull=True, due_on__lt=today))
    return requests.select_related("organisation", "handler").order_by("due_on", "pk")


def request_get_for(*, actor: Actor, pk: Any) -> SubjectRequest:
    """Return one data-subject request the actor may read, or 404."""
    return get_or_404(scope(SubjectRequest.objects.select_related(
        "organisation", "handler", "subject", "export_blob"), actor, VIEW), pk=pk)


def request_export_for(*, actor: Actor, pk: Any) -> SubjectRequest:
    """Return a request whose export is ready, to the one person handling it; 404 otherwise."""
    request = request_get_for(actor=actor, pk=pk)
    if (not isinstance(actor, User) or request.handler_id != actor.pk
            or not can(actor, MANAGE, request.organisation) or request.export_blob is None):
        raise Http404("Introuvable.")
    return request


def request_is_overdue(*, request: SubjectRequest, today: date | None = None) -> bool:
    """Tell whether an open request passed its (possibly extended) due date."""
    today = today or timezone.localdate()
    return request.is_open and request.deadline < today


def request_days_left(*, request: SubjectRequest, today: date | None = None) -> int:
    """Return the days left before the request's due date (negative once overdue)."""
    today = today or timezone.localdate()
    return (request.deadline - today).days


def handlers_for(*, actor: Actor, organisation: Organisation) -> QuerySet[User]:
    """Return who may handle a structure's requests: the people holding the manage role there."""
    if not can(actor, MANAGE, organisation):
        return User.objects.none()
    ancestors = _ancestor_paths(organisation.path)
    return User.objects.filter(
        memberships__revoked_at__isnull=True, memberships__role__in=roles_granting(MANAGE),
        memberships__organisation__path__in=ancestors).distinct().order_by("last_name", "email")


def managers_of(*, organisation: Organisation) -> list[str]:
    """Return the addresses of the active people who answer for a structure's register."""
    users = User.objects.filter(
        is_active=True, memberships__revoked_at__isnull=True,
        memberships__role__in=roles_granting(MANAGE),
        memberships__organisation__path__in=_ancestor_paths(organisation.path)).distinct()
    return sorted(user.email for user in users if can(user, MANAGE, organisation))


def subject_account_find(*, actor: Actor, email: str) -> User | None:
    """Return the account of that email for a handler identifying a person, else None."""
    if not granted_paths(actor, MANAGE) or not email:
        return None
    return User.objects.filter(email=email.strip().lower(), is_active=True).first()


# ------------------------------------------------------------------------------- breaches


def breaches_for(*, actor: Actor, organisation: Organisation | None = None) -> QuerySet[Breach]:
    """Return the breaches the actor may read, most recent awareness first."""
    breaches = scope(Breach.objects.all(), actor, VIEW)
    if organisation is not None:
        breaches = breaches.filter(organisation=organisation)
    return breaches.select_related("organisation").order_by("-aware_at", "-pk")


def breach_get_for(*, actor: Actor, pk: Any) -> Breach:
    """Return one breach the actor may read, or 404."""
    return get_or_404(scope(Breach.objects.select_related("organisation", "recorded_by"),
                            actor, VIEW), pk=pk)


def breach_clock_of(*, breach: Breach, now: datetime | None = None) -> BreachClock:
    """Return where a breach stands against its 72 hours."""
    return breach_clock(aware_at=breach.aware_at, notified_at=breach.cnil_notified_at,
                        decision=breach.cnil_decision, now=_now(now))


def breaches_to_notify(*, actor: Actor) -> QuerySet[Breach]:
    """Return the breaches not notified to the CNIL and not decided otherwise, oldest first."""
    return breaches_for(actor=actor).filter(cnil_notified_at__isnull=True).exclude(
        cnil_decision=Decision.NOT_REQUIRED).order_by("aware_at", "pk")


# -------------------------------------------------------------------- impact assessments


def _ancestor_paths(path: str) -> list[str]:
    """Return the paths of a node and of every node above it ("/arc/", "/arc/compiegne/")."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def templates_for(*, actor: Actor, organisation: Organisation) -> QuerySet[PiaTemplate]:
    """Return the templates a structure may use: its own and those of the structures above."""
    if not can(actor, VIEW, organisation):
        return PiaTemplate.objects.none()
    return PiaTemplate.objects.filter(organisation__path__in=_ancestor_paths(organisation.path)
                                      ).select_related("organisation").order_by("name", "pk")


def templates_visible(*, actor: Actor) -> QuerySet[PiaTemplate]:
    """Return every template the actor may read: owned by, or shared down to, their structures."""
    paths = granted_paths(actor, VIEW)
    if not paths:
        return PiaTemplate.objects.none()
    above = {ancestor for path in paths for ancestor in _ancestor_paths(path)}
    return (scope(PiaTemplate.objects.all(), actor, VIEW)
            | PiaTemplate.objects.filter(organisation__path__in=above)).distinct().select_related(
        "organisation").order_by("name", "pk")


def template_get_for(*, actor: Actor, organisation: Organisation, pk: Any) -> PiaTemplate:
    """Return one template a structure may use, or 404."""
    return get_or_404(templates_for(actor=actor, organisation=organisation), pk=pk)


def assessments_for(*, actor: Actor, organisation: Organisation | None = None) -> QuerySet[Assessment]:
    """Return the impact assessments the actor may read."""
    assessments = scope(Assessment.objects.all(), actor, VIEW)
    if organisation is not None:
        assessments = assessments.filter(organisation=organisation)
    return assessments.select_related("organisation", "activity", "template")


def assessment_get_for(*, actor: Actor, pk: Any) -> Assessment:
    """Return one impact assessment the actor may read, or 404."""
    return get_or_404(assessments_for(actor=actor), pk=pk)


def assessments_of_activity(*, actor: Actor, activity: Activity) -> QuerySet[Assessment]:
    """Return the impact assessments of an activity already obtained, newest first."""
    return assessments_for(actor=actor).filter(activity=activity)


def assessment_may_decide(*, actor: Actor, assessment: Assessment) -> bool:
    """Tell whether the actor may give the DPO's opinion on this assessment."""
    return can(actor, OPINION, assessment.organisation)


def template_owners_for(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the structures where the actor may create shared templates (the DPO's)."""
    return organisations_for(actor, TEMPLATES).order_by("path")


def template_owner_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one structure where the actor may create templates, or 404."""
    return get_or_404(template_owners_for(actor=actor), slug=slug)


def assessment_level(*, severity: int, likelihood: int) -> str:
    """Say a risk's level from its severity and likelihood (the CNIL's 1 to 4 scales)."""
    if severity >= 3 and likelihood >= 3:
        return "élevé"
    if severity >= 3 or likelihood >= 3:
        return "significatif"
    return "limité"


# -------------------------------------------------------------------- indicators, my tasks


def indicator_register_completeness(*, actor: Actor, start: date, end: date,
                                    organisation: Organisation | None = None) -> float:
    """Return the share (%) of active activities whose art. 30 entries are all filled in."""
    activities = scope(Activity.objects.filter(archived_at__isnull=True), actor, VIEW)
    if organisation is not None:
        activities = activities.filter(organisation__path__startswith=organisation.path)
    total = complete = 0
    for activity in activities.only(*(name for name, _ in REQUIRED_FIELDS)).iterator():
        total += 1
        complete += not activity_missing(activity=activity)
    return round(100 * complete / total, 1) if total else 0.0


def indicator_requests_overdue(*, actor: Actor, start: date, end: date,
                               organisation: Organisation | None = None) -> int:
    """Return the open requests whose due date passed before the end of the period."""
    day = min(end, timezone.localdate())
    requests = scope(SubjectRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES), actor, VIEW)
    if organisation is not None:
        requests = requests.filter(organisation__path__startswith=organisation.path)
    return requests.filter(Q(extended_due_on__lt=day)
                           | Q(extended_due_on__isnull=True, due_on__lt=day)).count()


def work_breaches_to_notify(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the breaches waiting for a notification decision, with their clocks."""
    if not granted_paths(actor, MANAGE):
        return []
    now = timezone.now()
    items = []
    for breach in scope(breaches_to_notify(actor=actor), actor, MANAGE)[:limit]:
        clock = breach_clock_of(breach=breach, now=now)
        deadline = timezone.localtime(breach_deadline(breach.aware_at))
        items.append(WorkItem(title=f"{breach.title} ({breach.organisation.name})",
                              url=reverse("privacy:breach", args=[breach.pk]),
                              since=breach.aware_at,
                              detail=f"Échéance {deadline:%d/%m/%Y %H:%M} — {clock.text}",
                              unread=clock.state == "overdue"))
    return items


def work_requests_due(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the open requests of the actor's structures, soonest due first."""
    if not granted_paths(actor, MANAGE):
        return []
    today = timezone.localdate()
    requests = scope(requests_for(actor=actor, filters=RequestFilters(open_only=True)),
                     actor, MANAGE)
    if isinstance(actor, User):
        requests = requests.filter(Q(handler__isnull=True) | Q(handler=actor))
    items = []
    for request in requests[:limit]:
        overdue = request_is_overdue(request=request, today=today)
        items.append(WorkItem(
            title=f"{request.get_kind_display()} — {request.requester_name} "
                  f"({request.organisation.name})",
            url=reverse("privacy:request", args=[request.pk]), since=request.received_on,
            detail=("En retard depuis le " if overdue else "À répondre au plus tard le ")
            + f"{request.deadline:%d/%m/%Y}", unread=overdue))
    return items
