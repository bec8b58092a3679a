"""Which payment backend collects for an organisation and a régie (read by settings.py).

``SOCLE_PAYMENT_BACKENDS`` is JSON: organisation slug (or "*" for every other one) →
``{"kind": "dummy" | "payfip_ws", "options": {...}, "regies": {"<régie>": {...}}}``.
A régie's options (PayFiP's client number ``numcli`` above all) are laid over the
organisation's. Besides eopayment's own options, ``wsdl_url`` points payfip_ws at
another copy of PayFiP's WSDL (another server: a qualification platform, a test).
This module imports nothing from Django's models: settings.py calls ``backends_parse``
so that an incomplete PayFiP configuration stops the start-up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

KINDS = {"dummy", "payfip_ws"}
NUMCLI = re.compile(r"\d{6}")
SAISIE = {"T", "X", "W"}


class PaymentConfigError(ValueError):
    """A payment configuration that cannot be used (French message for the operator)."""


@dataclass(frozen=True)
class BackendConfig:
    """The backend that collects one payment: its eopayment kind and options."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)


DEFAULT_OUTSIDE_PRODUCTION: dict[str, Any] = {"*": {"kind": "dummy", "options": {}, "regies": {}}}


def _check_payfip(where: str, options: dict[str, Any], regies: dict[str, Any]) -> None:
    default = options.get("numcli")
    if default is not None and not NUMCLI.fullmatch(str(default)):
        raise PaymentConfigError(f"{where} : « numcli » est un numéro de 6 chiffres.")
    if default is None and not regies:
        raise PaymentConfigError(
            f"{where} : PayFiP (payfip_ws) demande un numéro client « numcli », "
            "dans « options » ou pour chaque régie.")
    for regie, values in regies.items():
        numcli = values.get("numcli", default)
        if numcli is None or not NUMCLI.fullmatch(str(numcli)):
            raise PaymentConfigError(
                f"{where}, régie « {regie} » : « numcli » est un numéro de 6 chiffres.")
        saisie = values.get("saisie", options.get("saisie", "T"))
        if saisie not in SAISIE:
            raise PaymentConfigError(f"{where}, régie « {regie} » : « saisie » vaut T, X ou W.")
    if options.get("saisie", "T") not in SAISIE:
        raise PaymentConfigError(f"{where} : « saisie » vaut T (test), X (activation) ou W "
                                 "(production).")


def backends_parse(raw: str, *, production: bool) -> dict[str, Any]:
    """Parse and check SOCLE_PAYMENT_BACKENDS; raise PaymentConfigError when incomplete.

    Without the variable, the dummy backend serves every organisation outside
    production, and nothing is configured in production: a production site
    never lets a citizen "pay" through the simulator by omission.
    """
    if not raw.strip():
        return {} if production else json.loads(json.dumps(DEFAULT_OUTSIDE_PRODUCTION))
    try:
        config = json.loads(raw)
    except ValueError as exc:
        raise PaymentConfigError(f"SOCLE_PAYMENT_BACKENDS n'est pas du JSON valide : {exc}.") from exc
    if not isinstance(config, dict):
        raise PaymentConfigError("SOCLE_PAYMENT_BACKENDS est un objet JSON : organisation → moyen.")
    parsed: dict[str, Any] = {}
    for slug, backend in config.items():
        where = f"SOCLE_PAYMENT_BACKENDS[{slug}]"
        if not isinstance(backend, dict) or backend.get("kind") not in KINDS:
            raise PaymentConfigError(f"{where} : « kind » vaut « dummy » ou « payfip_ws ».")
        options = backend.get("options") or {}
        regies = backend.get("regies") or {}
        if not isinstance(options, dict) or not isinstance(regies, dict) or not all(
                isinstance(values, dict) for values in regies.values()):
            raise PaymentConfigError(f"{where} : « options » et chaque régie sont des objets JSON.")
        if backend["kind"] == "payfip_ws":
            _check_payfip(where, options, regies)
        parsed[str(slug)] = {"kind": backend["kind"], "options": dict(options),
                             "regies": {str(k): dict(v) for k, v in regies.items()}}
    return parsed


def backend_resolve(backends: dict[str, Any], organisation_path: str, regie: str) -> BackendConfig:
    """Return the backend of an organisation (or its nearest configured ancestor) and régie."""
    slugs = [part for part in organisation_path.strip("/").split("/") if part]
    for slug in [*reversed(slugs), "*"]:
        backend = backends.get(slug)
        if backend is not None:
            break
    else:
        raise PaymentConfigError("Le paiement en ligne n'est pas configuré pour cette organisation.")
    options = dict(backend["options"])
    if regie and regie in backend["regies"]:
        options.update(backend["regies"][regie])
    if backend["kind"] == "payfip_ws" and not options.get("numcli"):
        raise PaymentConfigError(f"Aucun numéro client PayFiP pour la régie « {regie or '—'} ».")
    return BackendConfig(kind=backend["kind"], options=options)
