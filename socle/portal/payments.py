"""Online payment of cases through eopayment: PayFiP (payfip_ws) in production, dummy elsewhere.

Only the bank's notification settles a payment, never the citizen's return: the
handler checks that the message is signed, that the transaction is ours, that the
debt reference (PayFiP's refdet) and the amount are the ones requested, and does
nothing the second time it receives the same news. At most one payment is in
progress per case (a partial unique index, and the case's row locked while one
starts or settles); money the bank takes after the amount was already paid (an
abandoned payment settled late) is recorded as received and flagged as ``excess``
for the régie to refund, never counted twice. Payments the bank never told us
about are settled by ``payment_reconcile``, which asks the bank (PayFiP) or lets
them expire (dummy). Amounts are ``Decimal`` from the database to the bank: eopayment receives them as
strings of euros with two decimals.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode

import eopayment
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_tasks import task

from socle.core.access import can
from socle.core.errors import Forbidden, Unavailable
from socle.core.journal import audit_record
from socle.core.models import User
from socle.core.services import ServiceError

from .acknowledgements import payment_receipt
from .amounts import CENT, amount_label
from .models import Case, CaseEvent, CaseEventKind, Payment, PaymentStatus
from .payment_config import KINDS, BackendConfig, PaymentConfigError, backend_resolve
from .services import PROCESS_CASE, Conflict, case_transition
from .workflow import TransitionRefused, workflow_of

logger = logging.getLogger(__name__)

# The workflow role of the bank: transitions it may make once a case is paid.
PAYMENT_ROLE = "payment"
DUMMY_MAC_SALT = "socle.portal.dummy-bank"
# PayFiP's idop can be paid for 15 minutes; a margin for the citizen still on its page.
PAYFIP_SESSION_MINUTES = 20
REFDET = re.compile(r"[A-Za-z0-9]{1,30}")
FAILED_RESULTS = {eopayment.DENIED, eopayment.CANCELLED, eopayment.EXPIRED, eopayment.ERROR}


class NotificationRejected(Exception):
    """A bank notification that is not believed: unsigned, forged, unknown or wrong amount."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BankUnavailable(Exception):
    """The bank could not be asked (network, web service error): try again later."""


@dataclass(frozen=True)
class Settlement:
    """What a notification or a reconciliation did to a payment."""

    payment: Payment
    changed: bool
    return_content: str | None = None


def case_amount_outstanding(case: Case) -> Decimal:
    """Return what the citizen still owes on a case: the amount due less what was paid."""
    paid = case.payments.filter(status=PaymentStatus.PAID).aggregate(total=Sum("amount"))["total"]
    return max(case.amount_due - (paid or Decimal("0.00")), Decimal("0.00")).quantize(CENT)


def _config(case: Case) -> BackendConfig:
    try:
        return backend_resolve(settings.PAYMENT_BACKENDS, case.organisation.path,
                               case.procedure.regie)
    except PaymentConfigError as exc:
        raise ServiceError(f"Le paiement en ligne est indisponible : {exc}",
                           code="payment_unavailable") from exc


def _config_of(payment: Payment) -> BackendConfig:
    """Return the backend that verifies a started payment, even if the settings changed since."""
    try:
        config = _config(payment.case)
    except ServiceError:
        config = None
    if config is None or config.kind != payment.backend:
        # Money may already be taken: checking with the bank needs no client number.
        return BackendConfig(kind=payment.backend, options={})
    return config


def _bank(config: BackendConfig, base_url: str) -> eopayment.Payment:
    options = {
        **config.options,
        "normal_return_url": base_url + reverse("portal:payment_return"),
        "automatic_return_url": base_url + reverse("portal:payment_notify", kwargs={"backend": config.kind}),
    }
    wsdl_url = options.pop("wsdl_url", None)
    if config.kind == "dummy":
        # Never let the dummy backend believe an unsigned message, whatever the options.
        options["consider_all_response_signed"] = False
        options["origin"] = settings.PLATFORM_NAME
    bank = eopayment.Payment(config.kind, options, logger=logger)
    if config.kind == "payfip_ws" and wsdl_url:
        from eopayment.payfip_ws import PayFiP

        # Another copy of PayFiP's contract, whose address is another server (a
        # qualification platform, the tests' server); eopayment takes no option for it.
        bank.backend.payfip = PayFiP(wsdl_url=str(wsdl_url))
    return bank


def _event(case: Case, text: str, actor: User | None = None) -> None:
    CaseEvent.objects.create(case=case, actor=actor, kind=CaseEventKind.PAYMENT, text=text,
                             visible_to_citizen=True)


# --------------------------------------------------------------------- start


def payment_reference(number: str) -> str:
    """Return the debt reference (PayFiP's refdet) of a case number: 2026-000123 → 2026000123.

    PayFiP accepts 1 to 30 letters and digits only; given anything else, eopayment
    replaces it with a timestamp the régie cannot match. Case numbers are
    ``<year>-<digits>``, so the reference maps back with ``payment_case_number``.
    """
    reference = re.sub(r"[^A-Za-z0-9]", "", number)[:30]
    if not REFDET.fullmatch(reference):
        raise ServiceError("Ce dossier n'a pas de numéro utilisable par la banque.",
                           code="bank_unsupported")
    return reference


def payment_case_number(reference: str) -> str:
    """Return the case number a debt reference came from (the inverse of payment_reference)."""
    return f"{reference[:4]}-{reference[4:]}" if reference.isdigit() and len(reference) > 4 \
        else reference


def case_awaits_payment(case: Case) -> bool:
    """Tell whether the case is at a step of its workflow where the citizen is to pay."""
    if case.status == "draft" or case.closed_at is not None:
        return False
    return case.status == "awaiting_payment" or bool(
        workflow_of(case.revision.workflow).available(case.status, PAYMENT_ROLE))


def case_payment_due(case: Case) -> Decimal:
    """Return what the citizen may pay now: the outstanding amount while the case awaits it."""
    return case_amount_outstanding(case) if case_awaits_payment(case) else Decimal("0.00")


def _session_minutes(payment: Payment) -> int:
    # How long the bank may still take the money of a started payment: PayFiP's idop
    # lives 15 minutes (eopayment, payfip_ws); the simulator until reconciliation.
    if payment.backend == "payfip_ws":
        return PAYFIP_SESSION_MINUTES
    return int(settings.PAYMENT_PENDING_MINUTES)


def _pending_of(case: Case) -> Payment | None:
    """Return the case's payment in progress, once the bank was asked about a stale one."""
    payment = case.payments.filter(status=PaymentStatus.PENDING).first()
    if payment is None:
        return None
    if payment.created_at > timezone.now() - timedelta(minutes=_session_minutes(payment)):
        return payment
    # The bank's page is no longer open: ask the bank what became of it before another one.
    try:
        result, bank_status = _ask_bank(payment)
    except (BankUnavailable, NotificationRejected) as exc:
        logger.warning("status of %s unknown at a new start: %s", payment.transaction_id, exc)
        raise _bank_unavailable() from exc
    if result == eopayment.WAITING:
        # PayFiP may report a payment well after its page closed: eopayment calls it
        # waiting for two hours (payfip_ws.P5_WAITING_IN_MINUTES). Starting another one
        # meanwhile is how one fee got paid twice: the citizen waits for the bank's word.
        raise Conflict(
            f"Votre paiement de {amount_label(payment.amount)} commencé le "
            f"{timezone.localtime(payment.created_at):%d/%m/%Y à %H:%M} est encore en cours de "
            "traitement par la banque. Réessayez plus tard : s'il a abouti, vous n'aurez rien "
            "à payer de plus.", code="payment_in_progress")
    settlement = _settle(payment, result, bank_status, via="start")
    return settlement.payment if settlement.payment.status == PaymentStatus.PENDING else None


def _bank_unavailable() -> Unavailable:
    return Unavailable("Le service de paiement ne répond pas. Réessayez dans quelques minutes.",
                       code="bank_unavailable")


def _bank_url_of(payment: Payment, base_url: str) -> str:
    """Return where the citizen pays a payment in progress (rebuilt for one started before
    the address was kept)."""
    if payment.bank_url:
        return payment.bank_url
    if payment.backend == "payfip_ws":
        from eopayment.payfip_ws import PAYMENT_URL

        return f"{PAYMENT_URL}?{urlencode({'idop': payment.transaction_id})}"
    return (base_url.rstrip("/") + reverse("portal:dummy_bank") + "?"
            + urlencode({"transaction_id": payment.transaction_id}))


def payment_start(*, actor: User, case: Case, base_url: str) -> tuple[Payment, str, bool]:
    """Ask the bank for a payment of what the case still owes; return it, where to send the
    citizen, and whether it is new.

    At most one payment is in progress per case (a constraint of the database, and the
    case's row locked while the payment is recorded): while one is, the citizen is sent
    back to it rather than to a second one that could be paid too; while the bank has
    not said what became of a stale one, nothing starts (``payment_in_progress``).
    Nothing starts when the case does not await a payment or nothing is left to pay
    (``nothing_due``). ``base_url`` is the platform's address as the citizen reaches it;
    the bank sends the citizen back there and notifies us there.
    """
    if case.citizen_id is None or case.citizen_id != actor.pk:
        raise Forbidden("Seul l'usager qui a déposé le dossier peut le payer.")
    if not case_awaits_payment(case):
        raise Conflict("Ce dossier n'attend pas de paiement.", code="nothing_due")
    pending = _pending_of(case)
    if pending is not None:
        return pending, _bank_url_of(pending, base_url), False
    due = case_amount_outstanding(case)
    if due <= 0:
        raise Conflict("Aucun montant n'est dû sur ce dossier.", code="nothing_due")
    config = _config(case)
    if config.kind == "dummy" and settings.PRODUCTION:
        raise ServiceError("Le paiement en ligne est indisponible : la banque simulée n'existe pas "
                           "en production.", code="payment_unavailable")
    bank = _bank(config, base_url.rstrip("/"))
    minimum = bank.get_minimal_amount()
    if minimum is not None and due < minimum:
        raise ServiceError(f"Le paiement en ligne demande un montant d'au moins "
                           f"{amount_label(Decimal(minimum))}.", code="amount_too_small")
    reference = payment_reference(case.number)
    extra = {"refdet": reference} if config.kind == "payfip_ws" else {}
    try:
        # The bank is called before any write: no row is locked while PayFiP answers.
        transaction_id, kind, target = bank.request(
            f"{due:f}", email=case.email, orderid=case.number,
            subject=f"{case.procedure.title} {case.number}", **extra)
    except (eopayment.PaymentException, ValueError) as exc:
        logger.warning("payment request refused for %s: %s", case.number, exc)
        raise _bank_unavailable() from exc
    if kind != eopayment.URL:
        raise ServiceError("Ce moyen de paiement n'est pas pris en charge.", code="bank_unsupported")
    if config.kind == "dummy":
        # The dummy backend points at Entr'ouvert's simulator; ours keeps the citizen here.
        query = str(target).split("?", 1)[1] if "?" in str(target) else ""
        target = base_url.rstrip("/") + reverse("portal:dummy_bank") + "?" + query
    try:
        with transaction.atomic():
            # The bank was asked without a lock; what it was asked for is checked again
            # under the case's lock, which every start and settlement of the case takes.
            locked = _case_locked(case.pk)
            pending = locked.payments.filter(status=PaymentStatus.PENDING).first()
            if pending is None:
                _still_due(locked, due)
                payment = Payment.objects.create(case=case, amount=due, backend=config.kind,
                                                 transaction_id=str(transaction_id),
                                                 reference=reference, bank_url=str(target)[:2000])
                audit_record(actor=actor, action="payment.start", organisation=case.organisation,
                             target=payment, data={"number": case.number, "amount": str(due),
                                                   "backend": config.kind, "reference": reference,
                                                   "transaction": payment.transaction_id})
    except IntegrityError:
        # The index is the last word, should a start bypass the lock (a database without
        # row locks): the payment that won is the one in progress.
        pending = case.payments.filter(status=PaymentStatus.PENDING).first()
        if pending is None:
            raise
    if pending is not None:
        # Another start won the race (a double click): its payment is the one in progress;
        # the bank's operation just asked for is never shown, so never paid.
        return pending, _bank_url_of(pending, base_url), False
    return payment, str(target), True


def _case_locked(case_id: int) -> Case:
    """Lock a case's row (not the rows joined to it) for the rest of the transaction."""
    return (Case.objects.select_for_update(of=("self",))
            .select_related("organisation", "revision").get(pk=case_id))


def _still_due(case: Case, due: Decimal) -> None:
    """Raise Conflict unless the case still awaits exactly the amount the bank was asked for."""
    if not case_awaits_payment(case) or case_amount_outstanding(case) <= 0:
        raise Conflict("Aucun montant n'est dû sur ce dossier.", code="nothing_due")
    if case_amount_outstanding(case) != due:
        raise Conflict("Le montant à payer vient de changer. Rechargez la page de votre demande "
                       "et réessayez.", code="amount_changed")


# -------------------------------------------------------------- notification


def dummy_notification_query(payment: Payment, *, accepted: bool) -> str:
    """Return the notification the simulated bank sends for a payment, signed with our key."""
    outcome = "ok" if accepted else "refused"
    fields = {"transaction_id": payment.transaction_id, "amount": f"{payment.amount:f}",
              "signed": "1", "mac": _dummy_mac(payment.transaction_id, f"{payment.amount:f}",
                                               outcome)}
    if accepted:
        fields["ok"] = "1"
    else:
        fields["reason"] = "paiement refusé (banque simulée)"
    return urlencode(fields)


def _dummy_mac(transaction_id: str, amount: str, outcome: str) -> str:
    # eopayment's dummy backend calls "signed" any message carrying a "signed" field;
    # this key-derived MAC keeps a demo citizen from paying by typing a URL.
    return salted_hmac(DUMMY_MAC_SALT, f"{transaction_id}|{amount}|{outcome}",
                       algorithm="sha256").hexdigest()


def _transaction_in(backend: str, query: str) -> tuple[str, str]:
    """Return the transaction a notification is about, and the query eopayment expects."""
    fields = parse_qs(query)
    if backend == "payfip_ws":
        # PayFiP posts "idOp"; eopayment reads "idop".
        idop = (fields.get("idop") or fields.get("idOp") or [""])[0]
        return idop, urlencode({"idop": idop})
    return (fields.get("transaction_id") or [""])[0], query


def _bank_amount(backend: str, bank_data: Any) -> Decimal | None:
    try:
        if backend == "payfip_ws":
            cents = bank_data["montant"]
            return (Decimal(str(cents)) / 100).quantize(CENT)
        values = bank_data.get("amount") or []
        # Compared exactly: "12.300001" is not 12.30.
        return Decimal(str(values[0])) if values else None
    except (KeyError, TypeError, InvalidOperation, AttributeError):
        return None


def _check(payment: Payment, response: Any, backend: str) -> None:
    """Raise NotificationRejected unless the bank's answer is about this payment, signed, exact."""
    if not response.signed:
        raise NotificationRejected("unsigned")
    if str(response.order_id) != payment.transaction_id:
        raise NotificationRejected("transaction_mismatch")
    if backend == "dummy":
        data = response.bank_data
        outcome = "ok" if response.result == eopayment.PAID else (
            "waiting" if response.result == eopayment.WAITING else "refused")
        amount = (data.get("amount") or [""])[0]
        mac = (data.get("mac") or [""])[0]
        if not constant_time_compare(mac, _dummy_mac(payment.transaction_id, amount, outcome)):
            raise NotificationRejected("bad_signature")
    if response.result != eopayment.PAID:
        return
    if backend == "payfip_ws" and payment.reference and _bank_reference(response.bank_data) \
            != payment.reference:
        # The debt PayFiP says was paid is not this case's: the régie would not find it.
        raise NotificationRejected("reference_mismatch")
    if _bank_amount(backend, response.bank_data) != payment.amount:
        raise NotificationRejected("wrong_amount")


def _bank_reference(bank_data: Any) -> str:
    try:
        return str(bank_data["refdet"] or "")
    except (KeyError, TypeError):
        return ""


def _reject(reason: str, *, backend: str, query: str, payment: Payment | None) -> NotificationRejected:
    with transaction.atomic():
        audit_record(actor=None, action="payment.rejected",
                     organisation=payment.case.organisation if payment else None,
                     target=payment, actor_label=f"banque:{backend}"[:100],
                     data={"reason": reason, "backend": backend[:30], "query": query[:500]})
    logger.warning("payment notification rejected (%s): %s", reason, query[:200])
    return NotificationRejected(reason)


def payment_notify(*, backend: str, query: str) -> Settlement:
    """Act on a bank notification once it is verified; the same news twice changes nothing.

    Raise NotificationRejected (journaled) for a message that is not believed and
    BankUnavailable when PayFiP cannot be asked to confirm it.
    """
    if backend not in KINDS:
        raise _reject("unknown_backend", backend=backend, query=query, payment=None)
    transaction_id, bank_query = _transaction_in(backend, query)
    payment = (Payment.objects.select_related("case__organisation", "case__procedure")
               .filter(backend=backend, transaction_id=transaction_id).first()
               if transaction_id else None)
    if payment is None:
        raise _reject("unknown_transaction", backend=backend, query=query, payment=None)
    bank = _bank(_config_of(payment), settings.BASE_URL)
    try:
        response = bank.response(bank_query)
    except eopayment.ResponseError as exc:
        raise _reject("unreadable", backend=backend, query=query, payment=payment) from exc
    except eopayment.PaymentException as exc:
        raise BankUnavailable(str(exc)) from exc
    try:
        _check(payment, response, backend)
    except NotificationRejected as exc:
        raise _reject(exc.reason, backend=backend, query=query, payment=payment) from None
    settlement = _settle(payment, response.result, _status_text(response.bank_status),
                         via="notification")
    return Settlement(settlement.payment, settlement.changed, response.return_content)


def _status_text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")[:120]


def _settle(payment: Payment, result: int, bank_status: str, *, via: str) -> Settlement:
    """Record the bank's verdict on a payment under its row lock; move the case once paid."""
    with transaction.atomic():
        # The case first, as payment_start does: two payments of one case settle in turn,
        # each reading what the other one paid.
        case = _case_locked(payment.case_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        label = f"banque:{payment.backend}"
        data = {"number": case.number, "amount": str(payment.amount),
                "transaction": payment.transaction_id, "backend": payment.backend, "via": via,
                "bank_status": bank_status}
        if result == eopayment.PAID and payment.status in {PaymentStatus.PENDING,
                                                           PaymentStatus.FAILED}:
            _record_paid(case, payment, bank_status, data, label)
            return Settlement(payment, True)
        if result in FAILED_RESULTS and payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
            payment.settled_at = timezone.now()
            payment.bank_status = bank_status
            payment.save(update_fields=["status", "settled_at", "bank_status"])
            _event(case, f"Paiement de {amount_label(payment.amount)} non abouti.")
            audit_record(actor=None, action="payment.failed", organisation=case.organisation,
                         target=payment, data={**data, "result": eopayment.STATUS_NAME.get(result, "")},
                         actor_label=label)
            return Settlement(payment, True)
    return Settlement(payment, False)


def _record_paid(case: Case, payment: Payment, bank_status: str, data: dict[str, Any],
                 label: str) -> None:
    """Record money the bank took; what exceeds the amount still owed is flagged for refund."""
    owed = case_amount_outstanding(case)
    data["previous"] = payment.status
    payment.status = PaymentStatus.PAID
    payment.settled_at = timezone.now()
    payment.bank_status = bank_status
    payment.excess = max(payment.amount - owed, Decimal("0.00"))
    payment.save(update_fields=["status", "settled_at", "bank_status", "excess"])
    audit_record(actor=None, action="payment.paid", organisation=case.organisation,
                 target=payment, data={**data, "excess": str(payment.excess)}, actor_label=label)
    # The receipt is drawn in the settlement's transaction: a payment is never recorded
    # without its receipt, nor a receipt without its payment.
    payment_receipt(case, payment)
    if payment.excess == 0:
        _event(case, f"Paiement de {amount_label(payment.amount)} reçu.")
    else:
        # Refusing is not possible (the bank took the money) and PayFiP cannot refund:
        # the régie does, told by the journal, the case's page and the operator's log.
        _event(case, f"Paiement de {amount_label(payment.amount)} reçu alors que le montant dû "
                     "était déjà réglé : il vous sera remboursé." if payment.excess == payment.amount
               else f"Paiement de {amount_label(payment.amount)} reçu, dont "
                    f"{amount_label(payment.excess)} de plus que le montant dû : cette somme "
                    "vous sera remboursée.")
        audit_record(actor=None, action="payment.excess", organisation=case.organisation,
                     target=payment, data={**data, "excess": str(payment.excess),
                                           "owed": str(owed)}, actor_label=label)
        logger.warning("payment %s of case %s collected %s beyond what was owed",
                       payment.transaction_id, case.number, payment.excess)
    if payment.excess < payment.amount and case_amount_outstanding(case) <= 0:
        _leave_payment_status(case, payment)


def _leave_payment_status(case: Case, payment: Payment) -> None:
    """Move a case that waited for its payment along the workflow's transition for the bank."""
    moves = workflow_of(case.revision.workflow).available(case.status, PAYMENT_ROLE)
    if moves:
        case_transition(actor=None, case=case, to=moves[0].target, system_role=PAYMENT_ROLE,
                        comment=f"Votre paiement de {amount_label(payment.amount)} a bien été reçu.")


# -------------------------------------------------------------------- refund


def payment_refund(*, actor: User, payment: Payment, reason: str = "") -> Payment:
    """Record that a received payment was refunded to the citizen.

    PayFiP has no refund web service: the public accountant (comptable public)
    pays the refund on the régie's request; this records the decision and tells
    the citizen.
    """
    case = payment.case
    if not can(actor, PROCESS_CASE, case.organisation):
        raise TransitionRefused("Votre rôle ne permet pas de rembourser ce paiement.")
    reason = reason.strip()[:1000]
    with transaction.atomic():
        _case_locked(case.pk)  # what was paid changes: settlements of the case wait
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.PAID:
            raise Conflict("Seul un paiement reçu peut être remboursé.", code="not_paid")
        payment.status = PaymentStatus.REFUNDED
        payment.bank_status = "remboursement enregistré"
        payment.save(update_fields=["status", "bank_status"])
        text = f"Paiement de {amount_label(payment.amount)} remboursé."
        _event(case, f"{text} {reason}".strip(), actor=actor)
        audit_record(actor=actor, action="payment.refund", organisation=case.organisation,
                     target=payment, data={"number": case.number, "amount": str(payment.amount),
                                           "transaction": payment.transaction_id,
                                           "reason": reason})
    return payment


# ----------------------------------------------------------------- reconcile


def payment_reconcile(*, older_than_minutes: int | None = None) -> dict[str, int]:
    """Settle the payments still pending after a while by asking the bank; return the counts.

    PayFiP is asked for each payment's status; the dummy bank has nobody to ask,
    so its forgotten payments expire.
    """
    minutes = settings.PAYMENT_PENDING_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    counts = {"checked": 0, "paid": 0, "failed": 0, "pending": 0, "errors": 0}
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lte=cutoff)
    for payment in pending.select_related("case__organisation", "case__procedure").order_by("pk"):
        counts["checked"] += 1
        try:
            result, bank_status = _ask_bank(payment)
        except (BankUnavailable, NotificationRejected, ServiceError) as exc:
            logger.warning("reconciliation of %s failed: %s", payment.transaction_id, exc)
            counts["errors"] += 1
            continue
        settlement = _settle(payment, result, bank_status, via="reconcile")
        status = settlement.payment.status
        key = {PaymentStatus.PAID: "paid", PaymentStatus.FAILED: "failed"}.get(
            PaymentStatus(status), "pending") if settlement.changed else "pending"
        counts[key] += 1
    return counts


def _ask_bank(payment: Payment) -> tuple[int, str]:
    if payment.backend == "dummy":
        return eopayment.EXPIRED, "expiré (banque simulée, aucune notification)"
    bank = _bank(_config_of(payment), settings.BASE_URL)
    if not bank.has_payment_status:
        return eopayment.WAITING, ""
    try:
        response = bank.payment_status(payment.transaction_id, transaction_date=payment.created_at)
    except eopayment.PaymentException as exc:
        raise BankUnavailable(str(exc)) from exc
    try:
        _check(payment, response, payment.backend)
    except NotificationRejected as exc:
        raise _reject(exc.reason, backend=payment.backend, query=f"idop={payment.transaction_id}",
                      payment=payment) from None
    return response.result, _status_text(response.bank_status)


@task(queue_name="default")
def payment_reconcile_task() -> dict[str, int]:
    """Settle the payments left pending (run by `socle worker`)."""
    return payment_reconcile()
