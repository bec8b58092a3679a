"""What the mail register shows on other modules' objects (see ``Panel`` in core.modules)."""

from __future__ import annotations

from django.urls import reverse

from socle.core.access import Actor
from socle.core.modules import PanelContent, PanelLink, object_ref_parse

from . import selectors
from .models import Channel


def letter_on_case(*, actor: Actor, ref: str) -> PanelContent | None:
    """Show on a portal case the register's letter linked to it, if the actor may read it."""
    pk = object_ref_parse(ref, "portal.case")
    mail = selectors.mail_for_case(actor=actor, case_id=pk) if pk is not None else None
    if mail is None:
        return None
    origin = ("Déposé en ligne, enregistré au courrier" if mail.channel == Channel.WEB_FORM
              else f"Reçu au courrier le {mail.received_on:%d/%m/%Y}")
    return PanelContent(title="Courrier", lines=(f"{origin}.",), links=(
        PanelLink(text=f"courrier n° {mail.chrono}", url=reverse("mail:detail", args=[mail.pk]),
                  detail=mail.subject),))
