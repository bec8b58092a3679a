"""Text extraction: real files of each format, and hostile or broken ones, never a crash."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from pathlib import Path

import pytest

from socle.documents.extraction import DOCX, ODT, extract, ocr_available, ocr_language
from socle.documents.models import TextStatus
from socle.documents.selectors import SearchFilters, documents_search
from socle.documents.services import document_create, version_text_extract

from .conftest import docx_bytes, odt_bytes, pdf_bytes

NO_TESSERACT = "tesseract absent : lancez `make ocr` (scripts/ensure-ocr.sh) pour tester l'OCR"
# A letter as a scanner renders it: French words with accents, no text layer.
SCANNED_LINES = ["Délibération du conseil", "Subvention à l'école", "Compiègne, été 2026"]


def _plain(text: str) -> str:
    """Lower case, no accents: what OCR is judged on."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scanned_pdf(lines: list[str]) -> bytes:
    """An image-only PDF: the lines drawn large with Pillow onto a page image, saved as PDF."""
    import reportlab
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), 64)
    page = Image.new("L", (1700, 200 + 120 * len(lines)), color=255)
    draw = ImageDraw.Draw(page)
    for index, line in enumerate(lines):
        draw.text((100, 100 + 120 * index), line, font=font, fill=0)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=200.0)
    return out.getvalue()


@pytest.fixture
def without_tesseract(monkeypatch, tmp_path):
    """A PATH on which no tesseract is found: the server as installed without OCR."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not ocr_available()


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


def test_a_scanned_pdf_says_ocr_is_unavailable_without_tesseract(without_tesseract):
    result = extract(io.BytesIO(scanned_pdf(SCANNED_LINES)), "application/pdf")
    assert result.status == "ocr_unavailable" and "OCR indisponible" in result.message
    assert result.text == ""


def test_an_image_says_ocr_is_unavailable_without_tesseract(without_tesseract):
    result = extract(io.BytesIO(b"\x89PNG\r\n\x1a\n"), "image/png")
    assert result.status == "ocr_unavailable" and "tesseract" in result.message


def test_the_scan_of_the_tests_has_no_text_layer():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(scanned_pdf(SCANNED_LINES)))
    assert [page.extract_text().strip() for page in reader.pages] == [""]
    assert len(reader.pages[0].images) == 1


@pytest.mark.skipif(not ocr_available(), reason=NO_TESSERACT)
def test_a_scanned_pdf_is_read_by_ocr_in_french():
    result = extract(io.BytesIO(scanned_pdf(SCANNED_LINES)), "application/pdf")
    assert result.status == "done", result.message
    assert "OCR" in result.message
    words = _plain(result.text).split()
    for expected in ["deliberation", "conseil", "subvention", "ecole", "compiegne", "2026"]:
        assert any(expected in word for word in words), (expected, result.text)
    if ocr_language() == "fra":
        # With the French data, the accents themselves come through.
        assert "Délibération" in result.text and "école" in result.text


@pytest.mark.skipif(not ocr_available(), reason=NO_TESSERACT)
def test_pages_of_a_long_scan_past_the_limit_are_left_unread_and_said(monkeypatch):
    from socle.documents import extraction

    monkeypatch.setattr(extraction, "MAX_OCR_PAGES", 1)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for lines in (["Première page lue"], ["Seconde page ignorée"]):
        writer.add_page(PdfReader(io.BytesIO(scanned_pdf(lines))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    result = extract(io.BytesIO(out.getvalue()), "application/pdf")
    assert result.status == "done"
    assert "premiere" in _plain(result.text) and "seconde" not in _plain(result.text)
    assert "1 page(s) non lue(s)" in result.message


@pytest.mark.skipif(not ocr_available(), reason=NO_TESSERACT)
def test_a_scanned_document_becomes_searchable(territory, reference, editor):
    document = document_create(actor=editor, organisation=territory["compiegne"],
                               node_code="PAT-02", stream=io.BytesIO(scanned_pdf(SCANNED_LINES)),
                               file_name="scan.pdf", title="Courrier numérisé")
    assert document.current_version_id is not None
    assert version_text_extract(version_id=document.current_version_id) == TextStatus.DONE
    found = documents_search(actor=editor, filters=SearchFilters(q="subvention ecole"))
    assert [hit.document.pk for hit in found] == [document.pk]


@pytest.mark.skipif(not ocr_available(), reason=NO_TESSERACT)
def test_scans_filed_before_tesseract_was_installed_are_read_again(
        territory, reference, editor, monkeypatch, tmp_path):
    from django.core.management import call_command

    document = document_create(actor=editor, organisation=territory["compiegne"],
                               node_code="PAT-02", stream=io.BytesIO(scanned_pdf(SCANNED_LINES)),
                               file_name="scan.pdf", title="Courrier numérisé")
    assert document.current_version_id is not None
    with monkeypatch.context() as server_without_ocr:
        server_without_ocr.setenv("PATH", str(tmp_path))
        assert version_text_extract(version_id=document.current_version_id) == \
            TextStatus.OCR_UNAVAILABLE
    out = io.StringIO()
    call_command("documents", "extract", "--ocr-unavailable", "--now", stdout=out)
    assert "Versions sans texte faute d'OCR traitées : 1." in out.getvalue()
    document.current_version.refresh_from_db()
    assert document.current_version.text_status == TextStatus.DONE
    found = documents_search(actor=editor, filters=SearchFilters(q="subvention ecole"))
    assert [hit.document.pk for hit in found] == [document.pk]


def test_re_reading_scans_without_tesseract_says_what_to_install(without_tesseract):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="tesseract-ocr-fra"):
        call_command("documents", "extract", "--ocr-unavailable")


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
