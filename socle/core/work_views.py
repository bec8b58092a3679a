"""An agent's "Mes tâches": what waits for them in every module, and the notices they got."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .access import roles_held
from .assurance import without_second_factor
from .errors import ServiceError
from .models import NoticeDelivery
from .modules import WorkItem, resolve, work_sources
from .notices import (
    delivery_of,
    job_title_set,
    notice_open,
    notices_mark_all_read,
    notices_of,
    preference_set,
)
from .page_guards import SECOND_FACTOR_NEEDED, error_page
from .request_actor import request_actor

ITEMS_PER_SOURCE = 20
TITLE = "Mes tâches"


@dataclass(frozen=True)
class WorkGroup:
    name: str
    label: str
    items: list[WorkItem]
    more: bool


def _agent_refusal(request: HttpRequest) -> HttpResponse | None:
    actor = request_actor(request)
    if not roles_held(actor):
        return error_page(request, TITLE, "Votre compte n'a aucun rôle d'agent. "
                          "Adressez-vous à la DCSI.", 403)
    if without_second_factor(actor):
        return error_page(request, TITLE, SECOND_FACTOR_NEEDED, 403)
    return None


@never_cache
@require_GET
@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    refused = _agent_refusal(request)
    if refused is not None:
        return refused
    actor = request_actor(request)
    groups = []
    for source in work_sources():
        items = list(resolve(source.func)(actor=actor, limit=ITEMS_PER_SOURCE + 1))
        if items:
            groups.append(WorkGroup(source.name, source.label, items[:ITEMS_PER_SOURCE],
                                    len(items) > ITEMS_PER_SOURCE))
    notices = list(notices_of(actor=actor, limit=30))
    return render(request, "core/my_work.html", {
        "groups": groups, "notices": notices,
        "unread": sum(1 for n in notices if n.read_at is None),
        "total": sum(len(g.items) for g in groups)})


@require_GET
@login_required
def notice_follow(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Open a notice: it is read, and the agent goes to the object's page (its own check)."""
    notice = notice_open(actor=request_actor(request), notice_id=notice_id)
    if notice is None:
        raise Http404("Introuvable.")
    return HttpResponseRedirect(notice.url)


@require_POST
@login_required
def notices_read_all(request: HttpRequest) -> HttpResponse:
    count = notices_mark_all_read(actor=request_actor(request))
    messages.success(request, f"{count} avis marqué(s) comme lu(s).")
    return redirect("core:my_work")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def notice_preference(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    error = ""
    if request.method == "POST":
        try:
            if "job_title" in request.POST:
                job_title_set(actor=actor, job_title=request.POST["job_title"])
            else:
                preference_set(actor=actor, delivery=request.POST.get("delivery", ""))
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, "Votre choix est enregistré.")
            return redirect("core:notice_preference")
    return render(request, "core/notice_preference.html", {
        "choices": NoticeDelivery.choices, "current": delivery_of(actor), "error": error,
        "job_title": actor.job_title},
        status=400 if error else 200)
