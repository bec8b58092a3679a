"""System checks of the portal, run by `socle check` (and `socle check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def payment_backend_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production, no organisation may collect through the simulated bank."""
    if not settings.PRODUCTION:
        return []
    simulated = sorted(slug for slug, backend in settings.PAYMENT_BACKENDS.items()
                       if backend.get("kind") == "dummy")
    if not simulated:
        return []
    return [Error(
        "Le paiement en ligne passe par la banque simulée (« dummy ») en production pour : "
        + ", ".join(simulated) + ". Aucun paiement n'y serait encaissé.",
        hint="Configurez PayFiP (« payfip_ws ») dans SOCLE_PAYMENT_BACKENDS, ou retirez ces "
             "organisations pour que le paiement en ligne y soit indisponible.",
        id="socle.portal.E001")]
