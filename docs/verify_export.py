#!/usr/bin/env python3
"""Read a socle archives export back without socle, and check everything it claims.

    python3 verify_export.py EXPORT_DIR [--ca-file ROOTS.pem] [--openssl PATH] [--json]

Needs Python 3.9 or later (standard library only) and the ``openssl`` command. It checks:

1. each bag (``bags/``): every payload file against ``manifest-sha256.txt``, no file
   unlisted, the tag files against ``tagmanifest-sha256.txt``, the ``Payload-Oxum``;
2. the journal: every full event's hash, its link to the previous event, no number missing
   from 1 to ``journal_last_seq`` (events of other organisations are given by hash only);
3. the objects against the journal: each bag holds exactly the objects, with the digests,
   that its ``archives.transfer_accept`` event recorded, or declares them lost;
4. the seals: their chain, their hash, the Merkle root and last event of their range,
   and their RFC 3161 token with ``openssl ts -verify``, at the token's own date.

Without ``--ca-file`` (the root certificate the timestamping authority publishes), the
root found in the export is trusted and its SHA-256 fingerprint printed: compare it.
Exit status: 0 everything verified, 1 a problem found, 2 verified but objects are lost.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

GENESIS = "0" * 64
SEAL_KEYS = ("format", "seq", "first_seq", "last_seq", "merkle_root", "last_event_hash",
             "prev_seal_hash", "created_at")
PEM = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")
GEN_TIME = re.compile(r"Time stamp: (\w{3}) +(\d+) (\d\d:\d\d:\d\d)(?:\.\d+)? (\d{4})")


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.losses: list[str] = []
        self.notes: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def merkle_root(leaves: list[bytes]) -> str:
    """RFC 6962: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
                 if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0].hex()


def manifest_read(path: Path) -> dict[str, str]:
    """Return {path under the bag: sha256} of a BagIt manifest (paths percent-decoded)."""
    entries = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, name = line.split(None, 1)
                name = name.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
                entries[name] = digest.lower()
    return entries


def journal_check(root: Path, last_seq: int, report: Report) -> tuple[dict[int, str], list[dict]]:
    """Check every full event's hash and link; return every event's hash and the full events."""
    hashes: dict[int, str] = {}
    events = jsonl(root / "journal.jsonl")
    for event in events:
        payload = {key: value for key, value in event.items() if key != "hash"}
        if hashlib.sha256(canonical(payload)).hexdigest() != event["hash"]:
            report.problem(f"journal : l'événement n° {event['seq']} a été modifié")
        hashes[event["seq"]] = event["hash"]
    for reduced in jsonl(root / "journal-hashes.jsonl"):
        if reduced["seq"] in hashes:
            report.problem(f"journal : l'événement n° {reduced['seq']} figure deux fois")
        hashes[reduced["seq"]] = reduced["hash"]
    missing = [seq for seq in range(1, last_seq + 1) if seq not in hashes]
    if missing:
        report.problem(f"journal : {len(missing)} événement(s) manquant(s), dont le n° {missing[0]}")
    for event in events:
        expected = GENESIS if event["seq"] == 1 else hashes.get(event["seq"] - 1)
        if event["prev"] != expected:
            report.problem(f"journal : le lien de l'événement n° {event['seq']} est rompu")
    return hashes, events


def kept_packages(events: list[dict]) -> dict[str, dict[str, str]]:
    """Return {package: {path: sha256}} as the journal recorded them, eliminated ones removed."""
    kept: dict[str, dict[str, str]] = {}
    for event in events:
        data = event.get("data") or {}
        if event["action"] == "archives.transfer_accept":
            kept[data["package"]] = data.get("objects") or {}
        elif event["action"] == "archives.eliminate":
            kept.pop(data.get("package", ""), None)
    return kept


def bag_check(bag: Path, recorded: dict[str, str] | None, report: Report) -> int:
    """Check one bag on its own and against the journal; return the objects verified."""
    name = bag.name
    declaration = bag / "bagit.txt"
    if not declaration.is_file() or "BagIt-Version:" not in declaration.read_text(encoding="utf-8"):
        report.problem(f"sac {name} : bagit.txt absent ou illisible")
    manifest = manifest_read(bag / "manifest-sha256.txt")
    lost = manifest_read(bag / "lost-objects.txt")
    payload = {p.relative_to(bag).as_posix(): p for p in (bag / "data").rglob("*") if p.is_file()}
    for path in sorted(set(payload) - set(manifest)):
        report.problem(f"sac {name} : fichier non listé dans le manifeste : {path}")
    verified = 0
    for path, digest in sorted(manifest.items()):
        if path not in payload:
            report.problem(f"sac {name} : fichier absent : {path}")
        elif sha256_file(payload[path]) != digest:
            report.problem(f"sac {name} : empreinte différente : {path}")
        else:
            verified += 1
    oxum = re.search(r"^Payload-Oxum: *(\d+)\.(\d+)", (bag / "bag-info.txt").read_text(
        encoding="utf-8") if (bag / "bag-info.txt").is_file() else "", re.M)
    size = sum(p.stat().st_size for p in payload.values())
    if not oxum or (int(oxum.group(1)), int(oxum.group(2))) != (size, len(payload)):
        report.problem(f"sac {name} : Payload-Oxum absent ou faux")
    tags = manifest_read(bag / "tagmanifest-sha256.txt")
    for tag in sorted(p.name for p in bag.iterdir() if p.is_file()):
        if tag != "tagmanifest-sha256.txt" and tag not in tags:
            report.problem(f"sac {name} : fichier d'étiquettes non listé : {tag}")
    for tag, digest in tags.items():
        if not (bag / tag).is_file() or sha256_file(bag / tag) != digest:
            report.problem(f"sac {name} : fichier d'étiquettes modifié : {tag}")
    if recorded is None:
        report.problem(f"sac {name} : aucun versement de ce paquet dans le journal")
    else:
        against_journal(name, manifest, lost, recorded, report)
    return verified


def against_journal(name: str, manifest: dict[str, str], lost: dict[str, str],
                    recorded: dict[str, str], report: Report) -> None:
    """Compare a bag's objects with the digests its transfer recorded in the journal."""
    held = {path[len("data/"):]: digest for path, digest in manifest.items()}
    declared_lost = {path[len("data/"):]: digest for path, digest in lost.items()}
    for path, digest in sorted(recorded.items()):
        if path in held and held[path] != digest:
            report.problem(f"sac {name} : {path} diffère de l'empreinte scellée au versement")
        elif path in declared_lost:
            report.losses.append(f"{name}/{path}")
            if declared_lost[path] != digest:
                report.problem(f"sac {name} : {path} est déclaré perdu sous une autre empreinte")
        elif path not in held:
            report.problem(f"sac {name} : {path} manque, sans être déclaré perdu")
    for path in sorted(set(held) - set(recorded)):
        report.problem(f"sac {name} : {path} n'a pas été versé dans ce paquet")


def openssl_run(openssl: str, *args: str) -> subprocess.CompletedProcess:
    # The arguments are this script's own, the files are paths: no shell is involved.
    return subprocess.run([openssl, *args], capture_output=True, text=True,  # noqa: S603
                          check=False)


def token_check(root: Path, seal: dict, anchor: Path | None, openssl: str,
                report: Report) -> None:
    number = seal["seq"]
    files = seal.get("files") or {"response": f"tokens/{number}.tsr",
                                  "chain": f"tokens/{number}-chain.pem"}
    response, chain = root / files["response"], root / files["chain"]
    if not response.is_file() or not chain.is_file():
        report.problem(f"scellement n° {number} : jeton ou chaîne de certificats absent")
        return
    shown = openssl_run(openssl, "ts", "-reply", "-in", str(response), "-text")
    found = GEN_TIME.search(shown.stdout)
    if shown.returncode or not found:
        report.problem(f"scellement n° {number} : jeton illisible par openssl")
        return
    gen_time = datetime.strptime(" ".join(found.groups()), "%b %d %H:%M:%S %Y")
    recorded = (datetime.fromisoformat(seal["tst_time"]).astimezone(timezone.utc)  # noqa: UP017 - Python 3.9
                .replace(microsecond=0, tzinfo=None))
    if recorded != gen_time:
        report.problem(f"scellement n° {number} : la date enregistrée n'est pas celle du jeton")
    with tempfile.TemporaryDirectory() as work:
        trusted = anchor
        if trusted is None:
            roots = PEM.findall(chain.read_text(encoding="ascii"))
            if not roots:
                report.problem(f"scellement n° {number} : chaîne de certificats vide")
                return
            trusted = Path(work) / "root.pem"
            trusted.write_text(roots[-1] + "\n", encoding="ascii")
            der = base64.b64decode("".join(roots[-1].splitlines()[1:-1]))
            note = ("racine prise dans l'export, à comparer à celle publiée par l'autorité : "
                    f"SHA-256 {hashlib.sha256(der).hexdigest()}")
            if note not in report.notes:
                report.notes.append(note)
        checked = openssl_run(openssl, "ts", "-verify", "-in", str(response),
                              "-digest", seal["seal_hash"], "-CAfile", str(trusted),
                              "-untrusted", str(chain),
                              "-attime", str(calendar.timegm(gen_time.timetuple())))
    if checked.returncode or "Verification: OK" not in checked.stdout:
        report.problem(f"scellement n° {number} : le jeton ne se vérifie pas "
                       f"({(checked.stderr or checked.stdout).strip().splitlines()[-1:]})")


def seals_check(root: Path, hashes: dict[int, str], anchor: Path | None, openssl: str | None,
                report: Report) -> int:
    """Check every seal; return the number of the last event they cover."""
    previous, first, sealed_up_to = GENESIS, 1, 0
    for position, seal in enumerate(jsonl(root / "seals.jsonl"), start=1):
        number = seal["seq"]
        if number != position or seal["first_seq"] != first or seal["prev_seal_hash"] != previous:
            report.problem(f"scellement n° {number} : ne suit pas le scellement précédent")
        content = {key: seal[key] for key in SEAL_KEYS}
        if hashlib.sha256(canonical(content)).hexdigest() != seal["seal_hash"]:
            report.problem(f"scellement n° {number} : contenu modifié (empreinte différente)")
        span = range(seal["first_seq"], seal["last_seq"] + 1)
        if any(seq not in hashes for seq in span):
            report.problem(f"scellement n° {number} : des événements de sa plage manquent")
        elif merkle_root([bytes.fromhex(hashes[seq]) for seq in span]) != seal["merkle_root"]:
            report.problem(f"scellement n° {number} : la racine de Merkle ne se recalcule pas")
        elif hashes[seal["last_seq"]] != seal["last_event_hash"]:
            report.problem(f"scellement n° {number} : le dernier événement scellé diffère")
        if openssl:
            token_check(root, seal, anchor, openssl, report)
        previous, first, sealed_up_to = seal["seal_hash"], seal["last_seq"] + 1, seal["last_seq"]
    return sealed_up_to


def verify(root: Path, anchor: Path | None = None, openssl: str | None = None) -> dict:
    report = Report()
    export = json.loads((root / "export.json").read_text(encoding="utf-8"))
    last_seq = int(export.get("journal_last_seq", 0))
    hashes, events = journal_check(root, last_seq, report)
    kept = kept_packages(events)
    bags = sorted(p for p in (root / "bags").iterdir() if p.is_dir()) \
        if (root / "bags").is_dir() else []
    objects = sum(bag_check(bag, kept.get(bag.name), report) for bag in bags)
    for package in sorted(set(kept) - {bag.name for bag in bags}):
        report.problem(f"paquet {package} : conservé selon le journal, absent de l'export")
    declared = sorted(f"{loss['package']}/{loss['path']}" for loss in export.get("losses", []))
    if declared != sorted(report.losses):
        report.problem("export.json : les pertes déclarées ne sont pas celles des sacs")
    for event in events:
        reply = (event.get("data") or {}).get("reply")
        if event["action"].startswith("archives.transfer_") and reply and not (
                root / "replies" / f"{reply}.xml").is_file():
            report.problem(f"réponse {reply} : absente de l'export")
    binary = openssl or shutil.which("openssl")
    if binary is None:
        report.problem("commande openssl introuvable : jetons d'horodatage non vérifiés")
    sealed_up_to = seals_check(root, hashes, anchor, binary, report)
    if last_seq > sealed_up_to:
        report.notes.append(f"{last_seq - sealed_up_to} événement(s) après le dernier scellement, "
                            "vérifié(s) par la chaîne seulement")
    return {"ok": not report.problems, "complete": not report.losses, "bags": len(bags),
            "objects_verified": objects, "events": len(hashes), "journal_events": len(events),
            "sealed_up_to": sealed_up_to, "problems": report.problems,
            "losses": report.losses, "notes": report.notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vérifier un export de socle, sans socle.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--ca-file", type=Path, help="racine(s) de l'autorité d'horodatage (PEM)")
    parser.add_argument("--openssl", help="chemin de la commande openssl")
    parser.add_argument("--json", action="store_true", help="résultat en JSON")
    args = parser.parse_args(argv)
    result = verify(args.directory, args.ca_file, args.openssl)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{result['bags']} sac(s), {result['objects_verified']} objet(s) vérifié(s) ; "
              f"{result['events']} événement(s), scellés jusqu'au n° {result['sealed_up_to']}")
        for line in result["problems"]:
            print(f"ERREUR  {line}")
        for line in result["losses"]:
            print(f"PERTE   {line}")
        for line in result["notes"]:
            print(f"NOTE    {line}")
        print("Export vérifié." if result["ok"] else "Export NON vérifié.")
    return 1 if result["problems"] else 2 if result["losses"] else 0


if __name__ == "__main__":
    sys.exit(main())
