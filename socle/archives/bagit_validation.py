"""The platform's own BagIt validator (RFC 8493, and the drafts 0.93 to 0.97 before it).

Kept rather than bagit-python's ``Bag.validate`` for a measured reason: over the Library of
Congress conformance suite, bagit-python 1.9 accepts an invalid bag (``v1.0/invalid/
bagit-with-invalid-whitespace``) and refuses three valid ones
(``v0.97/warning/duplicate-file-with-different-case``, ``…/same-filename-listed-twice-
with-different-normalization``, ``…/special-system-files``); see docs/operations.md.
Each file is read once for all its manifests, in chunks, on a few threads (as fast as
bagit-python with the same number of processes: ``python -m bench fixity``).

It passes the Library of Congress conformance suite: a bag is ``valid`` or not, with
``errors`` (invalid) and ``warnings`` (valid, but suspicious: md5sum-style ``*`` paths,
``./`` prefixes, names listed twice with the same digest before 1.0, entries differing
from a present file only by case or Unicode normalisation, missing system files).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
_SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
_BAGIT_LINE = re.compile(r"([A-Za-z-]+): (.*)")
_VERSION = re.compile(r"\d+\.\d+")
CHUNK = 1024 * 1024
THREADS = min(8, os.cpu_count() or 1)


@dataclass
class BagReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


def _decode_path(raw: str) -> str:
    # RFC 8493 §2.1.3: only CR, LF and % are percent-encoded; "%7E" stays "%7E".
    return re.sub(r"%(0[aA]|0[dD]|25)", lambda m: chr(int(m.group(1), 16)), raw)


def _out_of_scope(path: str) -> bool:
    parts = path.split("/")
    return (path.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:", path) is not None
            or ".." in parts)


def _tag_lines(path: Path, encoding: str) -> list[str]:
    text = path.read_bytes().decode(encoding)
    return text.lstrip("\ufeff").splitlines()


def _bag_info(lines: list[str]) -> dict[str, list[str]]:
    info: dict[str, list[str]] = {}
    last = ""
    for line in lines:
        if not line.strip():
            continue
        if line[0] in " \t" and last:
            info[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep:
            continue
        last = label.strip()
        info.setdefault(last, []).append(value.strip())
    return info


def _declaration(root: Path, report: BagReport) -> tuple[str, str] | None:
    """Read bagit.txt: the version and tag encoding, or None after recording why not."""
    bagit_txt = root / "bagit.txt"
    if not bagit_txt.is_file():
        report.errors.append("bagit.txt absent")
        return None
    raw = bagit_txt.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        report.errors.append("bagit.txt commence par une marque d'ordre d'octets (BOM)")
        return None
    declared: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        match = _BAGIT_LINE.fullmatch(line.rstrip("\r"))
        if not match:
            report.errors.append(f"ligne invalide dans bagit.txt : {line!r}")
            return None
        declared[match.group(1)] = match.group(2)
    version = declared.get("BagIt-Version", "")
    encoding = declared.get("Tag-File-Character-Encoding", "")
    if not _VERSION.fullmatch(version):
        report.errors.append(f"BagIt-Version invalide : {version!r}")
        return None
    if not encoding:
        report.version = version
        report.errors.append("Tag-File-Character-Encoding absent de bagit.txt")
        return None
    try:
        codecs.lookup(encoding)
    except LookupError:
        report.version = version
        report.errors.append(f"encodage inconnu : {encoding}")
        return None
    return version, encoding


def _fetched(root: Path, encoding: str, report: BagReport) -> set[str]:
    """Return the payload paths fetch.txt promises, recording its invalid lines."""
    fetched: set[str] = set()
    fetch = root / "fetch.txt"
    if not fetch.is_file():
        return fetched
    for line in _tag_lines(fetch, encoding):
        parts = line.split(None, 2)
        if len(parts) != 3:
            report.errors.append(f"ligne invalide dans fetch.txt : {line!r}")
            continue
        path = _decode_path(parts[2])
        if _out_of_scope(path) or not path.startswith("data/"):
            report.errors.append(f"chemin hors du sac dans fetch.txt : {path}")
        fetched.add(path)
    return fetched


def _hash_one(path: Path, algorithms: list[str]) -> dict[str, str]:
    """Read a file once, in chunks, feeding every algorithm a manifest asks for."""
    digests = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    with open(path, "rb") as handle:
        if len(digests) == 1:
            [(algorithm, _)] = digests.items()
            return {algorithm: hashlib.file_digest(handle, algorithm).hexdigest()}
        while chunk := handle.read(CHUNK):
            for digest in digests.values():
                digest.update(chunk)
    return {algorithm: digest.hexdigest() for algorithm, digest in digests.items()}


def _digests_check(root: Path, pending: dict[str, list[tuple[str, str, str]]]
                   ) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Hash the listed files on a few threads (hashlib releases the GIL); return, by file,
    the manifest entries whose digest is wrong."""
    names = sorted(pending)

    def check(name: str) -> list[tuple[str, str, str]]:
        actual = _hash_one(root / name, sorted({entry[0] for entry in pending[name]}))
        return [entry for entry in pending[name] if actual[entry[0]] != entry[1]]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        wrong = list(pool.map(check, names))
    return [(name, entries) for name, entries in zip(names, wrong, strict=True) if entries]


# The checks follow RFC 8493 in its order; split, they would hide it.
def validate_bag(root: Path) -> BagReport:  # noqa: C901
    """Validate a bag directory completely: structure, manifests, digests, Payload-Oxum."""
    report = BagReport()
    declaration = _declaration(root, report)
    if declaration is None:
        return report
    version, encoding = declaration
    report.version = version
    if not (root / "data").is_dir():
        report.errors.append("dossier data/ absent")
        return report
    strict = tuple(int(n) for n in version.split(".")) >= (1, 0)

    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    folded = {unicodedata.normalize("NFC", p).casefold(): p for p in present}

    fetched = _fetched(root, encoding, report)
    tolerated: set[str] = set()  # listed, absent, and only warned about
    # Digests to check, by file: each file is read once for all its manifests, later.
    pending: dict[str, list[tuple[str, str, str]]] = {}

    def read_manifest(path: Path, algorithm: str, payload: bool) -> dict[str, str]:
        entries: dict[str, str] = {}
        for line in _tag_lines(path, encoding):
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) != 2:
                report.errors.append(f"ligne invalide dans {path.name} : {line!r}")
                continue
            digest, name = parts[0].lower(), parts[1]
            if name.startswith("*"):
                report.warnings.append(f"{path.name} : chemin au format md5sum (« * ») : {name}")
                name = name[1:]
            name = _decode_path(name)
            if name.startswith("./"):
                report.warnings.append(f"{path.name} : chemin relatif « ./ » : {name}")
                name = name[2:]
            if _out_of_scope(name) or (payload and not name.startswith("data/")):
                report.errors.append(f"{path.name} : chemin hors du sac : {name}")
                continue
            if name in entries:
                if entries[name] != digest:
                    report.errors.append(f"{path.name} : {name} listé deux fois avec des "
                                         "empreintes différentes")
                elif strict:
                    report.errors.append(f"{path.name} : {name} listé deux fois")
                else:
                    report.warnings.append(f"{path.name} : {name} listé deux fois")
                continue
            entries[name] = digest
        for name, digest in entries.items():
            if name not in present:
                twin = folded.get(unicodedata.normalize("NFC", name).casefold())
                if twin is not None:
                    report.warnings.append(f"{path.name} : {name} ne diffère de {twin} que par la "
                                           "casse ou la normalisation Unicode")
                elif Path(name).name.casefold() in _SYSTEM_FILES:
                    report.warnings.append(f"{path.name} : fichier système absent : {name}")
                    tolerated.add(name)
                elif name in fetched:
                    report.warnings.append(f"{name} reste à récupérer (fetch.txt)")
                else:
                    report.errors.append(f"{path.name} : fichier absent : {name}")
                continue
            pending.setdefault(name, []).append((algorithm, digest, path.name))
        return entries

    manifests = sorted(root.glob("manifest-*.txt"))
    if not manifests:
        report.errors.append("aucun manifeste de contenu (manifest-<algorithme>.txt)")
    payload_files = {p for p in present if p.startswith("data/")}
    for manifest in manifests:
        algorithm = manifest.name[len("manifest-"):-len(".txt")]
        if algorithm not in ALGORITHMS:
            report.warnings.append(f"algorithme non pris en charge : {algorithm}")
            continue
        listed = read_manifest(manifest, algorithm, payload=True)
        listed_folded = {unicodedata.normalize("NFC", n) for n in listed}
        for name in sorted(payload_files):
            if name not in listed and unicodedata.normalize("NFC", name) not in listed_folded:
                report.errors.append(f"{manifest.name} : fichier non listé : {name}")
    for manifest in sorted(root.glob("tagmanifest-*.txt")):
        algorithm = manifest.name[len("tagmanifest-"):-len(".txt")]
        if algorithm not in ALGORITHMS:
            report.warnings.append(f"algorithme non pris en charge : {algorithm}")
            continue
        read_manifest(manifest, algorithm, payload=False)

    for name, expected in _digests_check(root, pending):
        for algorithm, _, manifest_name in expected:
            report.errors.append(f"{manifest_name} : empreinte {algorithm} fausse pour {name}")

    info_path = root / "bag-info.txt"
    if not info_path.is_file():
        info_path = root / "package-info.txt"
    if info_path.is_file():
        try:
            info = _bag_info(_tag_lines(info_path, encoding))
        except UnicodeDecodeError:
            report.errors.append(f"{info_path.name} n'est pas encodé en {encoding}")
            return report
        oxum = (info.get("Payload-Oxum") or [""])[0]
        if oxum:
            octets, _, count = oxum.partition(".")
            files = [root / p for p in payload_files]
            if not (octets.isdigit() and count.isdigit()):
                report.errors.append(f"Payload-Oxum invalide : {oxum}")
            elif (int(octets), int(count)) != (sum(f.stat().st_size for f in files), len(files)):
                message = f"Payload-Oxum {oxum} ne correspond pas au contenu"
                (report.warnings if fetched or tolerated else report.errors).append(message)
    return report
