"""Publishing the open datasets on a udata instance (data.gouv.fr's API), switched on by settings.

``OPENDATA_UDATA_URL`` (``https://www.data.gouv.fr/api/1``), ``OPENDATA_UDATA_API_KEY`` and
``OPENDATA_UDATA_ORGANIZATIONS`` (JSON: socle organisation slug → udata organization id)
come from the environment (the same names prefixed with ``SOCLE_``). Without a URL nothing is sent; with a
URL but no key, the system check ``opendata.E001`` stops the start-up. Each dataset is
created once, then updated; each published file is a remote resource pointing at socle's
download address, with the schema it follows, so that data.gouv.fr shows its conformity.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

LICENCES = {"lo-2.0": "lov2", "odbl": "odc-odbl"}
FREQUENCIES = {
    "continuous": "continuous",
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "annual": "annual",
    "irregular": "irregular",
}
TIMEOUT_SECONDS = 15


class UdataUnavailable(Exception):
    """The udata instance refused or did not answer."""


@dataclass(frozen=True)
class UdataSettings:
    url: str
    api_key: str
    organizations: dict[str, str]


def udata_settings() -> UdataSettings | None:
    """Return the connector's settings, or None when it is switched off."""
    url = str(getattr(settings, "OPENDATA_UDATA_URL", "") or os.environ.get("SOCLE_OPENDATA_UDATA_URL", ""))
    if not url:
        return None
    key = str(
        getattr(settings, "OPENDATA_UDATA_API_KEY", "") or os.environ.get("SOCLE_OPENDATA_UDATA_API_KEY", "")
    )
    raw = getattr(settings, "OPENDATA_UDATA_ORGANIZATIONS", None) or os.environ.get(
        "SOCLE_OPENDATA_UDATA_ORGANIZATIONS", "{}"
    )
    organizations = raw if isinstance(raw, dict) else json.loads(raw)
    return UdataSettings(url.rstrip("/"), key, {str(k): str(v) for k, v in organizations.items()})


@register()
def udata_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Fail fast when the connector is switched on but incomplete."""
    try:
        found = udata_settings()
    except (ValueError, AttributeError):
        return [
            Error(
                "OPENDATA_UDATA_ORGANIZATIONS n'est pas un objet JSON (slug → identifiant udata).",
                id="opendata.E002",
            )
        ]
    if found is not None and not found.api_key:
        return [
            Error(
                "Le connecteur udata est activé (OPENDATA_UDATA_URL) sans clé d'API "
                "(OPENDATA_UDATA_API_KEY).",
                id="opendata.E001",
            )
        ]
    return []


def _call(config: UdataSettings, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    if not config.url.startswith(("https://", "http://")):
        raise UdataUnavailable(f"Adresse udata refusée (http ou https seulement) : {config.url}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        f"{config.url}{path}",
        data=json.dumps(body).encode("utf-8"),
        method=method,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-API-KEY": config.api_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - a setting's URL
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as exc:
        raise UdataUnavailable(f"udata a refusé {method} {path} : {exc.code} {exc.read()[:300]!r}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise UdataUnavailable(f"udata ne répond pas ({config.url}) : {exc}") from None


def dataset_payload(dataset: Any, organization: str) -> dict[str, Any]:
    """The udata dataset for one of socle's."""
    payload: dict[str, Any] = {
        "title": dataset.title,
        "description": dataset.description or dataset.title,
        "license": LICENCES.get(dataset.licence, "notspecified"),
        "frequency": FREQUENCIES.get(dataset.frequency, "unknown"),
        "tags": [str(k)[:96] for k in dataset.keywords],
        "extras": {"socle:id": f"{dataset.organisation.slug}/{dataset.slug}"},
    }
    if organization:
        payload["organization"] = {"id": organization}
    return payload


def resource_payload(distribution: Any, url: str) -> dict[str, Any]:
    """The udata resource of a published file: a remote CSV with its schema."""
    payload: dict[str, Any] = {
        "title": distribution.title,
        "url": url,
        "type": "main",
        "filetype": "remote",
        "format": "csv",
        "mime": "text/csv",
    }
    if distribution.table_schema:
        name, _, version = distribution.table_schema.partition("@")
        payload["schema"] = {"name": name, "version": version}
    return payload


def udata_push(
    config: UdataSettings, dataset: Any, resources: list[tuple[Any, str]]
) -> tuple[str, dict[int, str]]:
    """Create or update a dataset and its resources; return the udata ids (dataset, resource by file)."""
    payload = dataset_payload(dataset, config.organizations.get(dataset.organisation.slug, ""))
    if dataset.udata_id:
        remote = _call(config, "PUT", f"/datasets/{dataset.udata_id}/", payload)
    else:
        remote = _call(config, "POST", "/datasets/", payload)
    dataset_id = str(remote["id"])
    ids: dict[int, str] = {}
    for distribution, url in resources:
        body = resource_payload(distribution, url)
        if distribution.udata_resource_id:
            answer = _call(
                config, "PUT", f"/datasets/{dataset_id}/resources/{distribution.udata_resource_id}/", body
            )
        else:
            answer = _call(config, "POST", f"/datasets/{dataset_id}/resources/", body)
        ids[distribution.pk] = str(answer["id"])
    return dataset_id, ids
