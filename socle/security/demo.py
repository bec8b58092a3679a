"""Cybersecurity awareness's demo, run by ``socle demo``: a charter in force accepted by
every demo agent but one (``nouvel.agent@demo.socle.fr``, who meets the sign-in gate), two
awareness modules assigned to groups with a few quizzes passed, a phishing campaign
imported from a GoPhish CSV export with its clickers enrolled, and penetration-test
findings for Compiègne and Margny-lès-Compiègne.

Written through the services; running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from socle.core.models import Membership, Organisation, User

from . import gophish
from .models import CharterVersion
from .services import (
    assignment_add,
    charter_accept,
    charter_publish,
    finding_create,
    finding_retest,
    finding_status_set,
    module_save,
    phishing_import,
    quiz_submit,
)

HOLDOUT = "nouvel.agent@demo.socle.fr"
CHARTER = """Article 1 — Objet. La présente charte fixe les règles d'usage des moyens informatiques \
mis à disposition des agents et des élus de l'ARC et des communes membres par la DCSI.

Article 2 — Identifiants. Vos identifiants sont personnels : ne les communiquez à personne, \
pas même à la DCSI, qui ne vous les demandera jamais. Activez la double authentification.

Article 3 — Courriels. Méfiez-vous des messages inattendus qui pressent d'agir, demandent \
un mot de passe ou contiennent une pièce jointe inhabituelle ; signalez-les à la DCSI.

Article 4 — Postes et supports. Verrouillez votre poste quand vous le quittez ; n'y branchez \
aucun support amovible d'origine inconnue ; n'installez aucun logiciel sans la DCSI.

Article 5 — Données personnelles. Les données des usagers ne sortent pas des outils prévus \
pour elles ; tout incident est signalé sans délai au délégué à la protection des données.

Article 6 — Contrôles. La DCSI peut contrôler le respect de la présente charte dans le \
respect du droit ; les journaux techniques sont conservés un an."""
PHISHING = ("Reconnaître un courriel d'hameçonnage",
            "Un courriel d'hameçonnage imite un expéditeur connu (la banque, la DCSI, un élu) "
            "pour obtenir un mot de passe ou faire ouvrir une pièce jointe.\n\nVérifiez "
            "l'adresse réelle de l'expéditeur, survolez les liens avant de cliquer, méfiez-vous "
            "de l'urgence. En cas de doute, ne cliquez pas et transférez le message à la DCSI.",
            [{"question": "La DCSI vous demande votre mot de passe par courriel. Que faites-vous ?",
              "choices": ["Je le donne, c'est la DCSI", "Je ne réponds pas et je signale le "
                          "message", "Je le donne par téléphone"], "answer": 1},
             {"question": "Quel indice trahit le plus souvent un hameçonnage ?",
              "choices": ["Une demande urgente et inhabituelle", "Une signature complète"],
              "answer": 0},
             {"question": "Vous avez cliqué sur un lien douteux. Que faites-vous ?",
              "choices": ["Rien", "Je préviens aussitôt la DCSI"], "answer": 1}])
PASSWORDS = ("Mots de passe et double authentification",
             "Un bon mot de passe est long (au moins douze caractères), unique pour chaque "
             "service et conservé dans un gestionnaire de mots de passe. La double "
             "authentification protège votre compte même si le mot de passe a fuité.",
             [{"question": "Combien de caractères au moins pour un mot de passe ?",
               "choices": ["Six", "Huit", "Douze"], "answer": 2},
              {"question": "Peut-on réutiliser le même mot de passe partout ?",
               "choices": ["Oui", "Non"], "answer": 1}])
CAMPAIGN_CSV = """id,status,ip,latitude,longitude,send_date,reported,modified_date,email,\
first_name,last_name,position
r1,Clicked Link,192.0.2.10,0,0,2026-11-03T09:00:00Z,false,2026-11-03T09:12:00Z,\
agent.margny@demo.socle.fr,Hugo,Petit,Accueil
r2,Submitted Data,192.0.2.11,0,0,2026-11-03T09:00:00Z,false,2026-11-03T10:02:00Z,\
securite.margny@demo.socle.fr,Louis,Garnier,Référent
r3,Email Opened,192.0.2.12,0,0,2026-11-03T09:00:00Z,true,2026-11-03T09:30:00Z,\
accueil.margny@demo.socle.fr,Anne,Roux,Accueil
r4,Email Sent,,0,0,2026-11-03T09:00:00Z,false,2026-11-03T09:00:00Z,\
ancien.agent@margny.exemple.fr,Paul,Dumas,
"""
FINDINGS = [
    ("compiegne", "Serveur web de la mairie en version vulnérable (Apache 2.4.49)",
     "Serveur web www.compiegne.fr", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
     "Mettre à jour Apache en 2.4.62 ou plus, puis revérifier.", "Service informatique de "
     "Compiègne", -10, "in_progress"),
    ("compiegne", "Partage réseau accessible sans authentification",
     "inventory.asset:1", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
     "Restreindre le partage aux groupes de la mairie.", "DCSI — équipe systèmes", 20, "open"),
    ("compiegne", "Injection de script dans le formulaire de contact",
     "Site de la médiathèque", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
     "Échapper les champs affichés ; ajouter une politique de sécurité du contenu.",
     "Prestataire du site", -30, "retested"),
    ("margny-les-compiegne", "Mot de passe par défaut sur le pare-feu de la mairie",
     "Pare-feu de la mairie", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
     "Changer le mot de passe, restreindre l'administration au réseau de la DCSI.",
     "DCSI — équipe réseau", -3, "open"),
    ("margny-les-compiegne", "Protocole SMBv1 actif sur le poste de l'accueil",
     "Poste de l'accueil", "CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
     "Désactiver SMBv1 par stratégie de groupe.", "DCSI — postes de travail", 45, "open"),
]


def _answers(questions: list[dict], right: bool) -> list[int | None]:
    return [q["answer"] if right else (q["answer"] + 1) % len(q["choices"]) for q in questions]


def demo_load() -> list[str]:
    """Load the demo's charter, modules, phishing campaign and findings, once."""
    if CharterVersion.objects.exists():
        return ["Sensibilisation à la cybersécurité : déjà présente."]
    arc = Organisation.objects.filter(slug="arc").first()
    if arc is None:
        return ["Sensibilisation à la cybersécurité : territoire absent, rien chargé."]
    now = timezone.now()
    with transaction.atomic():
        version = charter_publish(actor=None, organisation=arc, number="2026.1",
                                  title="Charte d'usage des moyens informatiques",
                                  text_body=CHARTER, in_force_from=now - timedelta(days=30))
        agents = User.objects.filter(pk__in=Membership.objects.filter(
            revoked_at__isnull=True).values("user_id")).exclude(email=HOLDOUT)
        accepted = 0
        for n, agent in enumerate(agents.order_by("pk")):
            charter_accept(actor=agent, version=version,
                           at=now - timedelta(days=29 - n % 25, hours=n % 7))
            accepted += 1
        phishing = module_save(actor=None, organisation=arc, title=PHISHING[0], body=PHISHING[1],
                               questions=PHISHING[2], pass_mark=80)
        passwords = module_save(actor=None, organisation=arc, title=PASSWORDS[0],
                                body=PASSWORDS[1], questions=PASSWORDS[2], pass_mark=100)
        assignment_add(actor=None, module=phishing, organisation=arc,
                       due_on=(now + timedelta(days=30)).date())
        compiegne = Organisation.objects.get(slug="compiegne")
        assignment_add(actor=None, module=passwords, organisation=compiegne)
        for n, agent in enumerate(agents.order_by("pk")[:6]):
            quiz_submit(actor=agent, module=phishing, answers=_answers(phishing.questions,
                                                                       n % 3 != 2))
        margny = Organisation.objects.get(slug="margny-les-compiegne")
        campaign = phishing_import(actor=None, organisation=margny,
                                   name="Faux avis de colis — novembre 2026",
                                   recipients=gophish.parse_csv(CAMPAIGN_CSV.encode()),
                                   source="csv", module=phishing)
        for slug, title, asset, vector, advice, owner, due, state in FINDINGS:
            finding = finding_create(actor=None, organisation=Organisation.objects.get(slug=slug),
                                     title=title, asset=asset, cvss_vector=vector,
                                     recommendation=advice, owner=owner,
                                     due_on=(now + timedelta(days=due)).date(),
                                     reported_on=(now - timedelta(days=40)).date())
            if state == "in_progress":
                finding_status_set(actor=None, finding=finding, status=state)
            elif state == "retested":
                finding_status_set(actor=None, finding=finding, status="fixed")
                finding_retest(actor=None, finding=finding, passed=True)
    enrolled = campaign.enrolments.count()
    return [f"Sensibilisation à la cybersécurité : charte {version.number} acceptée par "
            f"{accepted} agents (sauf {HOLDOUT}), 2 modules, campagne d'hameçonnage importée "
            f"({enrolled} agents inscrits), {len(FINDINGS)} vulnérabilités pour 2 communes."]
