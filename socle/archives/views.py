"""The archivists' pages: transfers and their steps, a deposit form, package search and page."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.access import organisations_for
from socle.core.page_guards import role_required
from socle.core.services import ServiceError
from socle.core.upload_handlers import accepts_uploads

from . import ged_transfer, selectors
from .dissemination import dip_build
from .ingest import transfer_ingest
from .services import package_eliminate, package_hold_set

# Only agents holding an archives role somewhere.
archivist_required = role_required(
    selectors.VIEW, title="Espace réservé aux archivistes",
    message="Seuls les archivistes accèdent au système d'archivage électronique.")


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


@require_GET
@archivist_required
def ged_proposals(request: HttpRequest) -> HttpResponse:
    return render(request, "archives/ged_proposals.html", {
        "proposals": ged_transfer.transfer_proposal_list(request.user),
        "prepared": ged_transfer.ged_transfers_for(request.user)[:50],
    })


@require_POST
@archivist_required
def ged_prepare(request: HttpRequest) -> HttpResponse:
    organisation = organisations_for(request.user, ged_transfer.INGEST).filter(
        slug=request.POST.get("organisation", "")[:80]).first()
    ids = [int(v) for v in request.POST.getlist("document")[:1000] if v.isdigit()]
    error = ""
    if organisation is None:
        error = "Organisation inconnue ou hors de vos droits."
    elif not ids:
        error = "Cochez au moins un document à verser."
    else:
        try:
            prepared = ged_transfer.transfer_prepare(
                actor=request.user, organisation=organisation,  # type: ignore[arg-type]
                document_ids=ids, version=request.POST.get("version", "2.3")[:5])
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("archives:ged_review", identifier=prepared.identifier)
    return render(request, "archives/ged_proposals.html", {
        "proposals": ged_transfer.transfer_proposal_list(request.user),
        "prepared": ged_transfer.ged_transfers_for(request.user)[:50], "error": error,
    }, status=400)


@require_http_methods(["GET", "POST"])
@archivist_required
def ged_review(request: HttpRequest, identifier: str) -> HttpResponse:
    prepared = ged_transfer.ged_transfer_get(request.user, identifier[:80])
    error = ""
    if request.method == "POST":
        try:
            transfer = ged_transfer.transfer_validate_and_ingest(
                actor=request.user, ged_transfer=prepared)  # type: ignore[arg-type]
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("archives:transfer", reply=transfer.reply_identifier)
    return render(request, "archives/ged_review.html", {
        "prepared": prepared, "documents": prepared.documents.select_related("node")
        .order_by("pk"), "summary": ged_transfer.manifest_summary(prepared), "error": error,
    }, status=400 if error else 200)


@require_GET
@archivist_required
def ged_manifest(request: HttpRequest, identifier: str) -> HttpResponse:
    prepared = ged_transfer.ged_transfer_get(request.user, identifier[:80])
    response = HttpResponse(prepared.manifest_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{prepared.identifier}.xml"'
    return response


def _eliminations_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "archives/eliminations.html", {
        "packages": selectors.elimination_candidates_for(request.user)[:200], "error": error,
        "today": timezone.localdate().isoformat(),
    }, status=status)


@require_GET
@archivist_required
def eliminations(request: HttpRequest) -> HttpResponse:
    return _eliminations_page(request)


@require_POST
@archivist_required
def package_hold(request: HttpRequest, identifier: str) -> HttpResponse:
    package = selectors.eliminable_get(request.user, identifier[:80])
    try:
        package_hold_set(actor=request.user, package=package,  # type: ignore[arg-type]
                         hold=request.POST.get("hold") == "1",
                         reason=request.POST.get("reason", "")[:300])
    except ServiceError as exc:
        return _eliminations_page(request, exc.message, 400)
    return redirect("archives:eliminations")


@require_POST
@archivist_required
def package_eliminate_view(request: HttpRequest, identifier: str) -> HttpResponse:
    package = selectors.eliminable_get(request.user, identifier[:80])
    visa_date = _date(request.POST.get("visa_date", "")[:10])
    if visa_date is None:
        return _eliminations_page(request, "Indiquez la date du visa.", 400)
    try:
        package_eliminate(actor=request.user, package=package,  # type: ignore[arg-type]
                          visa_name=request.POST.get("visa_name", "")[:200],
                          visa_date=visa_date,
                          visa_reference=request.POST.get("visa_reference", "")[:200])
    except ServiceError as exc:
        return _eliminations_page(request, exc.message, 400)
    return redirect("archives:eliminations")


urlpatterns = [
    path("archives/ged/", ged_proposals, name="ged_proposals"),
    path("archives/ged/preparer/", ged_prepare, name="ged_prepare"),
    path("archives/ged/<str:identifier>/", ged_review, name="ged_review"),
    path("archives/ged/<str:identifier>/bordereau.xml", ged_manifest, name="ged_manifest"),
    path("archives/eliminations/", eliminations, name="eliminations"),
    path("archives/paquets/<str:identifier>/gel/", package_hold, name="package_hold"),
    path("archives/paquets/<str:identifier>/eliminer/", package_eliminate_view,
         name="package_eliminate"),
    path("archives/", packages, name="packages"),
    path("archives/paquets/<str:identifier>/", package_detail, name="package"),
    path("archives/paquets/<str:identifier>/diffusion.zip", package_dip, name="package_dip"),
    path("archives/versements/", transfers, name="transfers"),
    path("archives/versements/<str:reply>/", transfer_detail, name="transfer"),
    path("archives/versements/<str:reply>/reponse.xml", transfer_reply, name="transfer_reply"),
]
