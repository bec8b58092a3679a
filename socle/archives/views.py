"""The archivists' pages: transfers and their steps, a deposit form, package search and page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.access import granted_paths, organisations_for
from socle.core.upload_handlers import accepts_uploads

from . import selectors
from .dissemination import dip_build
from .ingest import transfer_ingest

ViewFunc = Callable[..., HttpResponseBase]


def archivist_required(view: ViewFunc) -> ViewFunc:
    """Let through only agents holding an archives role somewhere (French 403 page otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not granted_paths(request.user, selectors.VIEW):
            return render(request, "core/error.html", {
                "title": "Espace réservé aux archivistes",
                "message": "Seuls les archivistes accèdent au système d'archivage électronique.",
            }, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@require_GET
@archivist_required
def packages(request: HttpRequest) -> HttpResponse:
    params = request.GET
    search = selectors.PackageSearch(
        q=params.get("q", "")[:200].replace("\x00", "").strip(),
        agency=params.get("agency", "")[:255].replace("\x00", "").strip(),
        rule=params.get("rule", "")[:60].replace("\x00", "").strip(),
        date_from=_date(params.get("date_from", "")), date_to=_date(params.get("date_to", "")))
    found = list(selectors.packages_for(request.user, search)[:200])
    return render(request, "archives/packages.html", {
        "packages": [(p, selectors.communicable(p)) for p in found], "search": search,
        "eliminable": selectors.eliminable_for(request.user).count(),
    })


@require_GET
@archivist_required
def package_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    package = selectors.package_get(request.user, identifier[:80])
    return render(request, "archives/package_detail.html", {
        "package": package, "contents": package.contents.all(),
        "communicable": selectors.communicable(package),
    })


@require_GET
@archivist_required
def package_dip(request: HttpRequest, identifier: str) -> FileResponse:
    package = selectors.package_get(request.user, identifier[:80])
    return FileResponse(dip_build(package), as_attachment=True,
                        filename=f"{package.identifier}.zip", content_type="application/zip")


@require_http_methods(["GET", "POST"])
@archivist_required
@accepts_uploads
def transfers(request: HttpRequest) -> HttpResponse:
    services = organisations_for(request.user, "archives.ingest")
    error = ""
    if request.method == "POST":
        organisation = services.filter(slug=request.POST.get("organisation", "")[:80]).first()
        upload = request.FILES.get("package")
        if organisation is None:
            error = "Choisissez un service d'archives."
        elif upload is None:
            error = "Choisissez le paquet SEDA à verser (zip ou tar)."
        else:
            transfer = transfer_ingest(actor=request.user,  # type: ignore[arg-type]
                                       organisation=organisation, package=upload,
                                       filename=upload.name or "")
            return redirect("archives:transfer", reply=transfer.reply_identifier)
    return render(request, "archives/transfers.html", {
        "transfers": selectors.transfers_for(request.user)[:100], "services": services,
        "error": error,
    }, status=400 if error else 200)


@require_GET
@archivist_required
def transfer_detail(request: HttpRequest, reply: str) -> HttpResponse:
    transfer = selectors.transfer_get(request.user, reply[:80])
    package = getattr(transfer, "package", None) if transfer.status == "accepted" else None
    return render(request, "archives/transfer_detail.html", {
        "transfer": transfer, "steps": transfer.steps.all(), "package": package,
    })


@require_GET
@archivist_required
def transfer_reply(request: HttpRequest, reply: str) -> HttpResponse:
    transfer = selectors.transfer_get(request.user, reply[:80])
    response = HttpResponse(transfer.reply_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{transfer.reply_identifier}.xml"'
    return response


urlpatterns = [
    path("archives/", packages, name="packages"),
    path("archives/paquets/<str:identifier>/", package_detail, name="package"),
    path("archives/paquets/<str:identifier>/diffusion.zip", package_dip, name="package_dip"),
    path("archives/versements/", transfers, name="transfers"),
    path("archives/versements/<str:reply>/", transfer_detail, name="transfer"),
    path("archives/versements/<str:reply>/reponse.xml", transfer_reply, name="transfer_reply"),
]
