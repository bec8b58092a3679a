"""The acknowledgement of receipt of an incoming letter, as a PDF letter."""

from __future__ import annotations

from socle.core.letters import Letter, french_date, letter_render

from .models import Direction, Mail


def acknowledgement_pdf(mail: Mail) -> bytes:
    """Render the acknowledgement of receipt of an incoming mail already obtained."""
    if mail.direction != Direction.INCOMING:
        raise ValueError("Seul un courrier arrivé donne lieu à un accusé de réception.")
    organisation = mail.organisation
    facts = [
        ("Numéro d'enregistrement", mail.chrono),
        ("Reçu le", french_date(mail.received_on)),
        ("Expéditeur", mail.contact.name),
        ("Objet", mail.subject),
    ]
    if mail.service is not None:
        facts.append(("Service chargé du dossier", mail.service.name))
    paragraphs = [
        f"{organisation.name} accuse réception de votre courrier, enregistré sous le numéro "
        f"{mail.chrono}. Rappelez ce numéro dans toute correspondance.",
    ]
    if mail.deadline is not None:
        paragraphs.append(f"Il sera traité au plus tard le {french_date(mail.deadline)}.")
    contact = ", ".join(part for part in [organisation.address, organisation.phone,
                                          organisation.email] if part)
    if contact:
        paragraphs.append(f"Pour toute question : {contact}.")
    return letter_render(Letter(issuer=organisation.name, title="Accusé de réception",
                                reference=mail.chrono, facts=facts, paragraphs=paragraphs,
                                signature="Le service du courrier"))
