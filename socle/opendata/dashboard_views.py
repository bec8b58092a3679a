"""The agents' dashboard: every indicator they may read, month by month, as SVG, table and CSV."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from socle.core.access import organisations_for
from socle.core.models import OrganisationKind
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from .dashboards import chart_for, indicators_for

agent_required = role_required(
    "core.view_organisation",
    title="Espace réservé aux agents",
    message="Le tableau de bord montre les indicateurs des organisations où vous travaillez.",
)
PERIODS = (3, 6, 12)


@require_GET
@agent_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    months = int(request.GET.get("mois", "6")) if request.GET.get("mois", "6") in {"3", "6", "12"} else 6
    communes = (
        organisations_for(actor, "core.view_organisation")
        .filter(kind=OrganisationKind.COMMUNE)
        .order_by("name")
    )
    commune = communes.filter(slug=request.GET.get("commune", "")[:80]).first()
    today = timezone.localdate()
    charts = [
        chart_for(actor=actor, indicator=i, today=today, months=months, organisation=commune)
        for i in indicators_for(actor=actor)
    ]
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["indicateur", "libelle", "unite", "mois", "debut", "fin", "valeur", "organisation"])
        for chart in charts:
            for point in chart.points:
                writer.writerow(
                    [
                        chart.indicator.name,
                        chart.indicator.label,
                        chart.indicator.unit,
                        point.label,
                        point.start.isoformat(),
                        point.end.isoformat(),
                        point.value,
                        commune.slug if commune else "toutes",
                    ]
                )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tableau-de-bord.csv"'
        return response
    return render(
        request,
        "opendata/dashboard.html",
        {"charts": charts, "communes": communes, "commune": commune, "months": months, "periods": PERIODS},
    )
