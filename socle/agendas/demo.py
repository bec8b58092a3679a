"""The agendas demo: ARC meeting rooms, two commune counters, a month of the roving Cyber-base,
the technology park's coworking and fab lab, and the mediation places directory."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

import socle.portal.selectors as portal_selectors
from socle.core.models import Organisation, User

from .models import Agenda, Event, MediationPlace, Resource
from .selectors import zone
from .services import (
    agenda_create,
    attendance_record,
    booking_create,
    company_create,
    company_member_add,
    event_create,
    mediation_place_create,
    meeting_type_create,
    opening_hours_set,
    registration_create,
    resource_create,
)
from .slots import french_holidays

WEEK = (0, 1, 2, 3, 4)
MEDIATOR = "mediateur@demo.socle.fr"
MANAGER = "agendas@demo.socle.fr"
COMPANY = ("entreprise@demo.socle.fr", "associe@demo.socle.fr")  # the park's company account
CITIZENS = ("habitant.compiegne@demo.socle.fr", "habitant.verberie@demo.socle.fr")
ROVING = (  # host commune, room lent to the ARC, address
    ("venette", "Salle polyvalente de Venette", "Rue de la République, 60280 Venette"),
    ("choisy-au-bac", "Médiathèque de Choisy-au-Bac", "Place de l'Église, 60750 Choisy-au-Bac"),
    ("verberie", "Salle des fêtes de Verberie", "Rue Jean Jaurès, 60410 Verberie"),
    ("lacroix-saint-ouen", "Maison des associations", "Rue de la Gare, 60610 Lacroix-Saint-Ouen"),
    ("jaux", "Salle du conseil de Jaux", "Place de la Mairie, 60880 Jaux"),
    ("bethisy-saint-pierre", "Salle Saint-Pierre", "Rue du Château, 60320 Béthisy-Saint-Pierre"),
)
WORKSHOPS = (  # title, theme, level
    ("Premiers pas sur une tablette", "prendre_en_main_du_materiel", "beginner"),
    ("Créer et utiliser son adresse électronique", "email", "beginner"),
    ("Faire ses démarches en ligne (impots.gouv, ameli)", "demarche_en_ligne", "intermediate"),
    ("Se protéger des arnaques en ligne", "securite_numerique", "intermediate"),
    ("Mon espace santé et la prise de rendez-vous", "sante", "beginner"),
    ("Retoucher et partager ses photos", "culture_numerique", "advanced"),
)
PEOPLE = (
    ("Monique Dubois", "0344001122"),
    ("Gérard Lemoine", "0612345678"),
    ("Fatima Haddad", "0699887766"),
    ("Jean-Pierre Caron", "0344556677"),
    ("Lucienne Faure", "0611223344"),
    ("Ahmed Benali", "0677889900"),
    ("Odette Marchand", "0344778899"),
    ("Paulette Roussel", "0655443322"),
    ("Bernard Giraud", "0344112233"),
    ("Josiane Perrin", "0622334455"),
    ("Marcel Dupuis", "0633445566"),
    ("Yvette Colin", "0644556677"),
)


def _org(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug).first()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), zone())


def _weekly(
    spans: list[tuple[int, int, int, int]], days: tuple[int, ...] = WEEK
) -> list[tuple[int, time, time]]:
    return [(d, time(h1, m1), time(h2, m2)) for d in days for h1, m1, h2, m2 in spans]


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _meeting_rooms(arc: Organisation, manager: User | None) -> str:
    rooms = [
        resource_create(
            actor=None,
            organisation=arc,
            name=name,
            seats=seats,
            equipment=kit,
            accessible=True,
            address="Hôtel de l'Agglomération, place de l'Hôtel de Ville, 60200 Compiègne",
        )
        for name, seats, kit in (
            ("Salle du conseil communautaire", 60, "Sonorisation, kit de visioconférence"),
            ("Salle Jeanne d'Arc", 12, "Kit de visioconférence, écran"),
            ("Salle Pierrefonds", 8, "Écran"),
        )
    ]
    agenda = agenda_create(
        actor=None,
        organisation=arc,
        title="Salles de réunion de l'ARC",
        kind="meetings",
        public=False,
        resources=rooms,
        description="Réservées aux agents de l'agglomération.",
        max_advance_days=180,
    )
    opening_hours_set(actor=None, agenda=agenda, hours=_weekly([(8, 0, 19, 0)]))
    hour = meeting_type_create(
        actor=None, agenda=agenda, slug="reunion-1h", name="Réunion d'une heure", duration_minutes=60
    )
    meeting_type_create(
        actor=None, agenda=agenda, slug="demi-journee", name="Demi-journée (4 h)", duration_minutes=240
    )
    if manager is not None:
        day = _next_weekday(timezone.localdate() + timedelta(days=1))
        for h in (9, 10, 14):
            booking_create(actor=manager, agenda=agenda, meeting_type=hour, start=_at(day, h))
    return "salles de réunion de l'ARC"


def _offered(commune: Organisation, procedure: str) -> str:
    # The demo procedures come from the portal's demo; without them the type stays unlinked.
    if procedure and portal_selectors.procedure_offered_in(organisation=commune, slug=procedure):
        return procedure
    return ""


def _counter(
    commune: Organisation,
    title: str,
    counters: int,
    types: list[tuple[str, str, int, str]],
    hours: list[tuple[int, time, time]],
) -> Agenda:
    desks = [
        resource_create(
            actor=None,
            organisation=commune,
            name=f"Guichet {n}",
            kind="counter",
            address=f"Hôtel de ville, {commune.name}",
        )
        for n in range(1, counters + 1)
    ]
    agenda = agenda_create(
        actor=None,
        organisation=commune,
        title=title,
        kind="meetings",
        resources=desks,
        buffer_minutes=5,
        min_notice_minutes=120,
        max_advance_days=60,
        description="Sur rendez-vous : venez avec le formulaire pré-rempli et vos justificatifs.",
    )
    opening_hours_set(actor=None, agenda=agenda, hours=hours)
    for slug, name, minutes, procedure in types:
        meeting_type_create(
            actor=None,
            agenda=agenda,
            slug=slug,
            name=name,
            duration_minutes=minutes,
            portal_procedure=_offered(commune, procedure),
        )
    return agenda


def _cyberbase(arc: Organisation, mediator: User | None) -> str:
    rooms = []
    for slug, name, address in ROVING:
        host = _org(slug)
        if host is not None:
            rooms.append(
                (
                    host,
                    resource_create(
                        actor=None,
                        organisation=host,
                        name=name,
                        seats=12,
                        address=address,
                        accessible=True,
                        lent_to=[arc],
                    ),
                )
            )
    agenda = agenda_create(
        actor=None,
        organisation=arc,
        title="Cyber-base itinérante",
        kind="events",
        resources=[room for _, room in rooms],
        description="Ateliers numériques gratuits dans les communes de l'agglomération, "
        "avec les médiateurs de la Cyber-base.",
    )
    start_day = _next_weekday(timezone.localdate() + timedelta(days=2))
    created = 0
    day = start_day
    people = iter(PEOPLE * 4)
    while day < start_day + timedelta(days=30) and rooms:
        if day.weekday() in (1, 3, 4):
            host, room = rooms[created % len(rooms)]
            title, theme, level = WORKSHOPS[created % len(WORKSHOPS)]
            event = event_create(
                actor=None,
                agenda=agenda,
                title=title,
                theme=theme,
                level=level,
                start=_at(day, 14),
                end=_at(day, 16),
                capacity=8,
                waiting_list=5,
                resource=room,
                host=host,
                mediator=mediator,
                registration_deadline=_at(day - timedelta(days=1), 18),
            )
            if mediator is not None:
                # The first session is full, with a waiting list; the others fill up gradually.
                for _ in range(10 if created == 0 else created % 6):
                    name, phone = next(people)
                    registration_create(actor=mediator, event=event, name=name, phone=phone)
            created += 1
        day += timedelta(days=1)
    citizen = User.objects.filter(email=CITIZENS[1]).first()
    second = Event.objects.filter(agenda=agenda).order_by("start")[1:2].first()
    if citizen is not None and second is not None:
        registration_create(actor=citizen, event=second)
    _past_records(agenda, rooms, mediator)
    return f"Cyber-base itinérante ({created} ateliers sur un mois dans {len(rooms)} communes)"


def _past_records(agenda: Agenda, rooms: list[tuple[Organisation, Resource]], mediator: User | None) -> None:
    if mediator is None or not rooms:
        return
    for weeks, (title, theme, level) in zip((1, 2), WORKSHOPS[:2], strict=True):
        day = _next_weekday(timezone.localdate() - timedelta(days=7 * weeks))
        host = rooms[weeks % len(rooms)][0]
        past = event_create(
            actor=None,
            agenda=agenda,
            title=title,
            theme=theme,
            level=level,
            start=_at(day, 9, 30),
            end=_at(day, 11, 30),
            capacity=8,
            host=host,
            place=f"Mairie de {host.name}",
            mediator=mediator,
        )
        attendance_record(
            actor=mediator,
            event=past,
            present=[],
            walk_ins=5 + weeks,
            themes=[theme],
            beneficiaries=[
                {"age_band": "60_70", "status": "retraite", "commune": host.insee_code},
                {"age_band": "plus_70", "status": "retraite", "commune": host.insee_code},
                {"age_band": "40_60", "status": "sans_emploi", "commune": host.insee_code},
            ],
        )


def _park(arc: Organisation) -> str:
    address = "Parc technologique des Rives de l'Oise, 60200 Compiègne"
    coworking = resource_create(
        actor=None,
        organisation=arc,
        name="Espace de coworking",
        kind="desk",
        capacity=12,
        equipment="Fibre, écrans, casiers",
        accessible=True,
        address=address,
    )
    desks = agenda_create(
        actor=None,
        organisation=arc,
        title="Coworking du parc technologique",
        kind="meetings",
        resources=[coworking],
        description="Postes en accès libre à la journée ou à la demi-journée.",
    )
    opening_hours_set(actor=None, agenda=desks, hours=_weekly([(9, 0, 13, 0), (13, 0, 18, 0)]))
    meeting_type_create(
        actor=None,
        agenda=desks,
        slug="demi-journee",
        name="Demi-journée",
        duration_minutes=240,
        price=Decimal("8.00"),
    )
    machines = [
        resource_create(
            actor=None, organisation=arc, name=name, kind="machine", equipment=kit, address=address
        )
        for name, kit in (
            ("Imprimante 3D", "Prusa MK4, PLA et PETG"),
            ("Découpeuse laser", "Plateau 60 x 40 cm, bois et acrylique"),
        )
    ]
    lab = agenda_create(
        actor=None,
        organisation=arc,
        title="Fab lab du parc technologique",
        kind="meetings",
        resources=machines,
        buffer_minutes=15,
        min_notice_minutes=24 * 60,
        description="Machines réservées par créneau de deux heures, après une formation à la sécurité.",
    )
    opening_hours_set(actor=None, agenda=lab, hours=_weekly([(9, 0, 17, 45)], days=(1, 2, 3, 4)))
    meeting_type_create(
        actor=None,
        agenda=lab,
        slug="creneau-2h",
        name="Créneau machine (2 h)",
        duration_minutes=120,
        price=Decimal("15.00"),
    )
    _park_rooms(arc, address)
    return "coworking, fab lab et salles du parc technologique (compte d'entreprise)"


def _park_rooms(arc: Organisation, address: str) -> None:
    rooms = [
        resource_create(
            actor=None,
            organisation=arc,
            name=name,
            seats=seats,
            equipment=kit,
            accessible=True,
            address=address,
        )
        for name, seats, kit in (
            ("Salle Oise", 12, "Écran, kit de visioconférence"),
            ("Salle Aronde", 6, "Écran"),
        )
    ]
    agenda = agenda_create(
        actor=None,
        organisation=arc,
        title="Salles de réunion du parc technologique",
        kind="meetings",
        public=False,
        resources=rooms,
        description="Réservées aux entreprises du parc qui ont un compte.",
    )
    opening_hours_set(actor=None, agenda=agenda, hours=_weekly([(8, 0, 19, 0)]))
    meeting_type_create(
        actor=None, agenda=agenda, slug="reunion-1h", name="Réunion d'une heure", duration_minutes=60
    )
    manager = User.objects.filter(email=COMPANY[0]).first()
    company = company_create(
        actor=None,
        organisation=arc,
        name="Rives Numériques SAS",
        siren="912345678",
        agendas=[agenda],
        manager=manager,
    )
    member = User.objects.filter(email=COMPANY[1]).first()
    if manager is not None and member is not None:
        company_member_add(actor=manager, company=company, email=member.email)
        day = _next_weekday(timezone.localdate() + timedelta(days=2))
        while day in french_holidays([day.year]):
            day = _next_weekday(day + timedelta(days=1))
        booking_create(
            actor=member,
            agenda=agenda,
            meeting_type=agenda.meeting_types.get(),
            start=_at(day, 10),
            company=company,
        )


def _creation_space(compiegne: Organisation) -> str:
    studio = resource_create(
        actor=None,
        organisation=compiegne,
        name="Espace de création numérique",
        seats=10,
        equipment="Ordinateurs de montage, tablettes graphiques, studio son",
        accessible=True,
        address="Médiathèque, rue Saint-Corneille, 60200 Compiègne",
    )
    agenda = agenda_create(
        actor=None,
        organisation=compiegne,
        title="Espace de création 14-25 ans",
        kind="events",
        resources=[studio],
        description="Ateliers gratuits pour les 14-25 ans ; avant 18 ans, avec l'accord d'un parent.",
    )
    day = timezone.localdate() + timedelta(days=1)
    titles = ("Créer sa musique sur ordinateur", "Monter une vidéo courte", "Concevoir un jeu vidéo")
    created = 0
    while created < len(titles):
        if day.weekday() == 2:  # Wednesday afternoons
            event_create(
                actor=None,
                agenda=agenda,
                title=titles[created],
                theme="culture_numerique",
                start=_at(day, 14),
                end=_at(day, 17),
                capacity=10,
                waiting_list=5,
                resource=studio,
                host=compiegne,
                min_age=14,
                max_age=25,
            )
            created += 1
        day += timedelta(days=1)
    return "espace de création 14-25 ans"


def _places(arc: Organisation) -> str:
    compiegne = _org("compiegne")
    for name, city, postal, insee, address, roving, summary in (
        (
            "Cyber-base de l'agglomération",
            "Compiègne",
            "60200",
            "60159",
            "Place de l'Hôtel de Ville",
            False,
            "Ateliers et accompagnement individuel aux usages numériques.",
        ),
        (
            "Cyber-base itinérante",
            "Compiègne",
            "60200",
            "60159",
            "Place de l'Hôtel de Ville",
            True,
            "Les médiateurs viennent dans les communes de l'agglomération.",
        ),
        (
            "France Services de Verberie",
            "Verberie",
            "60410",
            "60667",
            "Rue Jean Jaurès",
            False,
            "Aide aux démarches administratives en ligne.",
        ),
    ):
        mediation_place_create(
            actor=None,
            organisation=compiegne if name.startswith("France") and compiegne else arc,
            name=name,
            siret="20004055400019",
            address=address,
            postal_code=postal,
            city=city,
            insee_code=insee,
            phone="+33344405000",
            email="cyberbase@agglo-compiegne.fr",
            hours="Mo-Fr 09:00-12:00,14:00-17:00",
            summary=summary,
            roving=roving,
            services=["Maîtrise des outils numériques du quotidien", "Aide aux démarches administratives"],
            programmes=["Conseillers numériques", "Aidants Connect"]
            if not roving
            else ["Conseillers numériques"],
            access=["Se présenter", "Téléphoner"],
            support=["Accompagnement individuel", "Dans un atelier collectif"],
        )
    return "annuaire des lieux de médiation numérique"


def demo_load() -> list[str]:
    """Load the agendas demo; running it again changes nothing."""
    arc = _org("arc")
    compiegne = _org("compiegne")
    margny = _org("margny-les-compiegne")
    if arc is None or compiegne is None or margny is None:
        return ["Agendas : territoire de démonstration absent, rien chargé."]
    if Agenda.objects.filter(organisation=arc, title="Cyber-base itinérante").exists():
        return ["Agendas de démonstration : déjà présents."]
    mediator = User.objects.filter(email=MEDIATOR).first()
    manager = User.objects.filter(email=MANAGER).first()
    loaded = []
    with transaction.atomic():
        loaded.append(_meeting_rooms(arc, manager))
        _counter(
            compiegne,
            "Mairie de Compiègne — titres d'identité et état civil",
            2,
            [
                ("passeport", "Passeport", 20, ""),
                ("carte-identite", "Carte nationale d'identité", 15, ""),
                ("passeport-cni", "Passeport et carte d'identité ensemble", 30, ""),
                # The host signs the attestation d'accueil in person: the procedure's appointment step.
                ("attestation-accueil", "Signature d'une attestation d'accueil", 20, "attestation-accueil"),
            ],
            _weekly([(8, 30, 12, 0), (13, 30, 17, 0)]) + _weekly([(9, 0, 12, 0)], days=(5,)),
        )
        _counter(
            margny,
            "Mairie de Margny-lès-Compiègne — rendez-vous",
            1,
            [
                ("passeport", "Passeport ou carte d'identité", 30, ""),
                ("dossier-mariage", "Dépôt d'un dossier de mariage", 45, ""),
                ("recensement", "Recensement citoyen", 15, "recensement-citoyen"),
            ],
            _weekly([(9, 0, 12, 0), (14, 0, 17, 30)], days=(0, 1, 3, 4)),
        )
        loaded.append("guichets de Compiègne et de Margny-lès-Compiègne")
        loaded.append(_cyberbase(arc, mediator))
        loaded.append(_park(arc))
        loaded.append(_creation_space(compiegne))
        if not MediationPlace.objects.exists():
            loaded.append(_places(arc))
    return ["Agendas : " + ", ".join(loaded) + "."]
