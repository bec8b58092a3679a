"""Opening a transfer package (zip, tar or gzipped tar) safely: every entry checked first.

A package is read as what its own first bytes say it is, never by searching for a
container inside it: a zip starts with a local file header at offset 0, a tar with a
header block whose checksum is right, a gzipped tar with the gzip magic number. A file
that is two of these at once (a polyglot) is refused as ambiguous, and so is a file
whose readers could disagree: a zip whose entries overlap, leave gaps or are preceded or
followed by other data, a tar with data after its end-of-archive blocks.

Also refused: paths outside the package (``..``, absolute, drive letters), links of any
kind, devices and pipes, encrypted zip entries, too many entries.

Compression limits (decision recorded in docs/operations.md, "Limites d'un paquet"):

- ``ARCHIVES_MAX_UNPACKED_SIZE`` bounds what the whole package declares once unpacked
  (checked before anything is written) and what it really writes (checked while writing:
  an entry may never write more than it declares, the package never more than the bound).
- ``ARCHIVES_MAX_COMPRESSION_RATIO`` bounds the ratio of the whole package, declared
  unpacked size over package size (applied past 1 MiB unpacked). Its default, 1100:1, is
  above what deflate (zip, gzip) can reach, about 1032:1: real archives pass, even a file
  of zeros; bzip2 or LZMA bombs, and entries that share their compressed bytes, do not.
  No ratio is applied per entry: a large, repetitive text file (a log, a CSV export)
  compresses 400 to 700:1 on its own and is a real archive.
"""

from __future__ import annotations

import gzip
import stat
import struct
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

CHUNK = 1024 * 1024
BLOCK = 512
ZIP_LOCAL = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
ZIP_DESCRIPTOR = b"PK\x07\x08"
GZIP_MAGIC = b"\x1f\x8b"
# Below this many unpacked bytes the package ratio is not looked at: a tiny package of
# zeros is no threat, and its ratio says nothing.
RATIO_FLOOR = 1024 * 1024


class ContainerRefused(ValueError):
    """A package refused before its manifest is read, with a French reason."""


@dataclass(frozen=True)
class Unpacked:
    root: Path
    files: dict[str, int]  # relative POSIX path -> size
    kind: str = ""  # "zip", "tar" or "tar.gz"


def _limits() -> tuple[int, int, int]:
    return (settings.ARCHIVES_MAX_ENTRIES, settings.ARCHIVES_MAX_UNPACKED_SIZE,
            settings.ARCHIVES_MAX_COMPRESSION_RATIO)


def safe_member_path(name: str) -> str:
    """Return the normalised relative path of an entry, or raise ContainerRefused."""
    if "\x00" in name or "\\" in name:
        raise ContainerRefused(f"Nom d'entrée invalide : « {name[:200]} ».")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ContainerRefused(f"Chemin absolu refusé : « {name[:200]} ».")
    parts = [part for part in PurePosixPath(name).parts if part not in {"", "."}]
    if any(part == ".." for part in parts):
        raise ContainerRefused(f"Chemin sortant du paquet refusé : « {name[:200]} ».")
    if not parts:
        raise ContainerRefused(f"Nom d'entrée vide : « {name[:200]} ».")
    return "/".join(parts)


def is_tar_header(block: bytes) -> bool:
    """Say whether a 512-byte block is a tar header: not all zeros, and its checksum right."""
    if len(block) < BLOCK or not block[:BLOCK].strip(b"\0"):
        return False
    block = block[:BLOCK]
    field = block[148:156].replace(b"\0", b" ").strip()
    if not field or any(c not in b"01234567" for c in field):
        return False
    stored = int(field, 8)
    rest = block[:148] + b" " * 8 + block[156:]
    unsigned = sum(rest)
    signed = sum(struct.unpack("148b8x356b", block)) + 256
    return stored in (unsigned, signed)


def container_kind(package: Path) -> str:
    """Name the container by its own structure at offset 0: "zip", "tar" or "tar.gz"."""
    try:
        with open(package, "rb") as handle:
            head = handle.read(BLOCK)
    except OSError as exc:
        raise ContainerRefused(f"Paquet illisible : {exc}.") from None
    kinds = []
    if head.startswith((ZIP_LOCAL, ZIP_EMPTY)):
        kinds.append("zip")
    if is_tar_header(head):
        kinds.append("tar")
    if head.startswith(GZIP_MAGIC):
        kinds.append("tar.gz")
    if len(kinds) > 1:
        names = " et d'une archive ".join(kind.upper() for kind in kinds)
        raise ContainerRefused(
            f"Paquet ambigu : ses premiers octets sont à la fois ceux d'une archive {names} ; "
            "il est refusé plutôt que lu d'une façon que d'autres outils ne liraient pas.")
    if not kinds:
        raise ContainerRefused(
            "Le paquet n'est ni une archive ZIP, ni une archive TAR, ni une archive TAR "
            "compressée par gzip (aucune de ces structures au début du fichier).")
    return kinds[0]


def unpack(package: Path, into: Path) -> Unpacked:
    """Unpack a zip, tar or tar.gz transfer into a directory, checking every entry first."""
    kind = container_kind(package)
    if kind == "zip":
        return _unpack_zip(package, into)
    if kind == "tar":
        return _unpack_tar(package, into, package.stat().st_size, kind)
    with tempfile.TemporaryDirectory(dir=into.parent, prefix="gunzip-") as scratch:
        plain = Path(scratch) / "package.tar"
        _gunzip(package, plain)
        with open(plain, "rb") as handle:
            inner = handle.read(BLOCK)
        if not is_tar_header(inner):
            raise ContainerRefused("L'archive gzip ne contient pas une archive TAR.")
        return _unpack_tar(plain, into, package.stat().st_size, kind)


def _gunzip(package: Path, target: Path) -> None:
    """Decompress a gzip file, stopping as soon as it passes the size or ratio bound."""
    _, max_size, max_ratio = _limits()
    compressed = max(package.stat().st_size, 1)
    # The tar's own headers and padding come on top of the files it holds.
    bound = max_size + _limits()[0] * 2 * BLOCK + 20 * BLOCK
    written = 0
    try:
        with gzip.open(package, "rb") as source, open(target, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > bound:
                    raise ContainerRefused(
                        "Le paquet décompressé dépasse la taille admise : bombe de "
                        "décompression refusée.")
                if written > RATIO_FLOOR and written / compressed > max_ratio:
                    raise ContainerRefused(
                        f"Taux de compression du paquet anormal (plus de {max_ratio}:1) : "
                        "bombe de décompression refusée.")
                out.write(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ContainerRefused(f"Archive gzip illisible : {exc}.") from None


def _check_totals(count: int, total: int, package_size: int) -> None:
    max_entries, max_size, max_ratio = _limits()
    if count > max_entries:
        raise ContainerRefused(f"Trop d'entrées dans le paquet ({count} > {max_entries}).")
    if total > max_size:
        raise ContainerRefused(
            f"Le paquet décompressé dépasse la taille admise ({total} > {max_size} octets).")
    if total > RATIO_FLOOR and total / max(package_size, 1) > max_ratio:
        raise ContainerRefused(
            f"Taux de compression du paquet anormal ({total // max(package_size, 1)}:1 pour "
            f"{total} octets déclarés, au plus {max_ratio}:1) : bombe de décompression refusée.")


def _target(into: Path, relative: str, seen: dict[str, int]) -> Path:
    if relative in seen:
        raise ContainerRefused(f"Entrée en double dans le paquet : « {relative} ».")
    target = into.joinpath(*relative.split("/"))
    # Belt and braces: the resolved path must stay inside the extraction directory.
    if not str(target.resolve()).startswith(str(into.resolve()) + "/"):
        raise ContainerRefused(f"Chemin sortant du paquet refusé : « {relative} ».")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _zip_entry_ends(handle: BinaryIO, info: zipfile.ZipInfo) -> set[int]:
    """Return where an entry may end: after its data, and after a data descriptor if any."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != ZIP_LOCAL:
        raise ContainerRefused(f"Structure ZIP ambiguë : l'entrée « {info.filename[:200]} » "
                               "ne commence pas par un en-tête local.")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    end = info.header_offset + 30 + name_length + extra_length + info.compress_size
    if not info.flag_bits & 0x08:
        return {end}
    # A data descriptor: crc and sizes (4 or 8 bytes each), with or without a signature.
    return {end + 12, end + 16, end + 20, end + 24}


def _check_zip_layout(archive: zipfile.ZipFile, handle: BinaryIO, size: int) -> None:
    """Refuse a zip whose bytes could be read another way: overlaps, gaps, extra data."""
    infos = sorted(archive.infolist(), key=lambda info: info.header_offset)
    position = {0}
    for info in infos:
        if info.header_offset not in position:
            raise ContainerRefused(
                f"Structure ZIP ambiguë : l'entrée « {info.filename[:200]} » chevauche la "
                "précédente, ou des octets non déclarés les séparent (bombe par entrées "
                "superposées ou contenu caché) ; paquet refusé.")
        position = _zip_entry_ends(handle, info)
    start_dir = getattr(archive, "start_dir", None)
    if start_dir is not None and start_dir not in position:
        raise ContainerRefused("Structure ZIP ambiguë : des octets non déclarés précèdent le "
                               "répertoire central ; paquet refusé.")
    end_record = size - 22 - len(archive.comment)
    handle.seek(max(end_record, 0))
    if handle.read(4) != ZIP_EMPTY:
        raise ContainerRefused("Structure ZIP ambiguë : des données suivent la fin de "
                               "l'archive ; paquet refusé.")


def _unpack_zip(package: Path, into: Path) -> Unpacked:
    _, max_size, _ = _limits()
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContainerRefused(f"Archive ZIP illisible : {exc}.") from None
    with archive, open(package, "rb") as handle:
        infos = archive.infolist()
        _check_totals(len(infos), sum(info.file_size for info in infos), package.stat().st_size)
        _check_zip_layout(archive, handle, package.stat().st_size)
        entries: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            relative = safe_member_path(info.filename)
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            # Many tools write no file type at all (0): a plain file.
            if kind and kind not in {stat.S_IFREG, stat.S_IFDIR}:
                raise ContainerRefused(
                    f"Lien ou fichier spécial refusé dans le paquet : « {relative} ».")
            if info.flag_bits & 0x1:
                raise ContainerRefused(f"Entrée chiffrée refusée : « {relative} ».")
            entries.append((info, relative))
        files: dict[str, int] = {}
        total = 0
        for info, relative in entries:
            if info.is_dir():
                continue
            target = _target(into, relative, files)
            written = 0
            try:
                with archive.open(info) as source, open(target, "wb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        # The declared size is a claim: a bomb lies about it.
                        if written > info.file_size or total > max_size:
                            raise ContainerRefused(
                                f"« {relative} » décompresse plus d'octets qu'il n'en déclare : "
                                "bombe de décompression refusée.")
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise ContainerRefused(f"Entrée illisible « {relative} » : {exc}.") from None
            files[relative] = written
    return Unpacked(root=into, files=files, kind="zip")


def _check_tar_end(archive: tarfile.TarFile) -> None:
    """Refuse a tar followed by anything but zeros: another reader would see other content."""
    fileobj = archive.fileobj
    assert fileobj is not None
    fileobj.seek(archive.offset)
    while chunk := fileobj.read(CHUNK):
        if chunk.strip(b"\0"):
            raise ContainerRefused(
                "Paquet ambigu : des données suivent la fin de l'archive TAR (une autre "
                "archive y est peut-être accolée) ; paquet refusé.")


def _tar_members(archive: tarfile.TarFile) -> list[tuple[tarfile.TarInfo, str]]:
    try:
        members = archive.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ContainerRefused(f"Archive TAR illisible : {exc}.") from None
    checked: list[tuple[tarfile.TarInfo, str]] = []
    for member in members:
        relative = safe_member_path(member.name)
        if member.issym() or member.islnk():
            raise ContainerRefused(f"Lien refusé dans le paquet : « {relative} ».")
        if not (member.isfile() or member.isdir()):
            raise ContainerRefused(f"Fichier spécial refusé dans le paquet : « {relative} ».")
        checked.append((member, relative))
    return checked


def _unpack_tar(package: Path, into: Path, package_size: int, kind: str) -> Unpacked:
    _, max_size, _ = _limits()
    try:
        # "r:" — a plain tar: the container was identified, nothing is guessed here.
        archive = tarfile.open(package, mode="r:")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError) as exc:
        raise ContainerRefused(f"Archive TAR illisible : {exc}.") from None
    with archive:
        checked = _tar_members(archive)
        _check_totals(len(checked), sum(m.size for m, _ in checked if m.isfile()), package_size)
        _check_tar_end(archive)
        files: dict[str, int] = {}
        total = 0
        for member, relative in checked:
            if member.isdir():
                continue
            target = _target(into, relative, files)
            source = archive.extractfile(member)
            if source is None:
                raise ContainerRefused(f"Entrée illisible « {relative} ».")
            written = 0
            with source, open(target, "wb") as out:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if total > max_size:
                        raise ContainerRefused("Le paquet décompressé dépasse la taille admise.")
                    out.write(chunk)
            files[relative] = written
    return Unpacked(root=into, files=files, kind=kind)
