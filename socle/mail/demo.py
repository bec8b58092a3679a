"""The register's demo data, run by ``socle demo`` (which calls each app's ``demo.demo_load``).

Compiègne's services, its mail types with their deadlines, a few correspondents and
letters registered by the demo clerk (courrier@demo.socle.fr, created by the core's
demo command). Running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from socle.core.models import Organisation, User
from socle.core.territory import territory_load

from .models import Contact, Mail, MailType
from .services import (
    contact_create,
    mail_assign,
    mail_instruct,
    mail_register,
    mail_reply,
    mail_type_create,
)

SERVICES = Path(__file__).resolve().parent / "data" / "compiegne_services.json"
CLERK = "courrier@demo.socle.fr"
TYPES = [("Demande d'information", 15), ("Réclamation", 30), ("Demande d'urbanisme", 60),
         ("Invitation", 10), ("Courrier du Maire", 21)]
CONTACTS = [
    ("person", "Jeanne Dupont", "", "12 rue Solférino, 60200 Compiègne", "jeanne.dupont@exemple.fr"),
    ("organisation", "Bâtiments de l'Oise SARL", "55201649600010",
     "ZA du Bois de Plaisance, 60280 Venette", "contact@batiments-oise.exemple.fr"),
    ("organisation", "Association des riverains du Clos des Roses", "",
     "3 allée des Roses, 60200 Compiègne", ""),
    ("organisation", "Préfecture de l'Oise", "", "1 place de la Préfecture, 60000 Beauvais", ""),
]
# (days ago, type, contact index, subject, service slug or None, instruction, answered)
LETTERS = [
    (40, "Réclamation", 2, "Nuisances sonores du chantier de la rue de Paris",
     "compiegne-services-techniques", "Voir avec l'entreprise et répondre sous quinzaine.", True),
    (25, "Demande d'urbanisme", 1, "Demande de certificat d'urbanisme, parcelle AB 112",
     "compiegne-urbanisme", "", False),
    (20, "Demande d'information", 0, "Copie intégrale d'acte de naissance",
     "compiegne-etat-civil", "", False),
    (3, "Invitation", 3, "Réunion départementale sur la sécurité routière", None,
     "Le Maire s'y rendra ; prévenir le cabinet.", False),
]


def demo_load() -> list[str]:
    """Load Compiègne's mail register demo; running it again changes nothing."""
    territory_load(actor=None, path=SERVICES)
    compiegne = Organisation.objects.get(slug="compiegne")
    clerk = User.objects.filter(email=CLERK).first()
    if clerk is None:
        return [f"Courrier : compte {CLERK} absent, registre de démonstration non chargé."]
    if Mail.objects.filter(organisation=compiegne).exists():
        return ["Courrier de démonstration : déjà présent."]
    today = timezone.localdate()
    with transaction.atomic():
        types = {name: MailType.objects.filter(organisation=compiegne, name=name).first()
                 or mail_type_create(actor=clerk, organisation=compiegne, name=name,
                                     processing_days=days) for name, days in TYPES}
        contacts = [Contact.objects.filter(organisation=compiegne, name=name).first()
                    or contact_create(actor=clerk, organisation=compiegne, kind=kind, name=name,
                                      siret=siret, address=address, email=email)
                    for kind, name, siret, address, email in CONTACTS]
        for days, type_name, contact, subject, service_slug, instruction, answered in LETTERS:
            received_on = today - timedelta(days=days)
            if received_on.year != today.year:
                received_on = today.replace(month=1, day=1)
            mail = mail_register(actor=clerk, organisation=compiegne, direction="in",
                                 channel="paper", contact=contacts[contact], subject=subject,
                                 mail_type=types[type_name], received_on=received_on)
            if instruction:
                mail_instruct(actor=clerk, mail=mail, text=instruction, kind="instruction")
            if service_slug:
                mail_assign(actor=clerk, mail=mail,
                            service=Organisation.objects.get(slug=service_slug))
            if answered:
                mail_reply(actor=clerk, mail=mail)
    return [f"Courrier de démonstration : {len(TYPES)} types, {len(CONTACTS)} correspondants, "
            f"{len(LETTERS)} courriers arrivés à Compiègne."]
