"""The portal's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations


def reconcile_payments() -> str:
    """Settle the payments left pending by asking the bank."""
    from .payments import payment_reconcile

    counts = payment_reconcile()
    return ", ".join(f"{key} : {value}" for key, value in sorted(counts.items())) or "Aucun paiement."
