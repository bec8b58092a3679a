"""Two-copy write-once storage, fixity audits with repair, the DIP as a BagIt bag."""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import boto3
import pytest
from django.core.management import CommandError, call_command
from moto.server import ThreadedMotoServer

from socle.archives.bagit_validation import validate_bag
from socle.archives.dissemination import dip_build
from socle.archives.fixity import archives_verify
from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage
from socle.archives.offers import OfferError, object_key, offer_get
from socle.core.models import AuditEvent, Organisation
from tests.archives.conftest import manifest_xml, sip_zip


@pytest.fixture
def package(arc: Organisation, good_sip: Path) -> ArchivalPackage:
    transfer = transfer_ingest(actor=None, organisation=arc, package=good_sip)
    assert transfer.status == "accepted", list(transfer.steps.values_list("reason", flat=True))
    return transfer.package


def copy_path(offer_root: Path, package: ArchivalPackage, path: str) -> Path:
    return offer_root / package.identifier / "objects" / path


def verify(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    try:
        call_command("archives", "verify", *args, stdout=out)
    except CommandError:
        result = json.loads(out.getvalue())
        result["exit_error"] = True
        return result
    return json.loads(out.getvalue())


def test_each_object_is_on_both_offers_read_only_with_its_digest(
        package: ArchivalPackage, offers: list[Path]) -> None:
    for root in offers:
        for obj in package.contents.all():
            copy = copy_path(root, package, obj.path)
            assert copy.is_file()
            assert not os.stat(copy).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
            sidecar = root / package.identifier / "digests" / f"{obj.path}.sha256"
            assert sidecar.read_text().split()[0] == obj.sha256
        import hashlib
        manifest = (root / package.identifier / "manifest-sha256.txt").read_bytes()
        assert hashlib.sha256(manifest).hexdigest() == package.manifest_sha256


def test_an_offer_never_overwrites(package: ArchivalPackage) -> None:
    offer = offer_get("offer-a")
    with pytest.raises(OfferError):
        offer.put(object_key(package.identifier, "manifest.xml"), io.BytesIO(b"autre chose"))


def test_a_healthy_archive_verifies(package: ArchivalPackage) -> None:
    result = verify()
    assert result["ok"] and not result.get("exit_error")
    # 3 objects x 2 offers + the package manifest on each offer
    assert result["objects_checked"] == 8
    assert result["bytes"] > 0 and "throughput_mb_s" in result
    assert AuditEvent.objects.filter(action="archives.verify").exists()


def test_a_damaged_copy_is_found_repaired_and_journaled(package: ArchivalPackage,
                                                        offers: list[Path]) -> None:
    damaged = copy_path(offers[1], package, "Content/pv.txt")
    os.chmod(damaged, 0o640)
    damaged.write_bytes(b"altered")
    result = verify("--offer", "offer-b")
    assert result["exit_error"]
    [failure] = result["failures"]
    assert failure["location"] == str(damaged)
    assert failure["repaired"] == "oui"
    assert damaged.read_bytes() == copy_path(offers[0], package, "Content/pv.txt").read_bytes()
    assert AuditEvent.objects.filter(action="archives.repair").count() == 1
    assert verify()["ok"]


def test_a_missing_copy_is_reported_without_repair_when_asked(package: ArchivalPackage,
                                                              offers: list[Path]) -> None:
    missing = copy_path(offers[0], package, "manifest.xml")
    missing.unlink()
    result = verify("--no-repair")
    assert result["exit_error"] and result["failures"][0]["reason"] == "copie absente"
    assert not missing.exists()


def test_an_unknown_offer_is_an_error(package: ArchivalPackage) -> None:
    with pytest.raises(CommandError):
        call_command("archives", "verify", "--offer", "nulle-part", stdout=io.StringIO())


def test_a_sample_checks_a_fraction(arc: Organisation, good_sip: Path) -> None:
    transfer_ingest(actor=None, organisation=arc, package=good_sip)
    report = archives_verify(actor=None, sample=0.34, seed=1)
    assert report.ok and report.checked == 2 + 2  # 1 object x 2 offers + 2 package manifests


def test_the_dip_is_a_valid_bagit_bag(package: ArchivalPackage, tmp_path: Path) -> None:
    with dip_build(package) as dip, zipfile.ZipFile(dip) as archive:
        archive.extractall(tmp_path / "dip")
    bag_dir = tmp_path / "dip" / package.identifier
    report = validate_bag(bag_dir)
    assert report.valid and not report.warnings, (report.errors, report.warnings)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # bagit-python, completely (digests included)
    assert bag.version == "1.0"
    assert "Payload-Oxum" in bag.info and "Bagging-Date" in bag.info
    assert (bag_dir / "data" / "manifest.xml").read_bytes().startswith(b"<?xml")


def test_the_dip_skips_a_damaged_copy(package: ArchivalPackage, offers: list[Path],
                                      tmp_path: Path) -> None:
    damaged = copy_path(offers[0], package, "Content/pv.txt")
    os.chmod(damaged, 0o640)
    healthy = copy_path(offers[1], package, "Content/pv.txt").read_bytes()
    damaged.write_bytes(b"altered")
    with dip_build(package) as dip, zipfile.ZipFile(dip) as archive:
        archive.extractall(tmp_path / "dip")
    bag = tmp_path / "dip" / package.identifier
    bagit.Bag(str(bag)).validate()
    # The bag carries the healthy copy, not the damaged one.
    delivered = [p for p in bag.rglob("pv.txt")]
    assert len(delivered) == 1 and delivered[0].read_bytes() == healthy != b"altered"


FORGED_TITLE = ("Délibérations&#13;Payload-Oxum: 1.1&#13;&#10;Source-Organization: Pirate"
                "&#10;Bagging-Date: 1999-01-01\u2028External-Identifier: faux\u0085Fin\x7f"
                "&#9;du titre" + " très long" * 30)


def test_a_title_with_line_breaks_forges_no_tag_in_the_dip(arc: Organisation, good_files: dict,
                                                             tmp_path: Path) -> None:
    sip = tmp_path / "forged.zip"
    sip.write_bytes(sip_zip(manifest_xml(good_files, title=FORGED_TITLE), good_files))
    package = transfer_ingest(actor=None, organisation=arc, package=sip).package
    assert "\r" in package.title and "\n" in package.title  # SEDA kept them, as XML allows
    with dip_build(package) as dip, zipfile.ZipFile(dip) as archive:
        archive.extractall(tmp_path / "dip")
    bag_dir = tmp_path / "dip" / package.identifier
    report = validate_bag(bag_dir)
    assert report.valid and not report.warnings, (report.errors, report.warnings)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert sorted(bag.info) == ["Bag-Software-Agent", "Bagging-Date", "External-Description",
                                "External-Identifier", "Payload-Oxum", "Source-Organization"]
    assert all(isinstance(value, str) for value in bag.info.values())  # each tag once
    assert " ".join(bag.info["Source-Organization"].split()) == package.organisation.name
    assert bag.info["External-Identifier"] == package.identifier
    text = (bag_dir / "bag-info.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert not any(ch in text for ch in "\r\x0b\x0c\x1c\x1d\x1e\x7f\x85\u2028\u2029\t")
    assert all(len(line) <= 79 for line in lines)
    assert sum(1 for line in lines if line.startswith("Payload-Oxum")) == 1
    description = " ".join(bag.info["External-Description"].split())
    assert description.startswith("Délibérations Payload-Oxum: 1.1 Source-Organization: Pirate "
                                  "Bagging-Date: 1999-01-01 External-Identifier: faux Fin du titre")
    assert description.endswith("très long")


# --- S3 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_an_s3_offer_keeps_a_copy_and_verifies(s3_server: str, settings: Any, arc: Organisation,
                                               good_sip: Path, offers: list[Path]) -> None:
    bucket = f"socle-archives-{secrets.token_hex(4)}"
    settings.S3_ENDPOINT_URL = s3_server
    settings.S3_ACCESS_KEY, settings.S3_SECRET_KEY = "socle-essai", "socle-essai-secret"
    settings.S3_REGION = "fr-par"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="fr-par",
                          aws_access_key_id="socle-essai", aws_secret_access_key="socle-essai-secret")
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    settings.ARCHIVES_OFFERS = [("offer-a", str(offers[0])), ("cloud", f"s3://{bucket}/sae")]
    package = transfer_ingest(actor=None, organisation=arc, package=good_sip).package
    key = f"sae/{package.identifier}/objects/Content/pv.txt"
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read().startswith(b"Proc")
    with pytest.raises(OfferError):
        offer_get("cloud").put(f"{package.identifier}/objects/Content/pv.txt", io.BytesIO(b"x"))
    assert archives_verify(actor=None, offer_name="cloud").ok
    client.put_object(Bucket=bucket, Key=key, Body=b"altered")
    report = archives_verify(actor=None, offer_name="cloud")
    assert not report.ok and report.repaired == 1
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read().startswith(b"Proc")


def test_the_scheduled_task_audits_one_offer(package: ArchivalPackage) -> None:
    from socle.archives.tasks import verify_offer_task

    result = verify_offer_task.call(offer="offer-b")
    assert result["ok"] and result["offers"] == ["offer-b"]
    assert result["objects_checked"] == 4
