"""Storage offers: where archival packages are kept, at least two copies, written once.

An offer is a local directory or an S3-compatible bucket (``SOCLE_ARCHIVE_OFFERS``,
e.g. ``offer-a=/srv/a,offer-b=s3://bucket/prefix``). There is no overwrite: ``put``
refuses an existing key. Only three code paths remove an object: the elimination of a
package (``delete``), the repair of a copy found damaged (which first checks the healthy
bytes it copies against the digest the journal keeps), and the cleanup of what a dead
ingest wrote (``recovery.py``, only under an identifier no package has).

Layout of a package on an offer::

    <identifier>/objects/<path>          the files of the transfer, manifest.xml included
    <identifier>/digests/<path>.sha256   the SHA-256 of each, beside it
    <identifier>/manifest-sha256.txt     the package's own manifest (digest kept in the DB)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.conf import settings

CHUNK = 1024 * 1024


class OfferError(RuntimeError):
    """A storage offer refused or failed an operation (French message)."""


class Offer(Protocol):
    name: str

    def put(self, key: str, source: IO[bytes]) -> None: ...
    def open(self, key: str) -> IO[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def location(self, key: str) -> str: ...
    def listing(self, prefix: str = "") -> Iterator[str]: ...


def _checked(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(p in {"..", "."} for p in parts):
        raise OfferError(f"Clé de stockage invalide : « {key[:200]} ».")
    return key


class LocalOffer:
    """A local directory; files made read-only once written."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_checked(key).split("/"))

    def location(self, key: str) -> str:
        return str(self._path(key))

    def put(self, key: str, source: IO[bytes]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, incoming = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(incoming, 0o440)
            try:
                # link() never replaces: an existing key stays as it is.
                os.link(incoming, target)
            except FileExistsError:
                raise OfferError(
                    f"L'objet « {key} » existe déjà sur l'offre {self.name} : "
                    "aucune réécriture n'est permise.") from None
        finally:
            os.unlink(incoming)

    def open(self, key: str) -> IO[bytes]:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise OfferError(f"Objet absent de l'offre {self.name} : « {key} ».") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def listing(self, prefix: str = "") -> Iterator[str]:
        """Yield every key under a prefix (a folder: "AIP-…/"), partial writes included."""
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not base.is_dir():
            return
        for folder, _, names in os.walk(base):
            relative = Path(folder).relative_to(self.root).as_posix()
            for name in names:
                yield name if relative == "." else f"{relative}/{name}"

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Empty folders of the package go too, up to the offer's root.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


class S3Offer:
    """An S3-compatible bucket, through django-storages; writes are conditional (If-None-Match)."""

    def __init__(self, name: str, bucket: str, prefix: str) -> None:
        from botocore.config import Config
        from storages.backends.s3 import S3Storage

        self.name = name
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self.storage = S3Storage(
            bucket_name=bucket, endpoint_url=settings.S3_ENDPOINT_URL or None,
            access_key=settings.S3_ACCESS_KEY, secret_key=settings.S3_SECRET_KEY,
            region_name=settings.S3_REGION, file_overwrite=False, default_acl=None,
            client_config=Config(request_checksum_calculation="when_required",
                                 response_checksum_validation="when_required"),
        )

    @property
    def client(self) -> Any:
        return self.storage.bucket.meta.client

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, key: str) -> str:
        return f"s3://{self.bucket_name}/{self._key(key)}"

    def put(self, key: str, source: IO[bytes]) -> None:
        from botocore.exceptions import ClientError

        if self.exists(key):
            raise OfferError(f"L'objet « {key} » existe déjà sur l'offre {self.name} : "
                             "aucune réécriture n'est permise.")
        try:
            # The file object itself, not its bytes: botocore streams it (it is seekable:
            # a file on disk), so an object of several gigabytes never sits in memory.
            self.client.put_object(Bucket=self.bucket_name, Key=self._key(key), Body=source,
                                   IfNoneMatch="*")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise OfferError(f"L'objet « {key} » existe déjà sur l'offre {self.name}.") from None
            raise OfferError(f"Écriture refusée par l'offre {self.name} : {code}.") from None

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket_name, Key=self._key(key))["Body"]
        except ClientError:
            raise OfferError(f"Objet absent de l'offre {self.name} : « {key} ».") from None
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket_name, Key=self._key(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket_name, Key=self._key(key))

    def listing(self, prefix: str = "") -> Iterator[str]:
        """Yield every key under a prefix, without the offer's own prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=start + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(start):]


def _build(name: str, location: str) -> Offer:
    if location.startswith("s3://"):
        bucket, _, prefix = location[5:].partition("/")
        return S3Offer(name, bucket, prefix)
    root = Path(location)
    root.mkdir(parents=True, exist_ok=True)
    return LocalOffer(name, root)


def offers() -> list[Offer]:
    """Return the configured offers, in order (settings are read each time: tests change them)."""
    return [_build(name, location) for name, location in settings.ARCHIVES_OFFERS]


def offer_get(name: str) -> Offer:
    """Return the configured offer of that name, or raise OfferError."""
    for offer in offers():
        if offer.name == name:
            return offer
    known = ", ".join(offer.name for offer in offers())
    raise OfferError(f"Offre inconnue : « {name} » (offres : {known}).")


def object_key(identifier: str, path: str) -> str:
    return f"{identifier}/objects/{path}"


def digest_key(identifier: str, path: str) -> str:
    return f"{identifier}/digests/{path}.sha256"


def manifest_key(identifier: str) -> str:
    return f"{identifier}/manifest-sha256.txt"


def read_all(offer: Offer, key: str) -> Iterator[bytes]:
    """Yield the bytes of an object in chunks."""
    with offer.open(key) as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
