"""The DPO and referents are alerted once as a clock nears its end, once when it is passed."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from socle.core.models import AuditEvent
from socle.core.task_queue import task_run_next
from socle.privacy import services
from socle.privacy.jobs import deadlines_alert as deadlines_alert_job


def _send_all() -> None:
    while task_run_next(worker_id="test"):
        pass


def test_a_breach_alerts_its_register_at_24_hours_left_then_when_overdue(
        dpo, referent, other_referent, new_breach, django_capture_on_commit_callbacks):
    breach = new_breach(aware_at=timezone.now() - timedelta(hours=50))
    new_breach(title="Récente")  # 62 hours left: nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_alert() == (1, 0)
    _send_all()
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["dpo@exemple.fr", "rgpd.margny@exemple.fr"]
    assert breach.title in mail.outbox[0].subject and "Il reste 21 h 5" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_alert() == (0, 0)  # once per stage
        assert services.deadlines_alert(now=timezone.now() + timedelta(hours=23)) == (1, 0)
    _send_all()
    assert "dépassé" in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action="privacy.alert").count() == 2


def test_a_notified_or_exempted_breach_alerts_nobody(referent, new_breach):
    notified = new_breach(aware_at=timezone.now() - timedelta(hours=60))
    services.breach_notify(actor=referent, breach=notified, to="cnil")
    exempt = new_breach(aware_at=timezone.now() - timedelta(hours=60), risk="unlikely")
    services.breach_decide(actor=referent, breach=exempt, cnil="not_required",
                           cnil_reason="Données chiffrées")
    assert services.deadlines_alert() == (0, 0)


def test_a_request_is_reminded_a_week_before_and_when_overdue(
        referent, new_request, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    request = new_request(received_on=today - timedelta(days=26))
    new_request(received_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_alert() == (0, 1)
    _send_all()
    assert mail.outbox[-1].to == ["rgpd.margny@exemple.fr"] and "arrive à échéance" in \
        mail.outbox[-1].body
    services.request_extend(actor=referent, request=request, reason="Complexe")
    assert services.deadlines_alert() == (0, 0)  # three months now


def test_the_job_says_what_it_alerted(new_breach):
    new_breach(aware_at=timezone.now() - timedelta(hours=80))
    assert deadlines_alert_job() == "Alertes de délai : 1 violations, 0 demandes."
