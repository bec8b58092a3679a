"""Writes on the software catalogue, installed versions, licences and their seats, and the
expiry alerts the daily job sends."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.modules import object_ref
from socle.core.notices import notice_send

from .. import selectors
from ..models import Asset, Installation, Licence, LicenceAssignment, LicenceTitle, Software
from .common import MANAGE, day, money, require, text

MAX_TITLES = 50


def software_save(*, actor: User | None, organisation: Organisation, name: str,
                  publisher: str = "", business: bool = False,
                  reference_version: str = "") -> Software:
    """Add a title to the catalogue or change it (a business package's reference version)."""
    require(actor, MANAGE, organisation)
    name = text(name, "Le nom du logiciel", 200, required=True, field="name")
    publisher = text(publisher, "L'éditeur", 200, field="publisher")
    reference_version = text(reference_version, "La version de référence", 60,
                             field="reference_version")
    with transaction.atomic():
        software, _ = Software.objects.get_or_create(organisation=organisation, name=name)
        software.publisher, software.business = publisher, bool(business)
        software.reference_version = reference_version
        software.save()
        audit_record(actor=actor, action="inventory.software_save", organisation=organisation,
                     target=software, data={"name": name, "reference": reference_version})
    return software


def installations_replace(*, actor: User | None, asset: Asset,
                          found: Iterable[tuple[str, str, str]], catalogue: Organisation) -> int:
    """Replace an asset's installed software by what an inventory found (name, version,
    publisher); unknown titles join the catalogue. Runs inside the caller's transaction."""
    require(actor, MANAGE, asset.organisation)
    wanted: dict[str, tuple[str, str]] = {}
    for name, version, publisher in found:
        wanted.setdefault(name, (version, publisher))
    known = {s.name: s for s in Software.objects.filter(organisation=catalogue,
                                                         name__in=list(wanted))}
    missing = [Software(organisation=catalogue, name=name, publisher=publisher)
               for name, (_, publisher) in wanted.items() if name not in known]
    Software.objects.bulk_create(missing, ignore_conflicts=True)
    known = {s.name: s for s in Software.objects.filter(organisation=catalogue,
                                                         name__in=list(wanted))}
    Installation.objects.filter(asset=asset).delete()
    Installation.objects.bulk_create([Installation(asset=asset, software=known[name],
                                                   version=version)
                                      for name, (version, _) in wanted.items()])
    return len(wanted)


def licence_save(*, actor: User | None, organisation: Organisation, name: str, seats: Any,
                 titles: Iterable[Software], expires_on: Any = None, starts_on: Any = None,
                 reference: str = "", cost: Any = None, licence: Licence | None = None) -> Licence:
    """Create or change a licence covering one or several titles (a suite)."""
    require(actor, MANAGE, organisation)
    name = text(name, "Le nom de la licence", 200, required=True, field="name")
    reference = text(reference, "La référence du contrat", 120, field="reference")
    try:
        seats = int(seats)
    except (TypeError, ValueError):
        raise ServiceError("Le nombre de postes est un entier.", code="invalid",
                           errors={"seats": "Nombre entier attendu."}) from None
    if not 1 <= seats <= 100000:
        raise ServiceError("Le nombre de postes va de 1 à 100 000.", code="invalid",
                           errors={"seats": "De 1 à 100 000."})
    starts, expires = day(starts_on, "La date de début"), day(expires_on, "La date d'échéance")
    if starts and expires and expires < starts:
        raise ServiceError("L'échéance précède le début de la licence.", code="invalid",
                           errors={"expires_on": "Date antérieure au début."})
    titles = list(titles)
    if not titles or len(titles) > MAX_TITLES:
        raise ServiceError(f"Une licence couvre de 1 à {MAX_TITLES} logiciels.", code="invalid",
                           errors={"titles": "Choisissez au moins un logiciel."})
    allowed = set(selectors.software_for(actor=actor).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in titles):
        raise ServiceError("Logiciel inconnu.", code="invalid", errors={"titles": "Inconnu."})
    with transaction.atomic():
        licence = licence or Licence(organisation=organisation)
        if licence.pk and licence.organisation_id != organisation.pk:
            raise ServiceError("Cette licence appartient à une autre organisation.")
        if licence.pk and licence.assignments.count() > seats:
            raise Conflict("Plus de postes sont attribués que ce nombre : libérez-en d'abord.",
                           code="seats_in_use", errors={"seats": "Postes déjà attribués."})
        licence.name, licence.reference, licence.seats = name, reference, seats
        licence.starts_on, licence.expires_on, licence.cost = starts, expires, money(cost)
        licence.save()
        LicenceTitle.objects.filter(licence=licence).delete()
        LicenceTitle.objects.bulk_create([LicenceTitle(licence=licence, software=t)
                                          for t in titles])
        audit_record(actor=actor, action="inventory.licence_save", organisation=organisation,
                     target=licence, data={"name": name, "seats": seats,
                                           "titles": sorted(t.name for t in titles),
                                           "expires_on": expires.isoformat() if expires else None})
    return licence


def licence_assign(*, actor: User | None, licence: Licence, asset: Asset | None = None,
                   person: str = "") -> LicenceAssignment:
    """Give one seat of a licence to an asset or a person, within its number of seats."""
    require(actor, MANAGE, licence.organisation)
    person = text(person, "La personne", 160, field="person")
    if asset is None and not person:
        raise ServiceError("Attribuez le poste à un matériel ou à une personne.",
                           code="invalid", errors={"asset": "Matériel ou personne requis."})
    if asset is not None and not asset.organisation.path.startswith(licence.organisation.path):
        raise ServiceError("Ce matériel n'est pas couvert par l'organisation de la licence.",
                           code="invalid_asset", errors={"asset": "Matériel d'ailleurs."})
    with transaction.atomic():
        licence = Licence.objects.select_for_update().get(pk=licence.pk)
        used = LicenceAssignment.objects.filter(licence=licence).count()
        if used >= licence.seats:
            raise Conflict(f"Les {licence.seats} postes de la licence sont tous attribués.",
                           code="no_seat_left")
        try:
            with transaction.atomic():
                seat = LicenceAssignment.objects.create(licence=licence, asset=asset,
                                                        person=person)
        except IntegrityError:
            raise Conflict("Ce matériel a déjà un poste de cette licence.",
                           code="duplicate") from None
        audit_record(actor=actor, action="inventory.licence_assign",
                     organisation=licence.organisation, target=licence,
                     data={"asset": asset.inventory_number if asset else None,
                           "person": bool(person)})
    return seat


def licence_release(*, actor: User | None, seat: LicenceAssignment) -> None:
    """Free one seat of a licence."""
    licence = seat.licence
    require(actor, MANAGE, licence.organisation)
    with transaction.atomic():
        seat.delete()
        audit_record(actor=actor, action="inventory.licence_release",
                     organisation=licence.organisation, target=licence, data={})


def licences_alert(*, today: date | None = None) -> int:
    """Tell the DCSI of each licence expiring within 60 days, once per expiry date."""
    today = today or timezone.localdate()
    sent = 0
    for licence in list(selectors.licences_due(today=today)):
        with transaction.atomic():
            expires = licence.expires_on
            assert expires is not None
            notice_send(kind="inventory.licence_expiring",
                        recipients=selectors.managers_of(organisation=licence.organisation),
                        title=f"La licence « {licence.name} » arrive à échéance le "
                              f"{expires:%d/%m/%Y}",
                        url=f"/inventaire/licences/{licence.pk}/",
                        ref=object_ref("inventory.licence", licence.pk),
                        organisation=licence.organisation,
                        body=f"{licence.organisation.name} : {licence.seats} postes. "
                             "Renouvelez-la ou prévoyez son remplacement.")
            Licence.objects.filter(pk=licence.pk).update(alerted_for=expires)
            audit_record(actor=None, action="inventory.licence_alert",
                         organisation=licence.organisation, target=licence,
                         data={"expires_on": expires.isoformat()})
            sent += 1
    return sent

