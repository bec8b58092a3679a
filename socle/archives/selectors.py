"""Reads of archives data, scoped to the organisations where the actor holds the permission."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, get_or_404, scope
from socle.core.models import Organisation

from .models import (
    AgencyIdentifier,
    ArchivalPackage,
    ArchiveObject,
    FixityAudit,
    PackageStatus,
    Transfer,
)
from .search_terms import search_roots

VIEW = "archives.view"


def transfers_for(*, actor: Actor) -> QuerySet[Transfer]:
    """Return the transfers received by the archives services the actor works for."""
    return scope(Transfer.objects.select_related("organisation"), actor, VIEW)


def transfer_get(*, actor: Actor, reply_identifier: str) -> Transfer:
    """Return one transfer the actor may see, else 404."""
    return get_or_404(transfers_for(actor=actor).prefetch_related("steps"),
                      reply_identifier=reply_identifier)


@dataclass(frozen=True)
class PackageSearch:
    q: str = ""
    agency: str = ""
    rule: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def packages_for(*, actor: Actor, search: PackageSearch | None = None) -> QuerySet[ArchivalPackage]:
    """Return the kept packages of the actor's organisations, filtered by metadata."""
    packages = scope(ArchivalPackage.objects.filter(status=PackageStatus.KEPT)
                     .select_related("organisation"), actor, VIEW)
    if search is None:
        return packages
    if search.q:
        # Each word by its French root, so that "cadastre" finds "cadastrale" and back.
        # The word itself too: the stemmer drops some accents ("délibér" becomes "déliber").
        words = Q()
        for word, root in search_roots(search.q):
            words &= (Q(title__icontains=root) | Q(description__icontains=root)
                      | Q(title__icontains=word) | Q(description__icontains=word))
        packages = packages.filter(words | Q(identifier__iexact=search.q.strip()))
    if search.agency:
        packages = packages.filter(Q(originating_agency__iexact=search.agency)
                                   | Q(transferring_agency__iexact=search.agency)
                                   | Q(organisation__slug__iexact=search.agency))
    if search.rule:
        packages = packages.filter(Q(appraisal_rule=search.rule) | Q(access_rule=search.rule))
    if search.date_from:
        packages = packages.filter(Q(end_date__gte=search.date_from) | Q(end_date__isnull=True))
    if search.date_to:
        packages = packages.filter(Q(start_date__lte=search.date_to) | Q(start_date__isnull=True))
    return packages


def package_get(*, actor: Actor, identifier: str) -> ArchivalPackage:
    """Return one kept package the actor may see, else 404."""
    return get_or_404(packages_for(actor=actor), identifier=identifier)


def package_losses(*, actor: Actor, package: ArchivalPackage) -> QuerySet[ArchiveObject]:
    """Return the objects of a package (one the actor may see) known lost, oldest loss first."""
    visible = packages_for(actor=actor).filter(pk=package.pk)
    return ArchiveObject.objects.filter(package__in=visible, lost_at__isnull=False).order_by(
        "lost_at", "path")


def audits_for(*, actor: Actor) -> QuerySet[FixityAudit]:
    """Return the fixity audits of the organisations the actor sees, newest first."""
    return scope(FixityAudit.objects.select_related("organisation", "actor"), actor, VIEW)


def communicable(*, package: ArchivalPackage, on: dt.date | None = None) -> bool:
    """Tell whether the access rule lets the package be communicated (to the public) on a day."""
    on = on or timezone.localdate()
    return package.access_end_date is None or package.access_end_date <= on


def eliminable_for(*, actor: Actor, on: dt.date | None = None) -> QuerySet[ArchivalPackage]:
    """Return the packages whose appraisal rule has ended with Destroy, not on hold."""
    on = on or timezone.localdate()
    return scope(ArchivalPackage.objects.filter(
        status=PackageStatus.KEPT, final_action="Destroy", appraisal_end_date__lte=on,
        hold=False), actor, "archives.eliminate")


def elimination_candidates_for(*, actor: Actor, on: dt.date | None = None
                               ) -> QuerySet[ArchivalPackage]:
    """Return the packages whose appraisal ended with Destroy, held ones included (to release)."""
    on = on or timezone.localdate()
    return scope(ArchivalPackage.objects.filter(
        status=PackageStatus.KEPT, final_action="Destroy", appraisal_end_date__lte=on)
        .select_related("organisation"), actor, "archives.eliminate")


def eliminable_get(*, actor: Actor, identifier: str) -> ArchivalPackage:
    """Return one package the actor may eliminate or hold (kept, any appraisal), else 404."""
    return get_or_404(scope(ArchivalPackage.objects.filter(status=PackageStatus.KEPT)
                            .select_related("organisation"), actor, "archives.eliminate"),
                      identifier=identifier)


def _indicator_packages(*, actor: Actor, start: dt.date, end: dt.date,
                        organisation: Organisation | None) -> QuerySet[ArchivalPackage]:
    from socle.core.indicators import indicator_queryset

    return indicator_queryset(ArchivalPackage.objects.filter(status=PackageStatus.KEPT),
                              actor=actor, permission=VIEW, date_field="created_at",
                              start=start, end=end, organisation=organisation)


def indicator_packages(*, actor: Actor, start: dt.date, end: dt.date,
                       organisation: Organisation | None = None) -> int:
    """Count the packages archived over [start, end) and still kept, that the actor may see."""
    return _indicator_packages(actor=actor, start=start, end=end, organisation=organisation).count()


def indicator_archived_bytes(*, actor: Actor, start: dt.date, end: dt.date,
                             organisation: Organisation | None = None) -> int:
    """Sum the size of the packages archived over [start, end) and still kept."""
    from socle.core.indicators import indicator_sum

    return indicator_sum(_indicator_packages(actor=actor, start=start, end=end,
                                             organisation=organisation), "size")


def agency_identifiers_for(*, actor: Actor) -> QuerySet[AgencyIdentifier]:
    """The declared identifiers of the organisations whose archives the actor sees."""
    return scope(AgencyIdentifier.objects.select_related("organisation", "created_by"), actor,
                 "archives.view")


def agency_identifier_get_for(*, actor: Actor, pk: object) -> AgencyIdentifier:
    """One declared identifier the actor sees, or 404."""
    return get_or_404(agency_identifiers_for(actor=actor), pk=pk)
