"""Paying for a booking: the small interface a payment provider answers, and a test stand-in.

The portal's payment (PayFiP through eopayment) is bound to its cases: it offers no way for
another module to ask for an amount under a reference of its own (decision 0021). Until it
does, ``AGENDAS_PAYMENT_BACKEND`` names the class that takes a ``PaymentRequest`` and returns
where to send the payer; the provider then tells ``services.booking_payment_settle`` what
became of the reference. None is set by default: a priced booking is refused
(``payment_unavailable``) rather than given away. ``TestPayments`` stands in for the bank
(demo, tests): its page lets a tester accept or refuse, and answers nothing otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.urls import reverse

from socle.core.modules import resolve

from .models import BookingStatus, MeetingType

TEST_BACKEND = "socle.agendas.payment_backend:TestPayments"
PAYMENT_MINUTES = 30  # how long a slot is held for its payment


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # letters and digits, at most 30 (PayFiP's refdet)
    amount: Decimal
    label: str  # French, shown by the bank: "Coworking du parc — 12/03/2026 09:00"
    organisation: str  # the slug of the organisation paid (its régie)
    payer_email: str
    return_url: str  # where the bank sends the payer back (absolute)
    expires_at: datetime  # the bank must not take the money after this


class PaymentBackend(Protocol):
    def start(self, request: PaymentRequest) -> str: ...


class TestPayments:
    """A bank for tests and the demo: the payer accepts or refuses on one of our pages."""

    def start(self, request: PaymentRequest) -> str:
        return reverse("agendas:payment_test", args=[request.reference])


def payment_backend() -> PaymentBackend | None:
    """Return the configured payment provider, or None when online payment is not open."""
    path = getattr(settings, "AGENDAS_PAYMENT_BACKEND", "")
    if not path:
        return None
    backend: PaymentBackend = resolve(path)()
    return backend


def simulated_bank_on() -> bool:
    """Whether the test bank stands in (its page answers only then)."""
    return getattr(settings, "AGENDAS_PAYMENT_BACKEND", "") == TEST_BACKEND


def hold_terms(meeting_type: MeetingType, now: datetime) -> dict[str, Any]:
    """A free type is booked at once; a priced one is held « à payer » for PAYMENT_MINUTES."""
    if meeting_type.price <= 0:
        return {"status": BookingStatus.BOOKED}
    return {
        "status": BookingStatus.TO_PAY,
        "amount": meeting_type.price,
        "payment_due_by": now + timedelta(minutes=PAYMENT_MINUTES),
    }
