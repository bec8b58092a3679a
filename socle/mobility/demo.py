"""The mobility module's demo: the fictional network, imported and published for the ARC."""

from __future__ import annotations

import io

from django.conf import settings

from socle.core.models import Organisation, OrganisationKind

from .demo_feed import demo_feed
from .models import FeedVersion
from .realtime_simulation import realtime_simulate
from .services import gtfs_import, gtfs_publish


def _simulated() -> str:
    fetch = realtime_simulate()
    trips = fetch.report["trips"] if fetch is not None else 0
    return (f"Mobilité : retards simulés pour {trips} voyages des 90 prochaines minutes "
            "(relancés chaque minute par socle worker quand SOCLE_MOBILITY_REALTIME_SIMULATION=true).")


def demo_load() -> list[str]:
    owner = Organisation.objects.filter(slug=settings.PLATFORM_ROOT_SLUG).first()
    if owner is None:
        return []
    if FeedVersion.objects.filter(organisation=owner, published_at__isnull=False).exists():
        return ["Mobilité : horaires de démonstration déjà publiés.", _simulated()]
    communes = dict(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).values_list("slug", "name"))
    version = gtfs_import(actor=None, organisation=owner, source=io.BytesIO(demo_feed(communes=communes)),
                          filename="reseau-demonstration.zip")
    gtfs_publish(actor=None, version=version)
    return [_simulated(), f"Mobilité : réseau fictif de démonstration publié (horaires n° {version.number}, "
            f"{len(version.summary['trips'])} voyages), /mobilite/gtfs.zip."]
