"""The content-addressed blob store: each file stored once, under its SHA-256.

Public API, for the modules that keep files (portal attachments, documents, archives):

``blob_put(*, stream, max_size=None, allowed_types=DEFAULT_ALLOWED_TYPES) -> StoredBlob``
    Store a file given as a binary stream (read from its current position) or as
    an iterable of ``bytes``; return the ``Blob`` row and whether it was new.
    Refusals raise ``BlobRefused`` with ``.code`` (``payload_too_large``,
    ``empty_file``, ``unsupported_type``, ``active_content`` for a PDF carrying
    JavaScript or automatic actions) and a French ``.message``. The same
    content is stored once: putting it again returns the existing blob. The
    file name plays no part: the key is derived from the content only.
    Call it before opening your own transaction when you can: the file is
    written first, then the row, so a row never lacks its file (a file without
    a row is harmless and re-used by the next put of that content).
``blob_upload(*, actor, stream) -> StoredBlob``
    The same, journaled as ``blob.upload`` (the API endpoint uses it).
``blob_open(blob) -> IO[bytes]``
    Open a stored blob for reading; close it (use ``with``).
``detect_type(data) -> str``
    The MIME type of bytes or of a seekable binary file, from the content only.
``blob_verify_all() -> BlobReport``
    Re-hash every blob (``socle blobs verify``).

Blobs are shared by content, so a blob has no owner and no access rule of its
own: reading one goes through the object that references it (a case, a
document ...), whose selector decides who may see it.

Storage: a local directory (``SOCLE_BLOB_DIR``) by default, S3-compatible
object storage with ``SOCLE_BLOB_BACKEND=s3``. A key, once written, is never
overwritten nor renamed: it names its content.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import puremagic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.utils.functional import SimpleLazyObject, empty

from .journal import audit_record
from .middleware import TOO_LARGE_MESSAGE, human_size
from .models import Blob, User

CHUNK = 1024 * 1024
SNIFF_SIZE = 8192

# Types accepted by default: documents, images, archives of exchange, plain text.
# HTML and SVG are not, and must not be: served back, they run scripts (stored XSS).
DEFAULT_ALLOWED_TYPES = frozenset({
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/tiff",
    "text/plain",
    "text/csv",
    "application/json",
    "application/xml",
    "application/zip",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
})


class BlobRefused(ValueError):
    """An upload refused, with a French message and a machine code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- storage ---------------------------------------------------------------------------------


class ContentAddressedFileSystemStorage(FileSystemStorage):
    """A local directory where a key is written once, whole, and never renamed."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # A key names its content: an existing one already holds these very bytes.
        return name

    def _save(self, name: str, content: File) -> str:
        target = Path(self.path(name))
        if target.exists():
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then linked into place: a crash never leaves a truncated
        # file under a key, which every later put would take as already stored.
        fd, incoming = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(incoming, self.file_permissions_mode or 0o440)
            # Already there: the same content, stored meanwhile by a concurrent put.
            with contextlib.suppress(FileExistsError):
                os.link(incoming, target)
        finally:
            os.unlink(incoming)
        return name


def _s3_storage() -> Storage:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name

    class ContentAddressedS3Storage(S3Storage):
        """An S3 bucket where a key is written once and never overwritten."""

        def get_available_name(self, name: str, max_length: int | None = None) -> str:
            return name

        def _save(self, name: str, content: Any) -> str:
            cleaned = clean_name(name)
            key = self._normalize_name(cleaned)
            params = self._get_write_parameters(key, content)
            body = getattr(content, "file", content)
            body.seek(0)
            try:
                # If-None-Match makes the write conditional where the server supports
                # it; elsewhere a concurrent put writes the same bytes again.
                self.bucket.meta.client.put_object(
                    Bucket=self.bucket_name, Key=key, Body=body, IfNoneMatch="*", **params
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in {
                    "PreconditionFailed", "ConditionalRequestConflict",
                }:
                    raise
            return cleaned

    return ContentAddressedS3Storage(
        bucket_name=settings.S3_BUCKET,
        endpoint_url=settings.S3_ENDPOINT_URL or None,
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY,
        region_name=settings.S3_REGION,
        file_overwrite=False,
        default_acl=None,
        querystring_auth=True,
        # Reading spills to disk past this size instead of holding the whole blob.
        max_memory_size=CHUNK,
        # Many S3-compatible servers refuse the streamed checksums botocore sends by default.
        client_config=Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _make_storage() -> Storage:
    if settings.BLOB_BACKEND == "s3":
        return _s3_storage()
    Path(settings.BLOB_DIR).mkdir(parents=True, exist_ok=True)
    return ContentAddressedFileSystemStorage(location=str(settings.BLOB_DIR),
                                             file_permissions_mode=0o440)


# django-stubs do not type a SimpleLazyObject as the object it builds.
storage: Storage = SimpleLazyObject(_make_storage)  # type: ignore[assignment]


def storage_reset() -> None:
    """Forget the storage, so that the next use builds it from the current settings (tests)."""
    # SimpleLazyObject's own reset, unknown to the Storage type the stubs see.
    storage._wrapped = empty  # type: ignore[attr-defined]


_SHA256 = re.compile(r"[0-9a-f]{64}")


def blob_key(sha256: str) -> str:
    """Return the storage key of a blob: two levels of fan-out, then the digest."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"Empreinte SHA-256 invalide : {sha256[:80]!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def spool_dir() -> Path:
    """Return the directory of temporary files: on disk, never a RAM-backed /tmp."""
    path = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.DATA_DIR) / "tmp")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- type detection --------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    # Executables first: a file that starts like one is one, whatever follows.
    (b"\x7fELF", "application/x-executable"),
    (b"\xfe\xed\xfa\xce", "application/x-mach-binary"),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xca\xfe\xba\xbe", "application/x-mach-binary"),
    (b"#!", "text/x-shellscript"),
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
)

_OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml":
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OOXML_MACROS = {
    "word/": "application/vnd.ms-word.document.macroEnabled.12",
    "xl/": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "ppt/": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
}

# What browsers sniff as HTML (WHATWG MIME sniffing), each followed by a space or ">".
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div",
              b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p")
_XML_START = re.compile(rb"<(\?xml|!--|![a-z]|[a-z_][\w.:-]*[\s/>])", re.IGNORECASE)
# Vocabularies a browser runs scripts of when it renders an XML document.
_ACTIVE_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "application/xhtml+xml",
    "http://www.w3.org/2000/svg": "image/svg+xml",
    "http://www.w3.org/1998/Math/MathML": "application/mathml+xml",
}
_ACTIVE_ROOTS = {"html": "application/xhtml+xml", "svg": "image/svg+xml"}


def detect_type(data: bytes | IO[bytes]) -> str:
    """Return the MIME type of a content, from its bytes only (a file is read from its start)."""
    handle: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    handle.seek(0)
    try:
        return _detect(handle.read(SNIFF_SIZE), handle)
    finally:
        handle.seek(0)


def _detect(head: bytes, handle: IO[bytes]) -> str:
    if not head:
        return "application/x-empty"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    # A DOS or Windows program; binary, unlike a text that happens to start with "MZ".
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return "application/vnd.microsoft.portable-executable"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(handle)
    if _is_utf8_text(handle):
        return _text_type(head, handle)
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        # puremagic only names what was refused: an accepted type is never taken on its word.
        if match.mime_type and match.mime_type not in DEFAULT_ALLOWED_TYPES:
            return str(match.mime_type)
    return "application/octet-stream"


def _zip_type(handle: IO[bytes]) -> str:
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return declared
            if "[Content_Types].xml" in names:
                for name in names:
                    if name.endswith("vbaProject.bin"):
                        for prefix, mime in _OOXML_MACROS.items():
                            if name.startswith(prefix):
                                return mime
                        return "application/vnd.ms-office.vbaProject"
                for part, mime in _OOXML.items():
                    if part in names:
                        return mime
            # Programs packed as archives: a zip to look at, software to run.
            if "AndroidManifest.xml" in names or "classes.dex" in names:
                return "application/vnd.android.package-archive"
            if "META-INF/MANIFEST.MF" in names:
                return "application/java-archive"
            return "application/zip"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError,
            RuntimeError, NotImplementedError):  # encrypted, unknown compression
        return "application/octet-stream"


def _chunks_of(handle: IO[bytes]) -> Iterator[bytes]:
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        yield chunk


# Control characters no text file has (DOS end-of-file and ANSI escapes are let through).
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")


def _is_utf8_text(handle: IO[bytes]) -> bool:
    """Tell whether the whole content is UTF-8 text: a text head on a binary tail is not."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks_of(handle):
            if _CONTROL.search(chunk):
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_type(head: bytes, handle: IO[bytes]) -> str:
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    lowered = body[:1024].lower()
    for tag in _HTML_TAGS:
        if lowered.startswith(tag) and lowered[len(tag):len(tag) + 1] in {b" ", b">", b"\t",
                                                                          b"\n", b"\r", b"/"}:
            return "text/html"
    if _XML_START.match(lowered):
        return _xml_type(handle)
    if lowered.startswith((b"{", b"[")) and _is_json(head):
        return "application/json"
    if _looks_like_csv(head):
        return "text/csv"
    return "text/plain"


class _ActiveXml(Exception):
    def __init__(self, mime: str) -> None:
        super().__init__(mime)
        self.mime = mime


class _UnsafeXml(Exception):
    pass


def _xml_type(handle: IO[bytes]) -> str:
    """Tell XML that a browser renders inertly from XML that runs scripts (XHTML, SVG)."""
    # A real parser, because namespaces can hide behind character references.
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    elements_seen = [0]

    def start(name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace in _ACTIVE_NAMESPACES:
            raise _ActiveXml(_ACTIVE_NAMESPACES[namespace])
        if elements_seen[0] == 0 and local.lower() in _ACTIVE_ROOTS:
            raise _ActiveXml(_ACTIVE_ROOTS[local.lower()])
        elements_seen[0] += 1

    def instruction(target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":  # XSLT may turn it into HTML
            raise _ActiveXml("application/xslt+xml")

    def entity(*args: Any) -> None:
        raise _UnsafeXml  # entity expansion: billion laughs, hidden namespaces

    parser.StartElementHandler = start
    parser.ProcessingInstructionHandler = instruction
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *args: 0
    try:
        for chunk in _chunks_of(handle):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _ActiveXml as active:
        return active.mime
    except (expat.ExpatError, _UnsafeXml):
        # Not well-formed XML: inert only when served as text.
        return "text/plain"
    return "application/xml"


def _is_json(head: bytes) -> bool:
    if len(head) < SNIFF_SIZE:
        try:
            json.loads(head)
        except ValueError:
            return False
        return True
    # Too long to load here: a text starting like JSON is taken as JSON.
    return True


def _looks_like_csv(head: bytes) -> bool:
    lines = head.decode("utf-8", "replace").splitlines()
    if len(head) >= SNIFF_SIZE:
        lines = lines[:-1]  # cut by the end of the sample
    lines = [line for line in lines if line.strip()][:10]
    if len(lines) < 2:
        return False
    for separator in (";", ",", "\t"):
        counts = {line.count(separator) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False


# --- putting, opening, verifying -------------------------------------------------------------


@dataclass
class StoredBlob:
    blob: Blob
    created: bool


@dataclass
class _Incoming:
    sha256: str
    size: int
    mime_type: str


def _as_chunks(stream: IO[bytes] | Iterable[bytes]) -> Iterator[bytes]:
    if hasattr(stream, "read"):
        while chunk := stream.read(CHUNK):
            yield chunk
    else:
        yield from stream


@contextmanager
def _incoming(
    stream: IO[bytes] | Iterable[bytes], max_size: int | None, allowed_types: Iterable[str] | None
) -> Iterator[_Incoming]:
    """Spool, hash, check and store a content; the caller then records its row."""
    max_size = settings.BLOB_MAX_SIZE if max_size is None else max_size
    digest = hashlib.sha256()
    size = 0
    # Anonymous, on disk under the data directory: nothing left behind, nothing in memory.
    with tempfile.TemporaryFile(dir=spool_dir()) as spool:
        for chunk in _as_chunks(stream):
            size += len(chunk)
            if size > max_size:
                raise BlobRefused(TOO_LARGE_MESSAGE.format(limit=human_size(max_size)),
                                  "payload_too_large")
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise BlobRefused("Le fichier est vide.", "empty_file")
        mime = detect_type(spool)
        if allowed_types is not None and mime not in set(allowed_types):
            raise BlobRefused(
                f"Ce type de fichier n'est pas accepté ({mime}). "
                "Envoyez un PDF, une image, un document bureautique ou un fichier texte.",
                "unsupported_type",
            )
        if mime == "application/pdf":
            _refuse_active_pdf(spool)
        sha256 = digest.hexdigest()
        key = blob_key(sha256)
        # Checked even when the row exists: a put of the same content repairs a lost file.
        if not storage.exists(key):
            spool.seek(0)
            storage.save(key, File(spool))
        yield _Incoming(sha256, size, mime)


# What a PDF may carry attached: the XML of a Factur-X invoice, a CSV, a text; nothing to run.
INERT_ATTACHMENT_TYPES = frozenset({"text/plain", "text/csv", "application/json",
                                    "application/xml"})


def _refuse_active_pdf(spool: IO[bytes]) -> None:
    # Imported here: pypdf costs 40 ms at start-up to the commands that never see a PDF.
    from .pdf_active_content import pdf_active_content

    found = pdf_active_content(spool, inert_attachment=lambda data: detect_type(data)
                               in INERT_ATTACHMENT_TYPES)
    if found:
        raise BlobRefused(
            f"Ce PDF contient {', '.join(found)} : il est refusé, pour protéger les personnes "
            "qui l'ouvriront. Enregistrez-le de nouveau en PDF (« Imprimer » puis « Enregistrer "
            "au format PDF ») ou en PDF/A, puis déposez-le.",
            "active_content",
        )


def _record(incoming: _Incoming) -> StoredBlob:
    # get_or_create survives two concurrent puts of the same content.
    blob, created = Blob.objects.get_or_create(
        sha256=incoming.sha256,
        defaults={"size": incoming.size, "mime_type": incoming.mime_type},
    )
    return StoredBlob(blob, created)


def blob_put(
    *,
    stream: IO[bytes] | Iterable[bytes],
    max_size: int | None = None,
    allowed_types: Iterable[str] | None = DEFAULT_ALLOWED_TYPES,
) -> StoredBlob:
    """Store a content as a blob, refusing it when too large, empty or of a refused type."""
    with _incoming(stream, max_size, allowed_types) as incoming, transaction.atomic():
        return _record(incoming)


def blob_upload(*, actor: User, stream: IO[bytes] | Iterable[bytes]) -> StoredBlob:
    """Store a file sent by a person, and journal who sent which content."""
    with _incoming(stream, None, DEFAULT_ALLOWED_TYPES) as incoming, transaction.atomic():
        stored = _record(incoming)
        audit_record(actor=actor, action="blob.upload", target=stored.blob, data={
            "size": incoming.size, "mime_type": incoming.mime_type, "created": stored.created,
        })
    return stored


def blob_open(blob: Blob) -> IO[bytes]:
    """Open a stored blob for reading."""
    return storage.open(blob_key(blob.sha256), "rb")


@dataclass
class BlobProblem:
    sha256: str
    reason: str


@dataclass
class BlobReport:
    checked: int = 0
    bytes: int = 0
    problems: list[BlobProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def blob_verify_all() -> BlobReport:
    """Re-hash every stored blob and report the missing and the damaged."""
    report = BlobReport()
    for blob in Blob.objects.order_by("sha256").iterator(chunk_size=500):
        key = blob_key(blob.sha256)
        if not storage.exists(key):
            report.problems.append(BlobProblem(blob.sha256, "fichier absent du stockage"))
            continue
        digest = hashlib.sha256()
        size = 0
        try:
            with storage.open(key, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            report.problems.append(BlobProblem(blob.sha256, f"fichier illisible ({exc})"))
            continue
        report.checked += 1
        report.bytes += size
        if digest.hexdigest() != blob.sha256:
            report.problems.append(BlobProblem(blob.sha256, "contenu altéré (empreinte différente)"))
        elif size != blob.size:
            report.problems.append(BlobProblem(blob.sha256, "taille différente"))
    return report


def blob_store_health() -> str:
    """Tell whether the blob store answers."""
    try:
        storage.exists("healthcheck")
    except Exception:  # noqa: BLE001 - any storage failure means "unhealthy"
        return "error"
    return "ok"
