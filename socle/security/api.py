"""Cybersecurity awareness's API: the charter's versions and who accepted them, and the
penetration-test findings.

Lists take the project's one pagination (``limit``, ``cursor`` → ``{"items", "next"}``);
a finding of a commune the caller may not read is a 404, never a 403. Errors keep the
API's one shape ``{"code", "message"}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core.access import granted_paths
from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor

from . import selectors, services
from .models import CharterAcceptance, CharterVersion, Finding

router = Router(tags=["Sensibilisation à la cybersécurité"])


class CharterVersionOut(Schema):
    id: int
    number: str
    title: str
    text: str
    in_force_from: datetime
    published_at: datetime
    in_force: bool = SchemaField(description="La version actuellement en vigueur.")


class CharterVersionPageOut(Schema):
    items: list[CharterVersionOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class CharterVersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    number: Text = SchemaField(max_length=20)
    title: Text = SchemaField(max_length=200)
    text: Text = SchemaField(max_length=100_000)
    in_force_from: datetime | None = SchemaField(None, description="Vide : dès la publication.")


class CharterAcceptanceOut(Schema):
    id: int
    version: str
    email: str
    name: str
    organisation: str
    accepted_at: datetime


class CharterAcceptancePageOut(Schema):
    items: list[CharterAcceptanceOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class AcceptanceFiltersIn(PageIn):
    version: int | None = SchemaField(None, description="Une version ; toutes par défaut.")
    organisation: Text = SchemaField("", max_length=80, description="Slug d'une organisation.")


class FindingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = SchemaField(max_length=80, description="Slug de la commune.")
    title: Text = SchemaField(max_length=200)
    asset: Text = SchemaField(max_length=200, description="Référence libre, ou clé d'un actif "
                                                          "de l'inventaire : inventory.asset:<id>.")
    cvss_vector: Text = SchemaField(max_length=120,
                                    description="Vecteur CVSS 3.1 de base, « CVSS:3.1/AV:N/… ».")
    recommendation: Text = SchemaField(max_length=20_000)
    owner: Text = SchemaField(max_length=150)
    due_on: date


class FindingOut(Schema):
    id: int
    organisation: str
    title: str
    asset: str
    cvss_vector: str
    cvss_score: float
    severity: str
    recommendation: str
    owner: str
    due_on: date
    status: str
    retest: str
    retested_on: date | None
    overdue: bool


class FindingPageOut(Schema):
    items: list[FindingOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class FindingFiltersIn(PageIn):
    organisation: Text = SchemaField("", max_length=80)
    status: Text = SchemaField("", max_length=20, description=(
        "Un statut (open, in_progress, fixed, closed, accepted), ou « active » : ni close ni "
        "risque accepté."))
    severity: Text = SchemaField("", max_length=10)
    overdue: bool = False


def _forbidden(message: str) -> Status:
    return Status(403, ErrorOut(code="forbidden", message=message))


def _not_found() -> Status:
    return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))


def _version_out(version: CharterVersion, current: CharterVersion | None) -> dict[str, Any]:
    return {"id": version.pk, "number": version.number, "title": version.title,
            "text": version.text, "in_force_from": version.in_force_from,
            "published_at": version.published_at,
            "in_force": current is not None and current.pk == version.pk}


def _acceptance_out(row: CharterAcceptance) -> dict[str, Any]:
    return {"id": row.pk, "version": row.version.number, "email": row.user.email,
            "name": row.user.display_name, "organisation": row.organisation.slug,
            "accepted_at": row.accepted_at}


def _finding_out(finding: Finding) -> dict[str, Any]:
    return {"id": finding.pk, "organisation": finding.organisation.slug, "title": finding.title,
            "asset": finding.asset, "cvss_vector": finding.cvss_vector,
            "cvss_score": float(finding.cvss_score), "severity": finding.severity,
            "recommendation": finding.recommendation, "owner": finding.owner,
            "due_on": finding.due_on, "status": finding.status, "retest": finding.retest,
            "retested_on": finding.retested_on, "overdue": finding.overdue}


def _page(rows: Any, page: PageIn) -> tuple[list[Any], str | None]:
    """Seek by primary key, newest first."""
    if page.cursor:
        [before] = cursor_decode(page.cursor, int)
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-pk")[: page.limit + 1])
    if len(found) > page.limit:
        found = found[: page.limit]
        return found, cursor_encode(found[-1].pk)
    return found, None


@router.get("/security/charter/versions",
            response={200: CharterVersionPageOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut},
            summary="Lister les versions de la charte informatique")
def charter_versions(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The charter's versions, newest first, for the DCSI and the communes' security leads."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("Votre rôle ne permet pas de consulter la charte et son registre.")
    current = selectors.charter_in_force()
    rows, next_cursor = _page(selectors.charter_versions_for(actor=user), page)
    return {"items": [_version_out(v, current) for v in rows], "next": next_cursor}


@router.post("/security/charter/versions",
             response={201: CharterVersionOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                       409: ErrorOut},
             summary="Publier une version de la charte informatique")
def charter_version_publish(request: HttpRequest, payload: CharterVersionIn) -> Any:
    """Publish a version, in force from `in_force_from` (now by default), which every agent
    accepts at their next page. 403 without the DCSI officer's role; 409 `duplicate_version`
    for a number already used; 400 for a date before the version in force."""
    user = request_actor(request)
    publisher = selectors.readable_organisations(actor=user, permission=selectors.MANAGE).first()
    if publisher is None:
        return _forbidden("Seul le RSSI de la DCSI publie la charte.")
    version = services.charter_publish(actor=user, organisation=publisher, number=payload.number,
                                       title=payload.title, text_body=payload.text,
                                       in_force_from=payload.in_force_from)
    return Status(201, _version_out(version, selectors.charter_in_force()))


@router.get("/security/charter/acceptances",
            response={200: CharterAcceptancePageOut, 400: InvalidOut, 401: ErrorOut,
                      403: ErrorOut, 404: ErrorOut},
            summary="Lister les acceptations de la charte")
def charter_acceptances(request: HttpRequest, filters: Query[AcceptanceFiltersIn]) -> Any:
    """Who accepted which version and when, for the agents of the organisations you read;
    404 for an organisation or a version you may not read."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("Votre rôle ne permet pas de consulter le registre de la charte.")
    rows = selectors.acceptances_for(actor=user)
    if filters.organisation:
        organisation = selectors.readable_organisation_get(actor=user, slug=filters.organisation)
        rows = rows.filter(organisation__path__startswith=organisation.path)
    if filters.version is not None:
        rows = rows.filter(version=selectors.charter_version_get_for(actor=user,
                                                                     pk=filters.version))
    found, next_cursor = _page(rows, filters)
    return {"items": [_acceptance_out(a) for a in found], "next": next_cursor}


@router.get("/security/findings",
            response={200: FindingPageOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut},
            summary="Lister les vulnérabilités des tests d'intrusion")
def finding_list(request: HttpRequest, filters: Query[FindingFiltersIn]) -> Any:
    """The findings of the communes you read (every commune for the DCSI), newest first."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("Votre rôle ne permet pas de consulter les vulnérabilités.")
    rows = selectors.findings_for(actor=user, filters=selectors.FindingFilters(
        organisation=filters.organisation, status=filters.status, severity=filters.severity,
        overdue=filters.overdue))
    found, next_cursor = _page(rows, filters)
    return {"items": [_finding_out(f) for f in found], "next": next_cursor}


@router.post("/security/findings",
             response={201: FindingOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                       404: ErrorOut},
             summary="Enregistrer une vulnérabilité")
def finding_create(request: HttpRequest, payload: FindingIn) -> Any:
    """Record a finding with its CVSS 3.1 vector (scored by the server; 400 `invalid_cvss`
    for a malformed one). 403 without the DCSI officer's role; 404 for a commune you do not
    manage."""
    user = request_actor(request)
    if not granted_paths(user, selectors.MANAGE):
        return _forbidden("Seul le RSSI de la DCSI enregistre les vulnérabilités.")
    organisation = selectors.readable_organisation_get(actor=user, slug=payload.organisation,
                                                       permission=selectors.MANAGE)
    finding = services.finding_create(
        actor=user, organisation=organisation, title=payload.title, asset=payload.asset,
        cvss_vector=payload.cvss_vector, recommendation=payload.recommendation,
        owner=payload.owner, due_on=payload.due_on)
    return Status(201, _finding_out(finding))


@router.get("/security/findings/{finding_id}",
            response={200: FindingOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="Lire une vulnérabilité")
def finding_read(request: HttpRequest, finding_id: int) -> Any:
    """One finding; 404 for another commune's."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return _forbidden("Votre rôle ne permet pas de consulter les vulnérabilités.")
    return _finding_out(selectors.finding_get_for(actor=user, pk=finding_id))
