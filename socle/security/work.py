"""What waits for an agent in cybersecurity awareness, on their « Mes tâches » page."""

from __future__ import annotations

from django.urls import reverse

from socle.core.access import Actor
from socle.core.models import User
from socle.core.modules import WorkItem

from . import selectors


def modules_to_do(*, actor: Actor, limit: int) -> list[WorkItem]:
    """Return the awareness modules the agent has not passed yet."""
    if not isinstance(actor, User):
        return []
    items = []
    for item in selectors.modules_of_agent(actor=actor):
        if item.completion is not None and item.completion.passed:
            continue
        items.append(WorkItem(title=item.module.title, detail=item.reason, since=item.due_on,
                              url=reverse("security:module", args=[item.module.pk])))
    return items[:limit]
