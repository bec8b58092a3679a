"""Every read of the mail register, scoped to the actor: a commune's mail is invisible to others."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

import socle.portal.selectors as portal_selectors
from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for
from socle.core.models import Membership, Organisation, User
from socle.core.roles import roles_granting

from .models import OPEN_STATUSES, Contact, Mail, MailInstruction, MailPiece, MailType

VIEW = "mail.view"
AGENT = "core.view_organisation"  # held by every agent's role
EDIT = "mail.edit"


def mails_visible(*, actor: Actor) -> QuerySet[Mail]:
    """Return the mail of the organisations, or services, where the actor may read mail,
    and the letters a dispatcher gave them or copied them on (an assignment is a grant)."""
    condition = Q(pk__in=[])
    if granted_paths(actor, VIEW):
        visible = organisations_for(actor, VIEW).values("pk")
        condition = Q(organisation__in=visible) | Q(service__in=visible)
    if isinstance(actor, User) and granted_paths(actor, AGENT):
        condition |= Q(assignee=actor) | Q(pk__in=Mail.copies.through.objects.filter(
            user_id=actor.pk).values("mail_id"))
    return Mail.objects.filter(condition)


@dataclass(frozen=True)
class MailFilters:
    status: str = ""
    direction: str = ""
    organisation: str = ""
    assigned: str = ""  # "me" or ""
    overdue: bool = False
    q: str = ""


def mails_for(*, actor: Actor, filters: MailFilters | None = None) -> QuerySet[Mail]:
    """Return the register as the actor may see it, filtered, newest first."""
    filters = filters or MailFilters()
    mails = mails_visible(actor=actor)
    if filters.status:
        mails = mails.filter(status=filters.status)
    if filters.direction:
        mails = mails.filter(direction=filters.direction)
    if filters.organisation:
        mails = mails.filter(organisation__slug=filters.organisation)
    if filters.assigned == "me" and isinstance(actor, User):
        mails = mails.filter(Q(assignee=actor) | Q(copies=actor)).distinct()
    if filters.overdue:
        mails = mails.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.localdate())
    query = filters.q.strip()
    if query:
        mails = mails.filter(Q(chrono__iexact=query) | Q(subject__icontains=query)
                             | Q(contact__name__icontains=query))
    return mails.select_related("organisation", "contact", "mail_type", "service",
                                "assignee").order_by("-pk")


def mail_get_for(*, actor: Actor, pk: Any) -> Mail:
    """Return one mail the actor may see, or 404."""
    return get_or_404(mails_visible(actor=actor).select_related(
        "organisation", "contact", "mail_type", "service", "assignee", "supervisor",
        "reply_to"), pk=pk)


def mail_may_edit(*, actor: Actor, mail: Mail) -> bool:
    """Tell whether the actor may register, assign, answer and close this mail."""
    return can(actor, EDIT, mail.organisation)


def mail_is_overdue(*, mail: Mail, today: date | None = None) -> bool:
    """Tell whether an open mail passed its processing deadline."""
    today = today or timezone.localdate()
    return bool(mail.deadline and mail.status in OPEN_STATUSES and mail.deadline < today)


def mail_instructions(*, mail: Mail) -> QuerySet[MailInstruction]:
    """Return the timeline of instructions and annotations of a mail already obtained."""
    return mail.instructions.select_related("author")


def mail_pieces(*, mail: Mail) -> QuerySet[MailPiece]:
    """Return the scanned pieces of a mail already obtained."""
    return mail.pieces.select_related("blob")


def mail_piece_get(*, actor: Actor, mail_pk: Any, piece_pk: Any) -> MailPiece:
    """Return one scanned piece of a mail the actor may see, or 404."""
    mail = mail_get_for(actor=actor, pk=mail_pk)
    return get_or_404(mail_pieces(mail=mail), pk=piece_pk)


def mail_replies(*, mail: Mail) -> QuerySet[Mail]:
    """Return the outgoing replies to an incoming mail already obtained."""
    return mail.replies.order_by("pk")


def mail_for_case(*, actor: Actor, case_id: int) -> Mail | None:
    """Return the mail linked to a portal case (either way round), if the actor may see it."""
    if not 0 < case_id < 2**63:
        return None
    return mails_visible(actor=actor).filter(portal_case_id=case_id).first()


def mail_case_number(*, actor: Actor, mail: Mail) -> str | None:
    """Return the number of the portal case a mail is linked to, if the actor may see the case."""
    if mail.portal_case_id is None:
        return None
    return portal_selectors.case_number_of(actor=actor, pk=mail.portal_case_id)


def mails_case_numbers(*, actor: Actor, mails: Iterable[Mail]) -> dict[int, str]:
    """Return, by mail id, the numbers of the portal cases these mails are linked to that the
    actor may see (one query for a whole page)."""
    linked = {mail.pk: mail.portal_case_id for mail in mails if mail.portal_case_id is not None}
    numbers = portal_selectors.case_numbers_of(actor=actor, pks=set(linked.values()))
    return {pk: numbers[case_id] for pk, case_id in linked.items() if case_id in numbers}


def mail_piece_documents(*, actor: Actor, pieces: Iterable[MailPiece]) -> set[int]:
    """Return the ids of the GED documents these pieces were filed as that the actor may read."""
    ids = {piece.documents_document_id for piece in pieces
           if piece.documents_document_id is not None}
    if not ids or not apps.is_installed("socle.documents"):
        return set()
    import socle.documents.selectors as documents_selectors

    return documents_selectors.document_ids_visible(actor=actor, ids=ids)


def organisations_registering(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose register the actor may write to."""
    return organisations_for(actor, EDIT).order_by("path")


def organisation_registering_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one organisation whose register the actor may write to, or 404."""
    return get_or_404(organisations_registering(actor=actor), slug=slug)


def organisations_for_stats(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the intercommunality and communes whose register figures the actor may read."""
    return organisations_for(actor, VIEW).filter(kind__in=["epci", "commune"]).order_by("path")


def mail_types_for(*, organisation: Organisation) -> QuerySet[MailType]:
    """Return the mail types an organisation uses: its own and those of the nodes above it."""
    ancestors = [p for p in organisation.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(ancestors[: i + 1]) + "/" for i in range(len(ancestors))]
    return MailType.objects.filter(organisation__path__in=paths).order_by("name", "pk")


def contacts_for(*, actor: Actor, organisation: Organisation) -> QuerySet[Contact]:
    """Return an organisation's directory of correspondents, if the actor may read its mail."""
    if not can(actor, VIEW, organisation):
        return Contact.objects.none()
    return Contact.objects.filter(organisation=organisation).order_by("name", "pk")


def agents_for(*, organisation: Organisation) -> QuerySet[User]:
    """Return the agents a letter of an organisation may be given to or copied to: whoever
    holds a role on it, on a node above it or on one of its services, mail role or not."""
    ancestors = [p for p in organisation.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(ancestors[: i + 1]) + "/" for i in range(len(ancestors))]
    below = Q(organisation__path__startswith=organisation.path)
    user_ids = Membership.objects.filter(
        Q(organisation__path__in=paths) | below, role__in=roles_granting(AGENT),
        revoked_at__isnull=True).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "email")


# ------------------------------------------------------------------------- statistics


@dataclass
class ServiceStats:
    """The figures of one service for a year."""

    service: str
    received: int = 0
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    by_type: dict[str, int] = field(default_factory=dict)
    processed: int = 0
    median_days: float | None = None
    mean_days: float | None = None
    overdue: int = 0


def mail_stats(*, actor: Actor, organisation: Organisation, year: int,
               today: date | None = None) -> list[ServiceStats]:
    """Return, per service, the incoming volumes by month and type, delays and overdue count.

    The processing delay of a letter runs from its receipt to its reply or, failing
    one, its closing, in calendar days.
    """
    today = today or timezone.localdate()
    rows = (mails_visible(actor=actor).filter(organisation=organisation, direction="in", year=year)
            .values_list("received_on", "mail_type__name", "service__name", "status",
                         "deadline", "answered_at", "closed_at"))
    stats: dict[str, ServiceStats] = {}
    delays: dict[str, list[int]] = defaultdict(list)
    types: dict[str, Counter[str]] = defaultdict(Counter)
    for received_on, type_name, service_name, status, deadline, answered_at, closed_at in rows:
        name = service_name or "Non attribué"
        entry = stats.setdefault(name, ServiceStats(service=name))
        entry.received += 1
        entry.by_month[received_on.month - 1] += 1
        types[name][type_name or "Sans type"] += 1
        done = answered_at or closed_at
        if done is not None:
            delays[name].append((timezone.localtime(done).date() - received_on).days)
        if deadline and status in OPEN_STATUSES and deadline < today:
            entry.overdue += 1
    for name, entry in stats.items():
        entry.by_type = dict(sorted(types[name].items()))
        if delays[name]:
            entry.processed = len(delays[name])
            entry.median_days = float(statistics.median(delays[name]))
            entry.mean_days = round(statistics.fmean(delays[name]), 1)
    return sorted(stats.values(), key=lambda s: s.service)


def indicator_mail_registered(*, actor: Actor, start: date, end: date,
                              organisation: Organisation | None = None) -> int:
    """Count the letters registered over [start, end) in the organisations the actor may read."""
    from socle.core.indicators import indicator_queryset

    return indicator_queryset(Mail.objects.all(), actor=actor, permission=VIEW,
                              date_field="registered_at", start=start, end=end,
                              organisation=organisation).count()


def indicator_mail_overdue(*, actor: Actor, start: date, end: date,
                           organisation: Organisation | None = None) -> int:
    """Count the open letters whose deadline fell in [start, end) and has passed."""
    from socle.core.indicators import indicator_queryset

    today = timezone.localdate()
    return indicator_queryset(Mail.objects.filter(status__in=OPEN_STATUSES, deadline__lt=today),
                              actor=actor, permission=VIEW, date_field="deadline", start=start,
                              end=end, organisation=organisation, dates_are_days=True).count()


def work_letters(*, actor: Actor, limit: int) -> list[Any]:
    """ "Mes tâches": the open letters assigned to the agent, the most pressing first."""
    from socle.core.modules import WorkItem, object_ref
    from socle.core.notices import unread_refs

    if not isinstance(actor, User):
        return []
    mails = list(mails_visible(actor=actor).filter(assignee=actor, status__in=OPEN_STATUSES)
                 .select_related("contact", "organisation")
                 .order_by("deadline", "received_on", "pk")[:limit])
    unread = unread_refs(actor=actor, refs=[object_ref("mail.letter", m.pk) for m in mails])
    today = timezone.localdate()
    items = []
    for mail in mails:
        detail = f"De {mail.contact.name} · {mail.organisation.name}"
        if mail.deadline:
            detail += f" · à traiter avant le {mail.deadline:%d/%m/%Y}" + (
                " (en retard)" if mail.deadline < today else "")
        items.append(WorkItem(title=f"Courrier {mail.chrono} : {mail.subject}",
                              url=f"/courrier/{mail.pk}/", since=mail.received_on, detail=detail,
                              unread=object_ref("mail.letter", mail.pk) in unread))
    return items
