"""The open-data API: checking a file against an official schema, the catalogue's datasets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from socle.core.access import organisations_for
from socle.core.api_auth import TokenAuth, session_auth
from socle.core.api_schemas import ErrorOut
from socle.core.errors import NotFound, ServiceError
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor, request_actor_or_none
from socle.core.upload_handlers import UploadRefused, upload_refused_response

from . import dashboards, selectors, services

router = Router(tags=["données ouvertes"])


def _visitor(request: HttpRequest) -> bool:
    """Let a caller without credentials through: the selectors then show only open data."""
    return True


# A token or a session shows the caller's restricted datasets too; without, only open ones.
OPTIONAL_AUTH = [TokenAuth("opendata"), session_auth, _visitor]

_VALIDATION_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "schema"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "Fichier CSV à contrôler."},
                    "schema": {
                        "type": "string",
                        "description": "Schéma, par exemple « scdl/subventions » ou "
                        "« scdl/subventions@2.1.1 ».",
                    },
                },
            }
        }
    },
}


class TableErrorOut(Schema):
    row: int | None = Field(description="Numéro de l'enregistrement dans le fichier (l'en-tête est le 1).")
    field: str
    code: str = Field(
        description="Code de frictionless (type-error, constraint-error, missing-cell…) "
        "ou de socle (french-siret-value, formula-value…)."
    )
    message: str


class TableReportOut(Schema):
    valid: bool
    error_count: int
    row_count: int
    schema_: str = Field(alias="schema")
    readable: bool
    counts: dict[str, int]
    errors: list[TableErrorOut]
    errors_truncated: bool


class DistributionOut(Schema):
    id: int
    title: str
    schema_: str = Field(alias="schema")
    published_at: str | None
    row_count: int
    valid: bool | None = Field(description="Résultat du dernier contrôle (null s'il n'y en a pas).")
    csv_url: str | None
    json_url: str | None
    parquet_url: str | None


class DatasetOut(Schema):
    id: int
    organisation: str
    slug: str
    title: str
    description: str
    access: str
    licence: str
    frequency: str
    legal_basis: str
    theme: str
    keywords: list[str]
    spatial_insee: list[str]
    producer_service: str


class DatasetDetailOut(DatasetOut):
    distributions: list[DistributionOut]


class DatasetPageOut(Schema):
    items: list[DatasetOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


@router.post(
    "/validations",
    summary="Contrôler un fichier contre un schéma officiel (SCDL)",
    auth=None,
    response={200: TableReportOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _VALIDATION_BODY},
    by_alias=True,
)
def validation_create(request: HttpRequest) -> Any:
    """Check a CSV file against a Table Schema, cell by cell; nothing is stored."""
    try:
        files = request.FILES.getlist("file")
    except UploadRefused as refusal:
        return upload_refused_response(request, refusal)
    if len(files) != 1:
        return Status(
            400,
            ErrorOut(code="missing_file", message="Envoyez un fichier, et un seul, dans le champ « file »."),
        )
    table_schema = request.POST.get("schema", "")[:120]
    if not table_schema:
        return Status(
            400,
            ErrorOut(
                code="missing_schema",
                message="Indiquez le schéma dans le champ « schema » (par exemple scdl/subventions).",
            ),
        )
    return services.report_check(table_schema=table_schema, data=files[0].read()).as_dict()


def _dataset_out(dataset: Any) -> dict[str, Any]:
    return {
        "id": dataset.pk,
        "organisation": dataset.organisation.slug,
        "slug": dataset.slug,
        "title": dataset.title,
        "description": dataset.description,
        "access": dataset.access,
        "licence": dataset.licence,
        "frequency": dataset.frequency,
        "legal_basis": dataset.legal_basis,
        "theme": dataset.theme,
        "keywords": list(dataset.keywords),
        "spatial_insee": list(dataset.spatial_insee),
        "producer_service": dataset.producer_service,
    }


def _distribution_out(request: HttpRequest, distribution: Any) -> dict[str, Any]:
    from django.urls import reverse

    def url(fmt: str, blob: Any) -> str | None:
        if blob is None:
            return None
        return request.build_absolute_uri(reverse("opendata:download", args=[distribution.pk, fmt]))

    last = distribution.last_validation
    return {
        "id": distribution.pk,
        "title": distribution.title,
        "schema": distribution.table_schema,
        "published_at": distribution.published_at.isoformat() if distribution.published_at else None,
        "row_count": distribution.row_count,
        "valid": last.valid if last else None,
        "csv_url": url("csv", distribution.csv_blob),
        "json_url": url("json", distribution.json_blob),
        "parquet_url": url("parquet", distribution.parquet_blob),
    }


@router.get(
    "/datasets",
    summary="Jeux de données du catalogue",
    auth=OPTIONAL_AUTH,
    response={200: DatasetPageOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
)
def datasets(request: HttpRequest, page: Query[PageIn]) -> Any:
    """List the datasets the caller may see (open ones for everyone), by identifier."""
    rows = selectors.datasets_for(actor=request_actor_or_none(request))
    if page.cursor:
        (after,) = cursor_decode(page.cursor, int)
        rows = rows.filter(pk__gt=after)
    found = list(rows[: page.limit + 1])
    items = found[: page.limit]
    more = len(found) > page.limit
    return {"items": [_dataset_out(d) for d in items], "next": cursor_encode(items[-1].pk) if more else None}


@router.get(
    "/datasets/{dataset_id}",
    summary="Un jeu de données et ses fichiers",
    auth=OPTIONAL_AUTH,
    response={200: DatasetDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    by_alias=True,
)
def dataset(request: HttpRequest, dataset_id: int) -> Any:
    """Return a dataset the caller may see with its files; a restricted one of another commune is a 404."""
    found = selectors.dataset_get_for(actor=request_actor_or_none(request), pk=dataset_id)
    return {
        **_dataset_out(found),
        "distributions": [_distribution_out(request, d) for d in selectors.distributions_of(dataset=found)],
    }


class IndicatorValueOut(Schema):
    name: str
    label: str
    unit: str
    organisation: str | None = Field(
        description="L'organisation (et ce qui est en dessous), ou null pour tout "
        "ce que l'appelant peut voir."
    )
    period: str = Field(description="Le mois (AAAA-MM), le trimestre (AAAA-T1 à AAAA-T4) ou l'année (AAAA).")
    start: str
    end: str = Field(description="Premier jour après la période (exclu).")
    value: float


@router.get(
    "/indicators/{name}",
    summary="La valeur d'un indicateur sur un mois, un trimestre ou une année, pour ce que l'appelant voit",
    response={200: IndicatorValueOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def indicator(request: HttpRequest, name: str, organisation: str = "", period: str = "") -> Any:
    """Compute an indicator over one month; an indicator or organisation the caller may not read is a 404."""
    actor = request_actor(request)
    found = dashboards.indicator_get_for(actor=actor, name=name[:80])
    if found is None:
        raise NotFound("Indicateur inconnu.")
    target = None
    if organisation:
        target = organisations_for(actor, found.permission).filter(slug=organisation[:80]).first()
        if target is None:
            raise NotFound("Organisation inconnue.")
    try:
        named, start, end = dashboards.period_bounds(period[:10], timezone.localdate())
    except ValueError:
        raise ServiceError(
            "Période illisible : attendu un mois AAAA-MM (2025-03), un trimestre AAAA-T1 à AAAA-T4 "
            "(2025-T1) ou une année AAAA (2025).",
            code="invalid_period",
        ) from None
    value = dashboards.indicator_value(
        actor=actor, indicator=found, start=start, end=end, organisation=target
    )
    return {
        "name": found.name,
        "label": found.label,
        "unit": found.unit,
        "organisation": target.slug if target else None,
        "period": named,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "value": value,
    }
