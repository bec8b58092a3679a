"""What waits for an agent in the helpdesk, for their "Mes tâches" page."""

from __future__ import annotations

from socle.core.access import Actor
from socle.core.modules import WorkItem

from . import selectors


def assigned_to_me(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the open tickets assigned to the technician, most pressing deadline first."""
    return [WorkItem(title=f"{t.number} — {t.title}", url=f"/assistance/tickets/{t.pk}/",
                     since=t.opened_at, detail=f"{t.organisation.name}, {t.get_status_display()}")
            for t in selectors.tickets_assigned_to(actor=actor, limit=limit)]


def waiting_for_me(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the tickets waiting for the requester: a question to answer, a solution to judge."""
    items = []
    for t in selectors.tickets_waiting_for(actor=actor, limit=limit):
        detail = ("La DCSI attend votre réponse" if t.status == "pending"
                  else "Solution à accepter ou refuser")
        items.append(WorkItem(title=f"{t.number} — {t.title}", url=f"/assistance/tickets/{t.pk}/",
                              since=t.updated_at, detail=detail, unread=True))
    return items
