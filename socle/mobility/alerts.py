"""Alerts to travellers: email subscriptions by line, stop and profile, and their delivery.

- **Double opt-in**: a subscription starts pending; the mail carries a random secret of
  which only the SHA-256 is kept. It confirms that one subscription, once, for three
  days, and is erased when used: it opens nothing else.
- **One-click unsubscribe** (RFC 8058): every alert carries ``List-Unsubscribe`` (an
  HTTPS address holding a token signed with a salt of its own, naming the subscription
  and its random nonce) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. A POST
  to that address ends the subscription without a session or a CSRF token; the token
  ends that subscription and does nothing else.
- **Once**: a disruption's subscribers are found by a background task (``alerts_fanout``)
  that writes one ``AlertDelivery`` per (subscription, disruption), unique in the
  database; each delivery is mailed by its own task, which marks it sent in the
  transaction that sends it. Running the fan-out again finds the pairs already there.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.notifications import absolute_url, email_build, email_notify
from socle.core.throttle import throttle_hit

from . import selectors
from .models import AlertDelivery, AlertStatus, AlertSubscription, Disruption, FeedVersion

PROFILES = {"any": "Tout public", "student": "Élève ou étudiant",
            "worker": "Actif (trajets domicile-travail)"}
CONFIRM_VALID = timedelta(days=3)
MAX_CHOICES = 30
PENDING_PER_ADDRESS_PER_DAY = 3
SUBSCRIBE_PER_CLIENT_PER_HOUR = 10
UNSUBSCRIBE_SALT = "socle.mobility.alerts.unsubscribe"


class LinkRefused(ServiceError):
    code = "invalid_link"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def unsubscribe_token(subscription: AlertSubscription) -> str:
    """The signed token of a subscription's unsubscribe address (valid as long as it is)."""
    return signing.dumps([subscription.pk, subscription.nonce], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscription: AlertSubscription) -> str:
    return absolute_url(reverse("mobility:alerts_unsubscribe", args=[unsubscribe_token(subscription)]))


def _network() -> FeedVersion:
    current = selectors.feed_current()
    if current is None:
        raise ServiceError("Aucun horaire n'est publié : les alertes ne sont pas encore proposées.",
                           code="no_timetable")
    return current


def _checked_choices(current: FeedVersion, email: str, profile: str, route_ids: list[str],
                     stop_ids: list[str]) -> tuple[str, list[str], list[str]]:
    errors: dict[str, str] = {}
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        errors["email"] = "Indiquez une adresse électronique valide, par exemple nom@exemple.fr."
    if profile not in PROFILES:
        errors["profile"] = "Choisissez votre profil : tout public, élève ou étudiant, actif."
    routes, stops = sorted(set(route_ids)), sorted(set(stop_ids))
    if len(routes) > MAX_CHOICES or len(stops) > MAX_CHOICES:
        errors["route_ids"] = f"Choisissez au plus {MAX_CHOICES} lignes et {MAX_CHOICES} arrêts."
    else:
        unknown = selectors.unknown_ids(version=current, route_ids=routes, stop_ids=stops)
        if unknown:
            errors["route_ids"] = "Lignes ou arrêts inconnus : " + ", ".join(unknown[:10])
    if errors:
        raise ServiceError(next(iter(errors.values())), code="invalid_subscription", errors=errors)
    return address, routes, stops


def alert_subscribe(*, email: str, profile: str = "any", route_ids: list[str] | None = None,
                    stop_ids: list[str] | None = None, client: str | None = None) -> None:
    """Ask for alerts: mail a confirmation link; nothing is sent before it is opened.

    The outcome on screen never says whether the address already has subscriptions; a
    flood of requests for one address (or from one client) is dropped or refused.
    """
    current = _network()
    address, routes, stops = _checked_choices(current, email, profile, route_ids or [], stop_ids or [])
    throttle_hit(scope="mobility.alert_subscribe", key=client, limit=SUBSCRIBE_PER_CLIENT_PER_HOUR,
                 window=timedelta(hours=1),
                 message="Trop de demandes d'abonnement depuis votre connexion : réessayez dans une heure.")
    now = timezone.now()
    with transaction.atomic():
        recent = AlertSubscription.objects.filter(email=address, status=AlertStatus.PENDING,
                                                  created_at__gte=now - timedelta(days=1)).count()
        if recent >= PENDING_PER_ADDRESS_PER_DAY:
            return
        secret = secrets.token_urlsafe(32)
        subscription = AlertSubscription.objects.create(
            organisation=current.organisation, email=address, profile=profile, route_ids=routes,
            stop_ids=stops, confirm_digest=_digest(secret), confirm_expires_at=now + CONFIRM_VALID,
            nonce=secrets.token_urlsafe(16), created_at=now)
        audit_record(actor=None, action="mobility.alert_subscribe", organisation=current.organisation,
                     target=subscription, data={"profile": profile, "routes": routes, "stops": stops})
        link = absolute_url(reverse("mobility:alerts_confirm", args=[secret]))
        covered = selectors.alert_choices_label(version=current, route_ids=routes, stop_ids=stops)
        email_notify(to=[address], subject="Confirmez votre abonnement aux alertes du réseau",
                     body="Bonjour,\n\nVous avez demandé à recevoir par courriel les perturbations "
                          f"du réseau : {covered}.\n\n"
                          f"Pour confirmer, ouvrez ce lien (valable 3 jours) :\n{link}\n\n"
                          "Si vous n'avez rien demandé, ignorez ce message : aucune alerte ne "
                          "vous sera envoyée.")


def _pending_by_secret(secret: str) -> AlertSubscription:
    subscription = (AlertSubscription.objects.select_for_update()
                    .filter(confirm_digest=_digest(secret[:100]), status=AlertStatus.PENDING).first())
    if subscription is None:
        raise LinkRefused("Ce lien n'est pas valide ou a déjà servi : il ne confirme qu'une fois.")
    if subscription.confirm_expires_at is None or subscription.confirm_expires_at <= timezone.now():
        raise LinkRefused("Ce lien a expiré. Abonnez-vous de nouveau pour en recevoir un autre.")
    return subscription


def alert_confirm_check(*, secret: str) -> AlertSubscription:
    """Return the pending subscription a confirmation link names, or refuse the link."""
    with transaction.atomic():
        return _pending_by_secret(secret)


def alert_confirm(*, secret: str) -> AlertSubscription:
    """Confirm a subscription with its link's secret: once, before it expires."""
    with transaction.atomic():
        subscription = _pending_by_secret(secret)
        subscription.status = AlertStatus.ACTIVE
        subscription.confirmed_at = timezone.now()
        subscription.confirm_digest = ""
        subscription.confirm_expires_at = None
        subscription.save(update_fields=["status", "confirmed_at", "confirm_digest", "confirm_expires_at"])
        audit_record(actor=None, action="mobility.alert_confirm", organisation=subscription.organisation,
                     target=subscription, data={})
    return subscription


def subscription_from_token(token: str) -> AlertSubscription:
    """Return the subscription an unsubscribe token names, or refuse it."""
    try:
        pk, nonce = signing.loads(token[:300], salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkRefused("Ce lien de désabonnement n'est pas valide. Vérifiez qu'il est complet.") from exc
    subscription = AlertSubscription.objects.filter(pk=pk, nonce=nonce).first() \
        if isinstance(pk, int) and isinstance(nonce, str) else None
    if subscription is None:
        raise LinkRefused("Ce lien de désabonnement n'est pas valide. Vérifiez qu'il est complet.")
    return subscription


def alert_unsubscribe(*, token: str) -> AlertSubscription:
    """End the subscription a token names (one click, no session); again is harmless."""
    with transaction.atomic():
        subscription = subscription_from_token(token)
        subscription = AlertSubscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status == AlertStatus.ENDED:
            return subscription
        subscription.status = AlertStatus.ENDED
        subscription.ended_at = timezone.now()
        subscription.email = ""  # nothing more is sent: the address is no longer kept
        subscription.confirm_digest = ""
        subscription.save(update_fields=["status", "ended_at", "email", "confirm_digest"])
        audit_record(actor=None, action="mobility.alert_unsubscribe", organisation=subscription.organisation,
                     target=subscription, data={})
    return subscription


def _matching(disruption: Disruption) -> Q:
    where = Q(organisation=disruption.organisation_id, status=AlertStatus.ACTIVE)
    if disruption.audience != "any":
        where &= Q(profile=disruption.audience)
    return where


def _concerns(subscription: AlertSubscription, disruption: Disruption) -> bool:
    if not subscription.route_ids and not subscription.stop_ids:
        return True
    return bool(set(subscription.route_ids) & set(disruption.route_ids)
                or set(subscription.stop_ids) & set(disruption.stop_ids))


def alerts_fanout(*, disruption_id: int) -> int:
    """Find a disruption's subscribers and queue one mail each, once; return how many queued."""
    with transaction.atomic():
        disruption = Disruption.objects.select_for_update().filter(pk=disruption_id).first()
        if disruption is None:
            return 0
        # JSON containment is not portable (SQLite) and the lists are short: matched here.
        targets = [s.pk for s in AlertSubscription.objects.filter(_matching(disruption)).only(
            "pk", "route_ids", "stop_ids") if _concerns(s, disruption)]
        known = set(AlertDelivery.objects.filter(disruption=disruption).values_list("subscription_id",
                                                                                    flat=True))
        AlertDelivery.objects.bulk_create(
            [AlertDelivery(subscription_id=pk, disruption=disruption) for pk in targets if pk not in known],
            ignore_conflicts=True)
        due = list(AlertDelivery.objects.filter(disruption=disruption, sent_at__isnull=True, skipped=False,
                                                subscription_id__in=[pk for pk in targets if pk not in known])
                   .values_list("pk", flat=True))
        if disruption.alerted_at is None:
            disruption.alerted_at = timezone.now()
            disruption.save(update_fields=["alerted_at"])
        # Queued in this transaction: with the database queue, the deliveries and their
        # tasks commit together (a fan-out that fails leaves neither).
        for pk in due:
            alert_send_task.enqueue(delivery_id=pk)
    return len(due)


def alerts_fanout_later(disruption: Disruption) -> None:
    """Queue the fan-out of a new disruption once the transaction that wrote it commits."""
    pk = disruption.pk
    transaction.on_commit(lambda: alerts_fanout_task.enqueue(disruption_id=pk))


def alerts_pending(*, now: datetime | None = None) -> list[int]:
    """The disruptions of the last day whose subscribers were never looked for (a lost task)."""
    moment = now or timezone.now()
    return list(Disruption.objects.filter(alerted_at__isnull=True, created_at__gte=moment - timedelta(days=1))
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=moment)).values_list("pk", flat=True))


def subscriptions_purge(*, now: datetime | None = None) -> int:
    """Delete the subscriptions never confirmed whose link expired; return how many."""
    moment = now or timezone.now()
    deleted, _ = AlertSubscription.objects.filter(status=AlertStatus.PENDING,
                                                  confirm_expires_at__lt=moment).delete()
    return deleted


# ---- Background tasks


@task(queue_name="default")
def alerts_fanout_task(*, disruption_id: int) -> int:
    """Find the subscribers a disruption concerns and queue their mails (idempotent)."""
    return alerts_fanout(disruption_id=disruption_id)


def _body(delivery: AlertDelivery, link: str) -> tuple[str, str]:
    disruption = delivery.disruption
    places = selectors.alert_places_label(disruption=disruption)
    subject = f"Perturbation — {places} : {disruption.title}"[:200]
    moment = timezone.localtime(disruption.starts_at)
    lines = [f"Bonjour,\n\n{disruption.title}", f"Concerne : {places}.",
             f"Depuis le {moment:%d/%m/%Y} à {moment:%H:%M}"
             + (f", jusqu'au {timezone.localtime(disruption.ends_at):%d/%m/%Y à %H:%M}."
                if disruption.ends_at else ".")]
    if disruption.description:
        lines.append(disruption.description)
    lines.append("Horaires et prochains départs : " + absolute_url(reverse("mobility:network")))
    lines.append("Vous recevez ce message parce que vous vous êtes abonné aux alertes du réseau. "
                 f"Pour ne plus les recevoir, un clic suffit :\n{link}")
    return subject, "\n\n".join(lines)


@task(queue_name="default")
def alert_send_task(*, delivery_id: int) -> int:
    """Mail one disruption to one subscriber, unless it was sent already or the subscriber left.

    The delivery is marked sent in the transaction that sends it: a relay failure leaves it
    due (the queue retries), a sent one is never sent again by a replay.
    """
    with transaction.atomic():
        delivery = (AlertDelivery.objects.select_for_update().select_related("subscription", "disruption")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.sent_at is not None or delivery.skipped:
            return 0
        subscription = delivery.subscription
        if subscription.status != AlertStatus.ACTIVE or not subscription.email:
            delivery.skipped = True
            delivery.save(update_fields=["skipped"])
            return 0
        link = unsubscribe_url(subscription)
        subject, body = _body(delivery, link)
        message = email_build(to=[subscription.email], subject=subject, body=body)
        message.extra_headers["List-Unsubscribe"] = f"<{link}>"
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.extra_headers["List-Id"] = f"<alertes-mobilite.{settings.EMAIL_MESSAGE_ID_DOMAIN}>"
        sent = message.send()
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["sent_at"])
    return sent
