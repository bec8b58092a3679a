"""The platform's own BagIt validator (RFC 8493, and the drafts 0.93 to 0.97 before it).

It passes the Library of Congress conformance suite: a bag is ``valid`` or not, with
``errors`` (invalid) and ``warnings`` (valid, but suspicious: md5sum-style ``*`` paths,
``./`` prefixes, names listed twice with the same digest before 1.0, entries differing
from a present file only by case or Unicode normalisation, missing system files).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
_SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
_BAGIT_LINE = re.compile(r"([A-Za-z-]+): (.*)")
_VERSION = re.compile(r"\d+\.\d+")


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


def validate_bag(root: Path) -> BagReport:
    """Validate a bag directory completely: structure, manifests, digests, Payload-Oxum."""
    report = BagReport()
    bagit_txt = root / "bagit.txt"
    if not bagit_txt.is_file():
        report.errors.append("bagit.txt absent")
        return report
    raw = bagit_txt.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        report.errors.append("bagit.txt commence par une marque d'ordre d'octets (BOM)")
        return report
    declared: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        match = _BAGIT_LINE.fullmatch(line.rstrip("\r"))
        if not match:
            report.errors.append(f"ligne invalide dans bagit.txt : {line!r}")
            return report
        declared[match.group(1)] = match.group(2)
    version = declared.get("BagIt-Version", "")
    encoding = declared.get("Tag-File-Character-Encoding", "")
    if not _VERSION.fullmatch(version):
        report.errors.append(f"BagIt-Version invalide : {version!r}")
        return report
    report.version = version
    if not encoding:
        report.errors.append("Tag-File-Character-Encoding absent de bagit.txt")
        return report
    try:
        codecs.lookup(encoding)
    except LookupError:
        report.errors.append(f"encodage inconnu : {encoding}")
        return report
    if not (root / "data").is_dir():
        report.errors.append("dossier data/ absent")
        return report
    strict = tuple(int(n) for n in version.split(".")) >= (1, 0)

    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    folded = {unicodedata.normalize("NFC", p).casefold(): p for p in present}

    fetched: set[str] = set()
    tolerated: set[str] = set()  # listed, absent, and only warned about
    fetch = root / "fetch.txt"
    if fetch.is_file():
        for line in _tag_lines(fetch, encoding):
            parts = line.split(None, 2)
            if len(parts) != 3:
                report.errors.append(f"ligne invalide dans fetch.txt : {line!r}")
                continue
            path = _decode_path(parts[2])
            if _out_of_scope(path) or not path.startswith("data/"):
                report.errors.append(f"chemin hors du sac dans fetch.txt : {path}")
            fetched.add(path)

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
            actual = hashlib.new(algorithm, (root / name).read_bytes()).hexdigest()
            if actual != digest:
                report.errors.append(f"{path.name} : empreinte {algorithm} fausse pour {name}")
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
