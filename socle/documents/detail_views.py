"""The document's page and what every GED page shares: the agents' guard, the circuit and
sharing sections of the page.

Apart from views.py so that circuit_views and share_views build on it without an import cycle.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from socle.core.access import Actor, can
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from . import selectors, sharing
from .models import CircuitStatus, Document, DocumentStatus
from .plan_versions import MIGRATE

# Agents who may see documents somewhere.
agent_required = role_required(
    selectors.VIEW, title="Espace réservé aux agents",
    message="La gestion des documents est réservée aux agents qui en ont reçu le rôle.")


class ShareForm(forms.Form):
    # Its own field ids on the document page, which has other forms.
    prefix = "share"
    organisation = forms.ChoiceField(label="Commune")
    expires_on = forms.DateField(label="Partagé jusqu'au (AAAA-MM-JJ)", required=False,
                                 help_text="Laissez vide pour un partage sans date de fin.")
    reason = forms.CharField(label="Motif", required=False, max_length=sharing.REASON_MAX)

    def __init__(self, *args: Any, targets: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choisir une commune"), *[(o.slug, o.name) for o in targets]]


def share_context(actor: Actor, document: Document, *, form: ShareForm | None = None,
                  refusal: str = "") -> dict[str, Any]:
    """What the document page shows of sharing: who shared it with the actor, or the shares."""
    shared_by = None if can(actor, selectors.VIEW, document.organisation) else document.organisation
    allowed = sharing.may_share(actor, document)
    return {
        "shared_by": shared_by,
        "can_share": allowed,
        "share_restricted": (can(actor, sharing.SHARE, document.organisation)
                             and not allowed),
        "shares": list(sharing.shares_active(document)) if allowed else [],
        "share_form": (form or ShareForm(targets=sharing.share_targets(document))) if allowed else None,
        "share_refusal": refusal,
    }


def circuit_context(actor: Any, document: Document) -> dict[str, Any]:
    """What the document page shows of circuits: the latest one, its steps, what the actor may do."""
    circuit = document.circuits.select_related("started_by").first()
    steps = list(circuit.steps.select_related("assignee", "role_organisation", "decided_by",
                                              "on_behalf_of")) if circuit else []
    may_edit = can(actor, selectors.EDIT, document.organisation)
    return {
        "circuit": circuit, "circuit_steps": steps, "today": timezone.localdate(),
        "can_send": may_edit and document.status == DocumentStatus.DRAFT and not document.locked,
        "can_cancel": may_edit and circuit is not None and circuit.status == CircuitStatus.RUNNING,
    }


def detail_render(request: HttpRequest, document: Any, *, status: int = 200,
                  **share: Any) -> HttpResponse:
    """Render a visible document's page; ``share`` carries a share form sent back with errors."""
    actor = request_actor(request)
    return render(request, "documents/detail.html", {
        "document": document, "versions": selectors.versions_of(document=document),
        "can_reclassify": can(actor, MIGRATE, document.organisation),
        **circuit_context(actor, document),
        **share_context(actor, document, **share)}, status=status)
