"""The core's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def audit_seal() -> str:
    """Seal the journal events written since the last seal."""
    from .journal_seal import audit_seal as seal

    made = seal(actor=None)
    if made is None:
        return "Rien à sceller."
    return f"Scellement n° {made.seq} : événements {made.first_seq} à {made.last_seq}."


def prune_tasks() -> str:
    """Delete the results of tasks that succeeded longer than ``TASKS_KEEP_DAYS`` ago."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    before = timezone.now() - timedelta(days=settings.TASKS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.filter(status="SUCCESSFUL", finished_at__lt=before).delete()
    return f"{deleted} résultat(s) de tâches effacé(s)."


def clear_sessions() -> str:
    """Delete the expired sessions (what `socle clearsessions` does)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"{deleted} session(s) expirée(s) effacée(s)."


def consultations_fold() -> str:
    """Move the consultations logged since the last run into the chained journal."""
    from .consultations import consultations_fold as fold

    report = fold()
    return (f"{report.consultations} consultation(s) versée(s) au journal "
            f"en {report.events} événement(s).")


def throttle_prune() -> str:
    """Delete the counts of open doors' uses older than a day."""
    from .throttle import throttle_prune as prune

    return f"{prune()} compte(s) d'usage effacé(s)."


def notices_digest() -> str:
    """Mail the daily digest of notices to the agents who chose it."""
    from .notices import digests_send

    sent = digests_send()
    if not sent:
        return "Aucun récapitulatif à envoyer."
    return f"{len(sent)} récapitulatif(s) envoyé(s), {sum(d.count for d in sent)} avis."
