"""The content-addressed blob store: each file stored once, under its SHA-256.

Uploads are streamed to a temporary file while being hashed and counted, so a
file never sits whole in memory; an upload over the cap is refused before it is
stored; the type is detected from the content, never from the name.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import puremagic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.utils.functional import SimpleLazyObject

from .models import Blob

CHUNK = 1024 * 1024

# Types accepted by default: documents, images, archives of exchange, plain text.
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


def _make_storage() -> Storage:
    if settings.BLOB_BACKEND == "s3":
        from storages.backends.s3 import S3Storage

        return S3Storage(
            bucket_name=settings.S3_BUCKET,
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            access_key=settings.S3_ACCESS_KEY,
            secret_key=settings.S3_SECRET_KEY,
            region_name=settings.S3_REGION,
            file_overwrite=False,
            default_acl=None,
        )
    settings.BLOB_DIR.mkdir(parents=True, exist_ok=True)
    return FileSystemStorage(location=str(settings.BLOB_DIR), file_permissions_mode=0o440)


storage: Storage = SimpleLazyObject(_make_storage)  # type: ignore[assignment]


def blob_key(sha256: str) -> str:
    """Return the storage key of a blob: two levels of fan-out, then the digest."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


_OFFICE_HINTS = {
    b"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def detect_type(head: bytes) -> str:
    """Detect a MIME type from the first bytes of a file."""
    if not head:
        return "application/x-empty"
    if head.startswith(b"PK\x03\x04"):
        # OpenDocument stores its type uncompressed as the first entry.
        if b"mimetypeapplication/vnd.oasis.opendocument." in head[:200]:
            start = head.index(b"mimetype") + len(b"mimetype")
            end = head.find(b"PK", start)
            return head[start:end].decode("ascii", "replace")
        for hint, mime in _OFFICE_HINTS.items():
            if hint in head:
                return mime
        return "application/zip"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return str(match.mime_type)
    if _looks_like_text(head):
        stripped = head.lstrip()
        if stripped.startswith((b"{", b"[")):
            return "application/json"
        if stripped.startswith(b"<?xml"):
            return "application/xml"
        return "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return True


@dataclass
class StoredBlob:
    blob: Blob
    created: bool


@dataclass
class _Spool:
    file: IO[bytes]
    sha256: str
    size: int
    head: bytes = field(repr=False)


def _spool(chunks: Iterable[bytes], max_size: int) -> _Spool:
    digest = hashlib.sha256()
    size = 0
    head = b""
    spool = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 - returned open
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > max_size:
                from .middleware import TOO_LARGE_MESSAGE, human_size

                raise BlobRefused(TOO_LARGE_MESSAGE.format(limit=human_size(max_size)),
                                  "payload_too_large")
            if len(head) < 8192:
                head += chunk[: 8192 - len(head)]
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _Spool(spool, digest.hexdigest(), size, head)


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def blob_put(
    *,
    stream: IO[bytes] | Iterable[bytes],
    max_size: int | None = None,
    allowed_types: Iterable[str] | None = DEFAULT_ALLOWED_TYPES,
) -> StoredBlob:
    """Store a stream as a blob, refusing it when too large, empty or of a refused type."""
    max_size = settings.BLOB_MAX_SIZE if max_size is None else max_size
    chunks = _chunks(stream) if hasattr(stream, "read") else stream  # type: ignore[arg-type]
    spooled = _spool(chunks, max_size)
    with spooled.file:
        if spooled.size == 0:
            raise BlobRefused("Le fichier est vide.", "empty_file")
        mime = detect_type(spooled.head)
        if allowed_types is not None and mime not in set(allowed_types):
            raise BlobRefused(
                f"Ce type de fichier n'est pas accepté ({mime}). "
                "Envoyez un PDF, une image, un document bureautique ou un fichier texte.",
                "unsupported_type",
            )
        with transaction.atomic():
            existing = Blob.objects.filter(sha256=spooled.sha256).first()
            key = blob_key(spooled.sha256)
            if not storage.exists(key):
                storage.save(key, File(spooled.file))
            if existing is not None:
                return StoredBlob(existing, created=False)
            blob = Blob.objects.create(sha256=spooled.sha256, size=spooled.size, mime_type=mime)
    return StoredBlob(blob, created=True)


def blob_open(blob: Blob) -> IO[bytes]:
    """Open a stored blob for reading."""
    return storage.open(blob_key(blob.sha256), "rb")  # type: ignore[return-value]


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
        with storage.open(key, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
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
