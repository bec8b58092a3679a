"""Importing a procedure in the editor: reading an uploaded export safely, capping its upload."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from socle.core.services import ServiceError
from socle.core.upload_handlers import (
    CappedUploadHandler,
    UploadRefused,
    upload_refused_response,
)

ViewFunc = Callable[..., HttpResponseBase]

# An export is a few dozen kilobytes; anything far larger is not one.
IMPORT_MAX_SIZE = 512 * 1024
IMPORT_MAX_DEPTH = 20
IMPORT_MAX_NODES = 50_000


def export_read(upload: UploadedFile) -> Any:
    """Return the JSON of an uploaded export, refusing what cannot be one, in French."""
    if upload.size is None or upload.size > IMPORT_MAX_SIZE:
        raise ServiceError(f"Le fichier dépasse {IMPORT_MAX_SIZE // 1024} ko : ce n'est pas un "
                           "export de démarche.", code="too_large")
    raw = upload.read(IMPORT_MAX_SIZE + 1)
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ServiceError("Le fichier n'est pas un fichier texte JSON (UTF-8).",
                           code="invalid_json") from None
    except RecursionError:
        raise ServiceError("Le fichier JSON est trop imbriqué pour être un export de démarche.",
                           code="too_deep") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(f"Le fichier n'est pas un JSON valide (ligne {exc.lineno}, colonne "
                           f"{exc.colno}).", code="invalid_json") from None
    except ValueError:
        raise ServiceError("Le fichier n'est pas un JSON valide.", code="invalid_json") from None
    stack: list[tuple[Any, int]] = [(document, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > IMPORT_MAX_DEPTH:
            raise ServiceError("Le fichier JSON est trop imbriqué pour être un export de "
                               "démarche.", code="too_deep")
        if nodes > IMPORT_MAX_NODES:
            raise ServiceError("Le fichier JSON contient trop d'éléments pour être un export "
                               "de démarche.", code="too_large")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return document


def import_size_cap(view: ViewFunc) -> ViewFunc:
    """Cap the upload at an export's size while it is received, not after."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            try:
                request.upload_handlers = [CappedUploadHandler(request,
                                                               max_size=IMPORT_MAX_SIZE)]
            except UploadRefused as refusal:
                return upload_refused_response(request, refusal)
        return view(request, *args, **kwargs)

    return wrapper


