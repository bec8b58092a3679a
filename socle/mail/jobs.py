"""The mail register's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def escalate() -> str:
    """Flag the overdue letters once and alert their assignees and supervisors."""
    from .services import mail_escalate_overdue

    return f"Courriers en retard signalés : {len(mail_escalate_overdue())}."
