"""Wifi hotspots: the agents' list and form, the public map page (SVG drawn on the server
and an accessible table) and the open dataset in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import selectors, services
from .forms import HotspotForm
from .map_svg import STATUS_STYLE, Point, hotspot_map
from .models import Hotspot, HotspotStatus
from .page_support import (
    manager_required,
    organisation_choices,
    page_of,
    param,
    site_choices,
    viewer_required,
)

DATASET_COLUMNS = ("identifiant", "nom", "commune", "code_insee", "site", "statut",
                   "latitude", "longitude", "date_installation", "mise_a_jour")


@require_http_methods(["GET", "POST"])
@viewer_required
def hotspots(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    managed = selectors.organisations_managed(actor=user)
    form = HotspotForm(request.POST or None, organisations=organisation_choices(managed),
                       sites=site_choices(selectors.sites_for(actor=user,
                                                              permission=selectors.MANAGE)))
    refusal = ""
    if request.method == "POST":
        if not managed.exists():
            raise Http404("Introuvable.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                organisation = selectors.organisation_managed_get(actor=user,
                                                                  slug=data["organisation"])
                site = None
                if data["site"]:
                    site = selectors.site_get_for(actor=user, pk=data["site"],
                                                  permission=selectors.MANAGE)
                services.hotspot_save(actor=user, organisation=organisation, name=data["name"],
                                      status=data["status"], latitude=data["latitude"],
                                      longitude=data["longitude"], site=site,
                                      installed_on=data["installed_on"])
                messages.success(request, f"La borne « {data['name']} » est enregistrée.")
                return redirect("inventory:hotspots")
            except ServiceError as error:
                refusal = error.message
    rows, next_url = page_of(request, selectors.hotspots_for(actor=user).order_by("pk"))
    return render(request, "inventory/hotspots.html", {
        "rows": rows, "next_url": next_url, "form": form, "refusal": refusal,
        "may_manage": managed.exists(), "statuses": HotspotStatus.choices},
        status=400 if refusal or form.errors else 200)


@require_POST
@manager_required
def hotspot_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    hotspot = selectors.hotspot_get_for(actor=user, pk=pk)
    try:
        services.hotspot_status(actor=user, hotspot=hotspot,
                                status=param(request.POST, "status", 20))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("inventory:hotspots")
    messages.success(request, f"Le statut de la borne « {hotspot.name} » est enregistré.")
    return redirect("inventory:hotspots")


def _public_rows() -> list[Hotspot]:
    return list(selectors.hotspots_public()[:5000])


@require_GET
def hotspots_public(request: HttpRequest) -> HttpResponse:
    rows = _public_rows()
    svg = hotspot_map(
        communes=[(c.slug, c.name) for c in selectors.communes_public()],
        hotspots=[Point(f"{h.name} ({h.organisation.name}) : {h.get_status_display()}",
                        h.latitude, h.longitude, h.status) for h in rows])
    legend = [(label, *STATUS_STYLE[key]) for key, label in HotspotStatus.choices]
    counts = {label: sum(1 for h in rows if h.status == key)
              for key, label in HotspotStatus.choices}
    return render(request, "inventory/hotspots_public.html", {
        "rows": rows, "map": mark_safe(svg), "legend": legend, "counts": counts})  # noqa: S308 - built by map_svg, every text escaped


def _dataset(rows: list[Hotspot]) -> list[dict[str, Any]]:
    return [{
        "identifiant": f"{h.organisation.slug}-{h.pk}", "nom": h.name,
        "commune": h.organisation.name, "code_insee": h.organisation.insee_code,
        "site": h.site.name if h.site else "", "statut": h.get_status_display(),
        "latitude": round(h.latitude, 6), "longitude": round(h.longitude, 6),
        "date_installation": h.installed_on.isoformat() if h.installed_on else "",
        "mise_a_jour": h.updated_at.date().isoformat(),
    } for h in rows]


def _neutral(value: Any) -> Any:
    text = str(value)
    return f"'{text}" if isinstance(value, str) and text.startswith(
        ("=", "+", "-", "@", "\t", "\r")) else value


@require_GET
def hotspots_csv(request: HttpRequest) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DATASET_COLUMNS, delimiter=";",
                            lineterminator="\r\n")
    writer.writeheader()
    for row in _dataset(_public_rows()):
        writer.writerow({key: _neutral(value) for key, value in row.items()})
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bornes-wifi.csv"'
    return response


@require_GET
def hotspots_json(request: HttpRequest) -> HttpResponse:
    body = {"titre": "Bornes wifi publiques du territoire", "licence": "Licence Ouverte 2.0",
            "bornes": _dataset(_public_rows())}
    response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="bornes-wifi.json"'
    return response


urlpatterns = [
    path("inventaire/bornes/", hotspots, name="hotspots"),
    path("inventaire/bornes/<int:pk>/statut", hotspot_status, name="hotspot_status"),
    path("wifi/", hotspots_public, name="hotspots_public"),
    path("wifi/bornes.csv", hotspots_csv, name="hotspots_csv"),
    path("wifi/bornes.json", hotspots_json, name="hotspots_json"),
]
