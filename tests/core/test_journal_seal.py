"""Sealing the journal with Merkle roots and RFC 3161 timestamps from a real authority."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socle.core.journal import GENESIS_HASH, audit_record, event_hash
from socle.core.journal_seal import audit_seal_task, seal_hash
from socle.core.merkle import merkle_root
from socle.core.models import AuditChainHead, AuditEvent, AuditSeal
from tests.support.tsa import OPENSSL, authority_create, running_tsa

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl est nécessaire")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def authority(tmp_path_factory):
    return authority_create(tmp_path_factory.mktemp("tsa") / "trusted", "Autorité de test")


@pytest.fixture(scope="session")
def rogue_authority(tmp_path_factory):
    return authority_create(tmp_path_factory.mktemp("tsa") / "rogue", "Autorité inconnue")


@pytest.fixture(scope="session")
def tsa(authority):
    with running_tsa(authority) as server:
        yield server


@pytest.fixture
def sealing(settings, tsa, db):
    settings.TSA_URL = tsa.url
    settings.TSA_CA_FILE = str(tsa.authority.ca_file)
    return tsa


def _record(count: int, start: int = 0) -> list[AuditEvent]:
    return [audit_record(actor=None, action="territory.load", data={"i": i})
            for i in range(start, start + count)]


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rewrite_chain_from(seq: int) -> None:
    """Forge event ``seq`` and recompute every later hash and the head, as a DBA could."""
    _sql("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["forged", seq])
    prev = AuditEvent.objects.get(seq=seq - 1).hash
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        prev = event_hash(event)
        _sql("UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
             [event.prev_hash, prev, event.seq])
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


def _seal(capsys) -> dict:
    call_command("audit", "seal")
    return json.loads(capsys.readouterr().out)


def _verify_proofs(capsys) -> tuple[dict, str]:
    """Run `audit verify --proofs`; return its JSON and the error ("" when it passes)."""
    error = ""
    try:
        call_command("audit", "verify", "--proofs")
    except CommandError as exc:
        error = str(exc)
    return json.loads(capsys.readouterr().out), error


def test_a_sealed_journal_verifies_with_its_proofs(sealing, capsys):
    _record(5)
    out = _seal(capsys)
    assert out["sealed"] and (out["first_seq"], out["last_seq"]) == (1, 5)
    seal = AuditSeal.objects.get()
    assert seal.prev_seal_hash == GENESIS_HASH and seal.seal_hash == seal_hash(seal)
    assert len(sealing.queries) >= 1

    report, error = _verify_proofs(capsys)

    assert error == ""
    assert report["ok"] and report["seals"]["checked"] == 1
    assert report["seals"]["sealed_up_to"] == 5 and report["seals"]["unsealed_events"] == 0


def test_openssl_accepts_the_stored_token_for_the_seal_hash(sealing, capsys, tmp_path):
    _record(3)
    _seal(capsys)
    seal = AuditSeal.objects.get()
    token = tmp_path / "token.der"
    token.write_bytes(base64.b64decode(seal.tst))
    done = subprocess.run([OPENSSL, "ts", "-verify", "-digest", seal.seal_hash, "-in", str(token),
                           "-token_in", "-CAfile", str(sealing.authority.ca_file)],
                          capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr


def test_nothing_new_to_seal_is_said_and_succeeds(sealing, capsys):
    _record(2)
    _seal(capsys)
    call_command("audit", "seal")
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"sealed": False}
    assert "Rien à sceller" in captured.err
    assert AuditSeal.objects.count() == 1


def test_an_empty_journal_has_nothing_to_seal(sealing, capsys):
    assert _seal(capsys) == {"sealed": False}
    assert not AuditSeal.objects.exists()


def test_successive_seals_chain_and_cover_contiguous_ranges(sealing, capsys):
    _record(3)
    _seal(capsys)
    _record(4, start=3)
    _seal(capsys)
    first, second = AuditSeal.objects.order_by("seq")
    assert (second.first_seq, second.last_seq) == (4, 7)
    assert second.prev_seal_hash == first.seal_hash
    report, error = _verify_proofs(capsys)
    assert error == "" and report["seals"]["checked"] == 2


def test_events_after_a_seal_stay_unsealed_until_the_next_seal(sealing, capsys):
    _record(3)
    _seal(capsys)
    _record(2, start=3)

    report, error = _verify_proofs(capsys)
    assert error == "" and report["seals"]["unsealed_events"] == 2
    with pytest.raises(CommandError, match="pas encore scellé"):
        call_command("audit", "proof", "--event", "4")

    _seal(capsys)
    report, _ = _verify_proofs(capsys)
    assert report["seals"]["unsealed_events"] == 0 and report["seals"]["sealed_up_to"] == 5


def test_an_altered_event_is_detected_by_the_chain_and_by_the_merkle_root(sealing, capsys):
    _record(5)
    _seal(capsys)
    _sql("UPDATE core_auditevent SET hash = %s WHERE seq = %s", ["a" * 64, 3])

    report, error = _verify_proofs(capsys)

    assert "n° 3" in error
    assert report["first_break"]["seq"] == 3
    assert "racine de Merkle" in report["seals"]["first_problem"]["reason"]


def test_a_consistently_rewritten_chain_is_still_caught_by_the_seal(sealing, capsys):
    """Whoever holds the database can rewrite every hash; not the timestamped root."""
    _record(5)
    _seal(capsys)
    _rewrite_chain_from(2)

    report, error = _verify_proofs(capsys)

    assert "first_break" not in report  # the chain alone sees nothing
    assert "Scellement n° 1 invalide" in error and "racine de Merkle" in error


def test_an_altered_merkle_root_is_detected(sealing, capsys):
    _record(4)
    _seal(capsys)
    _sql("UPDATE core_auditseal SET merkle_root = %s WHERE seq = 1", ["b" * 64])
    report, error = _verify_proofs(capsys)
    assert "contenu du scellement a été modifié" in error
    assert not report["ok"]


def test_a_fully_recomputed_forgery_no_longer_matches_the_token(sealing, capsys):
    """Events, chain, Merkle root and seal hash all rewritten: only the token is left."""
    _record(4)
    _seal(capsys)
    _rewrite_chain_from(2)
    seal = AuditSeal.objects.get()
    seal.merkle_root = merkle_root(bytes.fromhex(event.hash) for event in AuditEvent.objects.all()).hex()
    seal.last_event_hash = AuditEvent.objects.get(seq=4).hash
    _sql("UPDATE core_auditseal SET merkle_root = %s, last_event_hash = %s, seal_hash = %s "
         "WHERE seq = 1", [seal.merkle_root, seal.last_event_hash, seal_hash(seal)])
    _, error = _verify_proofs(capsys)
    assert "jeton d'horodatage" in error and "autre empreinte" in error


def test_a_broken_link_between_seals_is_detected(sealing, capsys):
    _record(2)
    _seal(capsys)
    _record(2, start=2)
    _seal(capsys)
    _sql("UPDATE core_auditseal SET prev_seal_hash = %s WHERE seq = 2", ["c" * 64])
    _, error = _verify_proofs(capsys)
    assert "Scellement n° 2" in error and "lien vers le scellement précédent" in error


def test_a_deleted_first_seal_breaks_the_sequence(sealing, capsys):
    _record(2)
    _seal(capsys)
    _record(2, start=2)
    _seal(capsys)
    _sql("DELETE FROM core_auditseal WHERE seq = 1", [])
    _, error = _verify_proofs(capsys)
    assert "scellement n° 1 attendu" in error


@pytest.fixture
def witnessed(sealing, settings, tmp_path):
    settings.SEAL_WITNESS = str(tmp_path / "temoin-scellements.jsonl")
    return tmp_path / "temoin-scellements.jsonl"


def test_each_seal_is_attested_in_the_witness_file_and_verified(witnessed, capsys):
    _record(2)
    first = _seal(capsys)
    _record(1, start=2)
    second = _seal(capsys)
    lines = [json.loads(line) for line in witnessed.read_text().splitlines()]
    assert [(line["seal"], line["seal_hash"]) for line in lines] == [
        (1, first["seal_hash"]), (2, second["seal_hash"])]
    summary, error = _verify_proofs(capsys)
    assert error == "" and summary["seals"]["witness"] == {
        "file": str(witnessed), "attested": 2, "ok": True}


def test_deleting_the_latest_seal_is_caught_by_the_witness_file(witnessed, capsys, settings):
    _record(2)
    _seal(capsys)
    _record(2, start=2)
    _seal(capsys)
    _sql("DELETE FROM core_auditseal WHERE seq = 2", [])
    # The seals left are consistent: without the witness, nothing shows.
    settings.SEAL_WITNESS = ""
    assert _verify_proofs(capsys)[1] == ""
    settings.SEAL_WITNESS = str(witnessed)
    summary, error = _verify_proofs(capsys)
    assert not summary["ok"] and "scellement n° 2" in error and "supprimé" in error
    # The witness may also be given on the command line.
    settings.SEAL_WITNESS = ""
    with pytest.raises(CommandError, match="scellement n° 2"):
        call_command("audit", "verify", "--proofs", "--witness", str(witnessed))


def test_a_seal_rewritten_in_the_database_differs_from_its_witness(witnessed, capsys):
    _record(2)
    _seal(capsys)
    _sql("UPDATE core_auditseal SET seal_hash = %s WHERE seq = 1", ["d" * 64])
    summary, error = _verify_proofs(capsys)
    assert not summary["ok"] and error
    assert summary["seals"]["witness"]["problem"].startswith("le scellement n° 1 en base diffère")


def test_an_unwritable_witness_fails_the_seal_loudly(sealing, settings, tmp_path, capsys):
    settings.SEAL_WITNESS = str(tmp_path / "absent" / "temoin.jsonl")
    _record(1)
    with pytest.raises(CommandError, match="fichier témoin"):
        call_command("audit", "seal")


def test_a_genuine_token_for_other_data_is_detected(sealing, capsys):
    _record(3)
    _seal(capsys)
    other = sealing.authority.token_for(hashlib.sha256(b"autre chose").digest())
    _sql("UPDATE core_auditseal SET tst = %s WHERE seq = 1", [base64.b64encode(other).decode()])
    _, error = _verify_proofs(capsys)
    assert "autre empreinte" in error


def test_a_token_from_an_untrusted_authority_is_detected(sealing, rogue_authority, capsys):
    _record(3)
    _seal(capsys)
    seal = AuditSeal.objects.get()
    forged = rogue_authority.token_for(bytes.fromhex(seal.seal_hash))
    _sql("UPDATE core_auditseal SET tst = %s, tsa_certificates = %s WHERE seq = 1",
         [base64.b64encode(forged).decode(), rogue_authority.ca_file.read_text()])
    _, error = _verify_proofs(capsys)
    assert "aucune autorité de confiance" in error


def test_a_corrupted_token_is_detected(sealing, capsys):
    _record(3)
    _seal(capsys)
    token = bytearray(base64.b64decode(AuditSeal.objects.get().tst))
    token[-10] ^= 0xFF  # inside the signature
    _sql("UPDATE core_auditseal SET tst = %s WHERE seq = 1", [base64.b64encode(token).decode()])
    _, error = _verify_proofs(capsys)
    assert "jeton d'horodatage" in error


def test_an_authority_outside_the_trusted_roots_cannot_seal(sealing, rogue_authority, settings):
    _record(2)
    with running_tsa(rogue_authority) as rogue:
        settings.TSA_URL = rogue.url
        with pytest.raises(CommandError, match="aucune autorité de confiance"):
            call_command("audit", "seal")
    assert not AuditSeal.objects.exists()


def test_an_unreachable_authority_fails_the_seal_and_stores_nothing(sealing, settings):
    _record(2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.TSA_URL = f"http://127.0.0.1:{port}/tsa"
    with pytest.raises(CommandError, match=r"Horodatage impossible.*injoignable"):
        call_command("audit", "seal")
    assert not AuditSeal.objects.exists()


def test_sealing_without_an_authority_is_refused(settings, db):
    settings.TSA_URL = ""
    _record(1)
    with pytest.raises(CommandError, match="SOCLE_TSA_URL"):
        call_command("audit", "seal")


def test_a_broken_chain_is_never_sealed(sealing):
    _record(3)
    _sql("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["forged", 2])
    with pytest.raises(CommandError, match="rompu à l'événement n° 2"):
        call_command("audit", "seal")
    assert not AuditSeal.objects.exists()


def test_a_dump_and_reload_keeps_the_seals_valid(sealing, capsys, tmp_path):
    _record(3)
    _seal(capsys)
    dump = tmp_path / "journal.json"
    call_command("dumpdata", "core.auditevent", "core.auditchainhead", "core.auditseal",
                 output=str(dump))
    _sql("DELETE FROM core_auditseal", [])
    _sql("DELETE FROM core_auditevent", [])
    call_command("loaddata", str(dump))
    capsys.readouterr()
    report, error = _verify_proofs(capsys)
    assert error == "" and report["seals"]["checked"] == 1


def test_a_seal_cannot_be_changed_or_deleted_through_the_orm(sealing, capsys):
    _record(1)
    _seal(capsys)
    seal = AuditSeal.objects.get()
    seal.merkle_root = "0" * 64
    with pytest.raises(PermissionError):
        seal.save()
    with pytest.raises(PermissionError):
        seal.delete()


def test_an_inclusion_proof_verifies_on_its_own(sealing, capsys, tmp_path, settings):
    _record(7)
    _seal(capsys)
    call_command("audit", "proof", "--event", "5")
    proof = json.loads(capsys.readouterr().out)
    assert proof["event"]["seq"] == 5 and proof["tree_size"] == 7 and proof["audit_path"]
    path = tmp_path / "preuve.json"
    path.write_text(json.dumps(proof))

    # Offline: no authority configured, the trusted root is given explicitly.
    settings.TSA_URL = ""
    settings.TSA_CA_FILE = ""
    call_command("audit", "proof", "--verify", str(path), "--ca-file", str(sealing.authority.ca_file))
    assert json.loads(capsys.readouterr().out)["ok"] is True


@pytest.mark.parametrize(("alter", "message"), [
    (lambda proof: proof["event"].update(action="forged"), "contenu de l'événement"),
    (lambda proof: proof["audit_path"].reverse(), "chemin d'audit"),
    (lambda proof: proof.update(leaf_index=0), "position"),
    (lambda proof: proof["seal"].update(merkle_root="d" * 64), "contenu du scellement"),
])
def test_an_altered_inclusion_proof_is_refused(sealing, capsys, tmp_path, alter, message):
    _record(7)
    _seal(capsys)
    call_command("audit", "proof", "--event", "5")
    proof = json.loads(capsys.readouterr().out)
    alter(proof)
    path = tmp_path / "preuve.json"
    path.write_text(json.dumps(proof))
    with pytest.raises(CommandError, match=message):
        call_command("audit", "proof", "--verify", str(path))


@pytest.mark.django_db(transaction=True)  # the worker runs outside any test transaction
def test_sealing_runs_as_a_background_task(settings, tsa):
    settings.TSA_URL = tsa.url
    settings.TSA_CA_FILE = str(tsa.authority.ca_file)
    _record(3)
    result = audit_seal_task.enqueue()
    call_command("worker", batch=True)
    result.refresh()
    assert result.return_value["sealed"] is True and result.return_value["last_seq"] == 3
    assert AuditSeal.objects.get().last_seq == 3


def _import_settings(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_TSA_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return subprocess.run([sys.executable, "-c", "import socle.settings"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_an_authority_without_trusted_roots_fails_at_start():
    result = _import_settings({"SOCLE_TSA_URL": "https://horodatage.example.fr/tsa"})
    assert result.returncode != 0
    assert "SOCLE_TSA_CA_FILE" in result.stderr


def test_an_authority_with_its_trusted_roots_starts(authority):
    result = _import_settings({"SOCLE_TSA_URL": "https://horodatage.example.fr/tsa",
                               "SOCLE_TSA_CA_FILE": str(authority.ca_file)})
    assert result.returncode == 0, result.stderr
