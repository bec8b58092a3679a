"""A package is read as what it is, and compression limits keep bombs out, not real archives."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from socle.archives.container import ContainerRefused, container_kind, is_tar_header
from socle.archives.models import ArchivalPackage, Transfer
from socle.core.models import Organisation
from tests.archives.conftest import TXT, manifest_xml, sip_zip
from tests.archives.test_ingest import failed_step, ingest, refused, write


def tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def odt() -> bytes:
    """A small OpenDocument text: a zip whose first entry is its stored mimetype."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>'))
        archive.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            "<office:body><office:text><text:p>Compte rendu</text:p></office:text>"
            "</office:body></office:document-content>"))
    return buffer.getvalue()


def sip_tar(files: dict[str, bytes], mode: str = "w") -> bytes:
    return tar_bytes({"manifest.xml": manifest_xml(files), **files}, mode)


def test_a_tar_holding_an_odt_is_read_as_a_tar(arc: Organisation, tmp_path: Path) -> None:
    files = {"Content/pv.txt": TXT, "Content/compte-rendu.odt": odt()}
    package = write(tmp_path, sip_tar(files), "sip.tar")
    # The trap: zipfile finds the odt's end-of-archive record near the end of the tar.
    assert zipfile.is_zipfile(package)
    identifier, _ = ingest(package, "arc")
    stored = ArchivalPackage.objects.get(identifier=identifier)
    assert stored.transfer.steps.get(name="container").reason.startswith("TAR, 3 fichier(s)")
    assert set(stored.contents.values_list("path", flat=True)) == {
        "manifest.xml", "Content/pv.txt", "Content/compte-rendu.odt"}


def test_a_tar_ending_with_a_whole_seda_zip_is_read_as_the_tar(arc: Organisation,
                                                              tmp_path: Path) -> None:
    inner_files = {"Content/autre.txt": b"Un autre versement.\n"}
    inner = sip_zip(manifest_xml(inner_files, title="Paquet imbriqu\u00e9"), inner_files)
    files = {"Content/pv.txt": TXT, "Content/versement-precedent.zip": inner}
    package = write(tmp_path, sip_tar(files), "sip.tar")
    assert zipfile.is_zipfile(package)
    identifier, _ = ingest(package, "arc")
    stored = ArchivalPackage.objects.get(identifier=identifier)
    assert stored.title == "Délibérations du conseil"
    assert "Content/versement-precedent.zip" in set(
        stored.contents.values_list("path", flat=True))
    assert not stored.contents.filter(path="Content/autre.txt").exists()


def test_a_gzipped_tar_is_accepted(arc: Organisation, tmp_path: Path) -> None:
    files = {"Content/pv.txt": TXT}
    package = write(tmp_path, sip_tar(files, "w:gz"), "sip.tar.gz")
    assert container_kind(package) == "tar.gz"
    identifier, _ = ingest(package, "arc")
    assert ArchivalPackage.objects.filter(identifier=identifier).exists()


def polyglot_zip() -> bytes:
    """A zip whose first 512 bytes are also a tar header with a right checksum."""
    def build(name: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), b"x")
        return buffer.getvalue()

    length = 512 - 30  # the local header, then the name, fill the first block
    draft = build("a" * length)
    block = bytearray(draft[:512])
    block[148:156] = b" " * 8
    checksum = f"{sum(block):07o} ".encode()
    name = bytearray(b"a" * length)
    name[148 - 30:156 - 30] = checksum
    data = build(name.decode())
    assert data.startswith(b"PK\x03\x04") and is_tar_header(data[:512])
    return data


def test_a_file_that_is_both_a_zip_and_a_tar_is_refused_as_ambiguous(
        arc: Organisation, tmp_path: Path, offers: list[Path]) -> None:
    transfer = refused(write(tmp_path, polyglot_zip()), "arc", offers)
    step = failed_step(transfer)
    assert step.name == "container"
    assert step.reason.startswith("Paquet ambigu : ses premiers octets sont à la fois ceux "
                                  "d'une archive ZIP et d'une archive TAR")


def test_a_tar_with_a_zip_glued_after_its_end_is_refused(arc: Organisation, tmp_path: Path,
                                                         offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    glued = sip_tar(files) + sip_zip(manifest_xml(files), files)
    transfer = refused(write(tmp_path, glued, "sip.tar"), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert "des données suivent la fin de l'archive TAR" in failed_step(transfer).reason


def test_a_zip_with_data_before_it_is_refused(arc: Organisation, tmp_path: Path,
                                              good_files: dict, offers: list[Path]) -> None:
    # A self-extracting archive, or anything hiding a zip at its end: not a zip at offset 0.
    data = b"MZ" + b"\0" * 1000 + sip_zip(manifest_xml(good_files), good_files)
    transfer = refused(write(tmp_path, data), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert "aucune de ces structures au début du fichier" in failed_step(transfer).reason


def test_zip_entries_that_overlap_are_refused(arc: Organisation, tmp_path: Path,
                                              offers: list[Path]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        archive.writestr("Content/b.txt", b"B" * 100)
    data = bytearray(buffer.getvalue())
    # The second central-directory record points back at the first entry's bytes.
    second = data.rfind(b"PK\x01\x02")
    data[second + 42:second + 46] = (0).to_bytes(4, "little")
    transfer = refused(write(tmp_path, bytes(data)), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert "chevauche la précédente" in failed_step(transfer).reason


def test_data_after_the_end_of_a_zip_is_refused(arc: Organisation, tmp_path: Path,
                                                good_files: dict, offers: list[Path]) -> None:
    data = sip_zip(manifest_xml(good_files), good_files) + b"\0" * 512 + b"cach\xe9"
    with pytest.raises(ContainerRefused):
        from socle.archives.container import unpack
        (tmp_path / "out").mkdir()
        unpack(write(tmp_path, data), tmp_path / "out")


# --- compression limits --------------------------------------------------------------------


MINUTES = "Séance du conseil municipal : délibération adoptée à l'unanimité des présents."


def test_large_repetitive_text_files_are_not_taken_for_bombs(arc: Organisation,
                                                             tmp_path: Path) -> None:
    line = MINUTES.encode() + b"\n"
    log = line * (12 * 1024 * 1024 // len(line))
    # A fixed-width export: each record padded with spaces, as many old systems write them.
    record = MINUTES.encode() + b" " * 4000 + b"\n"
    export = record * (16 * 1024 * 1024 // len(record))
    for content, low in ((log, 250), (export, 600)):
        assert len(content) > 10 * 1024 * 1024
        assert len(content) / len(zlib.compress(content)) > low  # the old limit was 200:1
    files = {"Content/registre.log": log, "Content/export.txt": export}
    identifier, _ = ingest(write(tmp_path, sip_zip(manifest_xml(files), files)), "arc")
    package = ArchivalPackage.objects.get(identifier=identifier)
    assert package.contents.get(path="Content/export.txt").size == len(export)


def test_a_bzip2_bomb_is_refused_by_the_package_ratio(arc: Organisation, tmp_path: Path,
                                                      offers: list[Path]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("manifest.xml", manifest_xml({}))
        archive.writestr("Content/zeros.bin", b"\0" * (64 * 1024 * 1024))
    transfer = refused(write(tmp_path, buffer.getvalue()), "arc", offers)
    step = failed_step(transfer)
    assert step.name == "container"
    assert step.reason.startswith("Taux de compression du paquet anormal")
    assert "bombe de décompression refusée" in step.reason


def test_a_package_declaring_more_than_the_unpacked_bound_is_refused(
        arc: Organisation, tmp_path: Path, offers: list[Path], settings: Any) -> None:
    settings.ARCHIVES_MAX_UNPACKED_SIZE = 1024 * 1024
    files = {"Content/pv.txt": TXT * 30000}
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files), files)), "arc", offers)
    assert failed_step(transfer).reason.startswith(
        "Le paquet décompressé dépasse la taille admise")


def test_a_gzip_bomb_stops_while_decompressing(arc: Organisation, tmp_path: Path,
                                               offers: list[Path], settings: Any) -> None:
    settings.ARCHIVES_MAX_COMPRESSION_RATIO = 100
    files = {"Content/zeros.bin": b"\0" * (8 * 1024 * 1024)}
    transfer = refused(write(tmp_path, sip_tar(files, "w:gz"), "sip.tar.gz"), "arc", offers)
    assert failed_step(transfer).name == "container"
    assert "bombe de décompression refusée" in failed_step(transfer).reason
    assert Transfer.objects.filter(status="rejected").count() == 1
