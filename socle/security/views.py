"""Cybersecurity awareness's pages for every agent: the charter to accept, their modules and
quizzes. The DCSI's and the communes' pages are in dcsi_views.py, phishing_views.py and
finding_views.py; every page is listed here.

Server-rendered, French, usable without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from socle.core.errors import ServiceError
from socle.core.page_guards import error_page
from socle.core.request_actor import request_actor

from . import dcsi_views, finding_views, phishing_views, selectors, services
from .forms import AcceptForm


def _next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("core:my_work")


@login_required
@require_http_methods(["GET", "POST"])
def charter(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    version = selectors.charter_in_force()
    if version is None:
        return error_page(request, "Charte informatique",
                          "Aucune charte informatique n'est en vigueur.", 404)
    accepted = selectors.charter_accepted(actor=actor, version=version)
    form = AcceptForm(request.POST or None,
                      initial={"version": version.pk, "next": request.GET.get("next", "")})
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            found = selectors.charter_in_force()
            if found is None or found.pk != form.cleaned_data["version"]:
                raise ServiceError("La charte a changé pendant votre lecture : lisez la "
                                   "nouvelle version.")
            services.charter_accept(actor=actor, version=version)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Merci : vous avez accepté la charte informatique "
                                      f"(version {version.number}).")
            return HttpResponseRedirect(_next(request, form.cleaned_data["next"]))
    status = 400 if request.method == "POST" else 200
    return render(request, "security/charter.html", {
        "version": version, "accepted": accepted, "form": form, "refusal": refusal},
        status=status)


@login_required
def my_modules(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    version = selectors.charter_in_force()
    return render(request, "security/my_modules.html", {
        "version": version,
        "accepted": selectors.charter_accepted(actor=actor, version=version) if version else None,
        "items": selectors.modules_of_agent(actor=actor),
        "may_view": selectors.readable_organisations(actor=actor).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def module(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    item = selectors.module_of_agent_get(actor=actor, pk=pk)
    questions = item.module.questions
    chosen: list[int | None] = []
    missing: list[int] = []
    result = None
    if request.method == "POST":
        for n, q in enumerate(questions):
            raw = request.POST.get(f"q{n}", "")
            value = int(raw) if raw.isdigit() and int(raw) < len(q["choices"]) else None
            chosen.append(value)
            if value is None:
                missing.append(n + 1)
        if not missing:
            result = services.quiz_submit(actor=actor, module=item.module, answers=chosen)
    rows = [{"n": n, "number": n + 1, "question": q["question"],
             "choices": list(enumerate(q["choices"])),
             "chosen": chosen[n] if n < len(chosen) else None} for n, q in enumerate(questions)]
    status = 400 if missing else 200
    return render(request, "security/module.html", {
        "item": item, "rows": rows, "missing": missing, "result": result,
        "last": result or item.completion}, status=status)


urlpatterns = [
    path("agent/securite/charte/", charter, name="charter"),
    path("agent/securite/", my_modules, name="my_modules"),
    path("agent/securite/modules/<int:pk>/", module, name="module"),
    path("agent/securite/pilotage/", dcsi_views.overview, name="overview"),
    path("agent/securite/registre/", dcsi_views.register, name="register"),
    path("agent/securite/registre.csv", dcsi_views.register_csv, name="register_csv"),
    path("agent/securite/versions/", dcsi_views.versions, name="versions"),
    path("agent/securite/avancement/", dcsi_views.progress, name="progress"),
    path("agent/securite/catalogue/", dcsi_views.catalogue, name="catalogue"),
    path("agent/securite/catalogue/<int:pk>/", dcsi_views.catalogue_module,
         name="catalogue_module"),
    path("agent/securite/hameconnage/", phishing_views.campaigns, name="campaigns"),
    path("agent/securite/hameconnage/<int:pk>/", phishing_views.campaign, name="campaign"),
    path("agent/securite/vulnerabilites/", finding_views.findings, name="findings"),
    path("agent/securite/vulnerabilites/<int:pk>/", finding_views.finding, name="finding"),
]
