"""Dissemination packages (DIP): a package as a BagIt 1.0 bag, zipped.

The payload is the package as transferred: ``data/manifest.xml`` (the SEDA metadata) and
``data/<path>`` for each object, read from the first offer whose copy still has the
recorded digest. ``bag-info.txt`` carries Payload-Oxum and Bagging-Date.
"""

from __future__ import annotations

import hashlib
import tempfile
import textwrap
import unicodedata
import zipfile
from datetime import date
from typing import IO

from socle.core.blobs import spool_dir

from .models import ArchivalPackage, ArchiveObject
from .offers import CHUNK, OfferError, object_key, offers


class DisseminationError(RuntimeError):
    """No healthy copy of an object could be read (French message)."""


def _encode(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# RFC 8493 §2.2.2 recommends tag lines of at most 79 characters.
TAG_LINE_WIDTH = 79


def _one_line(value: str) -> str:
    # A reader splits tag files on every line break str.splitlines knows (VT, FF, FS, GS, RS,
    # NEL, U+2028, U+2029 as well as CR and LF): a title carrying one would start a forged tag.
    cleaned = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
                      for ch in value)
    return " ".join(cleaned.split())


def tag_line(label: str, value: str) -> str:
    """Return one bag-info.txt tag, on one logical line: control characters become spaces,
    and a long value is folded onto indented continuation lines (RFC 8493 §2.2.2)."""
    lines = textwrap.wrap(f"{label}: {_one_line(value)}", width=TAG_LINE_WIDTH,
                          subsequent_indent=" ", break_long_words=False,
                          break_on_hyphens=False) or [f"{label}:"]
    return "\n".join(lines) + "\n"


def bag_info(package: ArchivalPackage, contents: list[ArchiveObject]) -> str:
    """Return bag-info.txt for a bag holding ``contents`` (every object, unless some are lost)."""
    fields = [
        ("Source-Organization", package.organisation.name),
        ("External-Identifier", package.identifier),
        ("External-Description", package.title),
        ("Bagging-Date", date.today().isoformat()),
        # The contents are every unpacked file, manifest.xml included.
        ("Payload-Oxum", f"{sum(obj.size for obj in contents)}.{len(contents)}"),
        ("Bag-Software-Agent", "socle (archives)"),
    ]
    return "".join(tag_line(label, value) for label, value in fields)


def copy_verified(package: ArchivalPackage, path: str, sha256: str, out: IO[bytes]) -> None:
    """Write to ``out`` the first copy of an object whose digest is the recorded one."""
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


def manifest_lines(contents: list[ArchiveObject]) -> str:
    """Return the lines of a SHA-256 payload manifest listing ``contents``."""
    return "".join(f"{obj.sha256}  data/{_encode(obj.path)}\n" for obj in contents)


def bag_tags(package: ArchivalPackage, contents: list[ArchiveObject]) -> dict[str, str]:
    """Return the tag files of a bag holding ``contents``: bagit.txt, bag-info, manifest."""
    return {
        "bagit.txt": "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": bag_info(package, contents),
        "manifest-sha256.txt": manifest_lines(contents),
    }


def tag_manifest(tags: dict[str, str]) -> str:
    """Return tagmanifest-sha256.txt over the tag files."""
    return "".join(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}\n"
                   for name, text in tags.items())


def dip_build(package: ArchivalPackage) -> IO[bytes]:
    """Return a temporary file holding the package as a zipped BagIt bag (close it when done)."""
    bag = package.identifier
    result = tempfile.TemporaryFile(dir=spool_dir())  # noqa: SIM115 - returned to the caller
    contents = list(package.contents.order_by("path"))
    tags = bag_tags(package, contents)
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for obj in contents:
            with archive.open(f"{bag}/data/{obj.path}", "w", force_zip64=True) as out, \
                    tempfile.TemporaryFile(dir=spool_dir()) as spool:
                copy_verified(package, obj.path, obj.sha256, spool)
                spool.seek(0)
                while chunk := spool.read(CHUNK):
                    out.write(chunk)
        for name, text in tags.items():
            archive.writestr(f"{bag}/{name}", text)
        archive.writestr(f"{bag}/tagmanifest-sha256.txt", tag_manifest(tags))
    result.seek(0)
    return result
