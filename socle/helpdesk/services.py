"""Every write of the helpdesk: tickets and their lifecycle, SLA clocks, follow-ups, tasks,
observers, escalation, the knowledge base, calendars and SLAs.

Each service runs in one transaction and writes its journal event. The SLA clocks are
computed here, on the SLA's business calendar: time to own runs from the opening to
the first taking into account (an assignment, a technician's public answer, a change of
status); time to resolve runs from the opening to the solution, standing still while
the ticket waits for its requester.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.counters import counter_next
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.modules import object_ref
from socle.core.notices import notice_send
from socle.core.notifications import absolute_url, email_notify

from . import selectors
from .business_time import Calendar, NoOpening, hours_parse
from .models import (
    OPEN_STATUSES,
    Article,
    BusinessCalendar,
    Category,
    Channel,
    Closure,
    Followup,
    Kind,
    Pause,
    Sla,
    Status,
    Task,
    Ticket,
    TicketCounter,
    TicketObserver,
    Visibility,
)

OPEN = selectors.OPEN
HANDLE = selectors.HANDLE
VIEW_INTERNAL = selectors.VIEW_INTERNAL
MANAGE_KB = selectors.MANAGE_KB
AUTO_CLOSE_DAYS = 7

# Urgency (rows) x impact (columns) → priority, both from 1 (very low) to 5 (very high).
# Read it as: an urgent problem that stops one person is "high"; one that stops the whole
# commune is "major".
PRIORITY_MATRIX: dict[int, tuple[int, int, int, int, int]] = {
    5: (4, 4, 5, 5, 6),
    4: (3, 3, 4, 5, 5),
    3: (2, 3, 3, 4, 4),
    2: (1, 2, 2, 3, 3),
    1: (1, 1, 2, 2, 3),
}


def priority_of(urgency: int, impact: int) -> int:
    """Return the priority the matrix gives an urgency and an impact."""
    return PRIORITY_MATRIX[urgency][impact - 1]


def _levels(urgency: Any, impact: Any) -> tuple[int, int]:
    for value in (urgency, impact):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ServiceError("L'urgence et l'impact vont de 1 (très basse) à 5 (très haute).",
                               code="invalid_level")
    return urgency, impact


def _text(value: str, label: str, max_length: int, *, required: bool = False) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ServiceError(f"{label} est obligatoire.", code="invalid",
                           errors={label: "Ce champ est obligatoire."})
    if len(value) > max_length:
        raise ServiceError(f"{label} dépasse {max_length} caractères.", code="invalid")
    return value


def _require(actor: User | None, permission: str, organisation: Organisation) -> User:
    if actor is None or not can(actor, permission, organisation):
        raise Forbidden("Votre rôle ne permet pas cette opération sur ce ticket.")
    return actor


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


# ------------------------------------------------------------------------- SLA clocks


def calendar_of(calendar: BusinessCalendar) -> Calendar:
    """Return a stored calendar as business-time data, closures included."""
    closed: set[date] = set()
    for start, end in calendar.closures.values_list("start", "end"):
        day = start
        while day <= end:
            closed.add(day)
            day += timedelta(days=1)
    return Calendar(hours=hours_parse(calendar.hours), french_holidays=calendar.french_holidays,
                    closed=frozenset(closed))


def _deadlines(ticket: Ticket) -> None:
    """Set the due dates from the opening, the SLA and the pauses that ended."""
    if ticket.sla is None:
        ticket.due_own_at = ticket.due_resolve_at = None
        return
    calendar = calendar_of(ticket.sla.calendar)
    ticket.due_own_at = calendar.add(ticket.opened_at, ticket.sla.own_minutes)
    if ticket.pending_since is not None:
        ticket.due_resolve_at = None  # the clock stands still
        return
    ticket.due_resolve_at = calendar.add(ticket.opened_at,
                                         ticket.sla.resolve_minutes + ticket.paused_minutes)


def _pause_end(ticket: Ticket, at: datetime) -> None:
    if ticket.pending_since is None:
        return
    if ticket.sla is not None:
        ticket.paused_minutes += calendar_of(ticket.sla.calendar).minutes_between(
            ticket.pending_since, at)
    ticket.pending_since = None
    ticket.pauses.filter(end__isnull=True).update(end=at)


def _own(ticket: Ticket, at: datetime) -> None:
    if ticket.owned_at is None:
        ticket.owned_at = at


def sla_for_priority(priority: int) -> Sla | None:
    """Return the SLA that applies by default to a priority."""
    return Sla.objects.select_related("calendar").filter(priority=priority).order_by("pk").first()


def remaining_minutes(ticket: Ticket, at: datetime | None = None) -> int | None:
    """Return the business minutes left before the resolve deadline (negative when late)."""
    if ticket.sla is None or ticket.due_resolve_at is None:
        return None
    calendar = calendar_of(ticket.sla.calendar)
    at = _now(at)
    if at <= ticket.due_resolve_at:
        return calendar.minutes_between(at, ticket.due_resolve_at)
    return -calendar.minutes_between(ticket.due_resolve_at, at)


# ------------------------------------------------------------------------------ tickets


def _next_number(year: int) -> tuple[int, str]:
    seq = counter_next(TicketCounter.objects.filter(year=year), year=year)
    return seq, f"{year}-{seq:05d}"


def _check_kind(kind: str, category: str) -> None:
    if kind not in Kind.values:
        raise ServiceError("Le type de ticket est « incident » ou « request ».",
                           code="invalid_kind")
    if category not in Category.values:
        raise ServiceError("Catégorie inconnue. Catégories : " + ", ".join(Category.values) + ".",
                           code="invalid_category", errors={"category": "Catégorie inconnue."})


def _requester(actor: User, organisation: Organisation, requester: User | None) -> User:
    if requester is None or requester.pk == actor.pk:
        return actor
    # Opening on someone's behalf (a call to the DCSI) is a technician's act, and the
    # requester must be an agent of that commune: never somebody from elsewhere.
    _require(actor, HANDLE, organisation)
    if not selectors.agents_of(actor=actor, organisation=organisation).filter(
            pk=requester.pk).exists():
        raise ServiceError("Le demandeur doit être un agent de la commune du ticket.",
                           code="invalid_requester")
    return requester


def ticket_open(*, actor: User | None, organisation: Organisation, title: str, description: str,
                category: str, kind: str = Kind.INCIDENT, urgency: int = 3, impact: int = 3,
                requester: User | None = None, channel: str = Channel.WEB,
                observers: Iterable[User] = (), at: datetime | None = None) -> Ticket:
    """Open a ticket for a commune, numbered in the year, with the SLA of its priority."""
    actor = _require(actor, OPEN, organisation)
    title = _text(title, "Le titre", 200, required=True)
    description = _text(description, "La description", 20000, required=True)
    _check_kind(kind, category)
    urgency, impact = _levels(urgency, impact)
    if channel not in Channel.values:
        raise ServiceError("Canal inconnu.", code="invalid")
    requester = _requester(actor, organisation, requester)
    at = _now(at)
    priority = priority_of(urgency, impact)
    with transaction.atomic():
        seq, number = _next_number(timezone.localtime(at).year)
        ticket = Ticket(organisation=organisation, year=timezone.localtime(at).year, seq=seq,
                        number=number, kind=kind, category=category, title=title,
                        description=description, urgency=urgency, impact=impact,
                        priority=priority, channel=channel, requester=requester,
                        created_by=actor, opened_at=at, sla=sla_for_priority(priority))
        _deadlines(ticket)
        ticket.save()
        for observer in observers:
            _observer_add(actor, ticket, observer)
        audit_record(actor=actor, action="helpdesk.ticket_open", organisation=organisation,
                     target=ticket, data={"number": number, "category": category,
                                          "priority": priority, "channel": channel})
    return ticket


def _observer_add(actor: User, ticket: Ticket, user: User) -> None:
    if not selectors.agents_of(actor=actor, organisation=ticket.organisation).filter(
            pk=user.pk).exists():
        raise ServiceError("Un observateur doit être un agent de la commune du ticket.",
                           code="invalid_observer")
    TicketObserver.objects.get_or_create(ticket=ticket, user=user)


def observer_add(*, actor: User | None, ticket: Ticket, user: User) -> Ticket:
    """Add an agent of the ticket's commune to those kept informed of it."""
    actor = _require(actor, OPEN, ticket.organisation)
    with transaction.atomic():
        _observer_add(actor, ticket, user)
        audit_record(actor=actor, action="helpdesk.observer_add", organisation=ticket.organisation,
                     target=ticket, data={"user": user.pk})
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related(
        "organisation", "sla", "sla__calendar", "requester").get(pk=ticket.pk)


def _open_or_conflict(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise Conflict("Ce ticket est résolu ou clos : rouvrez-le d'abord.", code="ticket_closed")


def ticket_assign(*, actor: User | None, ticket: Ticket, assignee: User | None = None,
                  group: Organisation | None = None, at: datetime | None = None) -> Ticket:
    """Give a ticket to a technician or a group of the DCSI: it is then taken into account."""
    actor = _require(actor, HANDLE, ticket.organisation)
    if assignee is None and group is None:
        raise ServiceError("Choisissez un technicien ou un groupe.", code="invalid")
    if assignee is not None and not selectors.technicians_for(actor=actor).filter(
            pk=assignee.pk).exists():
        raise ServiceError("On n'attribue un ticket qu'à un technicien de la DCSI.",
                           code="invalid_assignee")
    if group is not None and not selectors.groups_for(actor=actor).filter(pk=group.pk).exists():
        raise ServiceError("Ce groupe n'est pas un service de la DCSI.", code="invalid_group")
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        ticket.assignee, ticket.assigned_group = assignee, group
        if ticket.status == Status.NEW:
            ticket.status = Status.ASSIGNED
        _own(ticket, at)
        ticket.save()
        audit_record(actor=actor, action="helpdesk.ticket_assign", organisation=ticket.organisation,
                     target=ticket, data={"assignee": assignee.pk if assignee else None,
                                          "group": group.slug if group else None})
        if assignee is not None:
            notice_send(kind="helpdesk.ticket_assigned", recipients=[assignee], actor=actor,
                        title=f"Ticket {ticket.number} attribué : {ticket.title[:150]}",
                        url=f"/assistance/tickets/{ticket.pk}/",
                        ref=object_ref("helpdesk.ticket", ticket.pk),
                        organisation=ticket.organisation)
    return ticket


def ticket_pending(*, actor: User | None, ticket: Ticket, question: str,
                   at: datetime | None = None) -> Ticket:
    """Ask the requester something: the resolve clock stops until they answer."""
    actor = _require(actor, HANDLE, ticket.organisation)
    question = _text(question, "La question au demandeur", 20000, required=True)
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        if ticket.status == Status.PENDING:
            raise Conflict("Ce ticket attend déjà le demandeur.", code="already_pending")
        _own(ticket, at)
        ticket.status = Status.PENDING
        ticket.pending_since = at
        Pause.objects.create(ticket=ticket, start=at)
        _deadlines(ticket)
        ticket.save()
        _followup(actor, ticket, question, internal=False, channel=Channel.WEB, at=at)
        audit_record(actor=actor, action="helpdesk.ticket_pending",
                     organisation=ticket.organisation, target=ticket, data={})
    return ticket


def _resume(actor: User | None, ticket: Ticket, at: datetime) -> None:
    _pause_end(ticket, at)
    ticket.status = Status.IN_PROGRESS if ticket.assignee_id or ticket.assigned_group_id \
        else Status.NEW
    _deadlines(ticket)
    audit_record(actor=actor, action="helpdesk.ticket_resume", organisation=ticket.organisation,
                 target=ticket, data={"paused_minutes": ticket.paused_minutes})


def ticket_start(*, actor: User | None, ticket: Ticket, at: datetime | None = None) -> Ticket:
    """Mark a ticket in progress (taking it back from the requester if it waited)."""
    actor = _require(actor, HANDLE, ticket.organisation)
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        _own(ticket, at)
        if ticket.status == Status.PENDING:
            _resume(actor, ticket, at)
        ticket.status = Status.IN_PROGRESS
        if ticket.assignee_id is None and ticket.assigned_group_id is None:
            ticket.assignee = actor
        ticket.save()
        audit_record(actor=actor, action="helpdesk.ticket_status",
                     organisation=ticket.organisation, target=ticket,
                     data={"to": Status.IN_PROGRESS})
    return ticket


def _notify_parties(ticket: Ticket, text: str) -> None:
    recipients = [ticket.requester.email, *selectors.observers_of(
        actor=None, ticket=ticket).values_list("email", flat=True)]
    url = absolute_url(f"/assistance/tickets/{ticket.pk}/")
    body = (f"Bonjour,\n\nLa DCSI a répondu sur le ticket {ticket.number} « {ticket.title} » :"
            f"\n\n{text}\n\nSuivre le ticket : {url}\n")
    email_notify(to=sorted(set(recipients)), subject=f"[#{ticket.number}] {ticket.title}",
                 body=body)


def _followup(actor: User | None, ticket: Ticket, text: str, *, internal: bool, channel: str,
              at: datetime, article: Article | None = None) -> Followup:
    followup = Followup.objects.create(ticket=ticket, author=actor, text=text, internal=internal,
                                       channel=channel, at=at, article=article)
    from_dcsi = actor is not None and can(actor, HANDLE, ticket.organisation)
    if from_dcsi and not internal:
        ticket_pk = ticket.pk
        transaction.on_commit(lambda: _notify_parties(Ticket.objects.select_related(
            "requester").get(pk=ticket_pk), text))
    return followup


def followup_add(*, actor: User | None, ticket: Ticket, text: str, internal: bool = False,
                 channel: str = Channel.WEB, article: Article | None = None,
                 at: datetime | None = None) -> Followup:
    """Write on a ticket. An internal note is the DCSI's; a technician's public answer takes
    the ticket into account; the requester's answer to a question restarts the clock."""
    actor = _require(actor, OPEN, ticket.organisation)
    text = _text(text, "Le message", 20000, required=True)
    technician = can(actor, HANDLE, ticket.organisation)
    if internal and not can(actor, VIEW_INTERNAL, ticket.organisation):
        raise Forbidden("Seule la DCSI écrit des notes internes.")
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise Conflict("Ce ticket est clos : ouvrez-en un nouveau.", code="ticket_closed")
        if technician and not internal:
            _own(ticket, at)
        if not technician and ticket.status == Status.PENDING:
            _resume(actor, ticket, at)
        ticket.save()
        followup = _followup(actor, ticket, text, internal=internal, channel=channel, at=at,
                             article=article)
        audit_record(actor=actor, action="helpdesk.followup", organisation=ticket.organisation,
                     target=ticket, data={"followup": followup.pk, "internal": internal,
                                          "channel": channel})
    return followup


def task_add(*, actor: User | None, ticket: Ticket, text: str, minutes: int,
             at: datetime | None = None) -> Task:
    """Record a piece of work a technician did on a ticket and the time it took."""
    actor = _require(actor, HANDLE, ticket.organisation)
    text = _text(text, "La tâche", 5000, required=True)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 14400:
        raise ServiceError("Le temps passé est un nombre de minutes entre 1 et 14 400.",
                           code="invalid_minutes")
    with transaction.atomic():
        task = Task.objects.create(ticket=ticket, author=actor, text=text, minutes=minutes,
                                   at=_now(at))
        audit_record(actor=actor, action="helpdesk.task", organisation=ticket.organisation,
                     target=ticket, data={"task": task.pk, "minutes": minutes})
    return task


def ticket_solve(*, actor: User | None, ticket: Ticket, solution: str = "",
                 article: Article | None = None, at: datetime | None = None) -> Ticket:
    """Give the solution (written, or a knowledge base article): the clocks stop and the
    ticket waits for the requester to accept it."""
    actor = _require(actor, HANDLE, ticket.organisation)
    solution = _text(solution, "La solution", 20000)
    if article is not None:
        if not selectors.articles_for(actor=actor).filter(pk=article.pk).exists():
            raise ServiceError("Article inconnu.", code="unknown_article")
        if article.visibility != Visibility.PUBLIC:
            raise ServiceError("Un article interne ne peut pas répondre à un demandeur.",
                               code="internal_article")
        solution = solution or f"Voir l'article « {article.title} » de la base de connaissances."
    if not solution:
        raise ServiceError("Décrivez la solution ou choisissez un article.", code="invalid",
                           errors={"solution": "Ce champ est obligatoire."})
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        _own(ticket, at)
        _pause_end(ticket, at)
        _deadlines(ticket)
        ticket.status = Status.SOLVED
        ticket.solved_at = at
        ticket.solution, ticket.solution_article = solution, article
        if ticket.sla is not None:
            assert ticket.owned_at is not None and ticket.due_own_at is not None
            assert ticket.due_resolve_at is not None
            ticket.own_met = ticket.owned_at <= ticket.due_own_at
            ticket.resolve_met = at <= ticket.due_resolve_at
        ticket.save()
        _followup(actor, ticket, solution, internal=False, channel=Channel.WEB, at=at,
                  article=article)
        audit_record(actor=actor, action="helpdesk.ticket_solve", organisation=ticket.organisation,
                     target=ticket, data={"article": article.pk if article else None,
                                          "resolve_met": ticket.resolve_met})
    return ticket


def ticket_answer_solution(*, actor: User | None, ticket: Ticket, accept: bool,
                           satisfaction: int | None = None, comment: str = "",
                           at: datetime | None = None) -> Ticket:
    """The requester accepts the solution (the ticket closes, with their satisfaction from
    1 to 5) or refuses it (the ticket reopens and its resolve clock runs again)."""
    if actor is None or actor.pk != ticket.requester_id:
        raise Forbidden("Seul le demandeur accepte ou refuse la solution.")
    comment = _text(comment, "Le commentaire", 2000)
    if satisfaction is not None and (isinstance(satisfaction, bool)
                                     or not isinstance(satisfaction, int)
                                     or not 1 <= satisfaction <= 5):
        raise ServiceError("La satisfaction va de 1 à 5.", code="invalid_satisfaction")
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != Status.SOLVED:
            raise Conflict("Ce ticket n'attend pas votre avis sur une solution.",
                           code="not_solved")
        if accept:
            ticket.status, ticket.closed_at = Status.CLOSED, at
            ticket.satisfaction, ticket.satisfaction_comment = satisfaction, comment
            action = "helpdesk.ticket_close"
        else:
            if not comment:
                raise ServiceError("Dites pourquoi la solution ne convient pas.",
                                   code="invalid", errors={"comment": "Ce champ est obligatoire."})
            ticket.status = Status.IN_PROGRESS if ticket.assignee_id else Status.NEW
            ticket.solved_at = None
            ticket.own_met = ticket.resolve_met = None
            _followup(actor, ticket, comment, internal=False, channel=Channel.WEB, at=at)
            action = "helpdesk.ticket_reopen"
        ticket.save()
        audit_record(actor=actor, action=action, organisation=ticket.organisation, target=ticket,
                     data={"satisfaction": satisfaction})
        if accept and satisfaction is not None:
            audit_record(actor=actor, action="helpdesk.satisfaction",
                         organisation=ticket.organisation, target=ticket,
                         data={"satisfaction": satisfaction})
    return ticket


def ticket_sla_change(*, actor: User | None, ticket: Ticket, sla: Sla | None,
                      at: datetime | None = None) -> Ticket:
    """Put another SLA on an open ticket: both deadlines are computed again from the opening,
    with the new SLA's durations and calendar, the time already spent waiting kept off."""
    actor = _require(actor, HANDLE, ticket.organisation)
    at = _now(at)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        before = ticket.sla_id
        if ticket.pending_since is not None and ticket.sla is not None:
            # The pause so far counts on the old calendar; the rest on the new one.
            ticket.paused_minutes += calendar_of(ticket.sla.calendar).minutes_between(
                ticket.pending_since, at)
            ticket.pending_since = at
        ticket.sla = sla
        _deadlines(ticket)
        ticket.escalated_own_at = ticket.escalated_resolve_at = None
        ticket.save()
        audit_record(actor=actor, action="helpdesk.ticket_sla", organisation=ticket.organisation,
                     target=ticket, data={"from": before, "to": sla.pk if sla else None})
    return ticket


def ticket_levels_set(*, actor: User | None, ticket: Ticket, urgency: int,
                      impact: int) -> Ticket:
    """Correct the urgency and impact of an open ticket; the priority follows the matrix."""
    actor = _require(actor, HANDLE, ticket.organisation)
    urgency, impact = _levels(urgency, impact)
    with transaction.atomic():
        ticket = _locked(ticket)
        _open_or_conflict(ticket)
        ticket.urgency, ticket.impact = urgency, impact
        ticket.priority = priority_of(urgency, impact)
        ticket.save()
        audit_record(actor=actor, action="helpdesk.ticket_levels",
                     organisation=ticket.organisation, target=ticket,
                     data={"urgency": urgency, "impact": impact, "priority": ticket.priority})
    return ticket


# ----------------------------------------------------------------------------- jobs


def _technician_emails(ticket: Ticket) -> list[str]:
    if ticket.assignee is not None:
        return [ticket.assignee.email]
    return sorted(set(User.objects.filter(
        memberships__role=selectors.TECHNICIAN, memberships__revoked_at__isnull=True,
        is_active=True).values_list("email", flat=True)))


def tickets_escalate(*, at: datetime | None = None) -> list[Ticket]:
    """Flag, once each, the open tickets past their time to own or to resolve, and alert the
    assignee (or every technician when nobody has it yet)."""
    at = _now(at)
    flagged: list[Ticket] = []
    late_own = Ticket.objects.filter(status__in=OPEN_STATUSES, owned_at__isnull=True,
                                     due_own_at__lt=at, escalated_own_at__isnull=True)
    late_resolve = Ticket.objects.filter(status__in=OPEN_STATUSES, due_resolve_at__lt=at,
                                         escalated_resolve_at__isnull=True)
    for field, rows, label in (("escalated_own_at", late_own, "prise en compte"),
                               ("escalated_resolve_at", late_resolve, "résolution")):
        for ticket in rows.select_related("organisation", "assignee")[:500]:
            with transaction.atomic():
                if not Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(
                        **{field: at}):
                    continue
                audit_record(actor=None, action="helpdesk.escalate",
                             organisation=ticket.organisation, target=ticket,
                             data={"deadline": field.removeprefix("escalated_").removesuffix("_at")})
                emails = _technician_emails(ticket)
                text = (f"Le ticket {ticket.number} ({ticket.organisation.name}) a dépassé son "
                        f"délai de {label}.\n\n{absolute_url(f'/assistance/tickets/{ticket.pk}/')}\n")
                subject = f"[#{ticket.number}] Délai de {label} dépassé"
                email_notify(to=emails, subject=subject, body=text)
            flagged.append(ticket)
    return flagged


def tickets_close_solved(*, at: datetime | None = None) -> list[Ticket]:
    """Close the tickets solved for more than seven days without the requester's answer."""
    at = _now(at)
    closed = []
    for ticket in Ticket.objects.filter(status=Status.SOLVED,
                                        solved_at__lt=at - timedelta(days=AUTO_CLOSE_DAYS))[:1000]:
        with transaction.atomic():
            if Ticket.objects.filter(pk=ticket.pk, status=Status.SOLVED).update(
                    status=Status.CLOSED, closed_at=at):
                audit_record(actor=None, action="helpdesk.ticket_close",
                             organisation=ticket.organisation, target=ticket,
                             data={"automatic": True})
                closed.append(ticket)
    return closed


# ------------------------------------------------------------------- knowledge base


def article_save(*, actor: User | None, organisation: Organisation, title: str, body: str,
                 category: str, visibility: str = Visibility.PUBLIC, training_need: bool = False,
                 article: Article | None = None) -> Article:
    """Write or rewrite a knowledge base article of the DCSI."""
    actor = _require(actor, MANAGE_KB, organisation)
    title = _text(title, "Le titre", 200, required=True)
    body = _text(body, "Le texte", 50000, required=True)
    if category not in Category.values:
        raise ServiceError("Catégorie inconnue.", code="invalid_category")
    if visibility not in Visibility.values:
        raise ServiceError("La visibilité est « public » ou « internal ».", code="invalid")
    with transaction.atomic():
        article = article or Article(organisation=organisation, author=actor)
        article.title, article.body, article.category = title, body, category
        article.visibility, article.training_need = visibility, bool(training_need)
        article.save()
        audit_record(actor=actor, action="helpdesk.article_save", organisation=organisation,
                     target=article, data={"visibility": visibility})
    return article


# -------------------------------------------------------------- calendars and SLAs


def calendar_save(*, actor: User | None, organisation: Organisation, name: str,
                  hours: dict[str, Any], french_holidays: bool = True,
                  closures: Iterable[tuple[date, date, str]] = ()) -> BusinessCalendar:
    """Declare a business calendar: opening hours, public holidays, closures."""
    if actor is not None:
        _require(actor, HANDLE, organisation)
    name = _text(name, "Le nom", 120, required=True)
    try:
        calendar = Calendar(hours=hours_parse(hours))
        calendar.add(timezone.now(), 1)
    except (ValueError, TypeError, NoOpening) as exc:
        raise ServiceError(f"Horaires invalides : {exc}", code="invalid_hours") from None
    with transaction.atomic():
        stored, _ = BusinessCalendar.objects.update_or_create(
            organisation=organisation, name=name,
            defaults={"hours": hours, "french_holidays": french_holidays})
        stored.closures.all().delete()
        for start, end, label in closures:
            if end < start:
                raise ServiceError("Une fermeture finit après son début.", code="invalid")
            Closure.objects.create(calendar=stored, start=start, end=end, label=label[:120])
        audit_record(actor=actor, action="helpdesk.calendar_save", organisation=organisation,
                     target=stored, data={"name": name})
    return stored


def sla_save(*, actor: User | None, organisation: Organisation, name: str,
             calendar: BusinessCalendar, own_minutes: int, resolve_minutes: int,
             priority: int | None = None) -> Sla:
    """Declare a service level (time to own, time to resolve) on a calendar."""
    if actor is not None:
        _require(actor, HANDLE, organisation)
    if not (0 < own_minutes <= resolve_minutes):
        raise ServiceError("Le délai de prise en compte est positif et ne dépasse pas celui de "
                           "résolution.", code="invalid")
    with transaction.atomic():
        sla, _ = Sla.objects.update_or_create(
            organisation=organisation, name=name,
            defaults={"calendar": calendar, "own_minutes": own_minutes,
                      "resolve_minutes": resolve_minutes, "priority": priority})
        audit_record(actor=actor, action="helpdesk.sla_save", organisation=organisation,
                     target=sla, data={"own": own_minutes, "resolve": resolve_minutes,
                                       "priority": priority})
    return sla
