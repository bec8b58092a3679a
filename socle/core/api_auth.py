"""How API callers authenticate: a bearer token, or the browser's session.

A token carries a scope: ``read`` lets only safe methods through (GET, HEAD, OPTIONS),
and a list of modules keeps it to those modules' operations (each module's router is
mounted with its own ``TokenAuth``) and to those modules' permissions (``access``). The
core's operations (who am I, the territory, file deposits) are open to every scope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .client_address import client_ip
from .errors import Forbidden
from .services import token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_MODULES = "_socle_token_modules"


class TokenAuth(HttpBearer):
    def __init__(self, module: str = "") -> None:
        super().__init__()
        self.module = module

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token, method=request.method or "", path=request.path,
                                   ip_address=client_ip(request))
        if found is None:
            return None
        if found.access == "read" and request.method not in SAFE_METHODS:
            raise Forbidden("Ce jeton ne permet que la lecture.", code="token_read_only")
        allowed = found.module_names
        if allowed and self.module not in ("", "core", *allowed):
            raise Forbidden(f"Ce jeton ne donne pas accès au module « {self.module} ».",
                            code="token_scope")
        user = found.user
        # Read by access.granted_paths: the token's modules bound the permissions it uses.
        setattr(user, TOKEN_MODULES, allowed)
        request.user = user
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()


def auth_for(module: str) -> list[Any]:
    """The authentications of one module's operations."""
    return [TokenAuth(module), session_auth]
