"""Archives (SAE): ingest throughput, and fixity verification against plain hashing and bagit.

A child process (``python -m bench.archives --worker``) with its own data directory
(SQLite, the two default local offers) migrates, loads the ARC territory and a rules
referential, then:

- ingest: SEDA 2.1 transfer packages (zip, stored: random content does not compress)
  holding files of varied sizes, generated before the clock starts, each ingested by
  ``transfer_ingest`` (every check, format identification, two copies written and
  synced): packages and MB per second;
- fixity: ``archives_verify`` over one offer, against plain Python reading (1 MiB
  chunks) and SHA-256 hashing of the same object files, the physical limit, and
  against bagit-python validating a bag of the same files (hard links, SHA-256
  manifest only). Each is run ``BENCH_ARCHIVE_ROUNDS`` times in turn; the best round
  of each is kept. Everything fits in the page cache here, so the three read memory,
  not the disk: the comparison is of the hashing pipelines.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
AIM_VS_PLAIN = 0.9
CHUNK = 1024 * 1024
NS = "fr:gouv:culture:archivesdefrance:seda:v2.1"


def _manifest(number: int, files: dict[str, tuple[int, str]]) -> bytes:
    objects, refs = [], []
    for index, (path, (size, digest)) in enumerate(files.items(), start=1):
        objects.append(
            f'<BinaryDataObject id="BDO{index}"><DataObjectGroupId>GRP{index}</DataObjectGroupId>'
            f"<DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>{path}</Uri>"
            f'<MessageDigest algorithm="SHA-256">{digest}</MessageDigest>'
            f"<Size>{size}</Size></BinaryDataObject>")
        refs.append(f"<DataObjectReference><DataObjectGroupReferenceId>GRP{index}"
                    "</DataObjectGroupReferenceId></DataObjectReference>")
    units = ('<ArchiveUnit id="AU1"><Content><DescriptionLevel>File</DescriptionLevel>'
             f"<Title>Versement {number} : pièces de marchés publics</Title>"
             "<StartDate>2010-01-01</StartDate><EndDate>2012-12-31</EndDate></Content>"
             '<ArchiveUnit id="AU2"><Content><DescriptionLevel>Item</DescriptionLevel>'
             f"<Title>Pièces</Title></Content>{''.join(refs)}</ArchiveUnit></ArchiveUnit>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ArchiveTransfer xmlns="{NS}">'
            f"<Date>2024-01-15T10:00:00</Date><MessageIdentifier>BENCH-{number}</MessageIdentifier>"
            "<CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>"
            f"</CodeListVersions><DataObjectPackage>{''.join(objects)}"
            f"<DescriptiveMetadata>{units}</DescriptiveMetadata><ManagementMetadata>"
            "<AppraisalRule><Rule>APP-10Y</Rule><StartDate>2010-01-01</StartDate>"
            "<FinalAction>Destroy</FinalAction></AppraisalRule>"
            "<AccessRule><Rule>ACC-25Y</Rule><StartDate>2012-12-31</StartDate></AccessRule>"
            "</ManagementMetadata></DataObjectPackage>"
            "<ArchivalAgency><Identifier>arc</Identifier></ArchivalAgency>"
            "<TransferringAgency><Identifier>compiegne</Identifier></TransferringAgency>"
            "</ArchiveTransfer>").encode()


def _package(path: Path, number: int, sizes: list[int], rng: random.Random) -> None:
    """Write one transfer package: random files (PDF-looking names, binary content)."""
    files: dict[str, tuple[int, str]] = {}
    contents: dict[str, bytes] = {}
    for index, size in enumerate(sizes, start=1):
        content = rng.randbytes(size)
        name = f"Content/piece-{index:03d}.bin"
        contents[name] = content
        files[name] = (size, hashlib.sha256(content).hexdigest())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.xml", _manifest(number, files))
        for name, content in contents.items():
            archive.writestr(name, content)


def _plan(total: int, rng: random.Random) -> list[list[int]]:
    """Split the total into packages of 5 to 20 files from 4 KiB to 32 MiB (log-uniform)."""
    packages: list[list[int]] = []
    left = total
    while left > 0:
        sizes = []
        for _ in range(rng.randint(5, 20)):
            size = min(left, int(2 ** rng.uniform(12, 25)))
            if size <= 0:
                break
            sizes.append(size)
            left -= size
        packages.append(sizes)
    return packages


def _plain(files: list[Path]) -> tuple[int, float]:
    started = time.perf_counter()
    total = 0
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                total += len(chunk)
        digest.hexdigest()
    return total, time.perf_counter() - started


def _rate(total: int, seconds: float) -> float:
    return round(total / 1e6 / seconds, 1)


def archives_world() -> Any:
    """In a worker with Django set up: migrate, load the ARC, give it the rules the
    generated packages name; return the ARC's organisation."""
    from django.core.management import call_command

    from socle.archives.models import FinalAction, Rule, RuleKind
    from socle.core.models import Organisation
    from socle.core.territory import territory_load

    call_command("migrate", verbosity=0, interactive=False)
    territory_load(actor=None, path=REPO / "socle" / "core" / "data" / "territory" / "arc.json")
    arc = Organisation.objects.get(slug="arc")
    Rule.objects.create(organisation=arc, rule_id="APP-10Y", kind=RuleKind.APPRAISAL,
                        duration_years=10, final_action=FinalAction.DESTROY)
    Rule.objects.create(organisation=arc, rule_id="ACC-25Y", kind=RuleKind.ACCESS,
                        duration_years=25)
    return arc


def bag_of_first_offer(work: Path) -> tuple[str, list[Path], Path, Any]:
    """Hard-link the object files of the first offer (not their digest sidecars) into a
    BagIt bag made by bagit-python: (offer name, object files, bag folder, bag)."""
    import bagit
    from django.conf import settings

    offer_name, offer_root = settings.ARCHIVES_OFFERS[0]
    object_files = sorted(p for p in Path(offer_root).rglob("*")
                          if p.is_file() and "/objects/" in p.as_posix()
                          and not p.name.endswith(".sha256"))
    bag_dir = work / "bag"
    bag_dir.mkdir()
    for index, path in enumerate(object_files):
        os.link(path, bag_dir / f"{index:06d}-{path.name}")
    bag = bagit.make_bag(str(bag_dir), checksums=["sha256"])
    return offer_name, object_files, bag_dir, bag


def worker(config: dict[str, Any]) -> dict[str, Any]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
    import django

    django.setup()
    import bagit
    from django.conf import settings

    from socle.archives.fixity import archives_verify
    from socle.archives.ingest import transfer_ingest
    from socle.archives.models import ArchiveObject

    arc = archives_world()
    work = Path(config["work"])
    rng = random.Random(5)
    plan = _plan(config["bytes"], rng)
    print(f"  {len(plan)} paquets, {config['bytes'] / 2**30:.2f} Gio : génération et versement…",
          file=sys.stderr)
    ingest_seconds = 0.0
    ingested_bytes = 0
    rejected = 0
    for number, sizes in enumerate(plan, start=1):
        path = work / f"sip-{number}.zip"
        _package(path, number, sizes, rng)
        started = time.perf_counter()
        transfer = transfer_ingest(actor=None, organisation=arc, package=path)
        ingest_seconds += time.perf_counter() - started
        if transfer.status != "accepted":
            rejected += 1
            print(f"  paquet {number} refusé : {transfer.reply_xml[-500:]}", file=sys.stderr)
        ingested_bytes += path.stat().st_size
        path.unlink()
    result: dict[str, Any] = {"ingest": {
        "packages": len(plan), "rejected": rejected, "objects": ArchiveObject.objects.count(),
        "package_bytes": ingested_bytes, "seconds": round(ingest_seconds, 2),
        "packages_per_second": round(len(plan) / ingest_seconds, 2),
        "mb_per_second": _rate(ingested_bytes, ingest_seconds),
        "copies": len(settings.ARCHIVES_OFFERS)}}
    if rejected:
        result["errors"] = [f"{rejected} paquets refusés au versement"]

    offer_name, object_files, bag_dir, bag = bag_of_first_offer(work)
    object_bytes = sum(p.stat().st_size for p in object_files)

    runs: dict[str, list[dict[str, Any]]] = {"verify": [], "plain_sha256": [], "bagit": []}
    for _ in range(config["rounds"]):
        started = time.perf_counter()
        report = archives_verify(actor=None, offer_name=offer_name, repair=False)
        seconds = time.perf_counter() - started
        runs["verify"].append({"seconds": round(seconds, 3), "bytes": report.bytes,
                               "objects_checked": report.checked, "ok": report.ok,
                               "mb_per_second": _rate(report.bytes, seconds)})
        total, seconds = _plain(object_files)
        runs["plain_sha256"].append({"seconds": round(seconds, 3), "bytes": total,
                                     "mb_per_second": _rate(total, seconds)})
        started = time.perf_counter()
        bagit.Bag(str(bag_dir)).validate()
        seconds = time.perf_counter() - started
        runs["bagit"].append({"seconds": round(seconds, 3), "bytes": object_bytes,
                              "mb_per_second": _rate(object_bytes, seconds)})
    del bag
    best = {name: max(rounds, key=lambda r: r["mb_per_second"]) for name, rounds in runs.items()}
    result["fixity"] = {
        "offer": offer_name, "object_files": len(object_files), "object_bytes": object_bytes,
        "best": best, "rounds": {name: [r["mb_per_second"] for r in rounds]
                                 for name, rounds in runs.items()},
        "ratios": {
            "verify_vs_plain_sha256": round(best["verify"]["mb_per_second"]
                                            / best["plain_sha256"]["mb_per_second"], 3),
            "verify_vs_bagit": round(best["verify"]["mb_per_second"]
                                     / best["bagit"]["mb_per_second"], 3),
        },
    }
    if not all(r["ok"] for r in runs["verify"]):
        result.setdefault("errors", []).append("la vérification a signalé des anomalies")
    return result


def run() -> dict[str, Any]:
    total = int(os.environ.get("BENCH_ARCHIVE_BYTES", str(2 * 1024**3)))
    rounds = max(1, int(os.environ.get("BENCH_ARCHIVE_ROUNDS", "3")))
    base = Path(os.environ.get("BENCH_TMPDIR", tempfile.gettempdir()))
    # Two offers, the largest package in transit (20 files of 32 MiB at most, packed and unpacked), a margin.
    needed = 2 * total + 2 * 1024**3
    free = shutil.disk_usage(base).free
    if free < needed:
        raise RuntimeError(f"Espace disque insuffisant dans {base} : {free / 2**30:.1f} Gio libres, "
                           f"{needed / 2**30:.1f} Gio nécessaires (BENCH_ARCHIVE_BYTES="
                           f"{total}). Réduisez BENCH_ARCHIVE_BYTES ou libérez de la place.")
    with tempfile.TemporaryDirectory(prefix="socle-bench-archives-", dir=base) as tmp:
        data, work = Path(tmp) / "data", Path(tmp) / "work"
        data.mkdir()
        work.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SOCLE_") and k != "DJANGO_SETTINGS_MODULE"}
        env.update({"SOCLE_DATA_DIR": str(data), "SOCLE_SECRET_KEY": "bench-" + "x" * 50,
                    "SOCLE_LOG_LEVEL": "WARNING", "SOCLE_DEBUG": "0"})
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.archives", "--worker",
             json.dumps({"bytes": total, "rounds": rounds, "work": str(work)})],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"le processus de mesure a échoué (code {done.returncode})")
        figures: dict[str, Any] = json.loads(done.stdout)
    ratios = figures["fixity"]["ratios"]
    result: dict[str, Any] = {
        "benchmark": "archives",
        "archive_bytes": total,
        "rounds": rounds,
        "database": "sqlite",
        "method": ("ingest: transfer_ingest of generated SEDA 2.1 zip packages (generation not "
                   "timed); fixity: archives_verify on one offer (objects, .sha256 sidecars, "
                   "package manifests) vs reading the same object files in 1 MiB chunks with "
                   "hashlib.sha256 vs bagit.Bag.validate() on a bag of hard links to them "
                   "(sha256 manifest only); best of the rounds; files in the page cache"),
        **figures,
        "aims": {"verify_vs_plain_sha256": AIM_VS_PLAIN, "verify_vs_bagit": 1.0},
        "aim_met": {"verify_vs_plain_sha256": ratios["verify_vs_plain_sha256"] >= AIM_VS_PLAIN,
                    "faster_than_bagit": ratios["verify_vs_bagit"] > 1.0},
        "wall_seconds": round(time.perf_counter() - started, 1),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    return result


def summary(result: dict[str, Any]) -> list[str]:
    ingest, fixity = result["ingest"], result["fixity"]
    best = fixity["best"]
    return [
        f"  versement : {ingest['packages_per_second']} paquets/s, {ingest['mb_per_second']} Mo/s "
        f"({ingest['packages']} paquets, {ingest['copies']} copies)",
        f"  contrôle d'intégrité : {best['verify']['mb_per_second']} Mo/s ; SHA-256 seul "
        f"{best['plain_sha256']['mb_per_second']} Mo/s ; bagit {best['bagit']['mb_per_second']} Mo/s "
        f"(rapports {fixity['ratios']['verify_vs_plain_sha256']} et "
        f"{fixity['ratios']['verify_vs_bagit']})",
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2, ensure_ascii=False))
