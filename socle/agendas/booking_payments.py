"""The writes of paying a booking: start a payment, settle it, free the slots left unpaid.

Re-exported by ``services``. The provider behind ``payment_backend`` (the portal's, once it
takes a reference of another module) calls ``booking_payment_settle`` with its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import User

from . import selectors
from ._checks import _local
from .booking_messages import _tell
from .describe import booking_title
from .models import Booking, BookingStatus, Resource
from .payment_backend import PaymentRequest, payment_backend


def _holds_expire(resources: Sequence[Resource], now: datetime) -> int:
    """Free the slots held for a payment now overdue (inside the writer's lock of the resources)."""
    count = 0
    for held in Booking.objects.filter(
        resource__in=resources, status=BookingStatus.TO_PAY, payment_due_by__lte=now
    ).select_for_update():
        held.status, held.cancelled_at, held.cancel_reason = BookingStatus.CANCELLED, now, "Non payée à temps"
        held.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=None,
            action="agendas.payment_expire",
            organisation=held.organisation,
            target=held,
            data={"reference": held.payment_reference, "amount": str(held.amount)},
        )
        _tell(
            held,
            f"Réservation annulée : non payée le {_local(held.start)}",
            "Le paiement n'a pas été reçu à temps : le créneau est libéré.",
            short="Non payée à temps, réservation annulée :",
        )
        count += 1
    return count


def booking_payment_start(
    *, actor: User, booking: Booking, base_url: str, now: datetime | None = None
) -> str:
    """Ask the payment provider for the price of a booking held « à payer »; return where to pay."""
    if booking.user_id != actor.pk:
        raise Forbidden("Seule la personne qui a réservé paie sa réservation.")
    now = now or timezone.now()
    if booking.status != BookingStatus.TO_PAY:
        raise Conflict("Cette réservation n'attend pas de paiement.", code="nothing_due")
    if booking.payment_due_by is None or booking.payment_due_by <= now:
        raise Conflict("Le délai de paiement est passé : le créneau a été libéré.", code="payment_overdue")
    backend = payment_backend()
    if backend is None:
        raise ServiceError("Le paiement en ligne n'est pas ouvert.", code="payment_unavailable")
    request = PaymentRequest(
        reference=booking.payment_reference,
        amount=booking.amount,
        label=f"{booking.agenda.title} — {_local(booking.start)}"[:100],
        organisation=booking.organisation.slug,
        payer_email=booking.email,
        return_url=base_url.rstrip("/") + reverse("agendas:my_bookings"),
        expires_at=booking.payment_due_by,
    )
    url = backend.start(request)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="agendas.payment_start",
            organisation=booking.organisation,
            target=booking,
            data={"reference": request.reference, "amount": str(request.amount)},
        )
    return url


def booking_payment_settle(*, reference: str, accepted: bool, transaction_id: str = "") -> Booking:
    """Record the provider's answer for a reference: paid in time confirms the booking."""
    now = timezone.now()
    with transaction.atomic():
        booking = selectors.booking_by_payment_reference(actor=None, reference=reference)
        held = Booking.objects.select_for_update().get(pk=booking.pk)
        if held.paid_at is not None or not accepted:
            if not accepted:
                audit_record(
                    actor=None,
                    action="agendas.payment_refused",
                    organisation=held.organisation,
                    target=held,
                    data={"reference": reference, "transaction": transaction_id[:64]},
                )
            return held  # told twice, or refused: the slot stays held until it is due
        held.paid_at = now
        late = held.status != BookingStatus.TO_PAY
        if not late:
            held.status = BookingStatus.BOOKED
        held.save(update_fields=["paid_at", "status"])
        audit_record(
            actor=None,
            action="agendas.payment_late" if late else "agendas.payment_settle",
            organisation=held.organisation,
            target=held,
            data={"reference": reference, "amount": str(held.amount), "transaction": transaction_id[:64]},
        )
        if late:
            # Paid after the slot was freed: the organisation refunds (the journal says so).
            _tell(
                held,
                f"Paiement reçu trop tard : {booking_title(held)}",
                "Votre paiement est arrivé après le délai : le créneau avait été libéré. "
                "Vous serez remboursé.",
            )
        else:
            _tell(held, f"Réservation payée et confirmée le {_local(held.start)}", "Votre paiement est reçu.")
    return held


def bookings_expire_unpaid(*, now: datetime | None = None) -> int:
    """Free every slot held for a payment that is now overdue; return how many."""
    now = now or timezone.now()
    ids = selectors.resources_with_overdue_holds(actor=None, now=now)
    if not ids:
        return 0
    with transaction.atomic():
        resources = list(Resource.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        return _holds_expire(resources, now)
