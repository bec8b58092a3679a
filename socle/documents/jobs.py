"""The GED's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def remind_overdue() -> str:
    """Remind the agents of overdue circuit steps (at most once a day per step)."""
    from .circuits import circuit_remind_overdue

    return f"Étapes en retard relancées : {len(circuit_remind_overdue())}."
