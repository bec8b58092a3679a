"""Reversibility that proves itself: losses exported as losses, a self-describing export, tokens
openssl reads, and the documented script (docs/verify_export.py) reading an export back."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from socle.archives.export import ExportError, archives_export
from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage, ArchivalProfile
from socle.core.journal_seal import audit_seal
from socle.core.merkle import merkle_root
from socle.core.models import AuditEvent, AuditSeal, Organisation
from tests.archives.conftest import PDF, TXT, manifest_xml, sip_zip
from tests.support.tsa import OPENSSL, Authority, RunningTsa, authority_create, running_tsa

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "docs" / "verify_export.py"
FILES = {"Content/deliberation.pdf": PDF, "Content/pv.txt": TXT}

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl est nécessaire")


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return authority_create(tmp_path_factory.mktemp("tsa") / "trusted", "Autorité de test")


@pytest.fixture(scope="module")
def tsa(authority: Authority) -> Iterator[RunningTsa]:
    with running_tsa(authority) as server:
        yield server


def _ingest(arc: Organisation, tmp_path: Path, name: str, transferring: str = "compiegne",
            digests: dict[str, str] | None = None) -> Any:
    path = tmp_path / f"{name}.zip"
    path.write_bytes(sip_zip(manifest_xml(FILES, transferring=transferring, digests=digests,
                                          title=f"Délibérations {name}"), FILES))
    return transfer_ingest(actor=None, organisation=arc, package=path)


def _lose(offers: list[Path], package: ArchivalPackage, path: str) -> None:
    for offer in offers:
        (offer / package.identifier / "objects" / path).unlink()


def _export(directory: Path, org: str = "compiegne") -> tuple[dict[str, Any], str]:
    out = io.StringIO()
    error = ""
    try:
        call_command("archives", "export", str(directory), "--org", org, stdout=out)
    except CommandError as exc:
        error = str(exc)
    return json.loads(out.getvalue()), error


@pytest.fixture
def sealed_export(arc: Organisation, tmp_path: Path, settings: Any, tsa: RunningTsa,
                  offers: list[Path]) -> Path:
    """Compiègne's export: two packages, a refusal, Venette's package in the same seals."""
    settings.TSA_URL, settings.TSA_CA_FILE = tsa.url, str(tsa.authority.ca_file)
    ArchivalProfile.objects.create(organisation=arc, identifier="PROFIL-DELIB", schema=(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern/></schema>'))
    for name in ("premier", "second"):
        assert _ingest(arc, tmp_path, name).status == "accepted"
    assert _ingest(arc, tmp_path, "venette", transferring="venette").status == "accepted"
    refused = _ingest(arc, tmp_path, "faux", digests={"Content/pv.txt": "ab" * 64})
    assert refused.status == "rejected"
    assert audit_seal() is not None
    _ingest(arc, tmp_path, "tardif")  # after the seal: checked by the chain only
    directory = tmp_path / "export"
    report, error = _export(directory)
    assert error == "" and report["complete"], error
    return directory


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- 1. a lost object never stops the export -------------------------------------------------


def test_the_export_goes_past_a_lost_object_records_it_and_exits_non_zero(
        arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    damaged = _ingest(arc, tmp_path, "premier").package
    healthy = _ingest(arc, tmp_path, "second").package
    _lose(offers, damaged, "Content/pv.txt")
    report, error = _export(tmp_path / "export")
    assert "1 objet(s) perdu(s)" in error
    assert sorted(report["packages"]) == sorted([damaged.identifier, healthy.identifier])
    assert report["complete"] is False
    assert report["losses"] == [{"package": damaged.identifier, "path": "Content/pv.txt",
                                 "sha256": damaged.contents.get(path="Content/pv.txt").sha256,
                                 "size": len(TXT), "reason": report["losses"][0]["reason"]}]
    assert "Aucune copie intègre" in report["losses"][0]["reason"]
    export = tmp_path / "export"
    assert json.loads((export / "export.json").read_text())["losses"] == report["losses"]
    # Everything else is there: the other package whole, the damaged one without its loss.
    bagit.Bag(str(export / "bags" / healthy.identifier)).validate()
    damaged_bag = export / "bags" / damaged.identifier
    bagit.Bag(str(damaged_bag)).validate()
    assert (damaged_bag / "data" / "Content" / "deliberation.pdf").read_bytes() == PDF
    assert not (damaged_bag / "data" / "Content" / "pv.txt").exists()
    assert (damaged_bag / "lost-objects.txt").read_text() == (
        f"{report['losses'][0]['sha256']}  data/Content/pv.txt\n")
    assert (export / "seda" / f"{damaged.identifier}.xml").is_file()
    assert "objet(s) perdu(s)" in (export / "README.md").read_text()
    event = AuditEvent.objects.get(action="archives.export")
    assert event.data["losses"] == 1 and event.data["lost"] == [f"{damaged.identifier}/Content/pv.txt"]


def test_the_export_refuses_a_folder_that_is_not_empty(arc: Organisation, tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "ancien.txt").write_text("reste d'un export précédent")
    with pytest.raises(ExportError):
        archives_export(actor=None, organisation=arc, directory=tmp_path / "export")


# --- 2. a self-describing export, whose seals re-prove from it alone -------------------------


@needs_openssl
def test_the_export_describes_itself_and_carries_replies_and_referential(
        sealed_export: Path) -> None:
    readme = (sealed_export / "README.md").read_text(encoding="utf-8")
    assert "## Français" in readme and "## English" in readme and "verify_export.py" in readme
    described = json.loads((sealed_export / "description.json").read_text())
    assert described["format"] == "socle-export/2"
    layout = {entry["path"].split("/")[0] + ("/" if "/" in entry["path"] else "")
              for entry in described["layout"]}
    written = {path.name + ("/" if path.is_dir() else "") for path in sealed_export.iterdir()}
    assert written <= layout, written - layout
    assert {"event_hash", "seal_hash", "merkle_root"} <= set(described["formats"])
    report = json.loads((sealed_export / "export.json").read_text())
    statuses = {reply["status"] for reply in report["replies"]}
    assert statuses == {"accepted", "rejected"} and len(report["replies"]) == 4
    for reply in report["replies"]:
        root = etree.parse(str(sealed_export / reply["file"])).getroot()
        assert etree.QName(root).localname == "ArchiveTransferReply"
    rules = json.loads((sealed_export / "referential" / "rules.json").read_text())
    assert {"organisation": "arc", "rule_id": "APP-10Y", "kind": "AppraisalRule", "label": "",
            "duration_years": 10, "final_action": "Destroy"} in rules
    profiles = json.loads((sealed_export / "referential" / "profiles.json").read_text())
    assert [(p["identifier"], p["kind"]) for p in profiles] == [("PROFIL-DELIB", "ISO Schematron")]
    assert "schematron" in (sealed_export / profiles[0]["file"]).read_text()


@needs_openssl
def test_every_merkle_root_recomputes_from_the_export_alone(sealed_export: Path) -> None:
    own = _lines(sealed_export / "journal.jsonl")
    others = _lines(sealed_export / "journal-hashes.jsonl")
    assert own and others and all(event["organisation"] == "compiegne" for event in own)
    # Another organisation's events leave as digests only.
    assert all(set(reduced) == {"seq", "hash"} for reduced in others)
    assert "venette" not in (sealed_export / "journal-hashes.jsonl").read_text()
    hashes = {event["seq"]: event["hash"] for event in own + others}
    last = json.loads((sealed_export / "export.json").read_text())["journal_last_seq"]
    assert sorted(hashes) == list(range(1, last + 1))
    seals = _lines(sealed_export / "seals.jsonl")
    assert seals and seals[-1]["last_seq"] < last
    for seal in seals:
        leaves = [bytes.fromhex(hashes[seq]) for seq in range(seal["first_seq"],
                                                              seal["last_seq"] + 1)]
        assert merkle_root(leaves).hex() == seal["merkle_root"]


# --- 3. tokens that openssl verifies ---------------------------------------------------------


@needs_openssl
def test_openssl_verifies_the_exported_reply_and_token(sealed_export: Path,
                                                       authority: Authority) -> None:
    assert OPENSSL is not None
    seal = AuditSeal.objects.get(seq=1)
    tokens = sealed_export / "tokens"

    def verify(digest: str, *source: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([OPENSSL, "ts", "-verify", *source, "-digest", digest,
                               "-CAfile", str(authority.ca_file),
                               "-untrusted", str(tokens / "1-chain.pem")],
                              capture_output=True, text=True, check=False)

    for source in (["-in", str(tokens / "1.tsr")], ["-token_in", "-in", str(tokens / "1.tst")]):
        done = verify(seal.seal_hash, *source)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
        assert verify("00" * 32, *source).returncode != 0
    chain = (tokens / "1-chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert authority.ca_file.read_text().strip() in chain


# --- 4. the documented read-back, without socle ----------------------------------------------


def _read_back(directory: Path, *args: str) -> tuple[int, dict[str, Any]]:
    # -I -S: isolated, without site-packages: the script has the standard library only.
    done = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), str(directory), "--json",
                           *args], capture_output=True, text=True, check=False,
                          env={"PATH": os.environ.get("PATH", "")})
    return done.returncode, json.loads(done.stdout)


@needs_openssl
def test_the_documented_script_verifies_an_export_without_socle(
        sealed_export: Path, authority: Authority) -> None:
    assert (sealed_export / "verify_export.py").read_bytes() == SCRIPT.read_bytes()
    code, result = _read_back(sealed_export, "--ca-file", str(authority.ca_file))
    assert (code, result["problems"]) == (0, [])
    assert result["ok"] and result["complete"] and result["bags"] == 3
    assert result["objects_verified"] == 3 * 3  # manifest.xml and two files each
    assert result["sealed_up_to"] == AuditSeal.objects.get().last_seq
    assert any("après le dernier scellement" in note for note in result["notes"])
    # Without the authority's root, the export's own is trusted and its fingerprint shown.
    code, result = _read_back(sealed_export)
    assert code == 0 and any("SHA-256" in note for note in result["notes"])


def _tampered(export: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(export, copy)
    return copy


def _bag(export: Path) -> Path:
    return sorted((export / "bags").iterdir())[0]


@needs_openssl
def test_the_documented_script_finds_a_tampered_export(sealed_export: Path, tmp_path: Path,
                                                       authority: Authority) -> None:
    ca = ("--ca-file", str(authority.ca_file))
    # A byte changed in an object.
    flipped = _tampered(sealed_export, tmp_path, "flipped")
    target = _bag(flipped) / "data" / "Content" / "pv.txt"
    target.write_bytes(b"X" + target.read_bytes()[1:])
    code, result = _read_back(flipped, *ca)
    assert code == 1 and any("empreinte différente : data/Content/pv.txt" in problem
                             for problem in result["problems"])
    # An object replaced with its bag's manifests rewritten: the sealed journal still knows.
    rewritten = _tampered(sealed_export, tmp_path, "rewritten")
    bag = _bag(rewritten)
    (bag / "data" / "Content" / "pv.txt").write_bytes(b"Autre texte.\n")
    bagit.Bag(str(bag)).save(manifests=True)
    bagit.Bag(str(bag)).validate()
    code, result = _read_back(rewritten, *ca)
    assert code == 1 and any("diffère de l'empreinte scellée au versement" in problem
                             for problem in result["problems"]), result["problems"]
    # Another organisation's event hash changed: the Merkle root no longer recomputes.
    forged = _tampered(sealed_export, tmp_path, "forged")
    others = _lines(forged / "journal-hashes.jsonl")
    others[0]["hash"] = "f" * 64
    (forged / "journal-hashes.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in others))
    code, result = _read_back(forged, *ca)
    assert code == 1 and any("racine de Merkle" in problem for problem in result["problems"])
    # A token of another authority's making (here: a byte of the signature changed).
    token = _tampered(sealed_export, tmp_path, "token")
    reply = token / "tokens" / "1.tsr"
    data = bytearray(reply.read_bytes())
    data[-5] ^= 0xFF
    reply.write_bytes(bytes(data))
    code, result = _read_back(token, *ca)
    assert code == 1 and any("le jeton ne se vérifie pas" in problem
                             for problem in result["problems"])
    # A package removed: the journal says it is kept.
    removed = _tampered(sealed_export, tmp_path, "removed")
    shutil.rmtree(_bag(removed))
    code, result = _read_back(removed, *ca)
    assert code == 1 and any("absent de l'export" in problem for problem in result["problems"])


def test_the_documented_script_names_declared_losses(arc: Organisation, tmp_path: Path,
                                                     offers: list[Path]) -> None:
    package = _ingest(arc, tmp_path, "premier").package
    _lose(offers, package, "Content/pv.txt")
    _export(tmp_path / "export")
    code, result = _read_back(tmp_path / "export")
    assert code == 2 and result["ok"] and not result["complete"], result["problems"]
    assert result["losses"] == [f"{package.identifier}/Content/pv.txt"]


# --- 5. the operator's documentation ---------------------------------------------------------


def _section(title: str) -> str:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:end if end > 0 else None]


def test_the_operations_guide_says_which_authorities_were_tried_and_what_a_qualified_one_needs(
        ) -> None:
    tsa = _section("#### Autorités d'horodatage")
    assert "qu'avec une autorité d'horodatage locale de test" in tsa
    assert "tests/support/tsa.py" in tsa
    for needed in ("RFC 3161", "SOCLE_TSA_URL", "SOCLE_TSA_CA_FILE", "OID", "eIDAS",
                   "Svctype/TSA/QTST", "timeStamping"):
        assert needed in tsa, needed


@needs_openssl
def test_the_documented_openssl_commands_verify_the_exported_tokens(
        sealed_export: Path, authority: Authority) -> None:
    section = _section("## 20. Réversibilité")
    assert "socle archives export" in section and "python3 verify_export.py" in section
    commands = [line for line in section.replace("\\\n", " ").splitlines()
                if line.startswith("openssl ts -verify")]
    assert len(commands) == 2
    seal = AuditSeal.objects.get(seq=1)
    for command in commands:
        words = command.replace("SEAL_HASH", seal.seal_hash).replace(
            "racine-autorite.pem", str(authority.ca_file)).split()
        done = subprocess.run(words, cwd=sealed_export, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, (command, done.stderr)
