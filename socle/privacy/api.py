"""The GDPR registers' API: processing activities, breaches and data-subject requests.

Read-only lists, scoped like the pages: a commune's referent reads their commune's
register, the mutualised DPO every register. A caller holding no register role is a
403; a structure (``organisation``) the caller may not read is a 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from socle.core.access import granted_paths
from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor

from . import selectors
from .deadlines import breach_deadline

router = Router(tags=["Registre RGPD"])
FORBIDDEN = ErrorOut(code="forbidden",
                     message="Votre rôle ne permet pas de consulter les registres RGPD.")


class PrivacyFiltersIn(PageIn):
    organisation: Text = SchemaField("", max_length=80,
                                     description="Identifiant (slug) d'une structure.")


class PrivacyRequestFiltersIn(PrivacyFiltersIn):
    state: Literal["", "open", "overdue"] = SchemaField(
        "", description="open : demandes en cours ; overdue : en cours et en retard.")


class PrivacyActivityOut(Schema):
    id: int
    organisation: str
    name: str
    purpose: str
    legal_basis: str
    legal_basis_detail: str
    data_categories: str
    sensitive_data: bool
    data_subjects: str
    recipients: str
    transfers: str
    retention: str
    security_measures: str
    processors: list[str]
    platform_declared: bool = SchemaField(description="Déclaré par un module de la plateforme.")
    platform_module: str | None
    missing: list[str] = SchemaField(description="Mentions de l'art. 30 encore absentes.")


class PrivacyActivityPageOut(Schema):
    items: list[PrivacyActivityOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class PrivacyBreachOut(Schema):
    id: int
    organisation: str
    title: str
    aware_at: datetime
    deadline: datetime = SchemaField(description="Fin des 72 heures pour notifier la CNIL.")
    clock: Literal["running", "overdue", "notified", "notified_late", "not_required"]
    clock_text: str
    risk: str
    cnil_decision: str
    cnil_notified_at: datetime | None
    subjects_decision: str
    subjects_notified_at: datetime | None


class PrivacyBreachPageOut(Schema):
    items: list[PrivacyBreachOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class PrivacyRequestOut(Schema):
    id: int
    organisation: str
    kind: str
    status: str
    received_on: date
    due_on: date = SchemaField(description="Un mois après la réception (art. 12-3).")
    extended_due_on: date | None
    overdue: bool
    handler: str | None
    closed_on: date | None


class PrivacyRequestPageOut(Schema):
    items: list[PrivacyRequestOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


def _page(rows: QuerySet[Any], filters: PageIn) -> tuple[list[Any], str | None]:
    if filters.cursor:
        [after] = cursor_decode(filters.cursor, int)
        rows = rows.filter(pk__gt=after)
    found = list(rows.order_by("pk")[: filters.limit + 1])
    if len(found) > filters.limit:
        found = found[: filters.limit]
        return found, cursor_encode(found[-1].pk)
    return found, None


def _organisation(user: Any, slug: str) -> Any:
    return selectors.register_get_for(actor=user, slug=slug) if slug else None


@router.get("/privacy/activities", response={200: PrivacyActivityPageOut, 400: InvalidOut,
                                             401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="Lister les traitements des registres RGPD")
def activities_list(request: HttpRequest, filters: Query[PrivacyFiltersIn]) -> Any:
    """The processing activities (art. 30) of the registers the caller may read, with what
    each still lacks; platform-declared ones say which module declares them."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return Status(403, FORBIDDEN)
    organisation = _organisation(user, filters.organisation)
    rows, next_cursor = _page(selectors.activities_for(
        actor=user, organisation=organisation).prefetch_related("processors"), filters)
    return {"items": [{
        "id": a.pk, "organisation": a.organisation.slug, "name": a.name, "purpose": a.purpose,
        "legal_basis": a.legal_basis, "legal_basis_detail": a.legal_basis_detail,
        "data_categories": a.data_categories, "sensitive_data": a.sensitive_data,
        "data_subjects": a.data_subjects, "recipients": a.recipients, "transfers": a.transfers,
        "retention": a.retention, "security_measures": a.security_measures,
        "processors": sorted(p.name for p in a.processors.all()),
        "platform_declared": a.is_platform, "platform_module": a.platform_module or None,
        "missing": selectors.activity_missing(activity=a)} for a in rows], "next": next_cursor}


@router.get("/privacy/breaches", response={200: PrivacyBreachPageOut, 400: InvalidOut,
                                           401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="Lister les violations de données")
def breaches_list(request: HttpRequest, filters: Query[PrivacyFiltersIn]) -> Any:
    """The breaches of the registers the caller may read, each with its 72-hour clock."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return Status(403, FORBIDDEN)
    organisation = _organisation(user, filters.organisation)
    rows, next_cursor = _page(selectors.breaches_for(actor=user, organisation=organisation),
                              filters)
    now = timezone.now()
    items = []
    for breach in rows:
        clock = selectors.breach_clock_of(breach=breach, now=now)
        items.append({
            "id": breach.pk, "organisation": breach.organisation.slug, "title": breach.title,
            "aware_at": breach.aware_at, "deadline": breach_deadline(breach.aware_at),
            "clock": clock.state, "clock_text": clock.text, "risk": breach.risk,
            "cnil_decision": breach.cnil_decision, "cnil_notified_at": breach.cnil_notified_at,
            "subjects_decision": breach.subjects_decision,
            "subjects_notified_at": breach.subjects_notified_at})
    return {"items": items, "next": next_cursor}


@router.get("/privacy/requests", response={200: PrivacyRequestPageOut, 400: InvalidOut,
                                           401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="Lister les demandes d'exercice des droits")
def requests_list(request: HttpRequest, filters: Query[PrivacyRequestFiltersIn]) -> Any:
    """The data-subject requests of the registers the caller may read, with their due dates
    (one month, or three once extended) and whether they are overdue. The person's name and
    address stay on the pages."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return Status(403, FORBIDDEN)
    organisation = _organisation(user, filters.organisation)
    rows, next_cursor = _page(selectors.requests_for(actor=user, filters=selectors.RequestFilters(
        organisation=organisation, open_only=filters.state == "open",
        overdue=filters.state == "overdue")), filters)
    today = timezone.localdate()
    return {"items": [{
        "id": r.pk, "organisation": r.organisation.slug, "kind": r.kind, "status": r.status,
        "received_on": r.received_on, "due_on": r.due_on, "extended_due_on": r.extended_due_on,
        "overdue": selectors.request_is_overdue(request=r, today=today),
        "handler": r.handler.email if r.handler else None, "closed_on": r.closed_on}
        for r in rows], "next": next_cursor}
