"""Pages of paying a booking: the amount to pay, and the test bank that stands in for a real one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import selectors, services
from .payment_backend import simulated_bank_on


@require_http_methods(["GET", "POST"])
@login_required
def booking_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """What a booking « à payer » costs and until when; « Payer en ligne » goes to the provider."""
    actor = request_actor(request)
    booking = selectors.booking_get(actor=actor, pk=pk)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            url = services.booking_payment_start(
                actor=actor, booking=booking, base_url=request.build_absolute_uri("/")
            )
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
        else:
            return redirect(url)
    return render(request, "agendas/pay.html", {"booking": booking, "refusal": refusal}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def payment_test(request: HttpRequest, reference: str) -> HttpResponse:
    """The test bank (``TestPayments`` only): accept or refuse the payment of a reference."""
    if not simulated_bank_on():
        raise Http404("Aucune banque de test ici.")
    booking = selectors.booking_by_payment_reference(actor=None, reference=reference[:30])
    if booking.user_id != request_actor(request).pk:
        raise Http404("Référence de paiement inconnue.")
    if request.method == "POST":
        accepted = request.POST.get("result") == "accepted"
        settled = services.booking_payment_settle(reference=booking.payment_reference, accepted=accepted)
        if accepted and settled.status == "booked":
            messages.success(request, "Paiement accepté : réservation confirmée.")
        else:
            messages.warning(request, "Paiement refusé : la réservation reste à payer jusqu'au délai.")
        return redirect("agendas:my_bookings")
    return render(request, "agendas/payment_test.html", {"booking": booking})
