"""Digital mediation in the national formats: the places directory (LaMednum's standard,
v1.0.1) and the activity records (La Coop de la médiation numérique's model), as CSV or JSON."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from .models import ActivityRecord, MediationPlace

# The columns of standard-mediation-num v1.0.1, in its order.
PLACE_COLUMNS = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)
SERVICES = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)
PROGRAMMES = (
    "Aidants Connect",
    "Bibliothèques numérique de référence",
    "Certification PIX",
    "Conseillers numériques",
    "Emmaüs Connect",
    "France Services",
    "Grande école du numérique",
    "La Croix Rouge",
    "Point d'accès numérique CAF",
    "Promeneurs du net",
    "Relais numérique (Emmaüs Connect)",
)
ACCESS = (
    "Se présenter",
    "Téléphoner",
    "Contacter par mail",
    "Prendre un RDV en ligne",
    "Ce lieu n'accueille pas de public",
    "Envoyer un mail avec une fiche de prescription",
)
SUPPORT = ("En autonomie", "Accompagnement individuel", "Dans un atelier collectif", "À distance")
_PHONE = re.compile(r"^\+33\d{9}$")
_PIVOT = re.compile(r"^[a-zA-Z0-9]{9,14}$")
SOURCE = "socle"


def place_problems(place: MediationPlace) -> dict[str, str]:
    """Return, field by field, what keeps a place out of the national standard (empty if nothing)."""
    problems: dict[str, str] = {}
    if not place.name.strip():
        problems["name"] = "Nom manquant."
    if not _PIVOT.match(place.siret):
        problems["siret"] = "SIRET (14 chiffres) ou RNA attendu."
    if not re.fullmatch(r"\d{5}", place.postal_code):
        problems["postal_code"] = "Code postal de 5 chiffres attendu."
    if place.insee_code and not re.fullmatch(r"([013-9]\d|2[AB1-9])\d{3}", place.insee_code):
        problems["insee_code"] = "Code INSEE invalide."
    if not place.address.strip() or not place.city.strip():
        problems["address"] = "Adresse et commune nécessaires."
    if place.phone and not _PHONE.match(place.phone):
        problems["phone"] = "Téléphone au format +33XXXXXXXXX."
    if len(place.summary) > 280:
        problems["summary"] = "Résumé de 280 caractères au plus."
    for field, allowed in (
        ("services", SERVICES),
        ("programmes", PROGRAMMES),
        ("access", ACCESS),
        ("support", SUPPORT),
    ):
        unknown = [value for value in getattr(place, field) if value not in allowed]
        if unknown:
            problems[field] = f"Valeur hors du standard : {', '.join(unknown)}."
    return problems


def place_row(place: MediationPlace) -> dict[str, Any]:
    """Return one place as a row of the national standard (text cells, empty when unknown)."""
    row: dict[str, Any] = dict.fromkeys(PLACE_COLUMNS, "")
    row.update(
        {
            "id": f"{place.organisation.slug}-{place.pk}",
            "pivot": place.siret,
            "nom": place.name,
            "commune": place.city,
            "code_postal": place.postal_code,
            "code_insee": place.insee_code,
            "adresse": place.address,
            "telephone": place.phone,
            "courriels": place.email,
            "site_web": place.website,
            "horaires": place.hours,
            "presentation_resume": place.summary,
            "source": SOURCE,
            "itinerance": "Itinérant" if place.roving else "Fixe",
            "date_maj": place.updated_on.isoformat(),
            "services": "|".join(place.services),
            "dispositif_programmes_nationaux": "|".join(place.programmes),
            "modalites_acces": "|".join(place.access),
            "modalites_accompagnement": "|".join(place.support),
            "frais_a_charge": "Gratuit",
        }
    )
    if place.latitude is not None and place.longitude is not None:
        row["latitude"], row["longitude"] = place.latitude, place.longitude
    return row


def places_csv(places: Iterable[MediationPlace]) -> str:
    """Return the directory as the standard's CSV (comma, UTF-8, header in the standard's order)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PLACE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for place in places:
        writer.writerow(place_row(place))
    return out.getvalue()


ACTIVITY_COLUMNS = (
    "id",
    "type",
    "date",
    "duree_minutes",
    "type_lieu",
    "commune_insee",
    "commune",
    "thematiques",
    "niveau_atelier",
    "autonomie",
    "orientation",
    "titre_atelier",
    "participants",
    "beneficiaires",
    "structure",
    "mediateur",
)


def activity_row(record: ActivityRecord) -> dict[str, Any]:
    """Return one activity record as the export writes it (anonymous: profiles, no names)."""
    return {
        "id": record.pk,
        "type": record.kind,
        "date": record.date.isoformat(),
        "duree_minutes": record.duration_minutes,
        "type_lieu": record.place_type,
        "commune_insee": record.commune.insee_code if record.commune is not None else "",
        "commune": record.commune.name if record.commune is not None else "",
        "thematiques": list(record.themes),
        "niveau_atelier": record.level,
        "autonomie": record.autonomy,
        "orientation": record.referral,
        "titre_atelier": record.title,
        "participants": record.participants,
        "beneficiaires": list(record.beneficiaries),
        "structure": record.organisation.name,
        "mediateur": record.mediator.display_name if record.mediator is not None else "",
    }


def activities_csv(records: Iterable[ActivityRecord]) -> str:
    """Return activity records as CSV: lists joined by « | », profiles as « âge/statut/commune »."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ACTIVITY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        row = activity_row(record)
        row["thematiques"] = "|".join(row["thematiques"])
        row["beneficiaires"] = "|".join(
            f"{p['age_band']}/{p['status']}/{p['commune']}" for p in row["beneficiaires"]
        )
        writer.writerow(row)
    return out.getvalue()
