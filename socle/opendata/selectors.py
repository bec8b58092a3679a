"""Every read of the catalogue: public datasets for visitors, the rest by access level and tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, get_or_404, organisations_for, scope
from socle.core.models import Organisation, OrganisationKind
from socle.core.module_activation import module_paths_off

from .models import Access, Dataset, Distribution, Frequency, OpenIndicator, Validation
from .obligations import OBLIGATIONS, THRESHOLD_TEXT, Obligation, Status, due_date, obligation_applies

VIEW = "opendata.view"
MANAGE = "opendata.manage"
FRESH_DAYS = {
    Frequency.CONTINUOUS: 7,
    Frequency.DAILY: 3,
    Frequency.WEEKLY: 10,
    Frequency.MONTHLY: 40,
    Frequency.QUARTERLY: 100,
    Frequency.ANNUAL: 400,
}


def _published(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return datasets.filter(distributions__published_at__isnull=False).distinct()


def _module_on(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    for path in module_paths_off("opendata"):
        datasets = datasets.exclude(organisation__path__startswith=path)
    return datasets


def datasets_public(
    *, query: str = "", organisation: str = "", theme: str = "", schema: str = ""
) -> QuerySet[Dataset]:
    """Return the open datasets with a published file, filtered as a visitor asks."""
    datasets = _module_on(_published(Dataset.objects.filter(access=Access.OPEN)))
    if query:
        datasets = datasets.filter(
            Q(title__icontains=query) | Q(description__icontains=query) | Q(keywords__icontains=query)
        )
    if organisation:
        datasets = datasets.filter(organisation__slug=organisation)
    if theme:
        datasets = datasets.filter(theme=theme)
    if schema:
        datasets = datasets.filter(distributions__table_schema__startswith=f"{schema}@").distinct()
    return datasets.select_related("organisation").order_by("organisation__path", "title", "pk")


def facets_public() -> dict[str, list[tuple[str, str, int]]]:
    """Return the values a visitor may filter on (organisation, theme, schema), with their counts."""
    datasets = list(datasets_public().prefetch_related("distributions"))
    organisations: dict[str, tuple[str, int]] = {}
    themes: dict[str, int] = {}
    schemas: dict[str, int] = {}
    for dataset in datasets:
        name, count = organisations.get(dataset.organisation.slug, (dataset.organisation.name, 0))
        organisations[dataset.organisation.slug] = (name, count + 1)
        if dataset.theme:
            themes[dataset.theme] = themes.get(dataset.theme, 0) + 1
        for ref in {d.table_schema.split("@")[0] for d in dataset.distributions.all() if d.table_schema}:
            schemas[ref] = schemas.get(ref, 0) + 1
    return {
        "organisation": [(slug, name, n) for slug, (name, n) in sorted(organisations.items())],
        "theme": [(t, t, n) for t, n in sorted(themes.items())],
        "schema": [(s, s, n) for s, n in sorted(schemas.items())],
    }


def dataset_public_get(*, organisation: str, slug: str) -> Dataset:
    """Return an open published dataset by its organisation and slug, or 404."""
    return get_or_404(
        datasets_public().select_related("organisation"), organisation__slug=organisation, slug=slug
    )


def datasets_for(*, actor: Actor) -> QuerySet[Dataset]:
    """Return the datasets the actor may see: open ones, and restricted ones of their organisations."""
    restricted_agents = scope(Dataset.objects.filter(access=Access.AGENTS), actor, VIEW)
    restricted_service = scope(Dataset.objects.filter(access=Access.SERVICE), actor, MANAGE)
    visible = (
        Q(access=Access.OPEN)
        | Q(pk__in=restricted_agents.values("pk"))
        | Q(pk__in=restricted_service.values("pk"))
    )
    return _module_on(Dataset.objects.filter(visible)).select_related("organisation").order_by("pk")


def datasets_managed(*, actor: Actor) -> QuerySet[Dataset]:
    """Return the datasets the actor administers (all access levels)."""
    return (
        scope(Dataset.objects.all(), actor, MANAGE)
        .select_related("organisation")
        .order_by("organisation__path", "title")
    )


def dataset_get_for(*, actor: Actor, pk: int) -> Dataset:
    """Return a dataset the actor may see, or 404 (a restricted one of another commune included)."""
    return get_or_404(datasets_for(actor=actor), pk=pk)


def dataset_managed_get(*, actor: Actor, pk: int) -> Dataset:
    """Return a dataset the actor administers, or 404."""
    return get_or_404(datasets_managed(actor=actor), pk=pk)


def distributions_of(*, dataset: Dataset) -> QuerySet[Distribution]:
    """Return a dataset's files, with their last check."""
    return dataset.distributions.select_related("last_validation", "csv_blob").order_by("pk")


def distribution_public_get(*, pk: int) -> Distribution:
    """Return a published file of an open dataset, or 404."""
    return get_or_404(
        Distribution.objects.filter(published_at__isnull=False, dataset__in=datasets_public()).select_related(
            "dataset"
        ),
        pk=pk,
    )


def validation_managed_get(*, actor: Actor, pk: int) -> Validation:
    """Return a check of a file the actor administers, or 404."""
    return get_or_404(scope(Validation.objects.select_related("distribution__dataset"), actor, MANAGE), pk=pk)


def organisations_managed(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose catalogue the actor administers."""
    return organisations_for(actor, MANAGE).order_by("path")


def freshness(*, dataset: Dataset, distribution: Distribution, now: datetime | None = None) -> dict[str, Any]:
    """Say whether a published file is still fresh given its dataset's update frequency."""
    if distribution.published_at is None:
        return {"fresh": False, "label": "Jamais publié", "due": None}
    days = FRESH_DAYS.get(Frequency(dataset.frequency))
    if days is None:
        return {"fresh": True, "label": "Mise à jour irrégulière", "due": None}
    due = distribution.published_at + timedelta(days=days)
    fresh = (now or timezone.now()) <= due
    return {
        "fresh": fresh,
        "due": due.date(),
        "label": "À jour" if fresh else f"Pas à jour depuis le {due:%d/%m/%Y}",
    }


@dataclass
class ObligationRow:
    obligation: Obligation
    status: str
    due: date | None
    reason: str
    dataset: Dataset | None


@dataclass
class CommuneObligations:
    commune: Organisation
    rows: list[ObligationRow]

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.status == Status.PUBLISHED)

    @property
    def applicable(self) -> int:
        return sum(1 for r in self.rows if r.status != Status.NOT_APPLICABLE)


def _on_or_before(moment: datetime, day: date) -> bool:
    return timezone.localtime(moment).date() <= day


def _row(
    obligation: Obligation, commune: Organisation, datasets: list[Dataset], today: date
) -> ObligationRow:
    if not obligation_applies(obligation, commune.population):
        return ObligationRow(
            obligation,
            Status.NOT_APPLICABLE,
            None,
            f"{commune.population} habitants : {THRESHOLD_TEXT}.",
            None,
        )
    mine = [d for d in datasets if d.legal_basis == obligation.key]
    if not mine:
        return ObligationRow(
            obligation,
            Status.MISSING,
            due_date(obligation, published=None, today=today),
            "Aucun jeu de données ne répond à cette obligation.",
            None,
        )
    dataset = mine[0]
    files = list(dataset.distributions.all())
    # As things stood on ``today``: a check or a publication made later does not count yet
    # (the dashboards ask for past months).
    last = max(
        (
            f.last_validation
            for f in files
            if f.last_validation and _on_or_before(f.last_validation.created_at, today)
        ),
        key=lambda v: v.created_at,
        default=None,
    )
    published = max(
        (f.published_at for f in files if f.published_at and _on_or_before(f.published_at, today)),
        default=None,
    )
    if last is not None and not last.valid:
        return ObligationRow(
            obligation,
            Status.INVALID,
            due_date(obligation, published=None, today=today),
            f"Le dernier fichier contrôlé a {last.error_count} erreur(s).",
            dataset,
        )
    if published is None:
        return ObligationRow(
            obligation,
            Status.MISSING,
            due_date(obligation, published=None, today=today),
            "Le jeu de données existe mais aucun fichier n'est publié.",
            dataset,
        )
    due = due_date(obligation, published=published.date(), today=today)
    if due < today:
        return ObligationRow(
            obligation, Status.STALE, due, f"Dernière publication le {published:%d/%m/%Y}.", dataset
        )
    return ObligationRow(obligation, Status.PUBLISHED, due, f"Publié le {published:%d/%m/%Y}.", dataset)


def cockpit_for(*, actor: Actor, commune: str = "", today: date | None = None) -> list[CommuneObligations]:
    """Return each commune the actor may see with the status of each of its obligations."""
    today = today or timezone.localdate()
    communes = organisations_for(actor, VIEW).filter(kind=OrganisationKind.COMMUNE).order_by("name")
    if commune:
        communes = communes.filter(slug=commune)
    datasets = list(
        Dataset.objects.filter(organisation__in=communes)
        .exclude(legal_basis="")
        .prefetch_related("distributions__last_validation")
    )
    by_commune: dict[int, list[Dataset]] = {}
    for dataset in datasets:
        by_commune.setdefault(dataset.organisation_id, []).append(dataset)
    return [
        CommuneObligations(c, [_row(o, c, by_commune.get(c.pk, []), today) for o in OBLIGATIONS])
        for c in communes
    ]


def indicator_obligations_met(
    *, actor: Actor, start: date, end: date, organisation: Organisation | None = None
) -> int:
    """Count the obligations met (published and fresh) in the communes the actor may see."""
    rows = cockpit_for(actor=actor, today=end - timedelta(days=1))
    if organisation is not None:
        rows = [r for r in rows if r.commune.path.startswith(organisation.path)]
    return sum(r.met for r in rows)


def catalogue_entries(*, organisation: Organisation | None = None) -> list[Dataset]:
    """Return the open datasets to list in a catalogue file (of one organisation, or all)."""
    datasets = datasets_public()
    if organisation is not None:
        datasets = datasets.filter(organisation__path__startswith=organisation.path)
    return list(datasets.prefetch_related("distributions"))


def generated_distributions() -> QuerySet[Distribution]:
    """Return the files generated from live data (the job regenerates them)."""
    return Distribution.objects.exclude(dataset__generator="").select_related(
        "dataset__organisation", "dataset__steward"
    )


GRANT_PROCEDURE = "subvention-association"


def indicator_datasets_published(
    *, actor: Actor, start: date, end: date, organisation: Organisation | None = None
) -> int:
    """Count the open datasets with a file published before ``end``, in the actor's organisations."""
    datasets = scope(Dataset.objects.filter(access=Access.OPEN), actor, VIEW).filter(
        distributions__published_at__lt=timezone.make_aware(datetime.combine(end, datetime.min.time()))
    )
    if organisation is not None:
        datasets = datasets.filter(organisation__path__startswith=organisation.path)
    return datasets.distinct().count()


def indicator_grants_awarded(
    *, actor: Actor, start: date, end: date, organisation: Organisation | None = None
) -> int:
    """Count the grant requests accepted over [start, end) among the cases the actor may see."""
    from socle.core.indicators import indicator_queryset
    from socle.portal.selectors import QueueFilters, cases_for_agent

    cases = cases_for_agent(actor=actor, filters=QueueFilters(procedure=GRANT_PROCEDURE, status="accepted"))
    return indicator_queryset(
        cases,
        actor=actor,
        permission="portal.view_case",
        date_field="closed_at",
        start=start,
        end=end,
        organisation=organisation,
    ).count()


def open_indicators_public(*, organisation: Organisation) -> list[OpenIndicator]:
    """Return what an organisation shows on its public dashboard (empty if the module is off there)."""
    if any(organisation.path.startswith(path) for path in module_paths_off("opendata")):
        return []
    return list(OpenIndicator.objects.filter(organisation=organisation).select_related("opened_by"))


def open_indicators_managed(*, actor: Actor) -> list[OpenIndicator]:
    """Return the open indicators of the organisations whose data the actor administers."""
    return list(
        scope(OpenIndicator.objects.all(), actor, MANAGE)
        .select_related("organisation", "opened_by")
        .order_by("organisation__path", "indicator")
    )


def organisations_with_open_indicators() -> list[Organisation]:
    """Return the organisations that publish a public dashboard."""
    off = module_paths_off("opendata")
    ids = OpenIndicator.objects.values("organisation")
    return [
        o
        for o in Organisation.objects.filter(pk__in=ids).order_by("path")
        if not any(o.path.startswith(p) for p in off)
    ]


def open_indicator_managed_get(*, actor: Actor, pk: int) -> OpenIndicator:
    """Return an opening of an organisation whose data the actor administers, or 404."""
    return get_or_404(scope(OpenIndicator.objects.select_related("organisation"), actor, MANAGE), pk=pk)
