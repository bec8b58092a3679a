"""The archivists' pages: transfers and their steps, a deposit form, package search and page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.access import organisations_for
from socle.core.client_address import client_ip
from socle.core.consultations import consultation_record
from socle.core.downloads import attachment_disposition, file_download
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError
from socle.core.upload_handlers import accepts_uploads

from . import ged_transfer, selectors
from .dissemination import dip_build
from .ingest import transfer_ingest
from .services import (
    AUDIT,
    AUDIT_SAMPLES,
    agency_identifier_add,
    agency_identifier_remove,
    audit_request,
    package_eliminate,
    package_hold_set,
)

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
    actor = request_actor(request)
    params = request.GET
    search = selectors.PackageSearch(
        q=params.get("q", "")[:200].replace("\x00", "").strip(),
        agency=params.get("agency", "")[:255].replace("\x00", "").strip(),
        rule=params.get("rule", "")[:60].replace("\x00", "").strip(),
        date_from=_date(params.get("date_from", "")), date_to=_date(params.get("date_to", "")))
    found = list(selectors.packages_for(actor=actor, search=search)[:200])
    return render(request, "archives/packages.html", {
        "packages": [(p, selectors.communicable(package=p)) for p in found], "search": search,
        "eliminable": selectors.eliminable_for(actor=actor).count(),
    })


@require_GET
@archivist_required
def package_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = request_actor(request)
    package = selectors.package_get(actor=actor, identifier=identifier[:80])
    return render(request, "archives/package_detail.html", {
        "package": package, "contents": package.contents.all(),
        "communicable": selectors.communicable(package=package),
        "losses": selectors.package_losses(actor=actor, package=package),
    })


@require_GET
@archivist_required
def package_dip(request: HttpRequest, identifier: str) -> FileResponse:
    actor = request_actor(request)
    package = selectors.package_get(actor=actor, identifier=identifier[:80])
    consultation_record(actor=actor, action="archives.dip_consult",
                        organisation=package.organisation, target=package,
                        data={"identifier": package.identifier}, ip_address=client_ip(request))
    return file_download(dip_build(package), name=package.identifier, mime_type="application/zip")


@require_http_methods(["GET", "POST"])
@archivist_required
@accepts_uploads
def transfers(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    services = organisations_for(actor, "archives.ingest")
    error = ""
    if request.method == "POST":
        organisation = services.filter(slug=request.POST.get("organisation", "")[:80]).first()
        upload = request.FILES.get("package")
        if organisation is None:
            error = "Choisissez un service d'archives."
        elif upload is None:
            error = "Choisissez le paquet SEDA à verser (zip ou tar)."
        else:
            transfer = transfer_ingest(actor=actor,
                                       organisation=organisation, package=upload,
                                       filename=upload.name or "")
            return redirect("archives:transfer", reply=transfer.reply_identifier)
    return render(request, "archives/transfers.html", {
        "transfers": selectors.transfers_for(actor=actor)[:100], "services": services,
        "error": error,
    }, status=400 if error else 200)


@require_GET
@archivist_required
def transfer_detail(request: HttpRequest, reply: str) -> HttpResponse:
    actor = request_actor(request)
    transfer = selectors.transfer_get(actor=actor, reply_identifier=reply[:80])
    package = getattr(transfer, "package", None) if transfer.status == "accepted" else None
    return render(request, "archives/transfer_detail.html", {
        "transfer": transfer, "steps": transfer.steps.all(), "package": package,
    })


@require_GET
@archivist_required
def transfer_reply(request: HttpRequest, reply: str) -> HttpResponse:
    actor = request_actor(request)
    transfer = selectors.transfer_get(actor=actor, reply_identifier=reply[:80])
    response = HttpResponse(transfer.reply_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(transfer.reply_identifier,
                                                             "application/xml")
    return response


@require_GET
@archivist_required
def ged_proposals(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "archives/ged_proposals.html", {
        "proposals": ged_transfer.transfer_proposal_list(actor),
        "prepared": ged_transfer.ged_transfers_for(actor)[:50],
    })


@require_POST
@archivist_required
def ged_prepare(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisation = organisations_for(actor, ged_transfer.INGEST).filter(
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
                actor=actor, organisation=organisation,
                document_ids=ids, version=request.POST.get("version", "2.3")[:5])
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("archives:ged_review", identifier=prepared.identifier)
    return render(request, "archives/ged_proposals.html", {
        "proposals": ged_transfer.transfer_proposal_list(actor),
        "prepared": ged_transfer.ged_transfers_for(actor)[:50], "error": error,
    }, status=400)


@require_http_methods(["GET", "POST"])
@archivist_required
def ged_review(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = request_actor(request)
    prepared = ged_transfer.ged_transfer_get(actor, identifier[:80])
    error = ""
    if request.method == "POST":
        try:
            transfer = ged_transfer.transfer_validate_and_ingest(
                actor=actor, ged_transfer=prepared)
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("archives:transfer", reply=transfer.reply_identifier)
    return render(request, "archives/ged_review.html", {
        "prepared": prepared, "documents": ged_transfer.ged_transfer_documents(actor, prepared),
        "summary": ged_transfer.manifest_summary(prepared), "error": error,
    }, status=400 if error else 200)


@require_GET
@archivist_required
def ged_manifest(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = request_actor(request)
    prepared = ged_transfer.ged_transfer_get(actor, identifier[:80])
    response = HttpResponse(prepared.manifest_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(prepared.identifier,
                                                             "application/xml")
    return response


def _eliminations_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "archives/eliminations.html", {
        "packages": selectors.elimination_candidates_for(actor=actor)[:200], "error": error,
        "today": timezone.localdate().isoformat(),
    }, status=status)


@require_GET
@archivist_required
def eliminations(request: HttpRequest) -> HttpResponse:
    return _eliminations_page(request)


@require_POST
@archivist_required
def package_hold(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = request_actor(request)
    package = selectors.eliminable_get(actor=actor, identifier=identifier[:80])
    try:
        package_hold_set(actor=actor, package=package,
                         hold=request.POST.get("hold") == "1",
                         reason=request.POST.get("reason", "")[:300])
    except ServiceError as exc:
        return _eliminations_page(request, exc.message, 400)
    return redirect("archives:eliminations")


@require_POST
@archivist_required
def package_eliminate_view(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = request_actor(request)
    package = selectors.eliminable_get(actor=actor, identifier=identifier[:80])
    visa_date = _date(request.POST.get("visa_date", "")[:10])
    if visa_date is None:
        return _eliminations_page(request, "Indiquez la date du visa.", 400)
    try:
        package_eliminate(actor=actor, package=package,
                          visa_name=request.POST.get("visa_name", "")[:200],
                          visa_date=visa_date,
                          visa_reference=request.POST.get("visa_reference", "")[:200])
    except ServiceError as exc:
        return _eliminations_page(request, exc.message, 400)
    return redirect("archives:eliminations")


def _audits_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "archives/audits.html", {
        "audits": selectors.audits_for(actor=actor)[:100],
        "services": organisations_for(actor, AUDIT),
        "samples": [(value, f"{value * 100:g} %") for value in AUDIT_SAMPLES],
        "error": error,
    }, status=status)


@require_http_methods(["GET", "POST"])
@archivist_required
def audits(request: HttpRequest) -> HttpResponse:
    """The history of fixity audits, and a button to run one on a sample."""
    if request.method != "POST":
        return _audits_page(request)
    actor = request_actor(request)
    organisation = organisations_for(actor, AUDIT).filter(
        slug=request.POST.get("organisation", "")[:80]).first()
    if organisation is None:
        return _audits_page(request, "Choisissez un service d'archives.", 400)
    try:
        sample = float(request.POST.get("sample", "")[:10])
    except ValueError:
        sample = 0.0
    try:
        audit_request(actor=actor, organisation=organisation, sample=sample)
    except ServiceError as exc:
        return _audits_page(request, exc.message, 400)
    messages.success(request, f"Audit sur échantillon demandé pour {organisation.name} : son "
                              "résultat s'affichera ici dès que le traitement de fond l'aura "
                              "exécuté.")
    return redirect("archives:audits")


def _agencies_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "archives/agency_identifiers.html", {
        "declared": selectors.agency_identifiers_for(actor=actor)[:500],
        "organisations": organisations_for(actor, "archives.ingest"),
        "error": error, "posted": request.POST if status != 200 else {},
    }, status=status)


@require_http_methods(["GET", "POST"])
@archivist_required
def agency_identifiers(request: HttpRequest) -> HttpResponse:
    """The names SEDA messages may give each organisation (« FRAD01 »), declared by an archivist."""
    if request.method != "POST":
        return _agencies_page(request)
    actor = request_actor(request)
    organisation = organisations_for(actor, "archives.ingest").filter(
        slug=request.POST.get("organisation", "")[:80]).first()
    if organisation is None:
        return _agencies_page(request, "Choisissez l'organisation que l'identifiant désigne.", 400)
    try:
        declared = agency_identifier_add(actor=actor, organisation=organisation,
                                         identifier=request.POST.get("identifier", "")[:200],
                                         label=request.POST.get("label", "")[:200])
    except ServiceError as exc:
        return _agencies_page(request, exc.message, 409 if exc.code == "identifier_taken" else 400)
    messages.success(request, f"« {declared.identifier} » désigne désormais {organisation.name} "
                              "dans les bordereaux SEDA.")
    return redirect("archives:agency_identifiers")


@require_POST
@archivist_required
def agency_identifier_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    declared = selectors.agency_identifier_get_for(actor=actor, pk=pk)
    try:
        agency_identifier_remove(actor=actor, declared=declared)
    except ServiceError as exc:
        return _agencies_page(request, exc.message, 403)
    messages.success(request, f"L'identifiant « {declared.identifier} » est retiré.")
    return redirect("archives:agency_identifiers")


urlpatterns = [
    path("archives/identifiants/", agency_identifiers, name="agency_identifiers"),
    path("archives/identifiants/<int:pk>/retirer/", agency_identifier_delete,
         name="agency_identifier_delete"),
    path("archives/audits/", audits, name="audits"),
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
