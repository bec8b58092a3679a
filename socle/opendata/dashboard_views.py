"""The agents' dashboard: every indicator they may read, month by month, as SVG, table and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from socle.core.access import organisations_for
from socle.core.models import Organisation, OrganisationKind
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from .dashboard_pdf import Heading, dashboard_pdf
from .dashboards import Chart, chart_for, indicators_for

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
    asked = request.GET.get("commune", "")[:80]
    commune = communes.filter(slug=asked).first() if asked else None
    if asked and commune is None:
        raise Http404("Commune inconnue ou hors de vos organisations.")  # another commune's: not found
    today = timezone.localdate()
    charts = [
        chart_for(actor=actor, indicator=i, today=today, months=months, organisation=commune, ident=str(n))
        for n, i in enumerate(indicators_for(actor=actor))
    ]
    if request.GET.get("format") == "pdf":
        return _pdf(request, charts, commune=commune, communes=list(communes), months=months)
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


def _pdf(
    request: HttpRequest,
    charts: list[Chart],
    *,
    commune: Organisation | None,
    communes: list[Organisation],
    months: int,
) -> HttpResponse:
    """The same charts as a PDF for a council meeting."""
    actor = request_actor(request)
    followed = organisations_for(actor, "core.view_organisation").order_by("path").first()
    if commune is not None:
        organisation = commune.name
    elif followed is not None:
        organisation = followed.name
    else:
        organisation = "Organisations suivies"
    first = charts[0].points[0].start if charts and charts[0].points else timezone.localdate()
    last = charts[0].points[-1].end if charts and charts[0].points else timezone.localdate()
    until = min(last - timedelta(days=1), timezone.localdate())
    period = f"du {first:%d/%m/%Y} au {until:%d/%m/%Y} ({months} derniers mois)"
    filters = (
        f"commune : {commune.name}" if commune else f"toutes les communes suivies ({len(communes)})",
        f"période : {months} derniers mois",
    )
    author = actor.display_name
    content = dashboard_pdf(
        Heading(
            title="Tableau de bord" + (f" — {commune.name}" if commune else ""),
            organisation=organisation,
            period=period,
            filters=filters,
            drawn_on=timezone.localdate(),
            author=author,
        ),
        charts,
    )
    response = HttpResponse(content, content_type="application/pdf")
    name = f"tableau-de-bord-{commune.slug if commune else 'ensemble'}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
