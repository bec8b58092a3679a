"""The archives API: transfers (SEDA packages in, replies out), package search, DIP download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from socle.core.access import organisations_for
from socle.core.api_schemas import ErrorOut, InvalidOut
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.services import ServiceError
from socle.core.upload_handlers import UploadRefused, upload_refused_response

from . import selectors
from .dissemination import dip_build
from .ingest import transfer_ingest
from .models import ArchivalPackage, Transfer
from .services import package_eliminate

router = Router(tags=["Archivage électronique"])


class StepOut(Schema):
    name: str
    label: str
    ok: bool
    reason: str


class TransferOut(Schema):
    reply_identifier: str
    status: str
    organisation: str
    received_at: dt.datetime
    seda_version: str
    message_identifier: str
    package: str | None
    steps: list[StepOut]


class PackageOut(Schema):
    identifier: str
    title: str
    organisation: str
    start_date: dt.date | None
    end_date: dt.date | None
    originating_agency: str
    transferring_agency: str
    appraisal_rule: str
    appraisal_end_date: dt.date | None
    final_action: str
    access_rule: str
    access_end_date: dt.date | None
    communicable: bool
    size: int
    object_count: int
    manifest_sha256: str


class SearchIn(PageIn):
    q: str = ""
    agency: str = ""
    rule: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _transfer_out(transfer: Transfer) -> TransferOut:
    package = getattr(transfer, "package", None) if transfer.status == "accepted" else None
    return TransferOut(
        reply_identifier=transfer.reply_identifier, status=transfer.status,
        organisation=transfer.organisation.slug, received_at=transfer.received_at,
        seda_version=transfer.seda_version, message_identifier=transfer.message_identifier,
        package=package.identifier if package else None,
        steps=[StepOut(name=s.name, label=s.label, ok=s.ok, reason=s.reason)
               for s in transfer.steps.all()])


def package_out(package: ArchivalPackage) -> PackageOut:
    return PackageOut(
        identifier=package.identifier, title=package.title,
        organisation=package.organisation.slug, start_date=package.start_date,
        end_date=package.end_date, originating_agency=package.originating_agency,
        transferring_agency=package.transferring_agency, appraisal_rule=package.appraisal_rule,
        appraisal_end_date=package.appraisal_end_date, final_action=package.final_action,
        access_rule=package.access_rule, access_end_date=package.access_end_date,
        communicable=selectors.communicable(package), size=package.size,
        object_count=package.object_count, manifest_sha256=package.manifest_sha256)


_TRANSFER_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["package", "organisation"],
        "properties": {
            "package": {"type": "string", "format": "binary",
                        "description": "Paquet SEDA (zip ou tar) : manifest.xml et ses fichiers."},
            "organisation": {"type": "string",
                             "description": "Service d'archives destinataire (slug)."},
        },
    }}},
}


@router.post("/archives/transfers", summary="Verser un paquet SEDA",
             response={201: TransferOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut,
                       411: ErrorOut, 413: ErrorOut, 422: TransferOut},
             openapi_extra={"requestBody": _TRANSFER_BODY})
def transfer_create(request: HttpRequest) -> Any:
    """Run the ingest of one SEDA transfer package; 201 when accepted, 422 with the steps if not.

    Either way the ArchiveTransferReply is at `/archives/transfers/{reply}/reply`.
    """
    allowed = organisations_for(request.user, "archives.ingest")
    if not allowed.exists():
        return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))
    try:
        files = request.FILES.getlist("package")
    except UploadRefused as refusal:
        return upload_refused_response(request, refusal)
    organisation = allowed.filter(slug=str(request.POST.get("organisation", ""))[:80]).first()
    if organisation is None:
        return Status(404, ErrorOut(code="not_found",
                                    message="Service d'archives inconnu ou hors de vos droits."))
    if len(files) != 1:
        return Status(400, ErrorOut(code="missing_file",
                                    message="Envoyez un paquet, et un seul, dans le champ "
                                            "« package »."))
    transfer = transfer_ingest(actor=request.user, organisation=organisation,  # type: ignore[arg-type]
                               package=files[0], filename=files[0].name or "")
    return Status(201 if transfer.status == "accepted" else 422, _transfer_out(transfer))


@router.get("/archives/transfers/{reply}", response={200: TransferOut, 401: ErrorOut,
                                                    404: ErrorOut},
            summary="Décrire un transfert et ses étapes")
def transfer_detail(request: HttpRequest, reply: str) -> Any:
    return _transfer_out(selectors.transfer_get(request.user, reply[:80]))


@router.get("/archives/transfers/{reply}/reply", response={200: None, 401: ErrorOut,
                                                          404: ErrorOut},
            summary="Télécharger l'ArchiveTransferReply (XML SEDA)")
def transfer_reply(request: HttpRequest, reply: str) -> HttpResponse:
    transfer = selectors.transfer_get(request.user, reply[:80])
    response = HttpResponse(transfer.reply_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{transfer.reply_identifier}.xml"'
    return response


class EliminableOut(PackageOut):
    hold: bool
    hold_reason: str


class PackagePageOut(Schema):
    items: list[PackageOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


class EliminablePageOut(Schema):
    items: list[EliminableOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


def _keyset_page(packages: QuerySet[ArchivalPackage], page: PageIn) -> tuple[list[ArchivalPackage],
                                                                             str | None]:
    # Newest first, by key: a page costs the same at the millionth package.
    if page.cursor:
        [before] = cursor_decode(page.cursor, int)
        packages = packages.filter(pk__lt=before)
    rows = list(packages.order_by("-pk")[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return rows, cursor_encode(rows[-1].pk) if more else None


@router.get("/archives/packages", response={200: PackagePageOut, 400: InvalidOut, 401: ErrorOut},
            summary="Rechercher des archives")
def package_search(request: HttpRequest, filters: Query[SearchIn]) -> Any:
    """The kept packages the caller may see, newest first, filtered by words (title,
    description, identifier), agency, rule and dates; in pages (pass `next` as `cursor`)."""
    search = selectors.PackageSearch(q=filters.q[:200].replace("\x00", ""),
                                     agency=filters.agency[:255].replace("\x00", ""),
                                     rule=filters.rule[:60].replace("\x00", ""),
                                     date_from=filters.date_from, date_to=filters.date_to)
    rows, next_cursor = _keyset_page(selectors.packages_for(request.user, search), filters)
    return {"items": [package_out(p) for p in rows], "next": next_cursor}


@router.get("/archives/packages/{identifier}", response={200: PackageOut, 401: ErrorOut,
                                                        404: ErrorOut},
            summary="Décrire un paquet archivé")
def package_detail(request: HttpRequest, identifier: str) -> Any:
    return package_out(selectors.package_get(request.user, identifier[:80]))


@router.get("/archives/packages/{identifier}/dip", response={200: None, 401: ErrorOut,
                                                            404: ErrorOut},
            summary="Télécharger le paquet de diffusion (sac BagIt zippé)")
def package_dip(request: HttpRequest, identifier: str) -> FileResponse:
    package = selectors.package_get(request.user, identifier[:80])
    if package is None:
        raise Http404
    return FileResponse(dip_build(package), as_attachment=True,
                        filename=f"{package.identifier}.zip", content_type="application/zip")


class EliminationIn(Schema):
    visa_name: str
    visa_date: dt.date
    visa_reference: str


class EliminationOut(Schema):
    package: str
    approved_by: str
    visa_name: str
    visa_date: dt.date
    visa_reference: str
    certificate_event: int | None


@router.get("/archives/eliminations",
            response={200: EliminablePageOut, 400: InvalidOut, 401: ErrorOut},
            summary="Lister les paquets à éliminer (DUA échue, sort final : élimination)")
def elimination_list(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The packages whose appraisal ended with Destroy, held ones included, newest first;
    in pages (pass `next` as `cursor`)."""
    rows, next_cursor = _keyset_page(selectors.elimination_candidates_for(request.user), page)
    return {"items": [EliminableOut(**package_out(p).dict(), hold=p.hold,
                                    hold_reason=p.hold_reason) for p in rows],
            "next": next_cursor}


@router.post("/archives/packages/{identifier}/eliminate",
             response={201: EliminationOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut,
                       409: ErrorOut, 422: ErrorOut},
             summary="Éliminer un paquet, avec le visa du directeur des archives départementales")
def elimination_create(request: HttpRequest, identifier: str, payload: EliminationIn) -> Any:
    package = selectors.eliminable_get(request.user, identifier[:80])
    try:
        elimination = package_eliminate(actor=request.user, package=package,  # type: ignore[arg-type]
                                        visa_name=payload.visa_name[:200],
                                        visa_date=payload.visa_date,
                                        visa_reference=payload.visa_reference[:200])
    except ServiceError as exc:
        status = 422 if exc.code == "visa_required" else 409
        return Status(status, ErrorOut(code=exc.code, message=exc.message))
    return Status(201, EliminationOut(
        package=package.identifier, approved_by=request.user.email,  # type: ignore[union-attr]
        visa_name=elimination.visa_name, visa_date=elimination.visa_date,
        visa_reference=elimination.visa_reference,
        certificate_event=elimination.certificate_event))
