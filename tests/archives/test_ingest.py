"""Ingest of SEDA transfers: the reference samples, packages built here, hostile packages."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from socle.archives.ingest import transfer_ingest
from socle.archives.models import ArchivalPackage, Transfer
from socle.core.models import AuditEvent, Organisation
from tests.archives.conftest import (
    NS,
    PDF,
    SCHEMA_FOLDERS,
    TXT,
    manifest_xml,
    org_create,
    sample,
    sip_zip,
    stored_files,
    unit,
)
from tests.support.reference import reference_path


def ingest(path: Path, org: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("archives", "ingest", str(path), "--org", org, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def refused(path: Path, org: str, offers: list[Path]) -> Transfer:
    packages = ArchivalPackage.objects.count()
    with pytest.raises(CommandError):
        ingest(path, org)
    assert ArchivalPackage.objects.count() == packages
    assert stored_files(offers) == []
    return Transfer.objects.latest("pk")


def failed_step(transfer: Transfer) -> Any:
    return transfer.steps.get(ok=False)


def reply_valid(transfer: Transfer, version: str) -> etree._Element:
    root = etree.fromstring(transfer.reply_xml.encode())
    assert etree.QName(root).namespace == NS[version]
    folder = reference_path(SCHEMA_FOLDERS[version])
    schema = etree.XMLSchema(etree.parse(str(folder / f"seda-{version}-main.xsd")))
    assert schema.validate(root), schema.error_log
    return root


def test_the_reference_sample_ok_468_is_accepted(frad01: Organisation, offers: list[Path],
                                                 seda_schemas: dict, clamd: Any) -> None:
    identifier, _ = ingest(sample("OK_468.zip"), "archives-departementales-ain")
    package = ArchivalPackage.objects.get(identifier=identifier)
    assert package.title == "Versement de la matrice cadastrale numérique"
    assert package.organisation.slug == "dgfip-ain"
    assert package.appraisal_rule == "APP-00001"
    assert package.final_action == "Keep"
    paths = {obj.path: obj for obj in package.contents.all()}
    assert set(paths) == {"manifest.xml", "Content/cad_2005_010_BATI.pdf",
                          "Content/documentation_prop_batie.pdf"}
    assert paths["Content/cad_2005_010_BATI.pdf"].format_id == "fmt/18"
    assert paths["Content/cad_2005_010_BATI.pdf"].format_tool.startswith("siegfried")
    # Two offers, each with the objects, their sidecar digests and the package manifest.
    assert len(stored_files(offers)) == 2 * (3 * 2 + 1)
    root = reply_valid(package.transfer, "2.1")
    assert root.findtext(f"{{{NS['2.1']}}}ReplyCode") == "OK"
    assert root.findtext(f"{{{NS['2.1']}}}MessageRequestIdentifier") == "20161012002"
    assert [step.outcome for step in package.transfer.steps.all()] == ["OK"] * 13


def test_the_reference_sample_ko_468_is_refused(frad01: Organisation, offers: list[Path],
                                                seda_schemas: dict) -> None:
    transfer = refused(sample("KO_468.zip"), "archives-departementales-ain", offers)
    assert transfer.status == "rejected"
    assert failed_step(transfer).name == "profile"
    assert "matrice cadastrale" in failed_step(transfer).reason
    root = reply_valid(transfer, "2.1")
    assert root.findtext(f"{{{NS['2.1']}}}ReplyCode") == "KO"


def test_a_sample_is_refused_when_its_agencies_are_unknown(territory: dict, offers: list[Path]
                                                           ) -> None:
    transfer = refused(sample("OK_468.zip"), "arc", offers)
    step = failed_step(transfer)
    assert step.name == "agencies"
    # The archivist is told what to change, in their words.
    assert "Service d'archives « FRAD01 » inconnu" in step.reason
    assert "Identifiants des services" in step.reason and "<ArchivalAgency>" in step.reason


def test_a_sample_sent_to_the_wrong_archives_service_says_which_it_names(
        frad01: Organisation, territory: dict, offers: list[Path]) -> None:
    transfer = refused(sample("OK_468.zip"), "arc", offers)
    reason = failed_step(transfer).reason
    assert f"s'adresse à « {frad01.name} » (« FRAD01 »)" in reason
    assert "versez-le au bon service" in reason


def test_a_vitam_sample_with_a_cycle_is_refused(frad01: Organisation, offers: list[Path]) -> None:
    transfer = refused(sample("TestSipCyclic.zip"), "archives-departementales-ain", offers)
    assert transfer.status == "rejected"


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3"])
def test_a_built_package_is_accepted_in_each_seda_version(
        arc: Organisation, good_files: dict, tmp_path: Path, offers: list[Path], version: str,
        seda_schemas: dict, clamd: Any) -> None:
    reference_path(SCHEMA_FOLDERS[version])
    path = tmp_path / "sip.zip"
    path.write_bytes(sip_zip(manifest_xml(good_files, version=version), good_files))
    identifier, _ = ingest(path, "arc")
    package = ArchivalPackage.objects.get(identifier=identifier)
    assert package.organisation.slug == "compiegne"
    assert str(package.appraisal_end_date) == "2020-01-01"
    assert str(package.access_end_date) == "2037-12-31"
    assert (package.start_date.isoformat(), package.end_date.isoformat()) == (
        "2010-01-01", "2012-12-31")
    formats = dict(package.contents.values_list("path", "format_id"))
    assert formats["Content/pv.txt"] == "x-fmt/111"
    assert formats["manifest.xml"] == "fmt/101"
    assert package.transfer.steps.get(name="schema").outcome == "OK"
    assert reply_valid(package.transfer, version).findtext(
        f"{{{NS[version]}}}ReplyCode") == "OK"
    assert AuditEvent.objects.filter(action="archives.transfer_accept",
                                     target_id=str(package.pk)).exists()


def test_without_a_schema_the_schema_step_warns_and_is_never_ok(
        arc: Organisation, good_sip: Path, settings: Any) -> None:
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {"2.1": "", "2.2": "", "2.3": ""}
    identifier, err = ingest(good_sip, "arc")
    transfer = ArchivalPackage.objects.get(identifier=identifier).transfer
    step = transfer.steps.get(name="schema")
    assert (step.ok, step.outcome) == (True, "WARNING")
    assert step.reason == ("Validation par le schéma non effectuée : aucun schéma SEDA 2.1 "
                           "configuré.")
    assert transfer.status == "accepted"
    assert "WARNING  Validation par le schéma SEDA" in err
    assert "OK  Validation par le schéma SEDA" not in err
    root = etree.fromstring(transfer.reply_xml.encode())
    ns = {"s": NS["2.1"]}
    assert root.findtext("s:ReplyCode", namespaces=ns) == "WARNING"
    outcomes = {event.findtext("s:EventTypeCode", namespaces=ns):
                event.findtext("s:Outcome", namespaces=ns)
                for event in root.iterfind("s:Operation/s:Event", namespaces=ns)}
    assert outcomes["schema"] == "WARNING"
    assert outcomes["antivirus"] == "WARNING"  # no scanner configured either
    assert set(outcomes.values()) == {"OK", "WARNING"}
    assert root.find("s:GrantDate", namespaces=ns) is not None


def test_a_reply_with_a_warning_is_valid_seda(arc: Organisation, good_files: dict,
                                              tmp_path: Path, settings: Any) -> None:
    folder = reference_path(SCHEMA_FOLDERS["2.3"])
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {"2.1": "", "2.2": "", "2.3": ""}
    identifier, _ = ingest(write(tmp_path, sip_zip(manifest_xml(good_files, version="2.3"),
                                                   good_files)), "arc")
    transfer = ArchivalPackage.objects.get(identifier=identifier).transfer
    assert folder.is_dir()
    root = reply_valid(transfer, "2.3")
    assert root.findtext(f"{{{NS['2.3']}}}ReplyCode") == "WARNING"


def test_an_xsd_invalid_manifest_is_refused_when_the_schema_is_configured(
        arc: Organisation, good_files: dict, tmp_path: Path, offers: list[Path],
        seda_schemas: dict) -> None:
    # An element the schema does not know, where the rest of the ingest would accept it.
    manifest = manifest_xml(good_files).replace(
        b"<Date>", b"<Humeur>joyeuse</Humeur><Date>", 1)
    transfer = refused(write(tmp_path, sip_zip(manifest, good_files)), "arc", offers)
    step = failed_step(transfer)
    assert (step.name, step.outcome) == ("schema", "KO")
    assert "non conforme au schéma SEDA 2.1" in step.reason
    assert reply_valid(transfer, "2.1").findtext(f"{{{NS['2.1']}}}ReplyCode") == "KO"


def test_a_tar_package_is_accepted(arc: Organisation, good_files: dict, tmp_path: Path) -> None:
    path = tmp_path / "sip.tar"
    with tarfile.open(path, "w") as archive:
        for name, content in {"manifest.xml": manifest_xml(good_files), **good_files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    identifier, _ = ingest(path, "arc")
    assert ArchivalPackage.objects.filter(identifier=identifier).exists()


def test_a_siret_names_an_agency(arc: Organisation, territory: dict, good_files: dict,
                                 tmp_path: Path) -> None:
    Organisation.objects.filter(slug="venette").update(siret="21600667300014")
    path = tmp_path / "sip.zip"
    path.write_bytes(sip_zip(manifest_xml(good_files, transferring="21600667300014"), good_files))
    identifier, _ = ingest(path, "arc")
    assert ArchivalPackage.objects.get(identifier=identifier).organisation.slug == "venette"


# --- refusals ------------------------------------------------------------------------------


def write(tmp_path: Path, content: bytes, name: str = "sip.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("entity", [
    # billion laughs
    b'<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    # external entity
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
])
def test_a_manifest_with_entities_is_refused(arc: Organisation, good_files: dict, tmp_path: Path,
                                             offers: list[Path], entity: bytes) -> None:
    manifest = manifest_xml(good_files).replace(
        b"<ArchiveTransfer", entity + b"<ArchiveTransfer", 1)
    transfer = refused(write(tmp_path, sip_zip(manifest, good_files)), "arc", offers)
    step = failed_step(transfer)
    assert step.name == "manifest"
    assert "entités" in step.reason
    assert transfer.reply_xml and "KO" in transfer.reply_xml


def test_a_zip_bomb_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    buffer = io.BytesIO()
    # bzip2 reaches ratios deflate cannot (50 MB of zeros: about 650,000:1).
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        archive.writestr("Content/zeros.bin", b"\0" * (50 * 1024 * 1024))
    transfer = refused(write(tmp_path, buffer.getvalue()), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert "bombe" in failed_step(transfer).reason


def test_an_entry_lying_about_its_size_is_refused(arc: Organisation, tmp_path: Path,
                                                  offers: list[Path]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        archive.writestr("Content/a.txt", b"A" * 1000)
    data = bytearray(buffer.getvalue())
    # Rewrite the declared size (central directory) to 10 bytes: the real 1000 must be caught.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04", data.find(b"Content/a.txt") - 40)
    data[local + 22:local + 26] = (10).to_bytes(4, "little")
    transfer = refused(write(tmp_path, bytes(data)), "arc", offers)
    assert failed_step(transfer).name == "container"


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "Content/../../evil.txt"])
def test_paths_outside_the_package_are_refused(arc: Organisation, tmp_path: Path,
                                               offers: list[Path], name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        archive.writestr(zipfile.ZipInfo(name), b"x")
    transfer = refused(write(tmp_path, buffer.getvalue()), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE])
def test_links_and_devices_in_a_tar_are_refused(arc: Organisation, good_files: dict,
                                                tmp_path: Path, offers: list[Path], kind: bytes
                                                ) -> None:
    path = tmp_path / "sip.tar"
    with tarfile.open(path, "w") as archive:
        content = manifest_xml(good_files)
        info = tarfile.TarInfo("manifest.xml")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("Content/deliberation.pdf")
        link.type = kind
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    transfer = refused(path, "arc", offers)
    assert failed_step(transfer).name == "container"


def test_a_symlink_in_a_zip_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path]
                                       ) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        info = zipfile.ZipInfo("Content/link")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    transfer = refused(write(tmp_path, buffer.getvalue()), "arc", offers)
    assert failed_step(transfer).name == "container"


def test_duplicate_ids_are_refused(arc: Organisation, good_files: dict, tmp_path: Path,
                                   offers: list[Path]) -> None:
    units = unit("AU1", "Un") + unit("AU1", "Deux")
    files = {"Content/pv.txt": TXT}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files, units=units), files)), "arc",
                       offers)
    # The XSD (xs:ID) catches it first; without a schema our own check does.
    assert failed_step(transfer).name in {"schema", "identifiers"}


def test_duplicate_ids_are_refused_without_schema(arc: Organisation, settings: Any,
                                                  tmp_path: Path, offers: list[Path]) -> None:
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {"2.1": "", "2.2": "", "2.3": ""}
    units = unit("AU1", "Un") + unit("AU1", "Deux")
    files = {"Content/pv.txt": TXT}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files, units=units), files)), "arc",
                       offers)
    assert failed_step(transfer).name == "identifiers"


def test_a_wrong_digest_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = manifest_xml(files, digests={"Content/pv.txt": "ab" * 64})
    transfer = refused(write(tmp_path, sip_zip(manifest, files)), "arc", offers)
    assert failed_step(transfer).name == "objects"
    assert "empreinte" in failed_step(transfer).reason


def test_an_unknown_digest_algorithm_is_refused(arc: Organisation, tmp_path: Path,
                                                offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = manifest_xml(files, algorithm="SHA-256").replace(b'algorithm="SHA-256"',
                                                                 b'algorithm="CRC32"')
    transfer = refused(write(tmp_path, sip_zip(manifest, files)), "arc", offers)
    assert failed_step(transfer).name == "objects"
    assert "algorithme d'empreinte « CRC32 » non admis" in failed_step(transfer).reason


def test_a_declared_but_missing_file_is_refused(arc: Organisation, tmp_path: Path,
                                                offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT, "Content/absent.pdf": PDF}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files), {"Content/pv.txt": TXT})),
                       "arc", offers)
    assert failed_step(transfer).name == "objects"
    assert "absent" in failed_step(transfer).reason


def test_an_undeclared_file_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path]
                                       ) -> None:
    files = {"Content/pv.txt": TXT}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files), {**files, "extra.pdf": PDF})),
                       "arc", offers)
    assert failed_step(transfer).name == "objects"
    assert "extra.pdf" in failed_step(transfer).reason


def test_a_cycle_of_archive_units_is_refused(arc: Organisation, settings: Any, tmp_path: Path,
                                             offers: list[Path]) -> None:
    # AU2 contains AU3, which refers back to AU2.
    units = (unit("AU1", "Un")
             + '<ArchiveUnit id="AU2"><ArchiveUnit id="AU3"><ArchiveUnitRefId>AU2'
               "</ArchiveUnitRefId></ArchiveUnit><Content><DescriptionLevel>File"
               "</DescriptionLevel><Title>Deux</Title></Content></ArchiveUnit>")
    files = {"Content/pv.txt": TXT}
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {"2.1": "", "2.2": "", "2.3": ""}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files, units=units), files)), "arc",
                       offers)
    assert failed_step(transfer).name == "tree"
    assert "Cycle" in failed_step(transfer).reason


def test_an_unknown_rule_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = manifest_xml(files, appraisal=("APP-99Y", "2010-01-01", "Destroy"))
    transfer = refused(write(tmp_path, sip_zip(manifest, files)), "arc", offers)
    assert failed_step(transfer).name == "rules"


def test_a_transfer_from_outside_the_archival_agency_is_refused(
        arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    outsider = org_create("ailleurs", None, kind="epci")
    files = {"Content/pv.txt": TXT}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files, transferring=outsider.slug),
                                               files)), "arc", offers)
    assert failed_step(transfer).name == "agencies"


def test_a_file_that_is_no_archive_is_refused(arc: Organisation, tmp_path: Path,
                                              offers: list[Path]) -> None:
    transfer = refused(write(tmp_path, b"not an archive at all"), "arc", offers)
    assert failed_step(transfer).name == "container"


def test_the_service_refuses_an_actor_without_the_role(arc: Organisation, make_user: Any,
                                                       good_sip: Path) -> None:
    from socle.core.services import ServiceError

    stranger = make_user()
    with pytest.raises(ServiceError):
        transfer_ingest(actor=stranger, organisation=arc, package=good_sip)
    assert not Transfer.objects.exists()
