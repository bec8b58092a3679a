"""The mobility module's demo: the fictional network, imported and published for the ARC."""

from __future__ import annotations

import io

from django.conf import settings

from socle.core.models import Organisation, OrganisationKind

from .demo_feed import demo_feed
from .models import BikeStation, FeedVersion, Stop
from .realtime_simulation import realtime_simulate
from .services import gtfs_import, gtfs_publish


def _simulated() -> str:
    fetch = realtime_simulate()
    trips = fetch.report["trips"] if fetch is not None else 0
    return (
        f"Mobilité : retards simulés pour {trips} voyages des 90 prochaines minutes "
        "(relancés chaque minute par socle worker quand SOCLE_MOBILITY_REALTIME_SIMULATION=true)."
    )


VELOTIC_STATIONS = ("compiegne", "margny-les-compiegne", "venette", "lacroix-saint-ouen")
DEMO_SUBSCRIBER = "habitant.compiegne@demo.socle.fr"


def _velotic(owner: Organisation, version: FeedVersion) -> str:
    from socle.core.models import User

    from .velotic import bike_create, station_create, subscription_create

    if BikeStation.objects.filter(organisation=owner).exists():
        return "VéloTIC : stations de démonstration déjà en place."
    number = 0
    for slug in VELOTIC_STATIONS:
        stop = Stop.objects.filter(version=version, stop_id=slug).first()
        if stop is None or stop.lat is None or stop.lon is None:
            continue
        station = station_create(
            actor=None,
            organisation=owner,
            station_id=slug,
            name=stop.name,
            lat=stop.lat,
            lon=stop.lon,
            capacity=8,
            address=f"Place de la mairie, {stop.name}",
        )
        for kind in ("classic", "classic", "electric"):
            number += 1
            bike_create(
                actor=None,
                station=station,
                number=f"{number:03d}",
                kind=kind,
                lock_id=f"demo-lock-{number:03d}",
                battery_percent=90 if kind == "electric" else None,
            )
    rider = User.objects.filter(email=DEMO_SUBSCRIBER).first()
    if rider is not None:
        subscription_create(actor=None, organisation=owner, user=rider, plan="annee")
    return (
        f"VéloTIC : {number} vélos dans {len(VELOTIC_STATIONS)} stations, abonnement annuel pour "
        f"{DEMO_SUBSCRIBER} ; cadenas simulés sur http://127.0.0.1:8790/ (pour « rendre » un vélo)."
    )


ALLOTIC_STOPS = ("verberie", "saintines", "saint-sauveur", "bethisy-saint-pierre", "bethisy-saint-martin",
                 "nery", "saint-vaast-de-longmont", "le-meux", "armancourt", "jaux")
DEMO_TRAVELLER = "habitant.verberie@demo.socle.fr"


def _allotic(owner: Organisation) -> str:
    from datetime import time, timedelta

    from django.utils import timezone

    from socle.core.models import User

    from .models import OnDemandZone
    from .ondemand import booking_create, run_create, zone_create

    if OnDemandZone.objects.filter(organisation=owner).exists():
        return "AlloTIC : zone de démonstration déjà en place."
    version = FeedVersion.objects.filter(organisation=owner, published_at__isnull=False).first()
    stops = list(Stop.objects.filter(version=version, stop_id__in=ALLOTIC_STOPS).values_list("stop_id",
                                                                                             flat=True))
    if len(stops) < 2:
        return "AlloTIC : pas assez d'arrêts dans le réseau de démonstration pour une zone."
    zone = zone_create(actor=None, organisation=owner, zone_id="basse-automne", name="Basse Automne",
                       stop_ids=stops)
    today = timezone.localdate()
    runs = [run_create(actor=None, zone=zone, day=today + timedelta(days=offset), window_start=time(start),
                       window_end=time(start + 2), vehicle="Minibus AlloTIC 1", capacity=8)
            for offset in range(1, 8) for start in (9, 14)]
    traveller = User.objects.filter(email=DEMO_TRAVELLER).first()
    if traveller is not None:
        booking_create(actor=traveller, run=runs[0], pickup_stop_id=stops[0], dropoff_stop_id=stops[-1])
    return (f"AlloTIC : zone « Basse Automne » ({len(stops)} arrêts), {len(runs)} courses de 8 places "
            f"sur 7 jours ; une réservation pour {DEMO_TRAVELLER} (/mobilite/allotic/).")


def demo_load() -> list[str]:
    owner = Organisation.objects.filter(slug=settings.PLATFORM_ROOT_SLUG).first()
    if owner is None:
        return []
    published = FeedVersion.objects.filter(organisation=owner, published_at__isnull=False).first()
    if published is not None:
        return [
            "Mobilité : horaires de démonstration déjà publiés.",
            _simulated(),
            _velotic(owner, published),
            _allotic(owner),
        ]
    communes = dict(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).values_list("slug", "name"))
    version = gtfs_import(
        actor=None,
        organisation=owner,
        source=io.BytesIO(demo_feed(communes=communes)),
        filename="reseau-demonstration.zip",
    )
    gtfs_publish(actor=None, version=version)
    return [
        _simulated(),
        _velotic(owner, version),
        _allotic(owner),
        f"Mobilité : réseau fictif de démonstration publié (horaires n° {version.number}, "
        f"{len(version.summary['trips'])} voyages), /mobilite/gtfs.zip.",
    ]
