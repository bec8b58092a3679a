"""Receiving files from HTTP requests: on disk, capped, refused in French when they can't be read.

Installed for the whole site by ``settings.FILE_UPLOAD_HANDLERS`` rather than
per view: the handlers must be in place before anything reads the body, and the
CSRF check reads it before any view runs. Globally, no page or endpoint of a
later module can forget the cap, and no uploaded file is ever held in memory
(Django's ``MemoryFileUploadHandler`` is not installed).

A refusal is an ``UploadRefused`` exception raised while Django parses the body:

- in the API, it is an ``HttpError``: the API turns it into
  ``{"code": ..., "message": ...}`` with its status (413, 411);
- in a page, wrap the view with ``accepts_uploads`` to answer with the French
  page of ``too_large_response``; unwrapped, Django answers 400 (``BadRequest``),
  never 500.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from ninja.errors import HttpError

from .blobs import spool_dir
from .middleware import TOO_LARGE_MESSAGE, human_size, too_large_response, upload_limit_for

LENGTH_REQUIRED_MESSAGE = (
    "La taille de l'envoi doit être annoncée (en-tête Content-Length) : "
    "les envois fragmentés ne sont pas acceptés."
)


class UploadRefused(HttpError, BadRequest):
    """An upload refused while the request body is read, with a machine code and a French message."""

    code = "upload_refused"


class UploadTooLarge(UploadRefused):
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, TOO_LARGE_MESSAGE.format(limit=human_size(limit)))
        self.limit = limit


class UploadLengthRequired(UploadRefused):
    code = "length_required"

    def __init__(self) -> None:
        super().__init__(411, LENGTH_REQUIRED_MESSAGE)


class CappedUploadHandler(FileUploadHandler):
    """Write each file part to an anonymous temporary file, refusing it once past the cap."""

    def __init__(self, request: HttpRequest | None = None, max_size: int | None = None) -> None:
        super().__init__(request)
        # Django's WSGI request reads exactly Content-Length bytes, none when it is
        # absent (chunked upload): the parser would see an empty form and the
        # caller a misleading "file missing". Say what is wrong instead.
        if request is not None and not request.META.get("CONTENT_LENGTH"):
            raise UploadLengthRequired()
        if max_size is None:
            max_size = (upload_limit_for(request.path) if request is not None
                        else settings.BLOB_MAX_SIZE)
        self.max_size = max_size
        self.received = 0
        self.file: UploadedFile | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        # Anonymous: no name in any directory, so nothing is left behind even by a crash.
        self.file = UploadedFile(
            file=tempfile.TemporaryFile(dir=spool_dir()),  # noqa: SIM115 - closed by Django
            name=self.file_name,
            content_type=self.content_type,
            size=0,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.file is not None
        self.received += len(raw_data)
        if self.received > self.max_size:
            # Django closes the files of a stopped upload only for StopUpload,
            # which would leave the caller with a form silently missing its file.
            self.file.close()
            raise UploadTooLarge(self.max_size)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.file is None:
            return None
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        if self.file is not None:
            self.file.close()


def upload_refused_response(request: HttpRequest, refusal: UploadRefused) -> HttpResponse:
    """Answer a refused upload in JSON for the API and as a French page for people."""
    if isinstance(refusal, UploadTooLarge):
        return too_large_response(request, refusal.limit)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": refusal.code, "message": refusal.message},
                            status=refusal.status_code)
    return render(request, "core/error.html", {"title": "Envoi refusé", "message": refusal.message},
                  status=refusal.status_code)


def accepts_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a page view that receives files, so that a refused upload gets its French page."""
    # The CSRF check reads the body, so it runs inside the wrapper where the
    # refusal can be caught, not in the middleware before it.
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return protected(request, *args, **kwargs)
        except UploadRefused as refusal:
            return upload_refused_response(request, refusal)

    return wrapper
