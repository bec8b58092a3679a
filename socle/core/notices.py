"""Notices to agents: what reaches them (a new case, a message, a visa to give, a letter).

A module declares the kinds of notices it sends (``Module.notices``) and calls
``notice_send`` inside the transaction of the write that produced the work: the notice
rows are written with it (nothing is announced for a write that rolled back), and the
email, for the agents who want one at once, is queued after the commit. Agents who chose
the daily digest get one message listing what they have not been mailed yet
(``core.notices_digest``); those who chose none see their notices in "Mes tâches" only.

A notice is never a key: opening one redirects to the object's page, where the
object's own selector decides what the agent may see. Unread notices are marked in
"Mes tâches" and, through ``unread_refs``, in the modules' lists (the agents' queue).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .errors import ServiceError
from .journal import audit_record
from .models import AgentNotice, NoticeDelivery, NoticePreference, Organisation, User
from .modules import notice_kinds
from .notifications import absolute_url, email_notify


class UndeclaredNotice(ServiceError):
    """A module sent a notice of a kind it did not declare."""


def delivery_of(user: User) -> str:
    preference = NoticePreference.objects.filter(user=user).values_list("delivery", flat=True).first()
    return preference or NoticeDelivery.IMMEDIATE


def notice_send(*, kind: str, recipients: Iterable[User], title: str, url: str, ref: str = "",
                organisation: Organisation | None = None, body: str = "",
                actor: User | None = None) -> list[AgentNotice]:
    """Tell agents that something waits for them; the actor who caused it is not told.

    ``url`` is a path of the platform ("/agent/dossiers/2026-000042/"); ``body`` an optional
    French paragraph for the email.
    """
    if kind not in notice_kinds():
        raise UndeclaredNotice(f"Type d'avis non déclaré : {kind}", code="undeclared_notice")
    if not url.startswith("/") or url.startswith("//"):
        raise ServiceError("Un avis mène à une page de la plateforme.", code="invalid_url")
    people: dict[int, User] = {}
    for user in recipients:
        if user.is_active and (actor is None or user.pk != actor.pk):
            people.setdefault(user.pk, user)
    if not people:
        return []
    now = timezone.now()
    preferences = dict(NoticePreference.objects.filter(user_id__in=people)
                       .values_list("user_id", "delivery"))
    notices = []
    for pk, user in people.items():
        delivery = preferences.get(pk, NoticeDelivery.IMMEDIATE)
        notices.append(AgentNotice(
            recipient=user, organisation=organisation, kind=kind, ref=ref, title=title[:300],
            url=url, created_at=now,
            # Nothing to mail for those who want no email: the digest skips them.
            emailed_at=now if delivery != NoticeDelivery.DIGEST else None))
        if delivery == NoticeDelivery.IMMEDIATE:
            text = (f"Bonjour,\n\n{title}.\n\n" + (f"{body}\n\n" if body else "")
                    + f"Pour y accéder : {absolute_url(url)}\n\n"
                    "Vous recevez ce message parce que vous avez choisi d'être averti à chaque "
                    "avis. Vous pouvez choisir un récapitulatif quotidien dans votre compte : "
                    f"{absolute_url('/compte/avis/')}\n")
            email_notify(to=[user.email], subject=title[:200], body=text)
    return AgentNotice.objects.bulk_create(notices)


def notices_mark_read(*, actor: User, ref: str) -> int:
    """The agent opened the object: its notices to them are read."""
    if not ref or not actor.is_authenticated:
        return 0
    return AgentNotice.objects.filter(recipient=actor, ref=ref, read_at__isnull=True) \
        .update(read_at=timezone.now())


def notices_mark_all_read(*, actor: User) -> int:
    return AgentNotice.objects.filter(recipient=actor, read_at__isnull=True) \
        .update(read_at=timezone.now())


def notice_open(*, actor: User, notice_id: int) -> AgentNotice | None:
    """Return one of the actor's own notices, marked read (None for anyone else's)."""
    notice = AgentNotice.objects.filter(pk=notice_id, recipient=actor).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notices_of(*, actor: User, limit: int = 50) -> QuerySet[AgentNotice]:
    return AgentNotice.objects.filter(recipient=actor).order_by("-created_at", "-pk")[:limit]


def unread_count(*, actor: User) -> int:
    return AgentNotice.objects.filter(recipient=actor, read_at__isnull=True).count()


def unread_refs(*, actor: User, refs: Iterable[str]) -> set[str]:
    """Which of these objects have a notice the actor has not read (for markers in lists)."""
    wanted = [ref for ref in refs if ref]
    if not wanted or not actor.is_authenticated:
        return set()
    return set(AgentNotice.objects.filter(recipient=actor, read_at__isnull=True, ref__in=wanted)
               .values_list("ref", flat=True))


def preference_set(*, actor: User, delivery: str) -> NoticePreference:
    if delivery not in NoticeDelivery.values:
        raise ServiceError("Choisissez une des façons d'être averti proposées.",
                           code="invalid_delivery", errors={"delivery": "Choix invalide."})
    with transaction.atomic():
        preference, _ = NoticePreference.objects.update_or_create(
            user=actor, defaults={"delivery": delivery, "updated_at": timezone.now()})
        if delivery == NoticeDelivery.NONE:
            # Nothing left owed to a digest the agent no longer wants.
            AgentNotice.objects.filter(recipient=actor, emailed_at__isnull=True) \
                .update(emailed_at=timezone.now())
    return preference


def job_title_set(*, actor: User, job_title: str) -> User:
    """An agent's function, printed under their name on the decisions they sign."""
    title = " ".join(job_title.replace("\x00", "").split())
    if len(title) > 150:
        raise ServiceError("La fonction tient en 150 caractères au plus.", code="invalid",
                           errors={"job_title": "Trop long."})
    with transaction.atomic():
        actor.job_title = title
        actor.save(update_fields=["job_title"])
        audit_record(actor=actor, action="user.job_title", target=actor, data={"job_title": title})
    return actor


@dataclass(frozen=True)
class Digest:
    recipient: str
    count: int


def digests_send(*, now: datetime | None = None) -> list[Digest]:
    """Mail each agent who chose the digest one message listing what they were not mailed.

    Each agent's notices are claimed in one transaction with the email's queuing, so that
    two runs never mail the same notice twice and a failed run leaves them owed.
    """
    now = now or timezone.now()
    sent = []
    owed = (AgentNotice.objects.filter(emailed_at__isnull=True, created_at__lte=now)
            .values_list("recipient_id", flat=True).distinct())
    for recipient_id in sorted(set(owed)):
        with transaction.atomic():
            user = User.objects.select_for_update().filter(pk=recipient_id, is_active=True).first()
            if user is None:
                continue
            notices = list(AgentNotice.objects.filter(recipient=user, emailed_at__isnull=True,
                                                      created_at__lte=now).order_by("created_at"))
            if not notices:
                continue
            AgentNotice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
            lines = "\n".join(
                f"- {timezone.localtime(n.created_at):%d/%m/%Y à %H:%M} : {n.title}\n"
                f"  {absolute_url(f'/agent/avis/{n.pk}/')}" for n in notices)
            count = len(notices)
            subject = (f"{count} avis depuis votre dernier récapitulatif" if count > 1
                       else "1 avis depuis votre dernier récapitulatif")
            email_notify(to=[user.email], subject=subject, body=(
                f"Bonjour,\n\nVoici ce qui vous est parvenu :\n\n{lines}\n\n"
                f"Tout ce qui vous attend : {absolute_url('/agent/taches/')}\n"))
            sent.append(Digest(user.email, count))
    return sent
