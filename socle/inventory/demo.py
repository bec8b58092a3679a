"""The inventory's demo, run by ``socle demo``: sites of eight communes (mairies, schools,
libraries), some three hundred assets imported through the CSV service, business
software at the reference version or behind it, licences (two expiring within the
month), school requests at each step, teachers' training needs, telework loans and
wifi hotspots across the territory.

Everything is written through the services, as the DCSI's demo manager; the assets in
bulk through the CSV import, so the demo stays quick. Running it again changes nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from socle.core.models import Organisation, User

from . import selectors, services
from .geo import TOWN_CENTRES
from .models import Asset, AssetKind, HotspotStatus, Site, SiteKind, Software

MANAGER = "parc@demo.socle.fr"
INSPECTOR = "inspection@demo.socle.fr"
TELEWORKER = "teletravail@demo.socle.fr"
# commune → (number of office computers, schools, has a library)
COMMUNES = {
    "compiegne": (70, ["École élémentaire Pierre-Sauvage", "École maternelle du Centre"], True),
    "margny-les-compiegne": (35, ["École Jules-Ferry"], True),
    "venette": (18, ["École des Tilleuls"], False),
    "choisy-au-bac": (18, ["École du Confluent"], False),
    "lacroix-saint-ouen": (22, ["École Louise-Michel"], True),
    "verberie": (16, ["École Saint-Pierre"], False),
    "clairoix": (10, ["École du Mont-Ganelon"], False),
    "jaux": (10, ["École des Prés"], False),
}
# name, publisher, reference version, versions seen (the first is the reference)
BUSINESS = [
    ("e.magnus Gestion financière", "Berger-Levrault", "2024.2", ["2024.2", "2023.4"]),
    ("e.magnus Ressources humaines", "Berger-Levrault", "2024.2", ["2024.2", "2024.1"]),
    ("Mélodie État civil", "Logitud", "7.3", ["7.3", "7.1", "6.9"]),
    ("LibreOffice", "The Document Foundation", "24.8", ["24.8", "7.6"]),
    ("Firefox ESR", "Mozilla", "128.5", ["128.5"]),
]
OFFICE = [("Microsoft 365 Apps", "Microsoft"), ("ESET Endpoint Security", "ESET")]
MODELS = {
    AssetKind.COMPUTER: [("Dell", "OptiPlex 7010", 749), ("HP", "EliteDesk 800 G6", 812)],
    AssetKind.LAPTOP: [("Lenovo", "ThinkPad T14", 1090), ("Dell", "Latitude 5440", 1020)],
    AssetKind.PHONE: [("Samsung", "Galaxy A54", 329)],
    AssetKind.TABLET: [("Apple", "iPad 10", 459)],
    AssetKind.WHITEBOARD: [("Promethean", "ActivPanel 9", 3650)],
    AssetKind.PROJECTOR: [("Epson", "EB-W51", 520)],
    AssetKind.NETWORK: [("Cisco", "Catalyst 1000", 890)],
    AssetKind.ACCESS_POINT: [("Ubiquiti", "UniFi U6 Pro", 165)],
    AssetKind.SERVER: [("Dell", "PowerEdge R650", 6400)],
    AssetKind.VPN_TOKEN: [("Yubico", "YubiKey 5 NFC", 55)],
}
HEADER = ("Numéro d'inventaire;Type;Nom;Site;Statut;Fabricant;Modèle;Numéro de série;"
          "Date d'achat;Fin de garantie;Contrat;Coût;Affecté à;Système")


def _csv(rng: random.Random, commune: Organisation, offices: int, schools: list[str],
         library: bool) -> bytes:
    prefix = commune.slug[:3].upper()
    today = timezone.localdate()
    lines = [HEADER]
    plan: list[tuple[str, str, str]] = []  # kind, site, name
    town_hall = f"Mairie de {commune.name}"
    plan += [(AssetKind.COMPUTER, town_hall, f"Poste bureau {n}") for n in range(1, offices + 1)]
    plan += [(AssetKind.LAPTOP, town_hall, f"Portable {n}") for n in range(1, offices // 5 + 2)]
    plan += [(AssetKind.PHONE, town_hall, f"Téléphone élu {n}") for n in range(1, 3)]
    plan += [(AssetKind.NETWORK, town_hall, "Commutateur principal"),
             (AssetKind.ACCESS_POINT, town_hall, "Borne wifi salle du conseil"),
             (AssetKind.VPN_TOKEN, town_hall, "Jeton VPN 1")]
    if offices >= 30:
        plan.append((AssetKind.SERVER, town_hall, "Serveur de fichiers"))
    for school in schools:
        plan += [(AssetKind.WHITEBOARD, school, f"TBI classe {n}") for n in range(1, 4)]
        plan += [(AssetKind.TABLET, school, f"Tablette {n}") for n in range(1, 5)]
        plan += [(AssetKind.PROJECTOR, school, "Vidéoprojecteur salle polyvalente"),
                 (AssetKind.COMPUTER, school, "Poste direction")]
    if library:
        plan += [(AssetKind.COMPUTER, f"Médiathèque de {commune.name}", f"Poste public {n}")
                 for n in range(1, 4)]
    labels = dict(AssetKind.choices)
    for n, (kind, site, name) in enumerate(plan, 1):
        maker, model, cost = rng.choice(MODELS[AssetKind(kind)])
        bought = today - timedelta(days=rng.randint(60, 365 * 8))
        status = rng.choices(["En service", "En panne", "Réformé", "Commandé"],
                             weights=[88, 5, 4, 3])[0]
        lines.append(";".join([
            f"{prefix}-{n:04d}", str(labels[kind]), name, site, status, maker, model,
            f"SN{commune.insee_code}{n:05d}", f"{bought:%d/%m/%Y}",
            f"{bought.replace(year=bought.year + 3):%d/%m/%Y}" if bought.day < 29 else "",
            "Maintenance DCSI" if kind in (AssetKind.COMPUTER, AssetKind.SERVER) else "",
            f"{cost},00", "Accueil" if n == 1 else "", "Windows 11 Professionnel"
            if kind in (AssetKind.COMPUTER, AssetKind.LAPTOP) else ""]))
    return ("\n".join(lines) + "\n").encode()


def _software(manager: User, arc: Organisation) -> dict[str, Software]:
    catalogue = {}
    for name, publisher, reference, _ in BUSINESS:
        catalogue[name] = services.software_save(actor=manager, organisation=arc, name=name,
                                                 publisher=publisher, business=True,
                                                 reference_version=reference)
    for name, publisher in OFFICE:
        catalogue[name] = services.software_save(actor=manager, organisation=arc, name=name,
                                                 publisher=publisher)
    return catalogue


def _installations(rng: random.Random, manager: User, arc: Organisation,
                   communes: list[Organisation]) -> int:
    # Each commune has a "habit": the larger ones keep up, a few lag on one package.
    count = 0
    for index, commune in enumerate(communes):
        lagging = {BUSINESS[index % 3][0]} if index % 2 else set()
        computers = selectors.assets_for(actor=manager, filters=selectors.AssetFilters(
            organisation=commune.slug)).filter(kind__in=[AssetKind.COMPUTER, AssetKind.LAPTOP])
        for asset in computers.exclude(status="disposed"):
            found = []
            for name, publisher, reference, versions in BUSINESS:
                behind = name in lagging and len(versions) > 1 and rng.random() < 0.6
                found.append((name, rng.choice(versions[1:]) if behind else reference,
                              publisher))
            found += [(name, "16.0", publisher) for name, publisher in OFFICE]
            services.installations_replace(actor=manager, asset=asset, found=found,
                                           catalogue=arc)
            count += 1
    return count


def _licences(manager: User, arc: Organisation, catalogue: dict[str, Software],
              today: date) -> int:
    compiegne = Organisation.objects.get(slug="compiegne")
    plans = [
        (arc, "Microsoft 365 Apps pour les communes", 400, ["Microsoft 365 Apps"], 25),
        (arc, "Suite e.magnus (finances et RH)", 60,
         ["e.magnus Gestion financière", "e.magnus Ressources humaines"], 45),
        (arc, "ESET Endpoint Security : marché intercommunal", 500,
         ["ESET Endpoint Security"], 240),
        (compiegne, "Mélodie État civil : Compiègne", 12, ["Mélodie État civil"], 410),
    ]
    for owner, name, seats, titles, days in plans:
        licence = services.licence_save(
            actor=manager, organisation=owner, name=name, seats=seats,
            titles=[catalogue[t] for t in titles], starts_on=today - timedelta(days=365),
            expires_on=today + timedelta(days=days), reference=f"MARCHE-{today:%Y}-{seats}",
            cost=seats * 42)
        for asset in selectors.assets_for(actor=manager).filter(
                organisation__path__startswith=owner.path, kind="computer")[:5]:
            services.licence_assign(actor=manager, licence=licence, asset=asset)
    return len(plans)


def _schools(manager: User, inspector: User | None) -> int:
    schools = list(selectors.schools_for(actor=manager).order_by("pk"))
    plans = [("whiteboard", 2, "Deux classes de CP sans écran interactif.", None),
             ("tablet", 12, "Une classe mobile pour les cycles 2 et 3.", True),
             ("laptop", 30, "Un portable par élève de CM2.", False),
             ("projector", 1, "La salle polyvalente n'a plus de vidéoprojecteur.", True)]
    for index, (kind, quantity, reason, favourable) in enumerate(plans):
        site = schools[index % len(schools)]
        request = services.request_submit(actor=manager, site=site, kind=kind,
                                          quantity=quantity, reason=reason)
        if favourable is not None and inspector is not None:
            request = services.request_opinion(
                actor=inspector, request=request, favourable=favourable,
                comment="" if favourable else "Projet pédagogique à préciser ; une classe "
                                              "mobile partagée suffirait.")
            if favourable and index == 3:
                services.request_order(actor=manager, request=request,
                                       order_reference=f"BC-{timezone.localdate():%Y}-0117")
    for site, topic, teachers in ((schools[0], "Prise en main des tableaux interactifs", 6),
                                  (schools[1], "Tablettes en classe : usages et sécurité", 4),
                                  (schools[-1], "Tableaux interactifs : outils avancés", 3)):
        services.training_need_record(actor=manager, site=site, topic=topic, teachers=teachers)
    return len(plans)


def _hotspots(rng: random.Random, manager: User, communes: list[Organisation]) -> int:
    statuses = [HotspotStatus.IN_SERVICE] * 5 + [HotspotStatus.INSTALLED,
                                                 HotspotStatus.PLANNED,
                                                 HotspotStatus.OUT_OF_ORDER]
    count = 0
    places = ["Place de la mairie", "Médiathèque", "Parc municipal"]
    for commune in communes:
        lat, lon = TOWN_CENTRES[commune.slug]
        town_hall = Site.objects.filter(organisation=commune, kind=SiteKind.TOWN_HALL).first()
        for n, place in enumerate(places[: 3 if commune.slug == "compiegne" else 2]):
            status = statuses[(count * 3) % len(statuses)]
            services.hotspot_save(
                actor=manager, organisation=commune, name=f"{place} ({commune.name})",
                status=status, latitude=round(lat + rng.uniform(-0.004, 0.004), 5),
                longitude=round(lon + rng.uniform(-0.006, 0.006), 5),
                site=town_hall if n == 0 else None,
                installed_on=None if status == HotspotStatus.PLANNED else
                timezone.localdate() - timedelta(days=30 * (n + 2)))
            count += 1
    return count


def demo_load() -> list[str]:
    """Load the inventory's demo once; say what it holds."""
    manager = User.objects.filter(email=MANAGER).first()
    if manager is None:
        return ["Inventaire : compte de démonstration absent, rien chargé."]
    if Site.objects.filter(organisation__slug="compiegne").exists():
        return ["Inventaire : déjà présent."]
    rng = random.Random(16)
    arc = Organisation.objects.get(slug="arc")
    today = timezone.localdate()
    communes = [Organisation.objects.get(slug=slug) for slug in COMMUNES]
    with transaction.atomic():
        for commune, (offices, schools, library) in zip(communes, COMMUNES.values(),
                                                        strict=True):
            lat, lon = TOWN_CENTRES[commune.slug]
            services.site_save(actor=manager, organisation=commune, kind=SiteKind.TOWN_HALL,
                               name=f"Mairie de {commune.name}", latitude=lat, longitude=lon)
            for n, school in enumerate(schools):
                services.site_save(actor=manager, organisation=commune, kind=SiteKind.SCHOOL,
                                   name=school, latitude=lat + 0.003 * (n + 1),
                                   longitude=lon - 0.004 * (n + 1))
            if library:
                services.site_save(actor=manager, organisation=commune, kind=SiteKind.LIBRARY,
                                   name=f"Médiathèque de {commune.name}")
            report = services.assets_import_csv(actor=manager, organisation=commune,
                                                data=_csv(rng, commune, offices, schools,
                                                          library))
            assert report.ok, report.errors[:3]
        catalogue = _software(manager, arc)
        installed = _installations(rng, manager, arc, communes)
        licences = _licences(manager, arc, catalogue, today)
        requests = _schools(manager, User.objects.filter(email=INSPECTOR).first())
        hotspots = _hotspots(rng, manager, communes)
        teleworker = User.objects.filter(email=TELEWORKER).first()
        loans = 0
        if teleworker is not None:
            for asset in selectors.assets_for(actor=manager, filters=selectors.AssetFilters(
                    organisation="compiegne", status="in_service")).filter(
                    kind__in=[AssetKind.LAPTOP, AssetKind.VPN_TOKEN])[:2]:
                services.loan_start(actor=manager, asset=asset, borrower=teleworker,
                                    started_on=today - timedelta(days=20),
                                    due_on=today + timedelta(days=160))
                loans += 1
    total = Asset.objects.count()
    return [f"Inventaire : {total} matériels dans {len(communes)} communes, {installed} postes "
            f"inventoriés, {licences} licences (2 à échéance dans le mois), {requests} demandes "
            f"des écoles, {hotspots} bornes wifi, {loans} prêts de télétravail."]
