"""Every read of the inventory, scoped to the actor.

A commune's agent (``inventory.viewer`` on the commune) sees their commune's sites,
assets, licences and loans; the DCSI (``inventory.manager`` on the ARC) sees every
commune; an Education inspector sees the schools' requests and training needs. A row
of an organisation the actor may not see is a 404. The public map and open dataset
show hotspots only, and nothing of an organisation where the module is switched off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

import socle.helpdesk.selectors as helpdesk
from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for, scope
from socle.core.models import Membership, Organisation, User
from socle.core.module_activation import module_paths_off
from socle.core.roles import roles_granting

from .models import (
    Asset,
    AssetEvent,
    AssetStatus,
    AssetTicket,
    Hotspot,
    Installation,
    Licence,
    LicenceAssignment,
    Loan,
    ProcurementRequest,
    Site,
    SiteKind,
    Software,
    TrainingNeed,
)

VIEW = "inventory.view"
MANAGE = "inventory.manage"
REQUEST = "inventory.request"
VIEW_SCHOOLS = "inventory.view_schools"
OPINE = "inventory.opine"
EXPIRY_DAYS = 60
AGEING_YEARS = 5


def organisations_viewing(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose inventory the actor may read, tree order."""
    return organisations_for(actor, VIEW).order_by("path")


def organisations_managed(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose inventory the actor may change, tree order."""
    return organisations_for(actor, MANAGE).order_by("path")


def organisation_managed_get(*, actor: Actor, slug: str) -> Organisation:
    """Return one organisation the actor manages the inventory of, or 404."""
    return get_or_404(organisations_managed(actor=actor), slug=slug)


def may_manage(*, actor: Actor, organisation: Organisation) -> bool:
    """Tell whether the actor may change this organisation's inventory."""
    return can(actor, MANAGE, organisation)


def manages_any(*, actor: Actor) -> bool:
    """Tell whether the actor manages some organisation's inventory."""
    return bool(granted_paths(actor, MANAGE))


# ----------------------------------------------------------------------------- sites


def sites_for(*, actor: Actor, kind: str = "", permission: str = VIEW) -> QuerySet[Site]:
    """Return the sites the actor may see, optionally of one kind."""
    sites = scope(Site.objects.all(), actor, permission).select_related("organisation")
    if kind:
        sites = sites.filter(kind=kind)
    return sites


def site_get_for(*, actor: Actor, pk: Any, permission: str = VIEW) -> Site:
    """Return one site the actor may see, or 404."""
    return get_or_404(sites_for(actor=actor, permission=permission), pk=pk)


def schools_for(*, actor: Actor) -> QuerySet[Site]:
    """Return the school sites the actor may follow (their equipment, requests, needs)."""
    return sites_for(actor=actor, kind=SiteKind.SCHOOL, permission=VIEW_SCHOOLS)


# ---------------------------------------------------------------------------- assets


@dataclass(frozen=True)
class AssetFilters:
    organisation: str = ""
    site: int | None = None
    kind: str = ""
    status: str = ""
    q: str = ""


def assets_for(*, actor: Actor, filters: AssetFilters | None = None) -> QuerySet[Asset]:
    """Return the assets the actor may see, filtered, by commune and inventory number."""
    filters = filters or AssetFilters()
    assets = scope(Asset.objects.all(), actor, VIEW)
    if filters.organisation:
        assets = assets.filter(organisation__slug=filters.organisation)
    if filters.site:
        assets = assets.filter(site_id=filters.site)
    if filters.kind:
        assets = assets.filter(kind=filters.kind)
    if filters.status:
        assets = assets.filter(status=filters.status)
    query = filters.q.strip()
    if query:
        assets = assets.filter(Q(inventory_number__iexact=query) | Q(name__icontains=query)
                               | Q(serial_number__iexact=query))
    return assets.select_related("organisation", "site").order_by("pk")


def asset_get_for(*, actor: Actor, pk: Any) -> Asset:
    """Return one asset the actor may see, or 404."""
    return get_or_404(scope(Asset.objects.all(), actor, VIEW)
                      .select_related("organisation", "site"), pk=pk)


def asset_by_number(*, actor: Actor, organisation: Organisation, number: str) -> Asset | None:
    """Return the asset of that inventory number in that organisation, if the actor sees it."""
    return scope(Asset.objects.all(), actor, VIEW).filter(
        organisation=organisation, inventory_number=number).first()


def asset_history(*, actor: Actor, asset: Asset) -> QuerySet[AssetEvent]:
    """Return the lifecycle of an asset the actor may see, oldest first."""
    asset_get_for(actor=actor, pk=asset.pk)
    return AssetEvent.objects.filter(asset=asset).select_related("actor")


def installations_of(*, actor: Actor, asset: Asset) -> QuerySet[Installation]:
    """Return the software installed on an asset the actor may see."""
    asset_get_for(actor=actor, pk=asset.pk)
    return Installation.objects.filter(asset=asset).select_related("software").order_by(
        "software__name")


@dataclass(frozen=True)
class TicketLine:
    number: str
    title: str
    status: str
    url: str


def tickets_of_asset(*, actor: Actor, asset: Asset) -> list[TicketLine]:
    """Return the helpdesk tickets linked to an asset, those the actor may see only."""
    ids = list(AssetTicket.objects.filter(asset=asset).values_list("helpdesk_ticket_id",
                                                                     flat=True))
    if not ids:
        return []
    visible = helpdesk.tickets_visible(actor=actor).filter(pk__in=ids).order_by("-pk")
    return [TicketLine(t.number, t.title, t.get_status_display(), f"/assistance/tickets/{t.pk}/")
            for t in visible]


def ticket_for_link(*, actor: Actor, number: str) -> Any:
    """Return the helpdesk ticket of that number if the actor may see it, else None."""
    return helpdesk.ticket_by_number(actor=actor, number=number)


def assets_of_ticket(*, actor: Actor, ticket_id: int) -> QuerySet[Asset]:
    """Return the assets the actor may see that are linked to a helpdesk ticket."""
    linked = AssetTicket.objects.filter(helpdesk_ticket_id=ticket_id).values("asset_id")
    return scope(Asset.objects.filter(pk__in=linked), actor, VIEW).order_by("inventory_number")


def agents_of(*, actor: Actor, organisation: Organisation) -> QuerySet[User]:
    """Return the agents of an organisation a manager may lend equipment to."""
    if not may_manage(actor=actor, organisation=organisation):
        return User.objects.none()
    members = Membership.objects.filter(organisation=organisation, revoked_at__isnull=True)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by(
        "last_name", "email")


def managers_of(*, organisation: Organisation) -> QuerySet[User]:
    """Return the people who manage an organisation's inventory (on it or above it)."""
    ancestors = [organisation.path[:end] for end in range(1, len(organisation.path) + 1)
                 if organisation.path[:end].endswith("/")] or [organisation.path]
    members = Membership.objects.filter(role__in=roles_granting(MANAGE), revoked_at__isnull=True,
                                        organisation__path__in=ancestors)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


# ------------------------------------------------------------------ software, licences


def software_for(*, actor: Actor) -> QuerySet[Software]:
    """Return the software catalogue entries the actor may see."""
    return scope(Software.objects.all(), actor, VIEW)


def licences_for(*, actor: Actor, expiring: bool = False) -> QuerySet[Licence]:
    """Return the licences the actor may see, those expiring within 60 days if asked."""
    licences = scope(Licence.objects.all(), actor, VIEW)
    if expiring:
        today = timezone.localdate()
        licences = licences.filter(expires_on__gte=today,
                                   expires_on__lte=today + timedelta(days=EXPIRY_DAYS))
    return licences.select_related("organisation").annotate(
        used=Count("assignments", distinct=True)).prefetch_related("titles").order_by(
        "expires_on", "name", "pk")


def licence_get_for(*, actor: Actor, pk: Any) -> Licence:
    """Return one licence the actor may see, or 404."""
    return get_or_404(licences_for(actor=actor), pk=pk)


def assignments_of(*, actor: Actor, licence: Licence) -> QuerySet[LicenceAssignment]:
    """Return the seats given out on a licence the actor may see."""
    licence_get_for(actor=actor, pk=licence.pk)
    return LicenceAssignment.objects.filter(licence=licence).select_related("asset")


def licences_due(*, today: date, days: int = EXPIRY_DAYS) -> QuerySet[Licence]:
    """Return the licences expiring within ``days`` not yet alerted for that expiry (the job)."""
    return (Licence.objects.filter(expires_on__gte=today, expires_on__lte=today
                                   + timedelta(days=days))
            .exclude(alerted_for=F("expires_on")).select_related("organisation"))


@dataclass
class SoftwareLine:
    """One business package in the « homogenised software » view."""

    software: Software
    reference: str
    # commune name -> {version: number of assets}
    by_commune: dict[str, dict[str, int]] = field(default_factory=dict)
    out_of_line: list[str] = field(default_factory=list)  # communes off the reference


def homogenisation_for(*, actor: Actor, organisation: str = "") -> list[SoftwareLine]:
    """Return, per business package, which commune runs which version and who is out of line."""
    installs = (Installation.objects.filter(software__business=True,
                                            asset__in=scope(Asset.objects.all(), actor, VIEW))
                .exclude(asset__status=AssetStatus.DISPOSED))
    if organisation:
        installs = installs.filter(asset__organisation__slug=organisation)
    rows = (installs.values("software_id", "asset__organisation__name", "version")
            .annotate(n=Count("pk")).order_by("asset__organisation__name", "version"))
    catalogue = {s.pk: s for s in Software.objects.filter(
        pk__in={row["software_id"] for row in rows})}
    lines: dict[int, SoftwareLine] = {}
    for row in rows:
        software = catalogue[row["software_id"]]
        line = lines.setdefault(software.pk, SoftwareLine(software, software.reference_version))
        versions = line.by_commune.setdefault(row["asset__organisation__name"], {})
        versions[row["version"] or "inconnue"] = row["n"]
    for line in lines.values():
        line.out_of_line = [commune for commune, versions in line.by_commune.items()
                            if line.reference and set(versions) != {line.reference}]
    return sorted(lines.values(), key=lambda line: line.software.name.lower())


# --------------------------------------------------------------------------- schools


def requests_for(*, actor: Actor, status: str = "") -> QuerySet[ProcurementRequest]:
    """Return the schools' procurement requests the actor may follow, newest first."""
    requests = scope(ProcurementRequest.objects.all(), actor, VIEW_SCHOOLS)
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("organisation", "site", "submitted_by", "opinion_by")


def request_get_for(*, actor: Actor, pk: Any) -> ProcurementRequest:
    """Return one procurement request the actor may follow, or 404."""
    return get_or_404(requests_for(actor=actor), pk=pk)


def may_opine(*, actor: Actor, request: ProcurementRequest) -> bool:
    """Tell whether the actor gives the Education inspector's opinion on this request."""
    return can(actor, OPINE, request.organisation)


def may_request(*, actor: Actor, organisation: Organisation) -> bool:
    """Tell whether the actor may submit requests and needs for this organisation's schools."""
    return can(actor, REQUEST, organisation)


def training_needs_for(*, actor: Actor) -> QuerySet[TrainingNeed]:
    """Return the teachers' training needs the actor may follow, newest first."""
    return scope(TrainingNeed.objects.all(), actor, VIEW_SCHOOLS).select_related(
        "organisation", "site")


def school_equipment_for(*, actor: Actor) -> list[tuple[Site, dict[str, int]]]:
    """Return each school the actor may follow with its assets in service, counted by kind."""
    schools = list(schools_for(actor=actor).order_by("organisation__path", "name"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (Asset.objects.filter(site__in=[s.pk for s in schools])
            .exclude(status=AssetStatus.DISPOSED)
            .values("site_id", "kind").annotate(n=Count("pk")))
    labels = dict(Asset._meta.get_field("kind").choices or [])
    for row in rows:
        counts[row["site_id"]][str(labels.get(row["kind"], row["kind"]))] = row["n"]
    return [(school, counts.get(school.pk, {})) for school in schools]


# --------------------------------------------------------------------------- loans


def loans_for(*, actor: Actor, open_only: bool = False,
              asset: Asset | None = None) -> QuerySet[Loan]:
    """Return the telework loans the actor may see (of one asset if given), newest first."""
    loans = scope(Loan.objects.all(), actor, VIEW)
    if asset is not None:
        loans = loans.filter(asset=asset)
    if open_only:
        loans = loans.filter(returned_on__isnull=True)
    return loans.select_related("organisation", "asset", "borrower")


def loan_get_for(*, actor: Actor, pk: Any) -> Loan:
    """Return one loan the actor may see, or 404."""
    return get_or_404(loans_for(actor=actor), pk=pk)


# ------------------------------------------------------------------------- hotspots


def hotspots_for(*, actor: Actor) -> QuerySet[Hotspot]:
    """Return the hotspots the actor may see in the agents' pages and the API."""
    return scope(Hotspot.objects.all(), actor, VIEW).select_related("organisation", "site")


def hotspot_get_for(*, actor: Actor, pk: Any) -> Hotspot:
    """Return one hotspot the actor may see, or 404."""
    return get_or_404(hotspots_for(actor=actor), pk=pk)


def hotspots_public() -> QuerySet[Hotspot]:
    """Return every hotspot of the territory for the public map and open dataset."""
    hotspots = Hotspot.objects.all()
    for path in module_paths_off("inventory"):
        hotspots = hotspots.exclude(organisation__path__startswith=path)
    return hotspots.select_related("organisation", "site").order_by(
        "organisation__name", "name", "pk")


def communes_public() -> QuerySet[Organisation]:
    """Return the territory's communes, for the public map's background."""
    return Organisation.objects.filter(kind="commune").order_by("name")


# ------------------------------------------------------------------------ indicators


def ageing_count(*, actor: Actor, on: date, organisation: Organisation | None = None) -> int:
    """Count the assets in service bought more than five years before ``on``."""
    assets = scope(Asset.objects.all(), actor, VIEW).filter(
        status__in=[AssetStatus.IN_SERVICE, AssetStatus.LENT],
        purchased_on__lt=on.replace(year=on.year - AGEING_YEARS))
    if organisation is not None:
        assets = assets.filter(organisation__path__startswith=organisation.path)
    return assets.count()


def expiring_count(*, actor: Actor, start: date, end: date,
                   organisation: Organisation | None = None) -> int:
    """Count the licences expiring in [start, end + 60 days)."""
    licences = scope(Licence.objects.all(), actor, VIEW).filter(
        expires_on__gte=start, expires_on__lt=end + timedelta(days=EXPIRY_DAYS))
    if organisation is not None:
        licences = licences.filter(organisation__path__startswith=organisation.path)
    return licences.count()


def prefetch_titles() -> Prefetch:
    """Return the prefetch of a licence's titles, by name."""
    return Prefetch("titles", queryset=Software.objects.order_by("name"))


def catalogue_owner_of(*, organisation: Organisation) -> Organisation:
    """Return the top of an organisation's tree (the ARC), which owns the software catalogue."""
    top = "/" + organisation.path.strip("/").split("/")[0] + "/"
    return Organisation.objects.get(path=top)
