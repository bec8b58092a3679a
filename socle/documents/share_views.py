"""The sharing section of a document's page: share with another commune, list, remove.

Server-rendered forms posted back to the document's page; every write goes through sharing.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from socle.core.access import Actor, can

from . import selectors, sharing
from .models import Document
from .views import agent_required, detail_render


class ShareForm(forms.Form):
    # Its own field ids on the document page, which has other forms.
    prefix = "share"
    organisation = forms.ChoiceField(label="Commune")
    expires_on = forms.DateField(label="Partagé jusqu'au (AAAA-MM-JJ)", required=False,
                                 help_text="Laissez vide pour un partage sans date de fin.")
    reason = forms.CharField(label="Motif", required=False, max_length=sharing.REASON_MAX)

    def __init__(self, *args: Any, targets: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", "Choisir une commune"), *[(o.slug, o.name) for o in targets]]


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


def _refused_page(request: HttpRequest) -> HttpResponse:
    return render(request, "core/error.html", {
        "title": "Partage impossible",
        "message": "Votre rôle ne permet pas de partager les documents de cette organisation.",
    }, status=403)


@require_POST
@agent_required
def share_create(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = selectors.document_get_for(request.user, document_id)
    if not can(request.user, sharing.SHARE, document.organisation):
        return _refused_page(request)
    form = ShareForm(request.POST, targets=sharing.share_targets(document))
    if not form.is_valid():
        return detail_render(request, document, status=400, form=form)
    data = form.cleaned_data
    target = sharing.share_target_get(data["organisation"])
    assert target is not None  # a choice of the form
    try:
        sharing.document_share(actor=request.user, document=document,  # type: ignore[arg-type]
                               organisation=target, expires_on=data["expires_on"],
                               reason=data["reason"])
    except sharing.ShareRefused as refusal:
        return detail_render(request, document, status=400, form=form, refusal=refusal.message)
    messages.success(request, f"Le document est partagé avec {target.name}.")
    return redirect("documents:detail", document_id=document.pk)


@require_POST
@agent_required
def share_remove(request: HttpRequest, document_id: int, organisation: str) -> HttpResponseBase:
    document = selectors.document_get_for(request.user, document_id)
    if not can(request.user, sharing.SHARE, document.organisation):
        return _refused_page(request)
    share = sharing.share_get(document, organisation)
    try:
        sharing.document_unshare(actor=request.user, share=share)  # type: ignore[arg-type]
    except sharing.ShareRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Le partage avec {share.organisation.name} est retiré.")
    return redirect("documents:detail", document_id=document.pk)


urlpatterns = [
    path("documents/<int:document_id>/partages", share_create, name="share_create"),
    path("documents/<int:document_id>/partages/<slug:organisation>/retirer", share_remove,
         name="share_remove"),
]
