"""GoPhish's campaign results, read from its CSV export or its API
(``GET /api/campaigns/<id>/results``, authenticated by the ``Authorization`` header).

Only what socle needs is kept: each recipient's email and what they did (the status
GoPhish gives, the furthest a recipient went: « Clicked Link », « Submitted Data »...,
and whether they reported the email).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from socle.core.errors import ServiceError, Unavailable

MAX_BYTES = 5 * 1024 * 1024
MAX_RECIPIENTS = 20_000
TIMEOUT = 10
CLICKED = {"Clicked Link", "Submitted Data"}
SUBMITTED = {"Submitted Data"}
STATUSES = {"Scheduled", "Queued", "Sending", "Retrying", "Email Sent", "Email Opened",
            "Clicked Link", "Submitted Data", "Email Reported", "Error", "Unknown"}


@dataclass(frozen=True)
class Recipient:
    email: str
    status: str
    reported: bool

    @property
    def clicked(self) -> bool:
        return self.status in CLICKED

    @property
    def submitted(self) -> bool:
        return self.status in SUBMITTED


def _invalid(message: str) -> ServiceError:
    return ServiceError(f"Résultats GoPhish illisibles : {message}", code="invalid_gophish")


def _recipient(email: Any, status: Any, reported: Any) -> Recipient:
    email = str(email or "").strip().lower()
    status = str(status or "").strip()
    if "@" not in email or len(email) > 254:
        raise _invalid(f"adresse « {email[:80]} » invalide.")
    if status not in STATUSES:
        raise _invalid(f"statut « {status[:40]} » inconnu.")
    flag = reported if isinstance(reported, bool) else str(reported).strip().lower() == "true"
    return Recipient(email=email, status=status, reported=flag)


def _bounded(recipients: list[Recipient]) -> list[Recipient]:
    if not recipients:
        raise _invalid("aucun destinataire.")
    if len(recipients) > MAX_RECIPIENTS:
        raise _invalid(f"plus de {MAX_RECIPIENTS} destinataires.")
    return recipients


def parse_csv(data: bytes) -> list[Recipient]:
    """Read GoPhish's « Export CSV » of a campaign's results."""
    if len(data) > MAX_BYTES:
        raise _invalid("le fichier dépasse 5 Mo.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("le fichier n'est pas en UTF-8.") from None
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or not {"email", "status"} <= set(reader.fieldnames):
        raise _invalid("les colonnes « email » et « status » manquent.")
    recipients = []
    for row in reader:
        recipients.append(_recipient(row.get("email"), row.get("status"), row.get("reported")))
        if len(recipients) > MAX_RECIPIENTS:
            break
    return _bounded(recipients)


def parse_json(data: bytes) -> tuple[str, list[Recipient]]:
    """Read the JSON of ``/api/campaigns/<id>/results``: the campaign's name and recipients."""
    if len(data) > MAX_BYTES:
        raise _invalid("la réponse dépasse 5 Mo.")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("la réponse n'est pas du JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise _invalid("la réponse n'a pas de liste « results ».")
    recipients = [_recipient(r.get("email"), r.get("status"), r.get("reported", False))
                  for r in body["results"][: MAX_RECIPIENTS + 1] if isinstance(r, dict)]
    return str(body.get("name", ""))[:200], _bounded(recipients)


def fetch_results(*, base_url: str, api_key: str, campaign_id: int) -> bytes:
    """Ask a GoPhish server for a campaign's results (at most 5 MB, in 10 seconds)."""
    if not base_url.startswith(("http://", "https://")):
        raise ServiceError("L'adresse du serveur GoPhish commence par http:// ou https://.",
                           code="invalid", errors={"base_url": "Adresse invalide."})
    url = f"{base_url.rstrip('/')}/api/campaigns/{int(campaign_id)}/results"
    # The scheme was checked above: http or https only, never file: or another.
    request = urllib.request.Request(url, headers={  # noqa: S310
        "Authorization": f"Bearer {api_key}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise Unavailable(f"Le serveur GoPhish a répondu {exc.code}.",
                          code="gophish_error") from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise Unavailable("Le serveur GoPhish ne répond pas.", code="gophish_unreachable") from None
    return data
