"""Dissemination packages (DIP): a package as a BagIt 1.0 bag, zipped.

The payload is the package as transferred: ``data/manifest.xml`` (the SEDA metadata) and
``data/<path>`` for each object, read from the first offer whose copy still has the
recorded digest. ``bag-info.txt`` carries Payload-Oxum and Bagging-Date.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from datetime import date
from typing import IO

from socle.core.blobs import spool_dir

from .models import ArchivalPackage
from .offers import CHUNK, OfferError, object_key, offers


class DisseminationError(RuntimeError):
    """No healthy copy of an object could be read (French message)."""


def _encode(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def bag_info(package: ArchivalPackage) -> str:
    fields = [
        ("Source-Organization", package.organisation.name),
        ("External-Identifier", package.identifier),
        ("External-Description", package.title.replace("\n", " ")),
        ("Bagging-Date", date.today().isoformat()),
        # package.size counts every unpacked file, manifest.xml included.
        ("Payload-Oxum", f"{package.size}.{package.contents.count()}"),
        ("Bag-Software-Agent", "socle (archives)"),
    ]
    return "".join(f"{label}: {value}\n" for label, value in fields)


def _copy_verified(package: ArchivalPackage, path: str, sha256: str, out: IO[bytes]) -> None:
    key = object_key(package.identifier, path)
    for offer in offers():
        try:
            handle = offer.open(key)
        except OfferError:
            continue
        digest = hashlib.sha256()
        start = out.tell()
        with handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() == sha256:
            return
        out.seek(start)
        out.truncate()
    raise DisseminationError(f"Aucune copie intègre de « {path} » ({package.identifier}).")


def dip_build(package: ArchivalPackage) -> IO[bytes]:
    """Return a temporary file holding the package as a zipped BagIt bag (close it when done)."""
    bag = package.identifier
    result = tempfile.TemporaryFile(dir=spool_dir())  # noqa: SIM115 - returned to the caller
    contents = list(package.contents.order_by("path"))
    manifest = "".join(f"{obj.sha256}  data/{_encode(obj.path)}\n" for obj in contents)
    tags = {
        "bagit.txt": "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": bag_info(package),
        "manifest-sha256.txt": manifest,
    }
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for obj in contents:
            with archive.open(f"{bag}/data/{obj.path}", "w", force_zip64=True) as out, \
                    tempfile.TemporaryFile(dir=spool_dir()) as spool:
                _copy_verified(package, obj.path, obj.sha256, spool)
                spool.seek(0)
                while chunk := spool.read(CHUNK):
                    out.write(chunk)
        for name, text in tags.items():
            archive.writestr(f"{bag}/{name}", text)
        tagmanifest = "".join(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}\n"
                              for name, text in tags.items())
        archive.writestr(f"{bag}/tagmanifest-sha256.txt", tagmanifest)
    result.seek(0)
    return result
