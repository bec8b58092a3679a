"""AlloTIC, on-demand transport: zones, vehicle runs with their seats, bookings and penalties.

A run is one vehicle serving one zone in one time window; a booking takes seats on it,
from a stop of the zone to another. Seats are taken by a conditional update of the run
(``seats_booked + n <= capacity``), so two travellers racing for the last seat cannot both
get it, under PostgreSQL as under SQLite.

Penalties (a cancellation less than two hours before the window, or a no-show) are paid
through the portal's procedure ``penalite-allotic``: the portal has no service through
which a module creates an amount due, so the traveller's own click on « Payer » files a
draft of that procedure with the booking's reference, date and motive (portal's
``case_draft_save``, the traveller being the actor); the portal's agent sets the amount
and the traveller pays online. Mobility keeps the case number and reads its state through
the portal's selectors (decision 0029).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from socle.core.access import can
from socle.core.errors import Conflict, Forbidden, NotFound, ServiceError, Unavailable
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from .models import BookingStatus, OnDemandBooking, OnDemandRun, OnDemandZone

MANAGE = "mobility.manage_ondemand"
PENALTY_PROCEDURE = "penalite-allotic"
LATE_CANCEL = timedelta(hours=2)  # the portal's procedure says so: « moins de deux heures »
BOOKING_CLOSES = timedelta(hours=1)
BOOKING_OPENS = timedelta(days=14)
PENALTY = Decimal("5.00")
SEATS_MAX = 4
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _check_manager(actor: User | None, organisation: Organisation) -> None:
    if actor is not None and not can(actor, MANAGE, organisation):
        raise Forbidden("Vous ne pouvez pas gérer le transport à la demande de ce réseau.")


def run_start(run: OnDemandRun) -> datetime:
    return timezone.make_aware(datetime.combine(run.day, run.window_start))


def zone_create(*, actor: User | None, organisation: Organisation, zone_id: str, name: str,
                stop_ids: list[str]) -> OnDemandZone:
    """Create an AlloTIC zone served at some stops of the published network."""
    _check_manager(actor, organisation)
    current = selectors.feed_current()
    stops = sorted(set(stop_ids))
    if current is None:
        raise ServiceError("Aucun horaire n'est publié : les arrêts des zones en viennent.",
                           code="no_timetable")
    unknown = selectors.unknown_ids(version=current, route_ids=[], stop_ids=stops)
    if len(stops) < 2 or unknown:
        raise ServiceError("Une zone dessert au moins deux arrêts connus du réseau"
                           + (f" (inconnus : {', '.join(unknown[:10])})." if unknown else "."),
                           code="invalid_zone", errors={"stop_ids": "Arrêts invalides."})
    with transaction.atomic():
        zone, _ = OnDemandZone.objects.update_or_create(
            organisation=organisation, zone_id=zone_id[:60], defaults={"name": name[:200], "stop_ids": stops})
        audit_record(actor=actor, action="mobility.ondemand_zone", organisation=organisation,
                     target=zone, data={"zone": zone.zone_id, "stops": stops})
    return zone


def run_create(*, actor: User | None, zone: OnDemandZone, day: date, window_start: time, window_end: time,
               vehicle: str, capacity: int) -> OnDemandRun:
    """Open a vehicle run on a zone: its time window and its seats."""
    _check_manager(actor, zone.organisation)
    errors: dict[str, str] = {}
    if window_end <= window_start:
        errors["window_end"] = "La fin du créneau doit suivre son début."
    if not 1 <= capacity <= 60:
        errors["capacity"] = "Un véhicule compte de 1 à 60 places."
    if not vehicle.strip():
        errors["vehicle"] = "Nommez le véhicule."
    if day < timezone.localdate():
        errors["day"] = "Ce jour est passé."
    if errors:
        raise ServiceError(next(iter(errors.values())), code="invalid_run", errors=errors)
    with transaction.atomic():
        run, created = OnDemandRun.objects.get_or_create(
            organisation=zone.organisation, zone=zone, day=day, window_start=window_start,
            vehicle=vehicle.strip()[:60], defaults={"window_end": window_end, "capacity": capacity})
        if not created:
            raise Conflict("Ce véhicule a déjà une course sur ce créneau.", code="run_exists")
        audit_record(actor=actor, action="mobility.ondemand_run", organisation=zone.organisation,
                     target=run, data={"zone": zone.zone_id, "day": day.isoformat(),
                                       "start": window_start.isoformat(), "capacity": capacity})
    return run


def _reference() -> str:
    return "AT-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))


def booking_create(*, actor: User, run: OnDemandRun, pickup_stop_id: str, dropoff_stop_id: str,
                   seats: int = 1, now: datetime | None = None) -> OnDemandBooking:
    """Book seats on a run, from a stop of its zone to another; the last seat goes to one person."""
    if not actor.is_authenticated:
        raise Forbidden("Connectez-vous pour réserver un trajet AlloTIC.")
    moment = now or timezone.now()
    errors: dict[str, str] = {}
    stops = run.zone.stop_ids
    if pickup_stop_id not in stops or dropoff_stop_id not in stops:
        errors["pickup_stop_id"] = "Choisissez deux arrêts de la zone desservie."
    elif pickup_stop_id == dropoff_stop_id:
        errors["dropoff_stop_id"] = "L'arrêt d'arrivée doit différer de l'arrêt de départ."
    if not 1 <= seats <= SEATS_MAX:
        errors["seats"] = f"Réservez de 1 à {SEATS_MAX} places."
    start = run_start(run)
    if moment > start - BOOKING_CLOSES:
        errors["run"] = "Les réservations de ce créneau sont closes (une heure avant son début)."
    elif start - moment > BOOKING_OPENS:
        errors["run"] = "Les réservations ouvrent quatorze jours avant le trajet."
    if errors:
        raise ServiceError(next(iter(errors.values())), code="invalid_booking", errors=errors)
    with transaction.atomic():
        if OnDemandBooking.objects.filter(run=run, user=actor, status=BookingStatus.BOOKED).exists():
            raise Conflict("Vous avez déjà une réservation sur ce créneau.", code="already_booked")
        taken = OnDemandRun.objects.filter(pk=run.pk, seats_booked__lte=F("capacity") - seats) \
            .update(seats_booked=F("seats_booked") + seats)
        if not taken:
            raise Conflict("Il ne reste pas assez de places sur ce créneau : choisissez-en un autre.",
                           code="run_full")
        booking = OnDemandBooking.objects.create(
            organisation=run.organisation, run=run, user=actor, reference=_reference(),
            pickup_stop_id=pickup_stop_id, dropoff_stop_id=dropoff_stop_id, seats=seats, created_at=moment)
        audit_record(actor=actor, action="mobility.booking_create", organisation=run.organisation,
                     target=booking, data={"reference": booking.reference, "run": run.pk, "seats": seats})
    return booking


def _release(booking: OnDemandBooking) -> None:
    OnDemandRun.objects.filter(pk=booking.run_id).update(seats_booked=F("seats_booked") - booking.seats)


def booking_cancel(*, actor: User, booking: OnDemandBooking, now: datetime | None = None) -> OnDemandBooking:
    """Cancel one's booking: free until two hours before the window, then with a penalty."""
    moment = now or timezone.now()
    with transaction.atomic():
        booking = OnDemandBooking.objects.select_for_update().select_related("run").get(pk=booking.pk)
        if booking.user_id != actor.pk:
            raise NotFound("Réservation introuvable.")
        if booking.status != BookingStatus.BOOKED:
            raise Conflict("Cette réservation n'est plus en cours.", code="not_booked")
        start = run_start(booking.run)
        if moment >= start:
            raise Conflict("Le créneau a commencé : la réservation ne peut plus être annulée.",
                           code="run_started")
        late = moment > start - LATE_CANCEL
        booking.status = BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED
        booking.cancelled_at = moment
        if late:
            booking.penalty_amount, booking.penalty_reason = PENALTY, "annulation_tardive"
        booking.save(update_fields=["status", "cancelled_at", "penalty_amount", "penalty_reason"])
        _release(booking)
        audit_record(actor=actor, action="mobility.booking_cancel", organisation=booking.organisation,
                     target=booking, data={"reference": booking.reference, "late": late})
    return booking


def booking_no_show(*, actor: User | None, booking: OnDemandBooking,
                    now: datetime | None = None) -> OnDemandBooking:
    """Record that the traveller was not at the stop: the no-show penalty becomes due."""
    _check_manager(actor, booking.organisation)
    moment = now or timezone.now()
    with transaction.atomic():
        booking = OnDemandBooking.objects.select_for_update().select_related("run").get(pk=booking.pk)
        if booking.status != BookingStatus.BOOKED:
            raise Conflict("Cette réservation n'est plus en cours.", code="not_booked")
        if moment < run_start(booking.run):
            raise Conflict("Le créneau n'a pas commencé : l'absence ne peut pas encore être constatée.",
                           code="run_not_started")
        booking.status = BookingStatus.NO_SHOW
        booking.penalty_amount, booking.penalty_reason = PENALTY, "absence"
        booking.save(update_fields=["status", "penalty_amount", "penalty_reason"])
        audit_record(actor=actor, action="mobility.booking_no_show", organisation=booking.organisation,
                     target=booking, data={"reference": booking.reference})
    return booking


def penalty_pay_start(*, actor: User, booking: OnDemandBooking) -> str:
    """File the portal's penalty procedure as a draft on the traveller's own click; return its number."""
    from socle.portal.selectors import procedure_offered_in
    from socle.portal.services import case_draft_save

    if booking.user_id != actor.pk:
        raise NotFound("Réservation introuvable.")
    if not booking.penalty_reason:
        raise Conflict("Aucune pénalité n'est due pour cette réservation.", code="no_penalty")
    if booking.penalty_case:
        return booking.penalty_case
    offered = procedure_offered_in(organisation=booking.organisation, slug=PENALTY_PROCEDURE)
    if offered is None:
        raise Unavailable("Le paiement en ligne des pénalités n'est pas encore proposé : "
                          "adressez-vous à l'agence TIC.", code="penalty_procedure_missing")
    with transaction.atomic():
        booking = OnDemandBooking.objects.select_for_update().select_related("run").get(pk=booking.pk)
        if booking.penalty_case:
            return booking.penalty_case
        case = case_draft_save(actor=actor, offered=offered, data={
            "numero_reservation": booking.reference, "date_trajet": booking.run.day.isoformat(),
            "motif": booking.penalty_reason})
        booking.penalty_case = case.number
        booking.save(update_fields=["penalty_case"])
        audit_record(actor=actor, action="mobility.penalty_handoff", organisation=booking.organisation,
                     target=booking, data={"reference": booking.reference, "case": case.number})
    return booking.penalty_case
