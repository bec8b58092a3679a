"""Every read of the helpdesk, scoped to the actor.

An agent of a commune sees their commune's tickets and nothing else, never an internal
note; a technician of the DCSI (role held on the ARC) sees every commune. The pickers
(requester, observers, assignee) follow the same rule: a commune's agent is offered
only the agents of their commune, and never the list of technicians.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for, scope
from socle.core.models import Membership, Organisation, User
from socle.core.roles import roles_granting

from .models import (
    OPEN_STATUSES,
    Article,
    Attachment,
    Followup,
    Sla,
    Status,
    Task,
    Ticket,
    Visibility,
)

OPEN = "helpdesk.open"
VIEW = "helpdesk.view"
HANDLE = "helpdesk.handle"
VIEW_INTERNAL = "helpdesk.view_internal"
MANAGE_KB = "helpdesk.manage_kb"
REPORT = "helpdesk.report"
TECHNICIAN = "helpdesk.technician"


def tickets_visible(*, actor: Actor) -> QuerySet[Ticket]:
    """Return the tickets of the organisations where the actor may read tickets."""
    return scope(Ticket.objects.all(), actor, VIEW)


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""  # a status, "open", or "" for all
    organisation: str = ""  # a slug
    category: str = ""
    priority: int | None = None
    assigned: str = ""  # "me", "none" or ""
    mine: bool = False  # requested or observed by the actor
    late: bool = False
    q: str = ""


def _filtered(tickets: QuerySet[Ticket], actor: Actor, filters: TicketFilters) -> QuerySet[Ticket]:
    if filters.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.organisation:
        tickets = tickets.filter(organisation__slug=filters.organisation)
    if filters.category:
        tickets = tickets.filter(category=filters.category)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.assigned == "me" and isinstance(actor, User):
        tickets = tickets.filter(assignee=actor)
    if filters.assigned == "none":
        tickets = tickets.filter(assignee__isnull=True, assigned_group__isnull=True)
    if filters.mine and isinstance(actor, User):
        tickets = tickets.filter(Q(requester=actor) | Q(observer_rows__user=actor)).distinct()
    if filters.late:
        now = timezone.now()
        tickets = tickets.filter(status__in=OPEN_STATUSES).filter(
            Q(owned_at__isnull=True, due_own_at__lt=now) | Q(due_resolve_at__lt=now))
    query = filters.q.strip()
    if query:
        tickets = tickets.filter(Q(number__iexact=query) | Q(title__icontains=query))
    return tickets


def tickets_for(*, actor: Actor, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """Return the tickets the actor may see, filtered, newest first."""
    tickets = _filtered(tickets_visible(actor=actor), actor, filters or TicketFilters())
    return tickets.select_related("organisation", "requester", "assignee",
                                  "assigned_group").order_by("-pk")


def ticket_rows_for(*, actor: Actor, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """Return the tickets for a list page: as ``tickets_for``, without the long texts."""
    return tickets_for(actor=actor, filters=filters).defer("description", "solution",
                                                           "satisfaction_comment")


def ticket_get_for(*, actor: Actor, pk: Any) -> Ticket:
    """Return one ticket the actor may see, or 404."""
    return get_or_404(tickets_visible(actor=actor).select_related(
        "organisation", "requester", "assignee", "assigned_group", "sla", "sla__calendar",
        "solution_article"), pk=pk)


def ticket_by_number(*, actor: Actor, number: str) -> Ticket | None:
    """Return the ticket of that number if the actor may see it."""
    return tickets_visible(actor=actor).filter(number=number).first()


def may_handle(*, actor: Actor, ticket: Ticket) -> bool:
    """Tell whether the actor is a technician for this ticket's commune."""
    return can(actor, HANDLE, ticket.organisation)


def may_read_internal(*, actor: Actor, ticket: Ticket) -> bool:
    """Tell whether the actor may read the DCSI's internal notes and tasks on this ticket."""
    return can(actor, VIEW_INTERNAL, ticket.organisation)


def is_technician(*, actor: Actor) -> bool:
    """Tell whether the actor handles tickets somewhere."""
    return bool(granted_paths(actor, HANDLE))


def followups_for(*, actor: Actor, ticket: Ticket) -> QuerySet[Followup]:
    """Return the follow-ups of a ticket already obtained, internal ones for the DCSI only."""
    followups = ticket.followups.select_related("author", "article")
    if not may_read_internal(actor=actor, ticket=ticket):
        followups = followups.filter(internal=False)
    return followups


def tasks_for(*, actor: Actor, ticket: Ticket) -> QuerySet[Task]:
    """Return the technicians' tasks on a ticket, for the DCSI only."""
    if not may_read_internal(actor=actor, ticket=ticket):
        return Task.objects.none()
    return ticket.tasks.select_related("author")


def attachments_for(*, actor: Actor, ticket: Ticket) -> QuerySet[Attachment]:
    """Return the files joined to a ticket already obtained."""
    return ticket.attachments.select_related("blob")


def attachment_get(*, actor: Actor, ticket_pk: Any, pk: Any) -> Attachment:
    """Return one file of a ticket the actor may see, or 404."""
    ticket = ticket_get_for(actor=actor, pk=ticket_pk)
    return get_or_404(attachments_for(actor=actor, ticket=ticket), pk=pk)


def observers_of(*, actor: Actor, ticket: Ticket) -> QuerySet[User]:
    """Return the observers of a ticket already obtained."""
    return User.objects.filter(helpdesk_observing__ticket=ticket).order_by("last_name", "email")


def is_party(*, actor: Actor, ticket: Ticket) -> bool:
    """Tell whether the actor requested or observes the ticket."""
    if not isinstance(actor, User):
        return False
    return ticket.requester_id == actor.pk or ticket.observer_rows.filter(user=actor).exists()


# ------------------------------------------------------------------------------ pickers


def organisations_opening(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the communes (or the ARC) for which the actor may open tickets."""
    return organisations_for(actor, OPEN).filter(kind__in=["epci", "commune"]).order_by("path")


def organisation_opening_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one organisation the actor may open tickets for, or 404."""
    return get_or_404(organisations_opening(actor=actor), slug=slug)


def agents_of(*, actor: Actor, organisation: Organisation) -> QuerySet[User]:
    """Return the agents of an organisation who may open tickets there: the requester and
    observer picker. Only its own agents (a role held on it or below), never the DCSI's
    technicians who hold theirs on the ARC; empty if the actor may not open tickets there."""
    if not can(actor, OPEN, organisation):
        return User.objects.none()
    user_ids = Membership.objects.filter(
        organisation__path__startswith=organisation.path, role__in=roles_granting(OPEN),
        revoked_at__isnull=True).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "email")


def technicians_for(*, actor: Actor) -> QuerySet[User]:
    """Return the technicians a ticket may be assigned to; nobody for a commune's agent."""
    if not is_technician(actor=actor):
        return User.objects.none()
    user_ids = Membership.objects.filter(role=TECHNICIAN, revoked_at__isnull=True).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "email")


def groups_for(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the services a ticket may be assigned to (the DCSI and its teams)."""
    return organisations_for(actor, HANDLE).filter(kind="service").order_by("path")


def slas_for(*, actor: Actor) -> QuerySet[Sla]:
    """Return the SLAs a technician may put on a ticket."""
    if not is_technician(actor=actor):
        return Sla.objects.none()
    return Sla.objects.select_related("calendar").order_by("-priority", "name")


# ------------------------------------------------------------------------- knowledge base


def articles_for(*, actor: Actor, q: str = "", category: str = "") -> QuerySet[Article]:
    """Return the articles the actor may read: public ones for any agent, internal for the DCSI."""
    if not granted_paths(actor, VIEW):
        return Article.objects.none()
    articles = Article.objects.all()
    if not granted_paths(actor, VIEW_INTERNAL):
        articles = articles.filter(visibility=Visibility.PUBLIC)
    if category:
        articles = articles.filter(category=category)
    query = q.strip()
    if query:
        articles = articles.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return articles.order_by("title", "pk")


def training_needs(*, actor: Actor) -> QuerySet[Article]:
    """Return the recurring questions the DCSI flagged as training needs (for the training plan)."""
    return articles_for(actor=actor).filter(training_need=True)


def article_get_for(*, actor: Actor, pk: Any) -> Article:
    """Return one article the actor may read, or 404."""
    return get_or_404(articles_for(actor=actor), pk=pk)


# ------------------------------------------------------------------------------- reports


@dataclass
class SlaRow:
    organisation: str
    opened: int = 0
    solved: int = 0
    own_met: int = 0
    own_missed: int = 0
    resolve_met: int = 0
    resolve_missed: int = 0

    @property
    def compliance(self) -> float | None:
        judged = self.resolve_met + self.resolve_missed
        return round(100 * self.resolve_met / judged, 1) if judged else None


def sla_report(*, actor: Actor, start: datetime, end: datetime) -> tuple[list[SlaRow], SlaRow,
                                                                          list[Ticket]]:
    """Return, per commune, the tickets opened over [start, end) and how their deadlines
    fared, the totals, and the tickets that missed one (for technicians holding the report)."""
    tickets = scope(Ticket.objects.all(), actor, REPORT).filter(opened_at__gte=start,
                                                                 opened_at__lt=end)
    rows: dict[str, SlaRow] = {}
    total = SlaRow(organisation="Total")
    for name, status, own_met, resolve_met in tickets.values_list(
            "organisation__name", "status", "own_met", "resolve_met"):
        for row in (rows.setdefault(name, SlaRow(organisation=name)), total):
            row.opened += 1
            row.solved += status in (Status.SOLVED, Status.CLOSED)
            row.own_met += own_met is True
            row.own_missed += own_met is False
            row.resolve_met += resolve_met is True
            row.resolve_missed += resolve_met is False
    missed = list(tickets.filter(Q(own_met=False) | Q(resolve_met=False))
                  .select_related("organisation", "assignee").order_by("opened_at")[:200])
    return sorted(rows.values(), key=lambda r: r.organisation), total, missed


# ----------------------------------------------------------------------------- my tasks


def tickets_assigned_to(*, actor: Actor, limit: int) -> list[Ticket]:
    """Return the open tickets assigned to the actor, most urgent deadline first."""
    if not isinstance(actor, User):
        return []
    return list(tickets_visible(actor=actor).filter(assignee=actor, status__in=[
        Status.ASSIGNED, Status.IN_PROGRESS, Status.NEW]).order_by("due_resolve_at", "pk")
        .select_related("organisation")[:limit])


def tickets_waiting_for(*, actor: Actor, limit: int) -> list[Ticket]:
    """Return the tickets waiting for the actor as requester: a question asked, a solution
    to accept or refuse."""
    if not isinstance(actor, User):
        return []
    return list(tickets_visible(actor=actor).filter(
        requester=actor, status__in=[Status.PENDING, Status.SOLVED]).order_by("updated_at", "pk")
        .select_related("organisation")[:limit])
