"""Open-data pages: the public portal and dataset pages; the catalogue and cockpit for agents."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.blobs import blob_open
from socle.core.downloads import file_download
from socle.core.errors import ServiceError
from socle.core.page_guards import error_page, role_required
from socle.core.request_actor import request_actor, request_actor_or_none
from socle.core.upload_handlers import accepts_uploads

from . import selectors, services
from .formats import preview_rows
from .models import Access, Dataset, Distribution
from .obligations import STATUS_LABELS

agent_required = role_required(
    selectors.VIEW,
    title="Espace réservé aux administrateurs des données",
    message="Seuls les agents chargés des données de leur organisation voient le catalogue interne.",
)

FORMATS = {
    "csv": ("csv_blob", "text/csv"),
    "json": ("json_blob", "application/json"),
    "parquet": ("parquet_blob", "application/vnd.apache.parquet"),
}


@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "")[:100] for key in ("q", "organisation", "theme", "schema")}
    datasets = selectors.datasets_public(
        query=filters["q"],
        organisation=filters["organisation"],
        theme=filters["theme"],
        schema=filters["schema"],
    )
    page = Paginator(datasets, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "opendata/portal.html",
        {"page": page, "filters": filters, "facets": selectors.facets_public()},
    )


def _distribution_view(dataset: Dataset, distribution: Distribution) -> dict[str, object]:
    preview: tuple[list[str], list[list[str]]] = ([], [])
    blob = distribution.csv_blob
    if blob is not None:
        with blob_open(blob) as handle:
            preview = preview_rows(handle.read())
    return {
        "distribution": distribution,
        "header": preview[0],
        "rows": preview[1],
        "freshness": selectors.freshness(dataset=dataset, distribution=distribution),
    }


@require_GET
def dataset_page(request: HttpRequest, organisation: str, slug: str) -> HttpResponse:
    dataset = selectors.dataset_public_get(organisation=organisation[:80], slug=slug[:100])
    files = [_distribution_view(dataset, d) for d in selectors.distributions_of(dataset=dataset)]
    return render(request, "opendata/dataset.html", {"dataset": dataset, "files": files})


@require_GET
def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        return error_page(request, "Format inconnu", "Les fichiers existent en CSV, JSON et Parquet.", 404)
    distribution = selectors.distribution_public_get(pk=pk)
    attribute, mime = FORMATS[fmt]
    blob = getattr(distribution, attribute)
    if blob is None:
        return error_page(request, "Fichier absent", "Ce fichier n'est pas publié dans ce format.", 404)
    response = file_download(
        blob_open(blob),
        name=f"{distribution.dataset.slug}.{fmt}",
        mime_type=mime,
        content_type=f"{mime}; charset=utf-8" if fmt != "parquet" else mime,
    )
    return response


@require_GET
@agent_required
def agent_catalogue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        "opendata/agent_catalogue.html",
        {
            "datasets": selectors.datasets_managed(actor=actor)[:200],
            "visible": selectors.datasets_for(actor=actor).exclude(access=Access.OPEN)[:200],
        },
    )


@require_http_methods(["GET", "POST"])
@agent_required
@accepts_uploads
def agent_dataset(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    dataset = selectors.dataset_managed_get(actor=actor, pk=pk)
    distributions = list(selectors.distributions_of(dataset=dataset))
    error = ""
    if request.method == "POST":
        chosen = [d for d in distributions if str(d.pk) == request.POST.get("distribution", "")]
        upload = request.FILES.get("file")
        if not chosen:
            error = "Choisissez le fichier du catalogue que vous remplacez."
        elif upload is None:
            error = "Choisissez le fichier CSV à contrôler."
        else:
            try:
                validation = services.distribution_check(
                    actor=actor,
                    distribution=chosen[0],
                    data=upload.read(),
                    filename=upload.name or "fichier.csv",
                )
            except ServiceError as exc:
                error = exc.message
            else:
                return redirect("opendata:validation", pk=validation.pk)
    return render(
        request,
        "opendata/agent_dataset.html",
        {
            "dataset": dataset,
            "files": [_distribution_view(dataset, d) for d in distributions],
            "error": error,
        },
        status=400 if error else 200,
    )


@require_GET
@agent_required
def validation_page(request: HttpRequest, pk: int) -> HttpResponse:
    validation = selectors.validation_managed_get(actor=request_actor(request), pk=pk)
    return render(
        request, "opendata/validation.html", {"validation": validation, "report": validation.report}
    )


@require_POST
@agent_required
def validation_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    validation = selectors.validation_managed_get(actor=actor, pk=pk)
    try:
        distribution = services.distribution_publish(actor=actor, validation=validation)
    except ServiceError as exc:
        return error_page(request, "Publication refusée", exc.message, exc.status)
    messages.success(request, f"« {distribution.title} » est publié.")
    return redirect("opendata:agent_dataset", pk=distribution.dataset.pk)


@require_GET
@agent_required
def cockpit(request: HttpRequest) -> HttpResponse:
    actor = request_actor_or_none(request)
    communes = selectors.cockpit_for(actor=actor, commune=request.GET.get("commune", "")[:80])
    return render(request, "opendata/cockpit.html", {"communes": communes, "labels": STATUS_LABELS})
