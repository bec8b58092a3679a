"""The helpdesk's demo, run by ``socle demo``: the DCSI's business calendar and SLAs, a
knowledge base, and a month of tickets from six communes, most on time and some late
(owned or solved after their deadline), a few waiting for their requester or still open.

Everything is written through the services with the moment it happened (``at=``), so
the SLA clocks are those the engine computes. Running it again changes nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from socle.core.models import Organisation, User

from .business_time import Calendar
from .models import Article, BusinessCalendar, Ticket
from .services import (
    article_save,
    calendar_of,
    calendar_save,
    followup_add,
    sla_save,
    task_add,
    ticket_answer_solution,
    ticket_assign,
    ticket_open,
    ticket_pending,
    ticket_solve,
    ticket_start,
)

TECHNICIAN = "technicien@demo.socle.fr"
REQUESTERS = {
    "margny-les-compiegne": "agent.margny@demo.socle.fr",
    "venette": "agent.venette@demo.socle.fr",
    "compiegne": "agent.compiegne@demo.socle.fr",
    "choisy-au-bac": "agent.choisy@demo.socle.fr",
    "lacroix-saint-ouen": "agent.lacroix@demo.socle.fr",
    "verberie": "agent.verberie@demo.socle.fr",
}
HOURS = {str(day): [["08:30", "12:00"], ["13:30", "17:30"]] for day in range(5)}
# (priority, name, minutes to own, minutes to resolve), in business minutes.
SLAS = [
    (6, "Majeur : service arrêté", 30, 240),
    (5, "Très haute", 60, 480),
    (4, "Haute", 120, 960),
    (3, "Standard", 240, 1440),
    (2, "Basse", 480, 2400),
    (1, "Très basse", 960, 4800),
]
ARTICLES = [
    ("Débloquer une imprimante réseau", "printing", "public", False,
     "1. Vérifiez le voyant et le papier.\n2. Éteignez l'imprimante trente secondes.\n"
     "3. Sur le poste, ouvrez « Périphériques et imprimantes », supprimez les documents en "
     "attente.\n4. Si le voyant reste orange, ouvrez un ticket en donnant le numéro inscrit "
     "sur l'étiquette DCSI."),
    ("Changer son mot de passe de session", "account", "public", True,
     "Appuyez sur Ctrl + Alt + Suppr, puis « Modifier un mot de passe ». Le mot de passe "
     "compte au moins douze caractères. Il ne doit jamais être communiqué, même à la DCSI."),
    ("Configurer la messagerie sur un téléphone", "messaging", "public", True,
     "Installez l'application de messagerie, choisissez « Exchange », saisissez votre "
     "adresse professionnelle ; le serveur se configure seul."),
    ("Signaler un courriel d'hameçonnage", "security", "public", False,
     "Ne cliquez sur aucun lien. Transférez le message en pièce jointe à la DCSI puis "
     "supprimez-le. En cas de doute après un clic, débranchez le câble réseau et appelez."),
    ("Redémarrer le commutateur d'une mairie", "network", "internal", False,
     "Accès console par le port série de la baie ; identifiants dans le coffre de la DCSI."),
    ("Renouveler un certificat du parapheur", "software", "internal", False,
     "Procédure interne : demande auprès de l'autorité de certification, délai 5 jours."),
]
TITLES = {
    "hardware": ["L'écran du poste de l'accueil reste noir", "Clavier hors service",
                 "Le portable ne charge plus", "Lecteur de badge en panne"],
    "software": ["Le logiciel d'état civil ne démarre plus", "Mise à jour du logiciel de paie",
                 "Installation d'un lecteur PDF", "Erreur à l'ouverture du logiciel de finances"],
    "network": ["Pas d'internet à la médiathèque", "Wifi de la salle du conseil coupé",
                "Lenteurs sur le réseau de la mairie"],
    "account": ["Compte bloqué après trois essais", "Création du compte d'un nouvel agent",
                "Accès au dossier partagé des services techniques"],
    "messaging": ["Boîte aux lettres pleine", "Les courriels partent en indésirables",
                  "Agenda partagé du maire invisible"],
    "printing": ["Imprimante du secrétariat bloquée", "Scanner qui n'envoie plus par courriel",
                 "Toner à remplacer au deuxième étage"],
    "telephony": ["Standard injoignable", "Transfert d'appel à programmer"],
    "security": ["Courriel suspect reçu par la comptabilité", "Alerte de l'antivirus"],
}


def _users() -> tuple[User | None, dict[str, User]]:
    technician = User.objects.filter(email=TECHNICIAN).first()
    requesters = {slug: user for slug, email in REQUESTERS.items()
                  if (user := User.objects.filter(email=email).first()) is not None}
    return technician, requesters


def _business_moment(calendar: Calendar, rng: random.Random, day: date) -> datetime:
    start = timezone.make_aware(datetime.combine(day, time(8, 0)))
    return calendar.add(start, rng.randint(30, 440))


def _setup(arc: Organisation, technician: User) -> BusinessCalendar:
    year = timezone.localdate().year
    stored = calendar_save(actor=None, organisation=arc, name="DCSI : heures ouvrées",
                           hours=HOURS, closures=[(date(year, 12, 24), date(year, 12, 24),
                                                   "Veille de Noël"),
                                                  (date(year, 5, 15), date(year, 5, 15),
                                                   "Pont de l'Ascension")])
    for priority, name, own, resolve in SLAS:
        sla_save(actor=None, organisation=arc, name=name, calendar=stored, own_minutes=own,
                 resolve_minutes=resolve, priority=priority)
    for title, category, visibility, training, body in ARTICLES:
        if not Article.objects.filter(title=title).exists():
            article_save(actor=technician, organisation=arc, title=title, body=body,
                         category=category, visibility=visibility, training_need=training)
    return stored


def _life(ticket: Ticket, technician: User, requester: User, calendar: Calendar,
          rng: random.Random, now: datetime) -> str:
    """Play one ticket's life from its opening; return how its deadlines fared."""
    late = rng.random() < 0.2
    sla = ticket.sla
    assert sla is not None
    own_after = sla.own_minutes * (rng.uniform(1.2, 3) if late else rng.uniform(0.1, 0.8))
    owned = calendar.add(ticket.opened_at, int(own_after))
    if owned >= now:
        return "open"
    ticket = ticket_assign(actor=technician, ticket=ticket, assignee=technician, at=owned)
    ticket = ticket_start(actor=technician, ticket=ticket, at=owned + timedelta(minutes=5))
    task_add(actor=technician, ticket=ticket, text="Diagnostic", minutes=rng.randint(10, 90),
             at=owned + timedelta(minutes=30))
    cursor = owned + timedelta(minutes=40)
    if rng.random() < 0.25:
        ticket = ticket_pending(actor=technician, ticket=ticket,
                                question="Pouvez-vous préciser le poste concerné ?", at=cursor)
        answered = calendar.add(cursor, rng.randint(60, 900))
        if answered >= now:
            return "pending"
        followup_add(actor=requester, ticket=ticket, text="Le poste de l'accueil.", at=answered)
        cursor = answered
    share = rng.uniform(1.1, 2.0) if late else rng.uniform(0.2, 0.85)
    solved = calendar.add(ticket.opened_at, int(sla.resolve_minutes * share
                                                + ticket.paused_minutes))
    solved = max(solved, cursor + timedelta(minutes=10))
    if solved >= now:
        return "open"
    followup_add(actor=technician, ticket=ticket, text="Vérification faite sur place.",
                 internal=True, at=solved - timedelta(minutes=5))
    ticket = ticket_solve(actor=technician, ticket=ticket,
                          solution="Le problème est corrigé ; dites-nous s'il revient.",
                          at=solved)
    if solved + timedelta(days=1) < now and rng.random() < 0.7:
        ticket_answer_solution(actor=requester, ticket=ticket, accept=True,
                               satisfaction=rng.choice([3, 4, 4, 5, 5]),
                               at=solved + timedelta(hours=rng.randint(1, 20)))
    return "missed" if ticket.resolve_met is False or ticket.own_met is False else "met"


def demo_load() -> list[str]:
    """Load the DCSI's helpdesk demo; running it again changes nothing."""
    technician, requesters = _users()
    if technician is None or not requesters:
        return ["Assistance : comptes de démonstration absents, tickets non chargés."]
    if Ticket.objects.exists():
        return ["Assistance informatique : déjà présente."]
    rng = random.Random(16)
    arc = Organisation.objects.get(slug="arc")
    now = timezone.now()
    outcomes: dict[str, int] = {}
    with transaction.atomic():
        stored = _setup(arc, technician)
        calendar = calendar_of(stored)
        today = timezone.localdate()
        for days_ago in range(30, -1, -1):
            day = today - timedelta(days=days_ago)
            if not calendar.is_open_day(day):
                continue
            for _ in range(rng.randint(3, 7)):
                slug = rng.choice(sorted(requesters))
                category = rng.choice(sorted(TITLES))
                opened = _business_moment(calendar, rng, day)
                if opened >= now:
                    continue
                requester = requesters[slug]
                ticket = ticket_open(
                    actor=requester, organisation=Organisation.objects.get(slug=slug),
                    title=rng.choice(TITLES[category]), category=category,
                    description="Signalé par l'agent ; voir les échanges ci-dessous.",
                    kind="request" if category in {"account", "software"} and rng.random() < .5
                    else "incident", urgency=rng.choice([2, 3, 3, 3, 4, 4, 5]),
                    impact=rng.choice([1, 2, 3, 3, 4, 5]), at=opened,
                    channel=rng.choice(["web", "web", "email"]))
                outcome = _life(ticket, technician, requester, calendar, rng, now)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    total = sum(outcomes.values())
    return [f"Assistance informatique : {total} tickets sur un mois dans {len(requesters)} "
            f"communes (dans les délais : {outcomes.get('met', 0)}, hors délai : "
            f"{outcomes.get('missed', 0)}, en attente du demandeur : "
            f"{outcomes.get('pending', 0)}, en cours : {outcomes.get('open', 0)}), "
            f"{len(ARTICLES)} articles, {len(SLAS)} engagements de service."]
