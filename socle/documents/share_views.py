"""The sharing section of a document's page: share with another commune, list, remove.

Server-rendered forms posted back to the document's page; every write goes through sharing.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from socle.core.access import can
from socle.core.request_actor import request_actor

from . import selectors, sharing
from .detail_views import ShareForm, agent_required, detail_render


def _refused_page(request: HttpRequest) -> HttpResponse:
    return render(request, "core/error.html", {
        "title": "Partage impossible",
        "message": "Votre rôle ne permet pas de partager les documents de cette organisation.",
    }, status=403)


@require_POST
@agent_required
def share_create(request: HttpRequest, document_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    if not can(actor, sharing.SHARE, document.organisation):
        return _refused_page(request)
    form = ShareForm(request.POST, targets=sharing.share_targets(document))
    if not form.is_valid():
        return detail_render(request, document, status=400, form=form)
    data = form.cleaned_data
    target = sharing.share_target_get(data["organisation"])
    assert target is not None  # a choice of the form
    try:
        sharing.document_share(actor=actor, document=document,
                               organisation=target, expires_on=data["expires_on"],
                               reason=data["reason"])
    except sharing.ShareRefused as refusal:
        return detail_render(request, document, status=400, form=form, refusal=refusal.message)
    messages.success(request, f"Le document est partagé avec {target.name}.")
    return redirect("documents:detail", document_id=document.pk)


@require_POST
@agent_required
def share_remove(request: HttpRequest, document_id: int, organisation: str) -> HttpResponseBase:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    if not can(actor, sharing.SHARE, document.organisation):
        return _refused_page(request)
    share = sharing.share_get(document, organisation)
    try:
        sharing.document_unshare(actor=actor, share=share)
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
