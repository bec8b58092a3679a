"""The archives API: transfers (SEDA packages in, replies out), package search, DIP download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from socle.core.access import organisations_for
from socle.core.api_schemas import ErrorOut, InvalidOut
from socle.core.client_address import client_ip
from socle.core.consultations import consultation_record
from socle.core.downloads import attachment_disposition, file_download
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor
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
    outcome: str  # OK, WARNING (the transfer went through, the check was not whole) or KO
    reason: str
    at: dt.datetime  # when the step ended


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
    # unverified, intact, degraded (a copy is damaged, a healthy one remains) or lost
    integrity: str
    integrity_label: str
    integrity_checked_at: dt.datetime | None


class LossOut(Schema):
    object: str
    lost_at: dt.datetime  # when an audit first found no healthy copy on any offer
    label: str  # "perte"


class PackageDetailOut(PackageOut):
    losses: list[LossOut]


class AuditOut(Schema):
    run: str
    organisation: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    sample: float | None
    offers: list[str]
    ok: bool
    packages_checked: int
    objects_checked: int
    bytes: int
    repaired: int
    losses: list[dict[str, str]]
    failures: list[dict[str, str]]
    event_seq: int | None


class AuditPageOut(Schema):
    items: list[AuditOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


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
        steps=[StepOut(name=s.name, label=s.label, ok=s.ok, outcome=s.outcome,
                       reason=s.reason, at=s.at)
               for s in transfer.steps.all()])


def package_out(package: ArchivalPackage) -> PackageOut:
    return PackageOut(
        identifier=package.identifier, title=package.title,
        organisation=package.organisation.slug, start_date=package.start_date,
        end_date=package.end_date, originating_agency=package.originating_agency,
        transferring_agency=package.transferring_agency, appraisal_rule=package.appraisal_rule,
        appraisal_end_date=package.appraisal_end_date, final_action=package.final_action,
        access_rule=package.access_rule, access_end_date=package.access_end_date,
        communicable=selectors.communicable(package=package), size=package.size,
        object_count=package.object_count, manifest_sha256=package.manifest_sha256,
        integrity=package.integrity, integrity_label=package.get_integrity_display(),
        integrity_checked_at=package.integrity_checked_at)


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
    actor = request_actor(request)
    allowed = organisations_for(actor, "archives.ingest")
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
    transfer = transfer_ingest(actor=actor, organisation=organisation,
                               package=files[0], filename=files[0].name or "")
    return Status(201 if transfer.status == "accepted" else 422, _transfer_out(transfer))


@router.get("/archives/transfers/{reply}", response={200: TransferOut, 401: ErrorOut,
                                                    404: ErrorOut},
            summary="Décrire un transfert et ses étapes")
def transfer_detail(request: HttpRequest, reply: str) -> Any:
    actor = request_actor(request)
    return _transfer_out(selectors.transfer_get(actor=actor, reply_identifier=reply[:80]))


@router.get("/archives/transfers/{reply}/reply", response={200: None, 401: ErrorOut,
                                                          404: ErrorOut},
            summary="Télécharger l'ArchiveTransferReply (XML SEDA)")
def transfer_reply(request: HttpRequest, reply: str) -> HttpResponse:
    actor = request_actor(request)
    transfer = selectors.transfer_get(actor=actor, reply_identifier=reply[:80])
    response = HttpResponse(transfer.reply_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(transfer.reply_identifier,
                                                             "application/xml")
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
    actor = request_actor(request)
    search = selectors.PackageSearch(q=filters.q[:200].replace("\x00", ""),
                                     agency=filters.agency[:255].replace("\x00", ""),
                                     rule=filters.rule[:60].replace("\x00", ""),
                                     date_from=filters.date_from, date_to=filters.date_to)
    rows, next_cursor = _keyset_page(selectors.packages_for(actor=actor, search=search), filters)
    return {"items": [package_out(p) for p in rows], "next": next_cursor}


@router.get("/archives/packages/{identifier}", response={200: PackageDetailOut, 401: ErrorOut,
                                                        404: ErrorOut},
            summary="Décrire un paquet archivé, son intégrité et ses pertes")
def package_detail(request: HttpRequest, identifier: str) -> Any:
    actor = request_actor(request)
    package = selectors.package_get(actor=actor, identifier=identifier[:80])
    return PackageDetailOut(**package_out(package).dict(), losses=[
        LossOut(object=obj.path, lost_at=obj.lost_at, label="perte")
        for obj in selectors.package_losses(actor=actor, package=package)
        if obj.lost_at is not None])


@router.get("/archives/audits", response={200: AuditPageOut, 400: InvalidOut, 401: ErrorOut},
            summary="Lister les audits d'intégrité (résultats, pertes, réparations)")
def audit_list(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The fixity audits of the organisations the caller sees, newest first; in pages."""
    actor = request_actor(request)
    audits = selectors.audits_for(actor=actor)
    if page.cursor:
        [before] = cursor_decode(page.cursor, int)
        audits = audits.filter(pk__lt=before)
    rows = list(audits.order_by("-pk")[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {"items": [AuditOut(
        run=a.run, organisation=a.organisation.slug if a.organisation else "",
        started_at=a.started_at, finished_at=a.finished_at, sample=a.sample, offers=a.offers,
        ok=a.ok, packages_checked=a.packages_checked, objects_checked=a.objects_checked,
        bytes=a.bytes, repaired=a.repaired, losses=a.losses, failures=a.failures,
        event_seq=a.event_seq) for a in rows],
        "next": cursor_encode(rows[-1].pk) if more else None}


@router.get("/archives/packages/{identifier}/dip", response={200: None, 401: ErrorOut,
                                                            404: ErrorOut},
            summary="Télécharger le paquet de diffusion (sac BagIt zippé)")
def package_dip(request: HttpRequest, identifier: str) -> FileResponse:
    actor = request_actor(request)
    package = selectors.package_get(actor=actor, identifier=identifier[:80])
    if package is None:
        raise Http404
    consultation_record(actor=actor, action="archives.dip_consult",
                        organisation=package.organisation, target=package,
                        data={"identifier": package.identifier}, ip_address=client_ip(request))
    return file_download(dip_build(package), name=package.identifier, mime_type="application/zip")


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
    actor = request_actor(request)
    rows, next_cursor = _keyset_page(selectors.elimination_candidates_for(actor=actor), page)
    return {"items": [EliminableOut(**package_out(p).dict(), hold=p.hold,
                                    hold_reason=p.hold_reason) for p in rows],
            "next": next_cursor}


@router.post("/archives/packages/{identifier}/eliminate",
             response={201: EliminationOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut,
                       409: ErrorOut, 422: ErrorOut},
             summary="Éliminer un paquet, avec le visa du directeur des archives départementales")
def elimination_create(request: HttpRequest, identifier: str, payload: EliminationIn) -> Any:
    actor = request_actor(request)
    package = selectors.eliminable_get(actor=actor, identifier=identifier[:80])
    try:
        elimination = package_eliminate(actor=actor, package=package,
                                        visa_name=payload.visa_name[:200],
                                        visa_date=payload.visa_date,
                                        visa_reference=payload.visa_reference[:200])
    except ServiceError as exc:
        status = 422 if exc.code == "visa_required" else 409
        return Status(status, ErrorOut(code=exc.code, message=exc.message))
    return Status(201, EliminationOut(
        package=package.identifier, approved_by=actor.email,
        visa_name=elimination.visa_name, visa_date=elimination.visa_date,
        visa_reference=elimination.visa_reference,
        certificate_event=elimination.certificate_event))
