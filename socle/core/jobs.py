"""The core's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def audit_seal() -> str:
    """Seal the journal events written since the last seal."""
    from .journal_seal import audit_seal as seal

    made = seal(actor=None)
    if made is None:
        return "Rien à sceller."
    return f"Scellement n° {made.seq} : événements {made.first_seq} à {made.last_seq}."
