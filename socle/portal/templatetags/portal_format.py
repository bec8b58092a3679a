"""Template filters of the portal: amounts written as French readers expect them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from socle.portal.payments import amount_label

register = template.Library()


@register.filter
def euros(value: Any) -> str:
    """Write an amount in euros the French way: 12,30 €; an empty value stays empty."""
    if value is None or value == "":
        return ""
    try:
        return amount_label(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
