"""The versioned REST API, ``/api/v1/``, documented by OpenAPI 3 at ``/api/schema``.

Each module declares its router in its ``module.py``; this module only assembles
them and turns refusals into JSON errors: ``{"code": "...", "message": "<French>"}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from socle.core import modules
from socle.core.api_auth import auth_for, session_auth, token_auth
from socle.core.api_schemas import schema_name_clashes
from socle.core.errors import ServiceError

FORBIDDEN = {
    "description": "Refusé : jeton en lecture seule pour une écriture, jeton limité à d'autres "
                   "modules, ou droit manquant (`token_read_only`, `token_scope`, `forbidden`).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


class SocleAPI(NinjaAPI):
    """The API whose schema declares, on every operation that needs a caller, the 403 that
    the token check (``socle.core.api_auth``) can answer on any of them."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
                responses = operation.get("responses", {})
                if operation.get("security") and 403 not in responses and "403" not in responses:
                    responses[403] = FORBIDDEN
        return schema


api = SocleAPI(
    title="API socle",
    version="1",
    description=(
        "API de la plateforme numérique mutualisée. Authentification : "
        "`Authorization: Bearer <jeton>` (jeton créé par `socle token create`).\n\n"
        "**Listes** : toutes se paginent de la même façon. Paramètres `limit` (25 par défaut, "
        "100 au plus) et `cursor` (vide pour la première page) ; réponse "
        "`{\"items\": [...], \"next\": \"<curseur>\" | null}`. Passez `next` tel quel dans "
        "`cursor`, avec les mêmes filtres, jusqu'à ce qu'il vaille null. Le curseur est "
        "opaque ; un curseur illisible est un 400 `invalid_cursor`.\n\n"
        "**Erreurs** : `{\"code\": \"...\", \"message\": \"<français>\"}`, avec `errors` "
        "(`field`, `message`) quand des valeurs sont refusées champ par champ ; chaque "
        "opération déclare les statuts d'erreur qu'elle renvoie."
    ),
    urls_namespace="api-v1",
    auth=[token_auth, session_auth],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def api_schema(request: HttpRequest) -> HttpResponse:
    """Serve the assembled OpenAPI schema; it lives here because only this module sees every router."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return HttpResponse(json.dumps(schema, ensure_ascii=False), content_type="application/json")


def error(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    """Return the API's one error shape."""
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    # Every refusal of every module: its own status and code (socle/core/errors.py).
    return JsonResponse(exc.as_dict(), status=exc.status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error("not_found", "Ressource introuvable.", 404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error("unauthenticated", "Authentification requise : jeton absent, invalide ou révoqué.",
                 401)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = []
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", []) if part not in {"body", "query",
                                                                             "payload"}]
        fields.append({"field": ".".join(location), "message": _french(item)})
    return error("invalid", "La requête est invalide.", 400, errors=fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
        return error("malformed_json", "Le corps de la requête n'est pas un JSON valide.", 400)
    return error(getattr(exc, "code", "error"), str(exc.message), exc.status_code)


def _french(item: dict[str, Any]) -> str:
    kind = str(item.get("type", ""))
    if kind == "missing":
        return "Ce champ est obligatoire."
    if kind == "extra_forbidden":
        return "Ce champ n'est pas attendu."
    if kind == "json_invalid":
        return "Le corps de la requête n'est pas un JSON valide."
    if "type" in kind or "parsing" in kind:
        return "La valeur n'a pas le bon type."
    return "La valeur est invalide."


for module in modules.modules():
    if module.api:
        # Each module's operations check that a token's scope covers the module.
        api.add_router("/", modules.resolve(module.api), auth=auth_for(module.name))

# Component names are unique by construction: two schemas of one name would overwrite
# each other in /api/schema (decision 0012).
if _clashes := schema_name_clashes(api):
    raise ImproperlyConfigured("Schémas de l'API portant le même nom : " + "; ".join(
        f"{name} ({', '.join(paths)})" for name, paths in sorted(_clashes.items())))
