"""Payment pages: paying a case, the citizen's return, the bank's notification, the simulated bank."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from socle.core.request_actor import request_actor, request_actor_or_none
from socle.core.services import ServiceError

from . import payments, selectors
from .models import Payment, PaymentStatus

# The parameter that names a transaction on the way back from each bank.
RETURN_KEYS = ("transaction_id", "idop", "idOp")


def _base_url(request: HttpRequest) -> str:
    # The host was checked against ALLOWED_HOSTS; the citizen comes back where they left.
    return request.build_absolute_uri("/").rstrip("/")


@login_required
@require_POST
def case_pay(request: HttpRequest, number: str) -> HttpResponse:
    actor = request_actor(request)
    case = selectors.case_get_for(actor=actor, number=number)
    if not selectors.case_is_citizen(actor=actor, case=case):
        raise Http404("Demande introuvable.")
    try:
        _, target, _ = payments.payment_start(actor=actor,
                                           case=case, base_url=_base_url(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("portal:case_detail", number=case.number)
    return HttpResponseRedirect(target)


def _transaction_from(params: dict[str, str]) -> str:
    return next((params[key] for key in RETURN_KEYS if params.get(key)), "")[:120]


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_return(request: HttpRequest) -> HttpResponse:
    """Where the bank sends the citizen back. It shows the payment; only the notification settles it."""
    if request.method == "POST":
        # Some banks post the citizen back: a cross-site POST carries no session cookie
        # (SameSite=Lax), the GET it is redirected to does.
        transaction_id = _transaction_from(request.POST.dict())
        query = urlencode({"transaction_id": transaction_id}) if transaction_id else ""
        return HttpResponseRedirect(reverse("portal:payment_return") + ("?" + query if query
                                                                        else ""), status=303)
    payment = selectors.payment_of_citizen(actor=request_actor_or_none(request),
                                           transaction_id=_transaction_from(request.GET.dict()))
    return render(request, "portal/payment_return.html", {"payment": payment})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_notify(request: HttpRequest, backend: str) -> HttpResponse:
    """The bank's server-to-server notification: plain text for the bank, never a page."""
    query = request.body.decode("utf-8", "replace") if request.method == "POST" and request.body \
        else request.META.get("QUERY_STRING", "")
    try:
        settlement = payments.payment_notify(backend=backend, query=query)
    except payments.NotificationRejected as exc:
        return HttpResponse(f"Notification refusée : {exc.reason}", status=400,
                            content_type="text/plain; charset=utf-8")
    except payments.BankUnavailable:
        # An error status makes the bank notify again; reconciliation settles it otherwise.
        return HttpResponse("Banque injoignable, réessayez plus tard.", status=503,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse(settlement.return_content or "OK", content_type="text/plain; charset=utf-8")


def _dummy_payment(request: HttpRequest, transaction_id: str) -> Payment:
    payment = selectors.payment_of_citizen(actor=request_actor_or_none(request),
                                           transaction_id=transaction_id)
    if payment is None or payment.backend != "dummy":
        raise Http404("Paiement introuvable.")
    return payment


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def dummy_bank(request: HttpRequest) -> HttpResponse:
    """The simulated bank of the demo and the tests: the citizen never leaves for another host."""
    if request.method == "GET":
        payment = _dummy_payment(request, request.GET.get("transaction_id", ""))
        return render(request, "portal/dummy_bank.html", {"payment": payment})
    payment = _dummy_payment(request, request.POST.get("transaction_id", ""))
    outcome = request.POST.get("outcome")
    if outcome not in {"accepted", "refused"}:
        return render(request, "portal/dummy_bank.html", {
            "payment": payment, "error": "Choisissez l'issue du paiement à simuler."}, status=400)
    if payment.status == PaymentStatus.PENDING:
        # What the bank does: notify the platform, through the notification's own code path.
        query = payments.dummy_notification_query(payment, accepted=outcome == "accepted")
        try:
            payments.payment_notify(backend="dummy", query=query)
        except (payments.NotificationRejected, payments.BankUnavailable):
            return render(request, "portal/dummy_bank.html", {
                "payment": payment,
                "error": "La plateforme a refusé la notification de la banque simulée."}, status=409)
    return HttpResponseRedirect(reverse("portal:payment_return") + "?"
                                + urlencode({"transaction_id": payment.transaction_id}))


# The simulated bank, its page and its notification address, do not exist in production
# (`socle check --deploy` also reports a production configured to use it).
_BACKENDS = "payfip_ws" if settings.PRODUCTION else "dummy|payfip_ws"

urlpatterns = [
    path("mes-demandes/<str:number>/payer/", case_pay, name="case_pay"),
    path("paiement/retour/", payment_return, name="payment_return"),
    re_path(rf"^paiement/notification/(?P<backend>{_BACKENDS})/$", payment_notify,
            name="payment_notify"),
    *([] if settings.PRODUCTION else [
        path("paiement/simulateur/", dummy_bank, name="dummy_bank")]),
]
