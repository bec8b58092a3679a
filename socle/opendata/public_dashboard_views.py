"""The public dashboards (no sign-in) and the agents' page that chooses what each one shows."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.models import Organisation
from socle.core.module_activation import module_enabled
from socle.core.modules import indicators
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor, request_actor_or_none
from socle.core.selectors import organisation_get_public

from . import selectors, services
from .models import Granularity
from .public_dashboards import SMALL_COUNT, PublicChart, counts_cases, openable_indicators, public_charts

MAX_AGE = 300  # seconds a shared cache may keep a public dashboard: the figures move once a day at most

steward_required = role_required(
    selectors.MANAGE,
    title="Espace réservé aux administrateurs des données",
    message="Seuls les administrateurs des données d'une organisation choisissent ce qu'elle publie.",
)


def _public(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # The same page for every visitor: a shared cache may keep it; a signed-in agent's page
    # carries their name in the header, so it stays private.
    signed_in = request_actor_or_none(request) is not None
    response["Cache-Control"] = "private, no-cache" if signed_in else f"public, max-age={MAX_AGE}"
    response["Vary"] = "Cookie"
    return response


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    organisations = selectors.organisations_with_open_indicators()
    return _public(request, render(request, "opendata/public_index.html", {"organisations": organisations}))


@require_GET
def public_dashboard(request: HttpRequest, organisation: str) -> HttpResponse:
    found = organisation_get_public(slug=organisation[:80])
    if found is None or not module_enabled("opendata", found):
        raise Http404("Organisation inconnue.")  # or the module switched off for it: its public pages too
    charts = public_charts(organisation=found, today=timezone.localdate())
    if request.GET.get("format") == "csv":
        return _public(request, _csv(found, charts))
    return _public(
        request,
        render(request, "opendata/public_dashboard.html", {"organisation": found, "charts": charts}),
    )


def _csv(organisation: Organisation, charts: list[PublicChart]) -> HttpResponse:
    """The public figures as a file: a hidden figure stays hidden (empty value, « moins de N »)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "organisation",
            "indicateur",
            "libelle",
            "unite",
            "regroupement",
            "periode",
            "debut",
            "fin",
            "valeur",
            "affichage",
        ]
    )
    for chart in charts:
        for point in chart.points:
            hidden = point.text.startswith("moins de")
            writer.writerow(
                [
                    organisation.slug,
                    chart.indicator.name,
                    chart.indicator.label,
                    chart.indicator.unit,
                    chart.opening.granularity,
                    point.label,
                    point.start.isoformat(),
                    point.end.isoformat(),
                    "" if hidden else point.value,
                    point.text,
                ]
            )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="indicateurs-{organisation.slug}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@steward_required
def open_indicators(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = list(selectors.organisations_managed(actor=actor))
    errors: dict[str, str] = {}
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                pk = request.POST.get("opening", "")
                if not pk.isdigit():
                    raise Http404("Indicateur inconnu.")
                opening = selectors.open_indicator_managed_get(actor=actor, pk=int(pk))
                services.indicator_close(actor=actor, opening=opening)
                messages.success(request, "L'indicateur est retiré du tableau de bord public.")
                return redirect("opendata:open_indicators")
            chosen = next((o for o in organisations if o.slug == request.POST.get("organisation", "")), None)
            if chosen is None:
                raise ServiceError(
                    "Choisissez une organisation dont vous administrez les données.",
                    errors={"organisation": "Choisissez une organisation de la liste."},
                )
            threshold = request.POST.get("min_count", "").strip()
            if not threshold.isdigit():
                raise ServiceError(
                    "Le seuil doit être un nombre entier.",
                    errors={"min_count": "Indiquez un nombre entier, par exemple 5."},
                )
            services.indicator_open(
                actor=actor,
                organisation=chosen,
                indicator=request.POST.get("indicator", "")[:80],
                granularity=request.POST.get("granularity", ""),
                min_count=int(threshold[:3]),
            )
        except ServiceError as exc:
            error, errors = exc.message, exc.errors
        else:
            messages.success(request, "L'indicateur est publié sur le tableau de bord public.")
            return redirect("opendata:open_indicators")
    labels = {i.name: f"{i.label} ({i.unit})" for i in indicators()}
    openings = [
        (o, labels.get(o.indicator, o.indicator)) for o in selectors.open_indicators_managed(actor=actor)
    ]
    return render(
        request,
        "opendata/open_indicators.html",
        {
            "openings": openings,
            "organisations": organisations,
            "indicators": [(i, counts_cases(i)) for i in openable_indicators()],
            "granularities": Granularity.choices,
            "small_count": SMALL_COUNT,
            "error": error,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=400 if error else 200,
    )
