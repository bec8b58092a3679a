"""A real OpenID Connect provider on 127.0.0.1 that speaks FranceConnect v2's paths.

It auto-consents for one test identity, signs id_tokens and userinfo (RS256 or
ES256) with joserfc, records what it received, and can be told to misbehave
for negative tests (see ``Misbehaviour``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jwk import Key as JoseKey


class Misbehaviour:
    """What the provider can be told to get wrong."""

    ACCESS_DENIED = "access_denied"  # the person refuses: error=access_denied on return
    WRONG_NONCE = "wrong_nonce"  # id_token carries another nonce
    BAD_SIGNATURE = "bad_signature"  # id_token signed by a key not in the JWKS (same kid)
    BAD_USERINFO_SIGNATURE = "bad_userinfo_signature"  # userinfo JWT signed by that key
    WRONG_AUDIENCE = "wrong_audience"  # id_token addressed to another client
    EXPIRED = "expired"  # id_token expired an hour ago
    NO_ACR = "no_acr"  # id_token without acr
    PLAIN_USERINFO = "plain_userinfo"  # userinfo as application/json, not a signed JWT
    WEAK_ACR = "weak_acr"  # id_token with acr eidas0, below what was asked
    ODD_ACR = "odd_acr"  # id_token with an acr no level names
    WRONG_ISS_PARAM = "wrong_iss_param"  # the redirect's iss names another issuer (RFC 9207)
    NO_ISS_PARAM = "no_iss_param"  # the redirect has no iss at all


@dataclass
class TestIdentity:
    """The person the provider signs in, with FranceConnect's pivot identity claims."""

    __test__ = False  # not a pytest test class

    sub: str = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
    given_name: str = "Angela Claire Louise"
    family_name: str = "DUBOIS"
    email: str = "angela.dubois@exemple.fr"
    birthdate: str = "1962-08-24"
    gender: str = "female"
    birthplace: str = "75107"
    birthcountry: str = "99100"

    def claims(self) -> dict[str, Any]:
        return {
            "sub": self.sub, "given_name": self.given_name, "family_name": self.family_name,
            "email": self.email, "birthdate": self.birthdate, "gender": self.gender,
            "birthplace": self.birthplace, "birthcountry": self.birthcountry,
        }


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    scope: str


@dataclass
class OidcProvider:
    """The provider: ``with OidcProvider() as provider:`` serves until the block ends."""

    client_id: str = "socle-test-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    alg: str = "ES256"
    identity: TestIdentity = field(default_factory=TestIdentity)
    misbehave: set[str] = field(default_factory=set)
    # What the provider received, for the tests to assert on.
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    userinfo_requests: list[str] = field(default_factory=list)
    logout_requests: list[dict[str, str]] = field(default_factory=list)
    issued_id_tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.alg not in {"RS256", "ES256"}:
            raise ValueError(f"Unsupported algorithm {self.alg}")
        self._rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig",
                                                          "alg": "RS256"})
        self._ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig",
                                                           "alg": "ES256"})
        # Same kid as the published key, other key material: only the signature can tell.
        self._rogue: JoseKey
        if self.alg == "RS256":
            self._rogue = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
        else:
            self._rogue = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
        self._codes: dict[str, _Grant] = {}
        self._access_tokens: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---

    def start(self) -> OidcProvider:
        provider = self

        class Handler(_Handler):
            owner = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown() quick at the end of each test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="oidc-provider")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "provider not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    # --- tokens ---

    @property
    def signing_key(self) -> JoseKey:
        return self._rsa if self.alg == "RS256" else self._ec

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self._rsa, self._ec]).as_dict(private=False))

    def _sign(self, claims: dict[str, Any], *, rogue: bool) -> str:
        key = self._rogue if rogue else self.signing_key
        return jwt.encode({"alg": self.alg, "kid": key.kid}, claims, key)

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.base_url,
            "sub": self.identity.sub,
            "aud": "another-client" if Misbehaviour.WRONG_AUDIENCE in self.misbehave
            else grant.client_id,
            "exp": now - 3600 if Misbehaviour.EXPIRED in self.misbehave else now + 60,
            "iat": now - 3660 if Misbehaviour.EXPIRED in self.misbehave else now,
            "nonce": "a-nonce-the-client-never-sent-000000000000"
            if Misbehaviour.WRONG_NONCE in self.misbehave else grant.nonce,
            "acr": "eidas1",
            "amr": ["pwd"],
            "idp_acr": "eidas1",
        }
        if Misbehaviour.NO_ACR in self.misbehave:
            del claims["acr"]
        if Misbehaviour.WEAK_ACR in self.misbehave:
            claims["acr"] = "eidas0"
        if Misbehaviour.ODD_ACR in self.misbehave:
            claims["acr"] = "n'importe-quoi"
        token = self._sign(claims, rogue=Misbehaviour.BAD_SIGNATURE in self.misbehave)
        self.issued_id_tokens.append(token)
        return token

    def _userinfo(self, grant: _Grant) -> tuple[str, bytes]:
        claims = self.identity.claims()
        if Misbehaviour.PLAIN_USERINFO in self.misbehave:
            return "application/json", json.dumps(claims).encode()
        claims.update(iss=self.base_url, aud=grant.client_id)
        token = self._sign(claims, rogue=Misbehaviour.BAD_USERINFO_SIGNATURE in self.misbehave)
        return "application/jwt", token.encode()

    def metadata(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "end_session_endpoint": f"{base}/session/end",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "acr_values_supported": ["eidas1"],
            "scopes_supported": ["openid", "given_name", "family_name", "email",
                                 "preferred_username", "birthdate", "gender", "birthplace",
                                 "birthcountry"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "userinfo_signing_alg_values_supported": ["RS256", "ES256"],
            "subject_types_supported": ["pairwise"],
        }


class _Handler(BaseHTTPRequestHandler):
    owner: OidcProvider
    server_version = "TestFranceConnect/2"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean

    # --- responses ---

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _redirect(self, url: str, params: dict[str, str]) -> None:
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        location = f"{url}{separator}{urllib.parse.urlencode(params)}"
        self._send(302, b"", "text/plain", {"Location": location})

    # --- routing ---

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        routes = {
            "/api/v2/.well-known/openid-configuration":
                lambda: self._json(200, self.owner.metadata()),
            "/api/v2/jwks": lambda: self._json(200, self.owner.jwks()),
            "/api/v2/authorize": lambda: self._authorize(query),
            "/api/v2/userinfo": self._userinfo,
            "/api/v2/session/end": lambda: self._session_end(query),
        }
        route = routes.get(url.path)
        if route is None:
            self._json(404, {"error": "not_found"})
        else:
            route()

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/api/v2/token":
            self._json(404, {"error": "not_found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self._token(form)

    # --- endpoints ---

    def _authorize(self, query: dict[str, str]) -> None:
        owner = self.owner
        owner.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if (query.get("client_id") != owner.client_id or not redirect_uri
                or query.get("response_type") != "code"
                or "openid" not in query.get("scope", "").split()):
            self._json(400, {"error": "invalid_request"})
            return
        state = query.get("state", "")
        if Misbehaviour.ACCESS_DENIED in owner.misbehave:
            self._redirect(redirect_uri, {"error": "access_denied",
                                          "error_description": "User auth aborted",
                                          "state": state})
            return
        code = secrets.token_urlsafe(24)
        with owner._lock:
            owner._codes[code] = _Grant(client_id=owner.client_id, redirect_uri=redirect_uri,
                                        nonce=query.get("nonce", ""),
                                        scope=query.get("scope", ""))
        iss = "https://ailleurs.example" if Misbehaviour.WRONG_ISS_PARAM in owner.misbehave \
            else owner.base_url
        answer = {"code": code, "state": state, "iss": iss}
        if Misbehaviour.NO_ISS_PARAM in owner.misbehave:
            del answer["iss"]
        self._redirect(redirect_uri, answer)

    def _token(self, form: dict[str, str]) -> None:
        owner = self.owner
        owner.token_requests.append(form)
        if (form.get("client_id") != owner.client_id
                or form.get("client_secret") != owner.client_secret):
            self._json(401, {"error": "invalid_client"})
            return
        with owner._lock:
            grant = owner._codes.pop(form.get("code", ""), None)  # a code serves once
        if (grant is None or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != grant.redirect_uri):
            self._json(400, {"error": "invalid_grant"})
            return
        access_token = secrets.token_urlsafe(24)
        with owner._lock:
            owner._access_tokens[access_token] = grant
        self._json(200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 60,
            "id_token": owner._id_token(grant),
            "scope": grant.scope,
        })

    def _userinfo(self) -> None:
        owner = self.owner
        header = self.headers.get("Authorization", "")
        owner.userinfo_requests.append(header)
        token = header.removeprefix("Bearer ").strip()
        with owner._lock:
            grant = owner._access_tokens.get(token)
        if not header.startswith("Bearer ") or grant is None:
            self._send(401, b"", "text/plain", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        content_type, body = owner._userinfo(grant)
        self._send(200, body, content_type)

    def _session_end(self, query: dict[str, str]) -> None:
        owner = self.owner
        owner.logout_requests.append(query)
        target = query.get("post_logout_redirect_uri", "")
        if query.get("id_token_hint") not in owner.issued_id_tokens or not target:
            self._json(400, {"error": "invalid_request"})
            return
        self._redirect(target, {"state": query.get("state", "")})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def follow_once(url: str) -> str:
    """GET a URL of the provider as a browser would, and return where it redirects to."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            raise AssertionError(f"Expected a redirect from {url}, got {response.status}")
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code not in (301, 302, 303, 307):
            raise
        location = exc.headers["Location"]
        assert location, f"Redirect from {url} without Location"
        return str(location)
