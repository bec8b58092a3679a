"""Every write of VéloTIC: stations, bikes, subscriptions, rentals through connected locks, incidents.

A rental is opened in two steps so that a lost lock never leaves it half-open: the bike is
claimed in one transaction (a unique constraint lets one rental hold it), the unlock is sent
outside any transaction, then the rental is opened or marked failed and the bike released.
A process that dies between the two leaves an ``unlocking`` rental that
``rentals_reconcile`` settles from the lock's own state.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, ServiceError, Unavailable
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .locks import LockUnavailable, lock_driver
from .models import (
    Bike,
    BikeIncident,
    BikeKind,
    BikeStation,
    BikeStatus,
    BikeSubscription,
    Rental,
    RentalStatus,
    SubscriptionStatus,
)

MANAGE_BIKES = "mobility.manage_bikes"
UNLOCK_VALID_SECONDS = 120
RECONCILE_AFTER = timedelta(minutes=2)
# plan -> (French label, days, price in euros): the GBFS system_pricing_plans says the same.
PLANS: dict[str, tuple[str, int, Decimal]] = {
    "jour": ("Pass 1 jour", 1, Decimal("2.00")),
    "mois": ("Abonnement mensuel", 30, Decimal("10.00")),
    "annee": ("Abonnement annuel", 365, Decimal("50.00")),
}
INCIDENT_KINDS = {
    "crevaison": "Pneu crevé",
    "cadenas": "Cadenas endommagé",
    "freins": "Freins",
    "batterie": "Batterie",
    "autre": "Autre",
}


def _check_manager(actor: User | None, organisation: Organisation) -> None:
    if actor is not None and not can(actor, MANAGE_BIKES, organisation):
        raise Forbidden("Vous ne gérez pas les vélos de cette organisation.")


def station_create(
    *,
    actor: User | None,
    organisation: Organisation,
    station_id: str,
    name: str,
    lat: float,
    lon: float,
    capacity: int,
    address: str = "",
) -> BikeStation:
    """Create a station of docks."""
    _check_manager(actor, organisation)
    if capacity < 1:
        raise ServiceError("Une station compte au moins un emplacement.", code="invalid_capacity")
    with transaction.atomic():
        station = BikeStation.objects.create(
            organisation=organisation,
            station_id=station_id,
            name=name,
            lat=lat,
            lon=lon,
            capacity=capacity,
            address=address,
        )
        audit_record(
            actor=actor,
            action="mobility.station_create",
            organisation=organisation,
            target=station,
            data={"station_id": station_id},
        )
    return station


def bike_create(
    *,
    actor: User | None,
    station: BikeStation,
    number: str,
    kind: str,
    lock_id: str,
    battery_percent: int | None = None,
) -> Bike:
    """Put a bike into service at a station."""
    _check_manager(actor, station.organisation)
    if kind not in BikeKind.values:
        raise ServiceError("Type de vélo inconnu.", code="invalid_kind")
    if station.bikes.filter(status=BikeStatus.AVAILABLE).count() >= station.capacity:
        raise Conflict("Cette station est pleine.", code="station_full")
    with transaction.atomic():
        bike = Bike.objects.create(
            organisation=station.organisation,
            number=number,
            kind=kind,
            lock_id=lock_id,
            station=station,
            battery_percent=battery_percent,
        )
        audit_record(
            actor=actor,
            action="mobility.bike_create",
            organisation=station.organisation,
            target=bike,
            data={"number": number, "station": station.station_id},
        )
    return bike


def subscription_create(
    *, actor: User | None, organisation: Organisation, user: User, plan: str, starts_on: date | None = None
) -> BikeSubscription:
    """Open a VéloTIC subscription for a traveller (after payment at the agency or online)."""
    _check_manager(actor, organisation)
    if plan not in PLANS:
        raise ServiceError("Formule d'abonnement inconnue.", code="invalid_plan")
    start = starts_on or timezone.localdate()
    with transaction.atomic():
        subscription = BikeSubscription.objects.create(
            organisation=organisation,
            user=user,
            plan=plan,
            starts_on=start,
            ends_on=start + timedelta(days=PLANS[plan][1] - 1),
        )
        audit_record(
            actor=actor,
            action="mobility.subscription_create",
            organisation=organisation,
            target=subscription,
            data={"plan": plan, "user": user.pk},
        )
    return subscription


def subscription_suspend(
    *, actor: User | None, subscription: BikeSubscription, reason: str
) -> BikeSubscription:
    """Suspend a subscription (unpaid penalty, bike not returned...): rentals are refused."""
    _check_manager(actor, subscription.organisation)
    with transaction.atomic():
        subscription.status = SubscriptionStatus.SUSPENDED
        subscription.suspended_reason = reason[:255]
        subscription.save(update_fields=["status", "suspended_reason"])
        audit_record(
            actor=actor,
            action="mobility.subscription_suspend",
            organisation=subscription.organisation,
            target=subscription,
            data={"reason": reason},
        )
    return subscription


def _subscription_of(user: User, organisation: Organisation) -> BikeSubscription:
    today = timezone.localdate()
    subscriptions = BikeSubscription.objects.filter(
        user=user, organisation=organisation, starts_on__lte=today, ends_on__gte=today
    )
    if not subscriptions.exists():
        raise Forbidden(
            "Il vous faut un abonnement VéloTIC en cours pour louer un vélo.", code="no_subscription"
        )
    active = subscriptions.filter(status=SubscriptionStatus.ACTIVE).first()
    if active is None:
        raise Forbidden(
            "Votre abonnement VéloTIC est suspendu : adressez-vous à l'agence.", code="subscription_suspended"
        )
    return active


def _claim(subscription: BikeSubscription, bike: Bike, station: BikeStation) -> Rental:
    with transaction.atomic():
        held = Bike.objects.select_for_update().get(pk=bike.pk)
        if held.status != BikeStatus.AVAILABLE or held.station_id != station.pk:
            raise Conflict("Ce vélo n'est plus disponible à cette station.", code="bike_unavailable")
        try:
            with transaction.atomic():
                rental = Rental.objects.create(
                    organisation=bike.organisation,
                    subscription=subscription,
                    bike=held,
                    start_station=station,
                    unlock_code=f"{secrets.randbelow(10**4):04d}",
                )
        except IntegrityError:
            raise Conflict(
                "Ce vélo vient d'être loué, ou vous avez déjà une location en cours.", code="rental_conflict"
            ) from None
        held.status = BikeStatus.RENTED
        held.station = None
        held.save(update_fields=["status", "station"])
    return rental


def _settle(rental: Rental, *, unlocked: bool, failure: str = "", actor: User | None) -> Rental:
    with transaction.atomic():
        rental = Rental.objects.select_for_update().get(pk=rental.pk)
        if rental.status != RentalStatus.UNLOCKING:
            return rental
        bike = Bike.objects.select_for_update().get(pk=rental.bike_id)
        if unlocked:
            rental.status = RentalStatus.OPEN
            rental.started_at = timezone.now()
            rental.save(update_fields=["status", "started_at"])
            audit_record(
                actor=actor,
                action="mobility.rental_start",
                organisation=rental.organisation,
                target=rental,
                data={"bike": bike.number, "station": rental.start_station.station_id},
            )
        else:
            rental.status = RentalStatus.FAILED
            rental.failure = failure[:255]
            rental.save(update_fields=["status", "failure"])
            bike.status = BikeStatus.AVAILABLE
            bike.station = rental.start_station
            bike.save(update_fields=["status", "station"])
            audit_record(
                actor=actor,
                action="mobility.rental_failed",
                organisation=rental.organisation,
                target=rental,
                data={"bike": bike.number, "failure": rental.failure},
            )
    return rental


def rental_start(*, actor: User, bike: Bike, station: BikeStation) -> Rental:
    """Rent a bike at a station: claim it, unlock its lock, open the rental (or release the bike)."""
    subscription = _subscription_of(actor, bike.organisation)
    current = Rental.objects.filter(
        subscription=subscription, status__in=[RentalStatus.UNLOCKING, RentalStatus.OPEN]
    ).first()
    if current is not None and current.bike_id != bike.pk:
        raise Conflict(
            "Vous avez déjà une location en cours : rendez d'abord ce vélo.", code="rental_in_progress"
        )
    rental = current or _claim(subscription, bike, station)
    try:
        lock_driver().unlock(
            bike.lock_id, rental_ref=f"rental-{rental.pk}", valid_seconds=UNLOCK_VALID_SECONDS
        )
    except LockUnavailable as exc:
        if rental.status == RentalStatus.OPEN:  # sending the unlock again changed nothing
            raise Unavailable(
                "Le cadenas ne répond pas ; réessayez dans un instant.", code="lock_unavailable"
            ) from exc
        _settle(rental, unlocked=False, failure=f"cadenas injoignable : {exc}", actor=actor)
        raise Unavailable(
            "Le cadenas de ce vélo ne répond pas : la location n'est pas ouverte et "
            "rien ne vous est compté. Choisissez un autre vélo.",
            code="lock_unavailable",
        ) from exc
    return _settle(rental, unlocked=True, actor=actor)


def _close(rental: Rental, station: BikeStation, actor: User | None) -> Rental:
    with transaction.atomic():
        rental = Rental.objects.select_for_update().get(pk=rental.pk)
        if rental.status != RentalStatus.OPEN:
            return rental
        bike = Bike.objects.select_for_update().get(pk=rental.bike_id)
        rental.status = RentalStatus.CLOSED
        rental.end_station = station
        rental.ended_at = timezone.now()
        rental.save(update_fields=["status", "end_station", "ended_at"])
        bike.status = (
            BikeStatus.MAINTENANCE
            if bike.incidents.filter(resolved_at__isnull=True).exists()
            else BikeStatus.AVAILABLE
        )
        bike.station = station
        bike.save(update_fields=["status", "station"])
        audit_record(
            actor=actor,
            action="mobility.rental_end",
            organisation=rental.organisation,
            target=rental,
            data={
                "bike": bike.number,
                "station": station.station_id,
                "minutes": round(
                    (rental.ended_at - (rental.started_at or rental.ended_at)).total_seconds() / 60
                ),
            },
        )
    return rental


def _docked_station(bike: Bike) -> BikeStation | None:
    state = lock_driver().status(bike.lock_id)
    if not state.locked or not state.station_id:
        return None
    return BikeStation.objects.filter(organisation=bike.organisation, station_id=state.station_id).first()


def rental_end(*, actor: User, rental: Rental) -> Rental:
    """Close a rental once the bike's lock says it is locked in a station's dock."""
    if rental.subscription.user_id != actor.pk:
        raise Forbidden("Cette location n'est pas la vôtre.")
    if rental.status != RentalStatus.OPEN:
        raise Conflict("Cette location n'est pas en cours.", code="rental_not_open")
    try:
        station = _docked_station(rental.bike)
    except LockUnavailable as exc:
        raise Unavailable(
            "Le cadenas ne répond pas : la location sera close dès qu'il signalera le retour.",
            code="lock_unavailable",
        ) from exc
    if station is None:
        raise Conflict(
            "Le vélo n'est pas encore verrouillé à une station : poussez-le dans un "
            "emplacement jusqu'au déclic, puis recommencez.",
            code="bike_not_docked",
        )
    return _close(rental, station, actor)


def rentals_reconcile() -> dict[str, int]:
    """Settle rentals from their locks: unlocks left pending, and returns the locks report."""
    done = {"opened": 0, "failed": 0, "closed": 0, "unreachable": 0}
    stale = timezone.now() - RECONCILE_AFTER
    for rental in Rental.objects.filter(status=RentalStatus.UNLOCKING, created_at__lt=stale).select_related(
        "bike"
    ):
        try:
            state = lock_driver().status(rental.bike.lock_id)
        except LockUnavailable:
            _settle(rental, unlocked=False, failure="cadenas injoignable au rapprochement", actor=None)
            done["failed"] += 1
            continue
        _settle(rental, unlocked=not state.locked, failure="déverrouillage jamais confirmé", actor=None)
        done["failed" if state.locked else "opened"] += 1
    for rental in Rental.objects.filter(status=RentalStatus.OPEN).select_related("bike"):
        try:
            station = _docked_station(rental.bike)
        except LockUnavailable:
            done["unreachable"] += 1
            continue
        if station is not None:
            _close(rental, station, None)
            done["closed"] += 1
    return done


def incident_report(*, actor: User, bike: Bike, kind: str, description: str = "") -> BikeIncident:
    """Report a problem on a bike; an available bike goes to maintenance at once."""
    if kind not in INCIDENT_KINDS:
        raise ServiceError(
            "Type d'incident inconnu.", code="invalid_kind", errors={"kind": "Choisissez le type d'incident."}
        )
    with transaction.atomic():
        incident = BikeIncident.objects.create(
            organisation=bike.organisation,
            bike=bike,
            kind=kind,
            description=description[:2000],
            reported_by=actor,
        )
        if bike.status == BikeStatus.AVAILABLE:
            Bike.objects.filter(pk=bike.pk).update(status=BikeStatus.MAINTENANCE)
        audit_record(
            actor=actor,
            action="mobility.bike_incident",
            organisation=bike.organisation,
            target=incident,
            data={"bike": bike.number, "kind": kind},
        )
    return incident


def incident_resolve(*, actor: User | None, incident: BikeIncident) -> BikeIncident:
    """Close an incident; the bike returns to service when it has no other open incident."""
    _check_manager(actor, incident.organisation)
    with transaction.atomic():
        incident.resolved_at = timezone.now()
        incident.save(update_fields=["resolved_at"])
        bike = incident.bike
        if (
            bike.status == BikeStatus.MAINTENANCE
            and not bike.incidents.filter(resolved_at__isnull=True).exists()
        ):
            Bike.objects.filter(pk=bike.pk).update(status=BikeStatus.AVAILABLE)
        audit_record(
            actor=actor,
            action="mobility.incident_resolve",
            organisation=incident.organisation,
            target=incident,
            data={"bike": bike.number},
        )
    return incident


def lock_configured() -> bool:
    """Tell whether a lock gateway is configured (rentals are offered only then)."""
    return bool(settings.MOBILITY_LOCK_URL)
