"""The name and headers a browser gets for a file socle serves: one door for every download.

``download_filename(name, mime_type)`` cleans a name that came from a person (control and
bidirectional characters, paths, characters Windows refuses, reserved device names) and
makes it end with the extension of the type detected from the content: a PDF sent as
``facture.exe`` is served as ``facture.pdf``. A known extension that lies is *replaced*,
not kept before the true one: ``facture.exe.pdf`` would show as ``facture.exe`` where
extensions are hidden (a name that already reads so becomes ``facture_exe.pdf``). An
extension that is only another spelling of the type (``.jpeg``, ``.TIF``) is kept; a
suffix that is no extension (``rapport.2024``) stays in the name.

``file_download(stream, name=..., mime_type=...)`` is the ``FileResponse`` of a stored
file; ``attachment_disposition(name, mime_type)`` the ``Content-Disposition`` of a
generated one (a CSV, an XML reply).
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from typing import IO

from django.http import FileResponse
from django.utils.http import content_disposition_header

# The extension a name gets from its detected type.
TYPE_EXTENSIONS = {
    "application/pdf": ".pdf", "text/plain": ".txt", "text/csv": ".csv", "text/html": ".html",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif", "image/gif": ".gif",
    "image/webp": ".webp", "application/xml": ".xml", "application/json": ".json",
    "application/zip": ".zip",
}
# Other spellings of a type's extension, kept as the person wrote them.
_ALIASES = {
    "image/jpeg": {".jpeg", ".jpe"}, "image/tiff": {".tiff"}, "text/html": {".htm"},
    "text/plain": {".text", ".log", ".md"},
}
# Python's own table, not the system's /etc/mime.types: a name must not depend on the server.
_PYTHON_TYPES = mimetypes.MimeTypes(filenames=())
# Suffixes that are extensions, replaced when they lie: Python's table, ours, and the
# programs Windows runs that the table lacks.
_KNOWN = (set(_PYTHON_TYPES.types_map[True]) | set(_PYTHON_TYPES.types_map[False])
          | set(TYPE_EXTENSIONS.values())
          | {".scr", ".vbs", ".vbe", ".jse", ".ps1", ".psm1", ".msi", ".msp", ".lnk", ".hta",
             ".com", ".cmd", ".pif", ".reg", ".cpl", ".jar", ".wsf", ".wsh", ".apk", ".app",
             ".dmg", ".iso", ".docm", ".xlsm", ".pptm", ".url", ".inf", ".gadget"})
# C0/C1 controls; Cf holds the bidirectional overrides (U+202E turns "fdp.exe" around) and
# the zero-width characters.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
_FORBIDDEN = re.compile(r'[<>:"|?*\\/]')
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
MAX_NAME = 150


def extension_for(mime_type: str) -> str:
    """Return the extension (dot included) of a detected type, ``.bin`` when it has none."""
    base = mime_type.split(";")[0].strip().lower()
    known = TYPE_EXTENSIONS.get(base) or _PYTHON_TYPES.guess_extension(base)
    return known or ".bin"


def download_filename(name: str, mime_type: str) -> str:
    """Return a name safe to give a browser, ending with the extension of the detected type."""
    cleaned = "".join(" " if unicodedata.category(ch) in _INVISIBLE else ch
                      for ch in unicodedata.normalize("NFC", name or ""))
    # Only the last component of a path; then what Windows refuses in a name.
    cleaned = re.split(r"[\\/]", cleaned)[-1]
    cleaned = " ".join(_FORBIDDEN.sub("_", cleaned).split()).strip(" .")
    extension = extension_for(mime_type)
    stem, dot, suffix = cleaned.rpartition(".")
    current = f".{suffix.lower()}" if dot and stem else ""
    if current == extension or current in _ALIASES.get(mime_type, set()):
        extension = f".{suffix}"
    elif current in _KNOWN:
        stem = stem.rstrip(" .")
    else:
        stem = cleaned
    stem = stem[:MAX_NAME].rstrip(" .") or "fichier"
    # "facture.exe.pdf" reads "facture.exe" where extensions are hidden: not twice.
    inner, dot, last = stem.rpartition(".")
    if dot and inner and f".{last.lower()}" in _KNOWN:
        stem = f"{inner}_{last}"
    if _RESERVED.fullmatch(stem):
        stem = f"_{stem}"
    return stem + extension


def attachment_disposition(name: str, mime_type: str) -> str:
    """Return the Content-Disposition header that makes a browser save the file under its name."""
    return content_disposition_header(True, download_filename(name, mime_type)) or "attachment"


def file_download(stream: IO[bytes], *, name: str, mime_type: str,
                  content_type: str | None = None) -> FileResponse:
    """Return a stored file as a download, named for its detected type and never sniffed."""
    response = FileResponse(stream, content_type=content_type or mime_type)
    response["Content-Disposition"] = attachment_disposition(name, mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
