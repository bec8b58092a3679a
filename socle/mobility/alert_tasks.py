"""The background tasks of alerts: a disruption's fan-out, and one mail per subscriber."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from socle.core.notifications import absolute_url, email_build

from . import selectors
from .alerts import alerts_fanout, unsubscribe_url
from .models import AlertDelivery, AlertStatus


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
