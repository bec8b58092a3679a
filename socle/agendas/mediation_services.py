"""The writes of digital mediation: attendance taken at a workshop, activity records, places."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from ._checks import _require
from .models import (
    ActivityKind,
    ActivityRecord,
    Booking,
    BookingStatus,
    Event,
    MediationPlace,
    PlaceType,
)

ATTENDANCE = selectors.ATTENDANCE
RECORDS = selectors.RECORDS
MANAGE = selectors.MANAGE


AGE_BANDS = ("moins_12", "12_18", "18_25", "25_40", "40_60", "60_70", "plus_70", "non_communique")
STATUSES = ("scolarise", "etudiant", "sans_emploi", "en_emploi", "retraite", "non_communique")
THEMES = (
    "prendre_en_main_du_materiel",
    "navigation_internet",
    "email",
    "bureautique",
    "demarche_en_ligne",
    "sante",
    "securite_numerique",
    "parentalite",
    "scolarite",
    "reseaux_sociaux",
    "insertion_professionnelle",
    "culture_numerique",
    "fabrication_numerique",
)
AUTONOMY = ("entierement_accompagne", "partiellement_autonome", "autonome")


def _profiles(beneficiaries: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for profile in beneficiaries:
        age = profile.get("age_band") or "non_communique"
        status = profile.get("status") or "non_communique"
        if age not in AGE_BANDS or status not in STATUSES:
            raise ServiceError("Tranche d'âge ou statut inconnu.", code="invalid_profile")
        cleaned.append({"age_band": age, "status": status, "commune": str(profile.get("commune", ""))[:5]})
    return cleaned


def attendance_record(
    *,
    actor: User,
    event: Event,
    present: Iterable[int],
    walk_ins: int = 0,
    themes: Sequence[str] = (),
    beneficiaries: Sequence[dict[str, str]] = (),
    referral: str = "",
) -> ActivityRecord:
    """Take a session's attendance and write (or rewrite) its collective activity record."""
    _require(
        actor, ATTENDANCE, event.agenda.organisation, "Vous ne prenez pas les présences de cette séance."
    )
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise ServiceError(f"Thématique inconnue : {', '.join(unknown)}.", code="invalid_theme")
    if not 0 <= walk_ins <= 200:
        raise ServiceError(
            "Le nombre de personnes venues sans inscription va de 0 à 200.",
            errors={"walk_ins": "Nombre invalide."},
        )
    present_ids = set(present)
    profiles = _profiles(beneficiaries)
    with transaction.atomic():
        held = Event.objects.select_for_update().get(pk=event.pk)
        rows = list(Booking.objects.select_for_update().filter(event=held, status=BookingStatus.BOOKED))
        strangers = present_ids - {b.pk for b in rows}
        if strangers:
            raise ServiceError(
                "Une personne cochée n'est pas inscrite à cette séance.", code="not_registered"
            )
        for booking in rows:
            booking.attended = booking.pk in present_ids
        Booking.objects.bulk_update(rows, ["attended"])
        participants = len(present_ids) + walk_ins
        profiles = (
            profiles
            + [{"age_band": "non_communique", "status": "non_communique", "commune": ""}] * participants
        )[:participants]
        values = {
            "organisation": held.agenda.organisation,
            "mediator": actor,
            "kind": ActivityKind.COLLECTIVE,
            "date": timezone.localtime(held.start).date(),
            "duration_minutes": int((held.end - held.start).total_seconds() // 60),
            "place_type": PlaceType.PLACE,
            "commune": held.host,
            "themes": list(themes),
            "level": held.level,
            "title": held.title,
            "participants": participants,
            "beneficiaries": profiles,
            "referral": referral[:200],
            "updated_at": timezone.now(),
        }
        record, created = ActivityRecord.objects.update_or_create(event=held, defaults=values)
        audit_record(
            actor=actor,
            action="agendas.attendance_record",
            organisation=held.agenda.organisation,
            target=record,
            data={
                "event": held.pk,
                "present": len(present_ids),
                "walk_ins": walk_ins,
                "rewritten": not created,
            },
        )
    return record


def activity_record_create(
    *,
    actor: User,
    organisation: Organisation,
    when: date,
    duration_minutes: int,
    themes: Sequence[str],
    autonomy: str = "",
    place_type: str = PlaceType.PLACE,
    commune: Organisation | None = None,
    referral: str = "",
    beneficiary: dict[str, str] | None = None,
) -> ActivityRecord:
    """Write the activity record of one person helped individually (anonymous profile)."""
    _require(actor, RECORDS, organisation, "Vous ne saisissez pas d'activité pour cette organisation.")
    if autonomy and autonomy not in AUTONOMY:
        raise ServiceError("Niveau d'autonomie inconnu.", errors={"autonomy": "Valeur inconnue."})
    if place_type not in PlaceType.values:
        raise ServiceError("Type de lieu inconnu.", errors={"place_type": "Valeur inconnue."})
    if not 5 <= duration_minutes <= 600:
        raise ServiceError(
            "Une activité dure de 5 minutes à 10 heures.", errors={"duration_minutes": "Durée."}
        )
    if [t for t in themes if t not in THEMES] or not themes:
        raise ServiceError("Choisissez au moins une thématique connue.", code="invalid_theme")
    with transaction.atomic():
        record = ActivityRecord.objects.create(
            organisation=organisation,
            mediator=actor,
            kind=ActivityKind.INDIVIDUAL,
            date=when,
            duration_minutes=duration_minutes,
            place_type=place_type,
            commune=commune,
            themes=list(themes),
            autonomy=autonomy,
            referral=referral[:200],
            participants=1,
            beneficiaries=_profiles([beneficiary or {}]),
        )
        audit_record(
            actor=actor,
            action="agendas.activity_record_create",
            organisation=organisation,
            target=record,
            data={"kind": "individuel", "themes": list(themes)},
        )
    return record


def mediation_place_create(
    *, actor: User | None, organisation: Organisation, **fields: Any
) -> MediationPlace:
    """Add a place of digital mediation to the directory published as open data."""
    _require(actor, MANAGE, organisation, "Vous ne gérez pas les lieux de cette organisation.")
    from .mediation import place_problems

    place = MediationPlace(organisation=organisation, **fields)
    problems = place_problems(place)
    if problems:
        raise ServiceError(
            "Le lieu ne respecte pas le standard national : " + " ".join(problems.values()), errors=problems
        )
    with transaction.atomic():
        place.save()
        audit_record(
            actor=actor,
            action="agendas.place_create",
            organisation=organisation,
            target=place,
            data={"name": place.name},
        )
    return place
