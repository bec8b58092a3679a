"""The training service's demo, run by ``socle demo``: a catalogue (the DCSI's workshops,
CNFPT courses, elected officials' training), the ARC's plan for this year with past and
coming sessions, registrations approved, refused and waiting, attendance of the past
sessions, a phishing clicker enrolled in an awareness session, and the census of needs.

Everything goes through the services with the moment it happened (``now=``). Running it
again changes nothing: once sessions exist, only the catalogue is checked.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from socle.core.models import Organisation, User

from .models import Course, Registration, Session
from .selectors import home_organisation
from .services import (
    attendance_record,
    course_save,
    enrol_for_awareness,
    need_declare,
    plan_save,
    registration_create,
    registration_decide,
    session_create,
)

ADMIN = "formation@demo.socle.fr"
TRAINER = "formateur@demo.socle.fr"
MANAGERS = {"margny-les-compiegne": "responsable.margny@demo.socle.fr",
            "compiegne": "responsable.compiegne@demo.socle.fr"}
AGENTS = {"margny-les-compiegne": "agent.margny@demo.socle.fr",
          "compiegne": "agent.compiegne@demo.socle.fr",
          "venette": "agent.venette@demo.socle.fr",
          "choisy-au-bac": "agent.choisy@demo.socle.fr"}
# (code, title, kind, audience, hours, awareness, objectives)
COURSES = [
    ("BUR-01", "Tableur : les fonctions utiles au quotidien", "workshop", "agents", "3.5", False,
     "Construire un tableau de suivi, utiliser les formules courantes, filtrer et trier."),
    ("MSG-01", "Messagerie et agenda partagés", "workshop", "agents", "2", False,
     "Classer ses courriels, partager un agenda de service, déléguer sa boîte pendant "
     "les congés."),
    ("CYB-01", "Sensibilisation à la cybersécurité", "workshop", "all", "2", True,
     "Reconnaître un courriel d'hameçonnage, choisir ses mots de passe, réagir après un clic."),
    ("ECV-01", "Logiciel d'état civil : prise en main", "workshop", "agents", "7", False,
     "Saisir un acte, délivrer une copie intégrale ou un extrait, mettre à jour les "
     "mentions marginales."),
    ("CNFPT-RGPD", "Le RGPD dans les collectivités", "cnfpt", "agents", "6", False,
     "Connaître les obligations de la commune, tenir le registre, répondre aux demandes "
     "des personnes."),
    ("CNFPT-ACC", "Accueil du public et situations difficiles", "cnfpt", "agents", "12", False,
     "Accueillir au guichet et au téléphone, désamorcer un conflit, orienter l'usager."),
    ("ELU-01", "Le budget communal expliqué aux élus", "elected", "elected", "4", False,
     "Lire un budget primitif, comprendre la section d'investissement, préparer le débat "
     "d'orientation budgétaire."),
    ("ELU-02", "Les élus face au risque numérique", "elected", "elected", "2", False,
     "Mesurer le risque d'une cyberattaque pour la commune, les décisions qui reviennent "
     "aux élus, la gestion de crise."),
]
# (course code, days from today, hour, capacity, place or "" for remote)
SESSIONS = [
    ("BUR-01", -75, 9, 8, "Salle informatique de l'ARC, Compiègne"),
    ("CYB-01", -40, 14, 12, "Mairie de Margny-lès-Compiègne, salle du conseil"),
    ("ECV-01", -20, 9, 6, "Salle informatique de l'ARC, Compiègne"),
    ("ELU-01", -12, 18, 20, "Hôtel de ville de Compiègne, salle des mariages"),
    ("MSG-01", 6, 9, 2, ""),
    ("CYB-01", 9, 14, 12, "Mairie de Venette"),
    ("BUR-01", 13, 9, 8, "Salle informatique de l'ARC, Compiègne"),
    ("CNFPT-RGPD", 16, 9, 15, "Délégation du CNFPT, Beauvais"),
]


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _people() -> tuple[User | None, User | None, dict[str, User], dict[str, User]]:
    def find(email: str) -> User | None:
        return User.objects.filter(email=email).first()

    managers = {slug: u for slug, email in MANAGERS.items() if (u := find(email)) is not None}
    agents = {slug: u for slug, email in AGENTS.items() if (u := find(email)) is not None}
    return find(ADMIN), find(TRAINER), managers, agents


def _catalogue(arc: Organisation) -> dict[str, Course]:
    courses = {c.code: c for c in Course.objects.all()}
    for code, title, kind, audience, hours, awareness, objectives in COURSES:
        if code not in courses:
            courses[code] = course_save(actor=None, organisation=arc, code=code, title=title,
                                        kind=kind, audience=audience, duration_hours=hours,
                                        objectives=objectives, awareness=awareness)
    return courses


def _sessions(arc: Organisation, courses: dict[str, Course], trainer: User | None
              ) -> list[Session]:
    year = timezone.localdate().year
    plan = plan_save(actor=None, organisation=arc, year=year,
                     title=f"Plan de formation {year} de la DCSI",
                     notes="Priorités : la sécurité numérique des agents et des élus, la prise "
                           "en main du nouveau logiciel d'état civil, la bureautique.")
    sessions = []
    for code, days, hour, capacity, place in SESSIONS:
        start = _at(days, hour)
        # A course of more than a day's half is given in one day of seven hours here.
        minutes = int(min(float(courses[code].duration_hours), 7.0) * 60)
        sessions.append(session_create(
            actor=None, course=courses[code], start=start, end=start + timedelta(minutes=minutes),
            capacity=capacity, place=place, remote=not place, trainer=trainer,
            plan=plan if start.year == year else None))
    return sessions


def _register(agent: User, session: Session, manager: User | None, *, approve: bool = True,
              reason: str = "") -> Registration:
    asked = min(session.start - timedelta(days=15), timezone.now() - timedelta(hours=2))
    registration = registration_create(actor=agent, session=session, now=asked,
                                       motivation="Pour mon poste à l'accueil de la mairie.")
    if manager is not None:
        registration = registration_decide(actor=manager, registration=registration,
                                           approve=approve, reason=reason,
                                           now=asked + timedelta(hours=3))
    return registration


def demo_load() -> list[str]:
    """Load the catalogue, the plan, sessions, registrations and needs (idempotent)."""
    arc = Organisation.objects.filter(slug="arc").first()
    if arc is None:
        return ["Formation : territoire absent, rien chargé."]
    admin, trainer, managers, agents = _people()
    with transaction.atomic():
        courses = _catalogue(arc)
        if Session.objects.exists():
            return [f"Formation : catalogue de {len(courses)} formations (sessions déjà là)."]
        sessions = _sessions(arc, courses, trainer)
        count = 0
        by_slug = {slug: (agent, managers.get(slug) or admin) for slug, agent in agents.items()}
        for index, session in enumerate(sessions):
            for slug, (agent, manager) in by_slug.items():
                if (index + len(slug)) % 3 == 0 and session.course.code != "MSG-01":
                    continue
                refused = slug == "venette" and index == 6
                _register(agent, session, manager, approve=not refused,
                          reason="Le service est en sous-effectif ce jour-là : "
                                 "inscrivez-vous à la session suivante." if refused else "")
                count += 1
        taker = trainer or admin
        for session in sessions:
            if session.start < timezone.now() and taker is not None:
                confirmed = session.registrations.filter(status="confirmed").order_by("pk")
                present = [r.pk for i, r in enumerate(confirmed) if i % 4 != 3]
                attendance_record(actor=taker, session=session, present=present,
                                  now=session.end)
        clicker = agents.get("choisy-au-bac")
        clicker_home = home_organisation(actor=clicker) if clicker is not None else None
        if clicker is not None and clicker_home is not None:
            enrol_for_awareness(actor=None, agent=clicker, organisation=clicker_home,
                                campaign="Campagne d'hameçonnage simulée de l'automne",
                                reason="A cliqué sur le lien de la campagne d'hameçonnage "
                                       "simulée de l'automne.")
        needs = 0
        for slug, agent in agents.items():
            organisation = Organisation.objects.get(slug=slug)
            need_declare(actor=agent, organisation=organisation,
                         title="Prise en main du portail des démarches en ligne",
                         description="Instruire les dossiers déposés en ligne par les usagers.",
                         headcount=2)
            needs += 1
        for slug, manager in managers.items():
            need_declare(actor=manager, organisation=Organisation.objects.get(slug=slug),
                         title="Tableur : tableaux croisés dynamiques", headcount=4,
                         course=courses["BUR-01"])
            needs += 1
    return [f"Formation : {len(courses)} formations au catalogue, {len(sessions)} sessions, "
            f"{count} inscriptions, {needs} besoins recensés."]

