"""The GDPR register's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def platform_sync() -> str:
    """Report the processing activities the modules declare into every structure's register."""
    from .services import platform_sync as sync

    return sync().summary()
