"""FranceConnect sign-in for citizens (OpenID Connect, FranceConnect v2).

The flow: ``authorization_url`` stores a random state and nonce in the session
and returns the provider's authorize URL; the provider sends the person back
with a code; ``identity_from_callback`` checks the state (single use), trades
the code for tokens with ``client_secret_post``, verifies the id_token against
the provider's JWKS (signature, iss, aud, exp, nonce, acr) and reads the
userinfo (a signed JWT, as FranceConnect v2 documents: plain JSON is refused), checks the
callback's ``iss`` (RFC 9207) and refuses an ``acr`` below the level asked for; ``citizen_from_franceconnect``
finds or creates the account. Any failure raises ``FranceConnectError`` with a
French message: the view shows it and journals a failed sign-in.

Endpoints are derived from ``FRANCECONNECT_BASE_URL`` as FranceConnect v2
publishes them: BASE/authorize, BASE/token, BASE/userinfo, BASE/session/end,
BASE/jwks; the issuer is BASE itself.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jwk import Key as JoseKey

from .journal import audit_record
from .models import CitizenProfile, IdentityAssurance, Membership, User
from .services import user_create

AUTH_SESSION_KEY = "socle_fc_auth"
ID_TOKEN_SESSION_KEY = "socle_fc_id_token"
ACR_VALUES = "eidas1"
# eIDAS levels FranceConnect answers with, weakest first: an answer below the level asked
# for (eidas0, or any other string) is refused.
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")
ALGORITHMS = ("RS256", "ES256")
HTTP_TIMEOUT_SECONDS = 10
# A person who takes longer than this between the button and the return starts again.
AUTH_MAX_AGE_SECONDS = 15 * 60
# Tolerated clock difference with the provider when checking exp and iat.
CLOCK_LEEWAY_SECONDS = 60
JWKS_CACHE_SECONDS = 3600
MAX_RESPONSE_BYTES = 1_000_000

RETRY_HINT = "Vous pouvez réessayer, ou vous connecter avec votre adresse électronique."


class FranceConnectError(Exception):
    """A refused FranceConnect sign-in: ``code`` goes to the journal, ``message`` to the person."""

    def __init__(self, code: str, message: str, *, email: str = "",
                 user: User | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.email = email
        self.user = user


def _failure(code: str) -> FranceConnectError:
    messages = {
        "access_denied": "Vous avez annulé la connexion avec FranceConnect, ou elle a été "
                         "refusée. Aucune donnée n'a été transmise.",
        "provider_error": "FranceConnect a signalé une erreur pendant la connexion.",
        "session_expired": "La demande de connexion a expiré ou a déjà servi. "
                           "Recommencez depuis la page de connexion.",
        "state_mismatch": "La réponse de FranceConnect ne correspond pas à votre demande de "
                          "connexion. Par sécurité, elle a été refusée.",
        "provider_unreachable": "FranceConnect ne répond pas pour le moment.",
        "invalid_response": "La réponse de FranceConnect n'a pas pu être vérifiée. "
                            "Par sécurité, la connexion a été refusée.",
    }
    return FranceConnectError(code, f"{messages[code]} {RETRY_HINT}")


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorize: str
    token: str
    userinfo: str
    end_session: str
    jwks: str


def endpoints() -> Endpoints:
    """Return the provider's endpoints, derived from the configured base URL."""
    base = settings.FRANCECONNECT_BASE_URL.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in {"http", "https"}:
        # Refuses file:// and the like before anything reaches urlopen.
        raise _failure("provider_unreachable")
    return Endpoints(
        issuer=base,
        authorize=f"{base}/authorize",
        token=f"{base}/token",
        userinfo=f"{base}/userinfo",
        end_session=f"{base}/session/end",
        jwks=f"{base}/jwks",
    )


def is_enabled() -> bool:
    return bool(settings.FRANCECONNECT_ENABLED)


def _scopes() -> str:
    scopes = settings.FRANCECONNECT_SCOPES.split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return " ".join(scopes)


def redirect_uri(request: HttpRequest) -> str:
    """Return the callback URL declared to FranceConnect."""
    return request.build_absolute_uri(reverse("core:franceconnect_callback"))


def authorization_url(request: HttpRequest) -> str:
    """Start a sign-in: remember a fresh state and nonce, return the provider's authorize URL."""
    # FranceConnect v2 asks for at least 32 characters of state and nonce.
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    request.session[AUTH_SESSION_KEY] = {"state": state, "nonce": nonce, "at": time.time()}
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": settings.FRANCECONNECT_CLIENT_ID,
        "redirect_uri": redirect_uri(request),
        "scope": _scopes(),
        "state": state,
        "nonce": nonce,
        "acr_values": ACR_VALUES,
        "prompt": "login consent",
    })
    return f"{endpoints().authorize}?{query}"


# --- HTTP with the provider -------------------------------------------------------------

@dataclass(frozen=True)
class _Response:
    content_type: str
    body: bytes


def _http(url: str, *, headers: dict[str, str], form: dict[str, str] | None = None) -> _Response:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    if form is not None:
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    # The URL comes from endpoints(), which refused any scheme but http and https.
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(MAX_RESPONSE_BYTES + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        # A 4xx from the token endpoint means our request (code, secret) was refused.
        exc.close()
        raise _failure("invalid_response") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _failure("provider_unreachable") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise _failure("invalid_response")
    return _Response(content_type=content_type, body=body)


def _json(response: _Response) -> dict[str, Any]:
    try:
        value = json.loads(response.body)
    except ValueError as exc:
        raise _failure("invalid_response") from exc
    if not isinstance(value, dict):
        raise _failure("invalid_response")
    return value


_jwks_cache: dict[str, tuple[float, KeySet]] = {}
_jwks_lock = threading.Lock()


def _jwks(url: str, *, refresh: bool = False) -> KeySet:
    now = time.monotonic()
    with _jwks_lock:
        cached = _jwks_cache.get(url)
    if cached and not refresh and now - cached[0] < JWKS_CACHE_SECONDS:
        return cached[1]
    data = _json(_http(url, headers={"Accept": "application/json"}))
    try:
        # joserfc's stubs want its KeySetSerialization TypedDict; it checks the JSON itself.
        keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _failure("invalid_response") from exc
    with _jwks_lock:
        _jwks_cache[url] = (now, keys)
    return keys


def _key_resolver(keys: KeySet) -> Any:
    def resolve(obj: Any) -> JoseKey:
        header = obj.headers()
        kid = header.get("kid")
        if kid:
            return keys.get_by_kid(kid)
        # Without a kid, only an unambiguous key of the algorithm's type is acceptable.
        kty = {"RS": RSAKey, "ES": ECKey}.get(str(header.get("alg", ""))[:2])
        candidates = [key for key in keys.keys if kty is not None and isinstance(key, kty)]
        if len(candidates) != 1:
            raise ValueError("No single key for this token.")
        return candidates[0]

    return resolve


def _verified_claims(token: str, jwks_url: str) -> dict[str, Any]:
    """Verify a JWT's signature with the provider's keys, refetching them once (rotation)."""
    last_error: Exception | None = None
    for refresh in (False, True):
        keys = _jwks(jwks_url, refresh=refresh)
        try:
            decoded = jwt.decode(token, _key_resolver(keys), algorithms=list(ALGORITHMS))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            last_error = exc
            continue
        return dict(decoded.claims)
    raise _failure("invalid_response") from last_error


def _check_id_token(claims: dict[str, Any], *, issuer: str, nonce: str) -> None:
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    exp = claims.get("exp")
    iat = claims.get("iat")
    checks = [
        claims.get("iss") == issuer,
        settings.FRANCECONNECT_CLIENT_ID in audiences,
        # With several audiences, the authorized party must be us (OIDC core, 3.1.3.7).
        len(audiences) == 1 or claims.get("azp") == settings.FRANCECONNECT_CLIENT_ID,
        isinstance(exp, int | float) and exp + CLOCK_LEEWAY_SECONDS > now,
        iat is None or (isinstance(iat, int | float) and iat - CLOCK_LEEWAY_SECONDS < now),
        isinstance(claims.get("nonce"), str)
        and hmac.compare_digest(claims["nonce"], nonce),
        claims.get("acr") in ACR_LEVELS[ACR_LEVELS.index(ACR_VALUES):],
        isinstance(claims.get("sub"), str) and bool(claims["sub"]),
    ]
    if not all(checks):
        raise _failure("invalid_response")


@dataclass(frozen=True)
class Identity:
    """What FranceConnect told us of the person, and the id_token kept for logout."""

    sub: str
    given_name: str
    family_name: str
    email: str
    birthdate: date | None
    acr: str
    id_token: str


def _birthdate(value: Any) -> date | None:
    # Some people born abroad have a partly unknown date ("1962-00-00"): keep none then.
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def identity_from_callback(request: HttpRequest) -> Identity:
    """Finish a sign-in from the provider's redirect: check, trade the code, verify, read."""
    pending = request.session.pop(AUTH_SESSION_KEY, None)  # single use, whatever happens
    params = request.GET
    if params.get("error"):
        code = "access_denied" if params.get("error") == "access_denied" else "provider_error"
        raise _failure(code)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > \
            AUTH_MAX_AGE_SECONDS:
        raise _failure("session_expired")
    if not hmac.compare_digest(str(params.get("state", "")), str(pending["state"])):
        raise _failure("state_mismatch")
    points = endpoints()
    # RFC 9207: the answer names who issued it; FranceConnect v2 always does, so an answer
    # without it, or from another issuer, is refused (a mix-up attack).
    if params.get("iss") != points.issuer:
        raise _failure("invalid_response")
    code = params.get("code", "")
    if not code:
        raise _failure("invalid_response")

    # client_secret_post: the secret travels in the form, as FranceConnect expects.
    tokens = _json(_http(points.token, headers={"Accept": "application/json"}, form={
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(request),
        "client_id": settings.FRANCECONNECT_CLIENT_ID,
        "client_secret": settings.FRANCECONNECT_CLIENT_SECRET,
    }))
    id_token = tokens.get("id_token")
    access_token = tokens.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise _failure("invalid_response")
    id_claims = _verified_claims(id_token, points.jwks)
    _check_id_token(id_claims, issuer=points.issuer, nonce=str(pending["nonce"]))

    answer = _http(points.userinfo, headers={"Authorization": f"Bearer {access_token}",
                                             "Accept": "application/jwt, application/json"})
    # FranceConnect v2 signs the userinfo: an unsigned answer is not believed.
    if answer.content_type != "application/jwt":
        raise _failure("invalid_response")
    userinfo = _verified_claims(answer.body.decode("ascii", "replace").strip(), points.jwks)
    audience = userinfo.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if userinfo.get("iss") != points.issuer or settings.FRANCECONNECT_CLIENT_ID not in audiences:
        raise _failure("invalid_response")
    # OIDC core 5.3.2: userinfo about someone else must be thrown away.
    if userinfo.get("sub") != id_claims["sub"]:
        raise _failure("invalid_response")

    return Identity(
        sub=id_claims["sub"],
        given_name=str(userinfo.get("given_name", ""))[:150],
        family_name=str(userinfo.get("family_name", ""))[:150],
        email=str(userinfo.get("email", "")).strip().lower(),
        birthdate=_birthdate(userinfo.get("birthdate")),
        acr=str(id_claims["acr"]),
        id_token=id_token,
    )


# --- The account --------------------------------------------------------------------------

AGENT_REFUSED = (
    "Ce compte appartient à un agent : les agents se connectent avec leur mot de passe et "
    "leur code à usage unique, jamais avec FranceConnect."
)
INACTIVE_REFUSED = (
    "Un compte désactivé ou dont l'adresse électronique n'a pas été confirmée porte déjà "
    "cette adresse. Confirmez-la avec le lien reçu par courriel, ou contactez la mairie."
)
NO_EMAIL = (
    "FranceConnect n'a pas transmis d'adresse électronique : elle est nécessaire pour créer "
    "votre compte. Autorisez sa transmission et réessayez."
)
EXISTING_ACCOUNT = (
    "Un compte existe déjà avec l'adresse électronique de votre identité FranceConnect. "
    "Pour l'utiliser avec FranceConnect, connectez-vous d'abord avec cette adresse et votre "
    "mot de passe (« Mot de passe oublié ? » si besoin), puis choisissez « Relier mon compte "
    "à FranceConnect » dans Mon compte."
)
LINKED_ELSEWHERE = (
    "Cette identité FranceConnect est déjà reliée à un autre compte. Déconnectez-vous, puis "
    "connectez-vous avec FranceConnect pour retrouver ce compte."
)
OTHER_IDENTITY = (
    "Ce compte est déjà relié à une autre identité FranceConnect. Connectez-vous avec votre "
    "adresse électronique et votre mot de passe."
)


def _may_use_franceconnect(user: User) -> bool:
    has_role = Membership.objects.filter(user=user, revoked_at__isnull=True).exists()
    return not (has_role or user.is_staff or user.is_superuser)


def _refuse(code: str, message: str, *, email: str, user: User | None = None) -> NoReturn:
    raise FranceConnectError(code, message, email=email, user=user)


def _link(*, user: User, profile: CitizenProfile, identity: Identity, action: str) -> None:
    profile.identity_assurance = IdentityAssurance.FRANCECONNECT
    profile.franceconnect_sub = identity.sub
    if identity.birthdate:
        profile.birthdate = identity.birthdate
    profile.save()
    # The identity certified by FranceConnect replaces the names typed at sign-up.
    if identity.given_name or identity.family_name:
        user.first_name = identity.given_name or user.first_name
        user.last_name = identity.family_name or user.last_name
        user.save(update_fields=["first_name", "last_name"])
    audit_record(actor=user, action=action, target=user,
                 data={"acr": identity.acr, "email": user.email})


def citizen_from_franceconnect(*, identity: Identity, linking: User | None = None) -> User:
    """Find or create the citizen account of a FranceConnect identity; never an agent's.

    An identity joins an existing account only when its owner proved it is theirs:
    ``linking`` is the person signed in with that account's password who asked, from
    their account page, to link FranceConnect. The same email address is not a proof: an
    identity whose email an account already uses, and that nobody linked, is refused with
    the way to link it.
    """
    try:
        with transaction.atomic():
            return _citizen_from_franceconnect(identity, linking)
    except IntegrityError:
        # Two returns of the same person raced: the other one created the account.
        with transaction.atomic():
            return _citizen_from_franceconnect(identity, linking)


def _citizen_from_franceconnect(identity: Identity, linking: User | None = None) -> User:
    profile = (CitizenProfile.objects.select_related("user")
               .filter(franceconnect_sub=identity.sub).first())
    if profile is not None and linking is not None and profile.user_id != linking.pk:
        _refuse("other_account", LINKED_ELSEWHERE, email=linking.email, user=linking)
    if linking is not None and profile is None:
        if not _may_use_franceconnect(linking):
            _refuse("agent", AGENT_REFUSED, email=linking.email, user=linking)
        mine, _ = CitizenProfile.objects.get_or_create(user=linking)
        if mine.franceconnect_sub and mine.franceconnect_sub != identity.sub:
            _refuse("other_identity", OTHER_IDENTITY, email=linking.email, user=linking)
        _link(user=linking, profile=mine, identity=identity, action="citizen.franceconnect_link")
        return linking
    if profile is not None:
        user = profile.user
        if not user.is_active:
            _refuse("inactive", INACTIVE_REFUSED, email=user.email, user=user)
        if not _may_use_franceconnect(user):
            _refuse("agent", AGENT_REFUSED, email=user.email, user=user)
        if identity.birthdate and profile.birthdate != identity.birthdate:
            profile.birthdate = identity.birthdate
            profile.save(update_fields=["birthdate"])
        return user

    if "@" not in identity.email or len(identity.email) > 254:
        _refuse("no_email", NO_EMAIL, email="")
    existing = User.objects.filter(email=identity.email).first()
    if existing is not None:
        if not _may_use_franceconnect(existing):
            _refuse("agent", AGENT_REFUSED, email=existing.email, user=existing)
        if not existing.is_active:
            _refuse("inactive", INACTIVE_REFUSED, email=existing.email, user=existing)
        # The same address proves nothing: the owner links from their account, signed in.
        _refuse("existing_account", EXISTING_ACCOUNT, email=existing.email, user=existing)

    # No password: this account signs in through FranceConnect until its owner sets one.
    user = user_create(actor=None, email=identity.email, password=None,
                       first_name=identity.given_name, last_name=identity.family_name)
    profile = CitizenProfile.objects.create(user=user)
    _link(user=user, profile=profile, identity=identity, action="citizen.create")
    return user


def login_failed(*, error: FranceConnectError, ip_address: str | None) -> None:
    """Journal a refused FranceConnect sign-in."""
    audit_record(actor=error.user, action="auth.login_failed", ip_address=ip_address,
                 actor_label=error.email or "franceconnect",
                 data={"method": "franceconnect", "reason": error.code})


# --- Logout -------------------------------------------------------------------------------

def logout_url(request: HttpRequest) -> str | None:
    """Return the provider's logout URL when the session came from FranceConnect."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not id_token or not settings.FRANCECONNECT_BASE_URL:
        return None
    try:
        end_session = endpoints().end_session
    except FranceConnectError:
        return None
    query = urllib.parse.urlencode({
        "id_token_hint": id_token,
        # Our session ends before the person comes back: nothing is left to check it against.
        "state": secrets.token_urlsafe(32),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("core:home")),
    })
    return f"{end_session}?{query}"
