"""Amounts of money as the portal writes them for people."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def amount_label(amount: Decimal) -> str:
    """Write an amount as a French reader does: 12,30 €, 1 234,50 €."""
    # Thousands are grouped with a narrow no-break space, the French typographic rule.
    text = f"{amount.quantize(CENT):,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
