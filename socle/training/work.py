"""What waits for an agent in the training service, for their "Mes tâches" page."""

from __future__ import annotations

from django.utils import timezone

from socle.core.access import Actor
from socle.core.modules import WorkItem

from . import selectors


def to_approve(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the training requests waiting for the manager's decision, oldest first."""
    return [WorkItem(title=f"{r.agent.display_name} — {r.session.course.title}",
                     url=f"/formation/inscriptions/{r.pk}/", since=r.created_at,
                     detail=f"{r.organisation.name}, session du "
                            f"{timezone.localtime(r.session.start):%d/%m/%Y}", unread=True)
            for r in selectors.registrations_to_decide(actor=actor)[:limit]]


def attendance_due(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the trainer's sessions that began and whose attendance is not taken."""
    return [WorkItem(title=f"Présences : {s.course.title}", url=f"/formation/seances/{s.pk}/",
                     since=s.start, detail=f"Session du {timezone.localtime(s.start):%d/%m/%Y}")
            for s in selectors.sessions_to_take_attendance(actor=actor, limit=limit)]
