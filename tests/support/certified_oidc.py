"""panva's oidc-provider (OpenID Certified), started by a test on 127.0.0.1 with Node.js.

``tests/support/oidc_node/provider.mjs`` sets it up as FranceConnect v2 is. Its packages are
installed from the lock file by ``make oidc`` (scripts/ensure-oidc-provider.sh); without Node.js
or without them, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import http.cookiejar
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent / "oidc_node"
CALLBACK = "http://testserver/connexion/franceconnect/retour/"


def skip_reason() -> str | None:
    """Why the certified provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js absent : le fournisseur OpenID certifié (oidc-provider) ne peut pas tourner."
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return ("oidc-provider absent : lancez `make oidc` (scripts/ensure-oidc-provider.sh) "
                "pour l'installer depuis son fichier de verrouillage.")
    return None


class _Stop(urllib.request.HTTPRedirectHandler):
    """Follow the provider's own redirects; stop at the first one that leaves it."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        target = urllib.parse.urljoin(req.full_url, newurl)
        if not target.startswith(self.issuer):
            raise _Left(target)
        return super().redirect_request(req, fp, code, msg, headers, target)


class _Left(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


@dataclass
class CertifiedProvider:
    """``with CertifiedProvider(acr="eidas1") as provider:`` serves until the block ends."""

    client_id: str = "socle-test-client"
    client_secret: str = "secret-de-test-" + "x" * 32
    acr: str = "eidas1"
    identity: dict[str, str] = field(default_factory=lambda: {
        "sub": "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1",
        "given_name": "Angela Claire Louise", "family_name": "DUBOIS",
        "email": "angela.dubois@exemple.fr", "birthdate": "1962-08-24", "gender": "female",
        "birthplace": "75107", "birthcountry": "99100"})
    issuer: str = ""

    def __enter__(self) -> CertifiedProvider:
        reason = skip_reason()
        if reason:
            pytest.skip(reason)
        config = {"client_id": self.client_id, "client_secret": self.client_secret,
                  "redirect_uri": CALLBACK, "post_logout_redirect_uri": "http://testserver/",
                  "acr": self.acr, "identity": self.identity}
        self._process = subprocess.Popen(["node", str(HERE / "provider.mjs"), json.dumps(config)],
                                         cwd=HERE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first:
            self._process.kill()
            raise RuntimeError("oidc-provider n'a pas démarré")
        self.issuer = json.loads(first)["issuer"]
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def browse(self, authorize_url: str) -> str:
        """Go through the provider as a browser would (cookies kept, login and consent given
        at once) and return the URL it sends the person back to."""
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _Stop(self.issuer))
        try:
            with opener.open(authorize_url, timeout=15) as response:
                body = response.read(2000).decode("utf-8", "replace")
        except _Left as left:
            return left.url
        except urllib.error.HTTPError as error:
            raise AssertionError(f"oidc-provider a répondu {error.code} : "
                                 f"{error.read(2000).decode('utf-8', 'replace')}") from None
        raise AssertionError(f"oidc-provider n'a pas renvoyé vers socle : {body}")

    def discovery(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration",
                                    timeout=10) as response:
            return dict(json.load(response))
