"""Audits that tell the truth: the sealed journal as reference, losses, interrupted ingests,
stray objects, attribution to each organisation, and the archivist's audits page."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from socle.archives import recovery
from socle.archives.fixity import archives_verify
from socle.archives.ingest import transfer_ingest
from socle.archives.jobs import recover
from socle.archives.models import ArchivalPackage, ArchiveObject, FixityAudit, Transfer
from socle.archives.offers import object_key, offer_get
from socle.core import merkle
from socle.core.blobs import spool_dir
from socle.core.journal_seal import seal_hash
from socle.core.models import AuditEvent, AuditSeal, Organisation, User
from socle.core.task_queue import task_run_next
from tests.archives.conftest import manifest_xml, sip_zip
from tests.support.clients import sign_in


@pytest.fixture
def package(arc: Organisation, good_sip: Path) -> ArchivalPackage:
    transfer = transfer_ingest(actor=None, organisation=arc, package=good_sip)
    assert transfer.status == "accepted", list(transfer.steps.values_list("reason", flat=True))
    return transfer.package


def copy_path(root: Path, package: ArchivalPackage, path: str) -> Path:
    return root / package.identifier / "objects" / path


def overwrite(path: Path, content: bytes) -> None:
    os.chmod(path, 0o640)
    path.write_bytes(content)


def verify(*args: str) -> tuple[dict[str, Any], str, str]:
    """Run the command; return its JSON report, its error (empty when ok) and its stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("archives", "verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return json.loads(out.getvalue()), str(exc), err.getvalue()
    return json.loads(out.getvalue()), "", err.getvalue()


def insider_replaces(package: ArchivalPackage, offers: list[Path], path: str,
                     content: bytes) -> str:
    """Replace a file on every offer, its sidecars, and its digest in the database, as someone
    with access to the servers and the database would."""
    digest = hashlib.sha256(content).hexdigest()
    for root in offers:
        overwrite(copy_path(root, package, path), content)
        overwrite(root / package.identifier / "digests" / f"{path}.sha256",
                  f"{digest}  {path}\n".encode())
    ArchiveObject.objects.filter(package=package, path=path).update(sha256=digest)
    manifest = "".join(f"{sha}  objects/{p}\n" for p, sha in sorted(
        package.contents.values_list("path", "sha256"))).encode()
    for root in offers:
        overwrite(root / package.identifier / "manifest-sha256.txt", manifest)
    ArchivalPackage.objects.filter(pk=package.pk).update(
        manifest_sha256=hashlib.sha256(manifest).hexdigest())
    return digest


def seal_everything() -> AuditSeal:
    """A seal over the whole journal, its Merkle root and hash computed as audit_seal does
    (its timestamp token is not checked by verify: `socle audit verify --proofs` does)."""
    events = list(AuditEvent.objects.order_by("seq"))
    now = timezone.now().replace(microsecond=0)
    seal = AuditSeal(seq=1, first_seq=events[0].seq, last_seq=events[-1].seq,
                     merkle_root=merkle.merkle_root(bytes.fromhex(e.hash) for e in events).hex(),
                     last_event_hash=events[-1].hash, prev_seal_hash="0" * 64, created_at=now,
                     tsa_url="http://127.0.0.1/tsa", tst="", tst_time=now, tsa_certificates="")
    seal.seal_hash = seal_hash(seal)
    seal.save()
    return seal


# --- the sealed journal is the reference -------------------------------------------------


def test_an_insiders_double_replacement_is_found_by_the_journal(
        package: ArchivalPackage, offers: list[Path]) -> None:
    original = package.contents.get(path="Content/pv.txt").sha256
    seal_everything()
    forged = insider_replaces(package, offers, "Content/pv.txt", b"Autre proces-verbal.\n")
    # Against the database alone, every copy now looks right.
    assert ArchiveObject.objects.get(package=package, path="Content/pv.txt").sha256 == forged
    report, error, stderr = verify()
    assert error and not report["ok"]
    reasons = [f["reason"] for f in report["failures"] if f["object"] == "Content/pv.txt"]
    assert any(f"le journal scellé garde {original}" in reason for reason in reasons)
    assert any("manifeste modifiée en base" in f["reason"] for f in report["failures"])
    # No copy holds what was archived any more: that is a loss, named as one.
    assert [(loss["package"], loss["object"]) for loss in report["losses"]] == [
        (package.identifier, "Content/pv.txt")]
    assert "perte" in error and "PERTE" in stderr
    assert report["journal"] == {"events_checked": 1, "sealed": 1}


def test_a_healthy_copy_on_one_offer_repairs_an_insiders_replacement(
        package: ArchivalPackage, offers: list[Path]) -> None:
    healthy = copy_path(offers[0], package, "Content/pv.txt").read_bytes()
    insider_replaces(package, offers[1:], "Content/pv.txt", b"Autre proces-verbal.\n")
    ArchiveObject.objects.filter(package=package, path="Content/pv.txt").update(
        sha256=hashlib.sha256(b"Autre proces-verbal.\n").hexdigest())
    report, error, _ = verify()
    assert error and not report["losses"]
    assert copy_path(offers[1], package, "Content/pv.txt").read_bytes() == healthy


def test_an_atr_edited_in_the_database_is_found(package: ArchivalPackage, arc: Organisation,
                                                tmp_path: Path) -> None:
    refused = tmp_path / "refused.zip"
    refused.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    rejected = transfer_ingest(actor=None, organisation=arc, package=refused)
    assert rejected.status == "rejected"
    assert verify()[0]["ok"]
    Transfer.objects.filter(pk=package.transfer_id).update(
        reply_xml=package.transfer.reply_xml.replace("OK", "KO", 1))
    Transfer.objects.filter(pk=rejected.pk).update(reply_xml=rejected.reply_xml + "<!-- -->")
    report, error, _ = verify()
    assert error
    edited = sorted(f["object"] for f in report["failures"] if "ATR" in f["reason"])
    assert edited == sorted([f"réponse {package.transfer.reply_identifier}",
                             f"réponse {rejected.reply_identifier}"])


def test_a_journal_event_rewritten_by_an_insider_is_found(package: ArchivalPackage,
                                                         offers: list[Path]) -> None:
    forged = insider_replaces(package, offers, "Content/pv.txt", b"Autre.\n")
    event = AuditEvent.objects.get(action="archives.transfer_accept")
    data = {**event.data, "objects": {**event.data["objects"], "Content/pv.txt": forged}}
    AuditEvent.objects.filter(pk=event.pk).update(data=data)
    report, error, _ = verify()
    assert error and any(f"événement n° {event.seq} du journal a été modifié" in f["reason"]
                         for f in report["failures"])


def test_a_rewritten_and_rehashed_sealed_event_breaks_its_seal(package: ArchivalPackage,
                                                              offers: list[Path]) -> None:
    from socle.core.journal import event_hash

    seal = seal_everything()
    forged = insider_replaces(package, offers, "Content/pv.txt", b"Autre.\n")
    event = AuditEvent.objects.get(action="archives.transfer_accept")
    event.data = {**event.data, "objects": {**event.data["objects"], "Content/pv.txt": forged}}
    AuditEvent.objects.filter(pk=event.pk).update(data=event.data, hash=event_hash(event))
    report, error, _ = verify()
    assert error and any(f"scellement n° {seal.seq}" in f["reason"] and "Merkle" in f["reason"]
                         for f in report["failures"])


# --- losses --------------------------------------------------------------------------------


def test_a_loss_is_named_kept_and_never_hidden_by_a_sample(
        package: ArchivalPackage, offers: list[Path], archivist: User, api_client: Any) -> None:
    original = copy_path(offers[0], package, "Content/pv.txt").read_bytes()
    for root in offers:
        copy_path(root, package, "Content/pv.txt").unlink()
    report, error, stderr = verify()
    assert report["losses"][0]["object"] == "Content/pv.txt" and "perte" in error
    assert f"PERTE  {package.identifier}" in stderr
    package.refresh_from_db()
    assert package.integrity == "lost"
    assert AuditEvent.objects.filter(action="archives.loss", target_id=str(package.pk)).count() == 1
    # A sample that would not draw the lost object still looks at it, and says so.
    for seed in range(5):
        sampled = archives_verify(actor=None, sample=0.01, seed=seed)
        assert not sampled.ok and [loss["object"] for loss in sampled.losses] == ["Content/pv.txt"]
    assert AuditEvent.objects.filter(action="archives.loss").count() == 1  # known: said once
    # The package's page and the API name it.
    client = Client()
    sign_in(client, archivist)
    page = client.get(f"/archives/paquets/{package.identifier}/").content.decode()
    assert "Perte : aucune copie saine" in page and "Perte de « Content/pv.txt »" in page
    body = api_client(archivist).get(f"/api/v1/archives/packages/{package.identifier}").json()
    assert body["integrity"] == "lost" and body["integrity_label"].startswith("Perte")
    assert [(loss["object"], loss["label"]) for loss in body["losses"]] == [
        ("Content/pv.txt", "perte")]
    # A copy restored from a backup ends the loss; the next audit repairs the other offer.
    target = copy_path(offers[1], package, "Content/pv.txt")
    target.write_bytes(original)
    report, error, _ = verify()
    assert not report["losses"] and report["repaired"] >= 1
    assert verify()[0]["ok"]
    package.refresh_from_db()
    assert package.integrity == "intact"
    assert not api_client(archivist).get(
        f"/api/v1/archives/packages/{package.identifier}").json()["losses"]


def test_a_damaged_copy_with_a_healthy_one_is_not_a_loss(package: ArchivalPackage,
                                                         offers: list[Path]) -> None:
    copy_path(offers[1], package, "Content/pv.txt").unlink()
    report, error, _ = verify("--no-repair")
    assert error and not report["losses"]
    package.refresh_from_db()
    assert package.integrity == "degraded"


# --- interrupted ingests and strays ------------------------------------------------------


def _die_while_ingesting(arc: Organisation, identifier: str) -> Path:
    """Fork a process that claims a spool folder, writes copies (one of them partial), and is
    killed (SIGKILL) before it ends: what a `kill -9` during an ingest leaves."""
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix=recovery.SPOOL_PREFIX))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            with recovery.spool_claim(work, organisation=arc, identifier=identifier,
                                      reply_identifier="ATR-20260101-dead00000000",
                                      filename="gros.zip"):
                (work / "content").mkdir()
                (work / "content" / "big.bin").write_bytes(b"x" * 100_000)
                offer_get("offer-a").put(object_key(identifier, "big.bin"),
                                         io.BytesIO(b"x" * 100_000))
                partial = Path(offer_get("offer-b").location(object_key(identifier, "big.bin")))
                partial.parent.mkdir(parents=True)
                (partial.parent / ".incoming-abc123").write_bytes(b"x" * 10)
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return work


def test_an_ingest_killed_midway_is_journaled_ko_and_cleaned_by_verify(
        package: ArchivalPackage, arc: Organisation, offers: list[Path]) -> None:
    identifier = "AIP-20260101-dead00000000"
    work = _die_while_ingesting(arc, identifier)
    assert work.is_dir() and (offers[0] / identifier / "objects" / "big.bin").is_file()
    report, error, stderr = verify()
    assert error and "interrompu" in error and "KO  versement interrompu" in stderr
    [found] = report["interrupted"]
    assert found["package"] == identifier and found["copies_removed"] == 2
    assert found["spool_bytes"] >= 100_000
    event = AuditEvent.objects.get(action="archives.transfer_interrupted")
    assert event.organisation_slug == "arc" and event.data["outcome"] == "KO"
    assert event.data["filename"] == "gros.zip"
    assert not work.exists()
    assert not (offers[0] / identifier).exists() and not (offers[1] / identifier).exists()
    assert verify()[0]["ok"]


def test_the_recover_job_cleans_a_dead_ingest(arc: Organisation, offers: list[Path]) -> None:
    work = _die_while_ingesting(arc, "AIP-20260101-dead00000001")
    assert "1 versement(s) interrompu(s)" in recover()
    assert not work.exists() and AuditEvent.objects.filter(
        action="archives.transfer_interrupted").count() == 1
    assert recover() == "Aucun versement interrompu."


def test_a_running_ingest_is_left_alone(package: ArchivalPackage, arc: Organisation,
                                        offers: list[Path]) -> None:
    identifier = "AIP-20260101-live00000000"
    work = Path(tempfile.mkdtemp(dir=spool_dir(), prefix=recovery.SPOOL_PREFIX))
    with recovery.spool_claim(work, organisation=arc, identifier=identifier,
                              reply_identifier="ATR-x", filename="sip.zip"):
        offer_get("offer-a").put(object_key(identifier, "a.txt"), io.BytesIO(b"a"))
        report = archives_verify(actor=None)
        assert report.ok and not report.interrupted and report.strays == []
        assert work.is_dir()
    assert not work.exists()


def test_stray_objects_on_an_offer_are_reported(package: ArchivalPackage,
                                                offers: list[Path]) -> None:
    orphan = offers[1] / "AIP-20250101-0123456789ab" / "objects" / "copie.bin"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"457 Mo, en petit")
    partial = offers[0] / package.identifier / "objects" / "Content" / ".incoming-x1y2"
    partial.write_bytes(b"moitie")
    report, error, stderr = verify()
    assert error and "orphelin" in error
    strays = {stray["location"]: stray["reason"] for stray in report["strays"]}
    assert strays == {str(orphan): "objet qu'aucun paquet ne réclame (copie orpheline)",
                      str(partial): "fichier partiel d'une écriture interrompue"}
    assert f"ORPHELIN  {orphan}" in stderr
    # An audit of one organisation cannot tell whose they are: it does not look.
    assert verify("--org", "arc")[0]["strays"] is None


def test_a_completed_ingest_leaves_no_spool(package: ArchivalPackage) -> None:
    assert not list(spool_dir().glob(f"{recovery.SPOOL_PREFIX}*"))


# --- attribution -----------------------------------------------------------------------------


def test_each_organisation_gets_its_own_audit_event(arc: Organisation, territory: dict,
                                                    good_files: dict, tmp_path: Path) -> None:
    for producer in ("compiegne", "venette"):
        sip = tmp_path / f"{producer}.zip"
        sip.write_bytes(sip_zip(manifest_xml(good_files, transferring=producer), good_files))
        assert transfer_ingest(actor=None, organisation=arc, package=sip).status == "accepted"
    report = archives_verify(actor=None)
    events = {e.organisation_slug: e.data for e in
              AuditEvent.objects.filter(action="archives.verify")}
    # Nothing stray nor interrupted: no event of the platform's own.
    assert set(events) == {"compiegne", "venette"}
    assert events["compiegne"]["packages_checked"] == events["venette"]["packages_checked"] == 1
    assert events["compiegne"]["run"] == events["venette"]["run"] == report.run
    assert events["compiegne"]["objects_checked"] + events["venette"]["objects_checked"] \
        == report.checked
    rows = FixityAudit.objects.filter(run=report.run)
    assert sorted(r.organisation.slug for r in rows if r.organisation) == ["compiegne", "venette"]
    assert rows.count() == 2
    archives_verify(actor=None, organisation=territory["venette"])
    assert AuditEvent.objects.filter(action="archives.verify",
                                     organisation_slug="venette").count() == 2
    assert AuditEvent.objects.filter(action="archives.verify",
                                     organisation_slug="compiegne").count() == 1


# --- the audits page -------------------------------------------------------------------------


def test_the_archivist_runs_a_sampled_audit_from_the_audits_page(
        package: ArchivalPackage, archivist: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, archivist)
    page = client.get("/archives/audits/")
    assert page.status_code == 200 and "Aucun audit" in page.content.decode()
    token = page.cookies["csrftoken"].value
    assert client.post("/archives/audits/", {"organisation": "arc", "sample": "0.1"}
                       ).status_code == 403  # no CSRF token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/archives/audits/", {"organisation": "arc", "sample": "0.1",
                                                     "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="archives.audit_request",
                                     actor=archivist).count() == 1
    assert task_run_next(worker_id="test")
    audit = FixityAudit.objects.get()
    assert audit.ok and audit.sample == 0.1 and audit.actor == archivist
    assert audit.organisation is not None and audit.organisation.slug == "compiegne"
    text = client.get("/archives/audits/").content.decode()
    assert "Intègre" in text and "échantillon de 10 %" in text


def test_the_audits_page_refuses_a_foreign_service_and_shows_no_foreign_audit(
        package: ArchivalPackage, arc: Organisation, territory: dict, make_user: Any,
        api_client: Any) -> None:
    archives_verify(actor=None)
    venette = make_user("archiviste.venette@exemple.fr",
                        roles=[(territory["venette"], "archives.archivist")])
    client = Client()
    sign_in(client, venette)
    page = client.get("/archives/audits/").content.decode()
    assert "Aucun audit" in page
    response = client.post("/archives/audits/", {"organisation": "arc", "sample": "0.1"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="archives.audit_request").exists()
    assert api_client(venette).get("/api/v1/archives/audits").json()["items"] == []
    assert api_client(venette).get(
        f"/api/v1/archives/packages/{package.identifier}").status_code == 404


def test_the_audits_api_lists_the_archivists_audits(package: ArchivalPackage, archivist: User,
                                                    api_client: Any) -> None:
    report = archives_verify(actor=None)
    items = api_client(archivist).get("/api/v1/archives/audits").json()["items"]
    assert [(item["run"], item["organisation"], item["ok"]) for item in items] == [
        (report.run, "compiegne", True)]


def test_an_odd_sample_is_refused(archivist: User) -> None:
    client = Client()
    sign_in(client, archivist)
    response = client.post("/archives/audits/", {"organisation": "arc", "sample": "0.5"})
    assert response.status_code == 400
    assert "Choisissez la part" in response.content.decode()
