"""The DCSI's page of background work: scheduled jobs and failed tasks."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .errors import ServiceError
from .page_guards import error_page, role_required
from .request_actor import request_actor
from .scheduler import job_request, jobs_state
from .task_queue import MANAGE_JOBS, task_counts, task_replay, tasks_failed

GUARD = {"title": "Tâches de fond",
         "message": "Seule la DCSI suit les tâches de fond de la plateforme."}


@never_cache
@require_GET
@role_required(MANAGE_JOBS, **GUARD)
def jobs_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    try:
        context = {"jobs": jobs_state(actor=actor), "failed": tasks_failed(actor=actor),
                   "counts": task_counts(actor=actor)}
    except ServiceError as exc:
        return error_page(request, GUARD["title"], exc.message, exc.status)
    return render(request, "core/jobs.html", context)


@require_POST
@role_required(MANAGE_JOBS, **GUARD)
def job_run(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    try:
        job_request(actor=actor, name=request.POST.get("job", ""))
    except ServiceError as exc:
        if exc.status == 403:
            return error_page(request, GUARD["title"], exc.message, exc.status)
        messages.error(request, exc.message)
    else:
        messages.success(request, "Exécution demandée : un processus de travail la lance "
                                  "dans l'instant ; rechargez la page pour voir son résultat.")
    return redirect("core:jobs")


@require_POST
@role_required(MANAGE_JOBS, **GUARD)
def task_replay_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    try:
        task_replay(actor=actor, task_id=request.POST.get("task", ""))
    except ServiceError as exc:
        if exc.status == 403:
            return error_page(request, GUARD["title"], exc.message, exc.status)
        messages.error(request, exc.message)
    else:
        messages.success(request, "Tâche relancée : un processus de travail l'exécute dans l'instant.")
    return redirect(reverse("core:jobs") + "#echecs")
