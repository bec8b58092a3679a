"""Opening a transfer package (zip or tar) safely: every entry checked before anything is written.

Refused: paths outside the package (``..``, absolute, drive letters), links of any kind,
devices and pipes, too many entries, too many bytes once unpacked, and zip bombs (an
entry whose real size exceeds what it declares, or whose compression ratio is absurd).
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

CHUNK = 1024 * 1024


class ContainerRefused(ValueError):
    """A package refused before its manifest is read, with a French reason."""


@dataclass(frozen=True)
class Unpacked:
    root: Path
    files: dict[str, int]  # relative POSIX path -> size


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


def unpack(package: Path, into: Path) -> Unpacked:
    """Unpack a zip or tar transfer into a directory, checking every entry first."""
    if zipfile.is_zipfile(package):
        return _unpack_zip(package, into)
    try:
        is_tar = tarfile.is_tarfile(package)
    except OSError:
        is_tar = False
    if is_tar:
        return _unpack_tar(package, into)
    raise ContainerRefused("Le paquet n'est ni une archive ZIP ni une archive TAR lisible.")


def _check_totals(count: int, total: int) -> None:
    max_entries, max_size, _ = _limits()
    if count > max_entries:
        raise ContainerRefused(f"Trop d'entrées dans le paquet ({count} > {max_entries}).")
    if total > max_size:
        raise ContainerRefused(
            f"Le paquet décompressé dépasse la taille admise ({total} > {max_size} octets).")


def _target(into: Path, relative: str, seen: dict[str, int]) -> Path:
    if relative in seen:
        raise ContainerRefused(f"Entrée en double dans le paquet : « {relative} ».")
    target = into.joinpath(*relative.split("/"))
    # Belt and braces: the resolved path must stay inside the extraction directory.
    if not str(target.resolve()).startswith(str(into.resolve()) + "/"):
        raise ContainerRefused(f"Chemin sortant du paquet refusé : « {relative} ».")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _unpack_zip(package: Path, into: Path) -> Unpacked:
    _, max_size, max_ratio = _limits()
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContainerRefused(f"Archive ZIP illisible : {exc}.") from None
    with archive:
        infos = archive.infolist()
        _check_totals(len(infos), sum(info.file_size for info in infos))
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
            if (info.compress_size and info.file_size > CHUNK
                    and info.file_size / info.compress_size > max_ratio):
                raise ContainerRefused(
                    f"Taux de compression anormal pour « {relative} » "
                    f"({info.file_size // info.compress_size}:1) : bombe de décompression refusée.")
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
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ContainerRefused(f"Entrée illisible « {relative} » : {exc}.") from None
            files[relative] = written
    return Unpacked(root=into, files=files)


def _unpack_tar(package: Path, into: Path) -> Unpacked:
    _, max_size, _ = _limits()
    try:
        archive = tarfile.open(package)  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError) as exc:
        raise ContainerRefused(f"Archive TAR illisible : {exc}.") from None
    with archive:
        try:
            members = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ContainerRefused(f"Archive TAR illisible : {exc}.") from None
        _check_totals(len(members), sum(m.size for m in members if m.isfile()))
        checked: list[tuple[tarfile.TarInfo, str]] = []
        for member in members:
            relative = safe_member_path(member.name)
            if member.issym() or member.islnk():
                raise ContainerRefused(f"Lien refusé dans le paquet : « {relative} ».")
            if not (member.isfile() or member.isdir()):
                raise ContainerRefused(f"Fichier spécial refusé dans le paquet : « {relative} ».")
            checked.append((member, relative))
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
    return Unpacked(root=into, files=files)
