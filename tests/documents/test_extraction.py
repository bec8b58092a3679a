"""Text extraction: real files of each format, and hostile or broken ones, never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest

from socle.documents.extraction import DOCX, ODT, extract, ocr_available

from .conftest import docx_bytes, odt_bytes, pdf_bytes


def test_text_of_a_pdf_is_extracted():
    result = extract(io.BytesIO(pdf_bytes("Deliberation du conseil municipal\nBudget primitif")),
                     "application/pdf")
    assert result.status == "done" and "Budget primitif" in result.text


def test_an_encrypted_pdf_gets_a_french_status():
    result = extract(io.BytesIO(pdf_bytes("Secret", password="motdepasse")), "application/pdf")
    assert result.status == "encrypted" and "mot de passe" in result.message


def test_a_corrupted_pdf_gets_a_french_status():
    data = pdf_bytes("Un texte")
    broken = data[:200] + b"\x00garbage\xff" * 50
    result = extract(io.BytesIO(broken), "application/pdf")
    assert result.status in {"corrupted", "empty"}
    assert result.message


@pytest.mark.skipif(ocr_available(), reason="tesseract is installed: the scan is OCRed instead")
def test_a_scanned_pdf_says_ocr_is_unavailable_without_tesseract():
    result = extract(io.BytesIO(pdf_bytes(None)), "application/pdf")
    assert result.status == "ocr_unavailable" and "OCR indisponible" in result.message


def test_text_of_a_docx_is_extracted():
    result = extract(io.BytesIO(docx_bytes("Marché public\nActe d'engagement")), DOCX)
    assert result.status == "done" and result.text == "Marché public\nActe d'engagement"


def test_text_of_an_odt_is_extracted():
    result = extract(io.BytesIO(odt_bytes("Procès-verbal\nSéance du 3 mars")), ODT)
    assert result.status == "done" and "Séance du 3 mars" in result.text


def test_a_zip_bomb_in_a_docx_is_not_decompressed():
    huge = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>' + b"A" * (60 * 1024 * 1024)
            + b"</w:t></w:r></w:p></w:body></w:document>")
    data = docx_bytes("", body=huge)
    assert len(data) < 1024 * 1024, "the bomb is small on disk"
    result = extract(io.BytesIO(data), DOCX)
    assert result.status == "too_large" and "bombe" in result.message


def test_a_docx_lying_about_its_sizes_is_stopped_while_reading():
    data = bytearray(docx_bytes("", body=b"<a>" + b"B" * (60 * 1024 * 1024) + b"</a>"))
    # Forge the declared uncompressed size (local header and central directory) to 100 bytes.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    real = info.file_size.to_bytes(4, "little")
    data = bytearray(bytes(data).replace(real, (100).to_bytes(4, "little")))
    result = extract(io.BytesIO(bytes(data)), DOCX)
    assert result.status in {"too_large", "corrupted"}


def test_entities_in_a_docx_are_not_expanded():
    body = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b"<w:body><w:p><w:r><w:t>avant &secret; apres</w:t></w:r></w:p></w:body></w:document>")
    result = extract(io.BytesIO(docx_bytes("", body=body)), DOCX)
    assert "root:" not in result.text


def test_a_text_file_in_windows_1252_is_read():
    result = extract(io.BytesIO("Délibération n° 12".encode("cp1252")), "text/plain")
    assert result.text == "Délibération n° 12"


def test_html_loses_its_tags_scripts_and_styles():
    page = (b"<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
            b"<body><h1>Compte rendu</h1><p>du conseil</p></body></html>")
    result = extract(io.BytesIO(page), "text/html")
    assert result.text == "Compte rendu\ndu conseil"


def test_an_image_without_ocr_or_an_unknown_type_says_why():
    assert extract(io.BytesIO(b"PK"), "application/zip").status == "unsupported"
