"""What the inventory shows on other modules' objects: the assets of a helpdesk ticket."""

from __future__ import annotations

from socle.core.access import Actor
from socle.core.modules import PanelContent, PanelLink, object_ref_parse

from . import selectors


def assets_on_ticket(*, actor: Actor, ref: str) -> PanelContent | None:
    """List the assets linked to a ticket that the actor may see in the inventory."""
    ticket_id = object_ref_parse(ref, "helpdesk.ticket")
    if ticket_id is None:
        return None
    assets = list(selectors.assets_of_ticket(actor=actor, ticket_id=ticket_id)[:20])
    if not assets:
        return None
    return PanelContent(title="Matériels concernés", links=tuple(
        PanelLink(f"{a.inventory_number} — {a.name}", f"/inventaire/materiels/{a.pk}/",
                  a.get_status_display()) for a in assets))
