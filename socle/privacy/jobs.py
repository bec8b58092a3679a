"""The GDPR register's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def platform_sync() -> str:
    """Report the processing activities the modules declare into every structure's register."""
    from .services import platform_sync as sync

    return sync().summary()


def deadlines_alert() -> str:
    """Alert the DPO and referents of breaches and requests whose delay nears its end."""
    from .services import deadlines_alert as alert

    breaches, requests = alert()
    return f"Alertes de délai : {breaches} violations, {requests} demandes."
