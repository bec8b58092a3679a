"""Download names: cleaned, and ending with the extension of the type detected from the content."""

from __future__ import annotations

import io

import pytest

from socle.core.downloads import attachment_disposition, download_filename, file_download
from tests.support.downloads import served_name


@pytest.mark.parametrize(("name", "mime_type", "served"), [
    ("facture.exe", "application/pdf", "facture.pdf"),  # a lying extension is replaced
    ("facture.exe.pdf", "application/pdf", "facture_exe.pdf"),  # never read as "facture.exe"
    ("facture.pdf.exe", "application/pdf", "facture_pdf.pdf"),
    ("scan", "image/png", "scan.png"),
    ("arrêté n°12.PDF", "application/pdf", "arrêté n°12.PDF"),  # the right one, as written
    ("Photo.JPEG", "image/jpeg", "Photo.JPEG"),  # another spelling of the same type
    ("rapport.2024", "application/pdf", "rapport.2024.pdf"),  # not an extension: kept
    ("note.txt", "text/csv", "note.csv"),
    ("page.svg", "text/plain", "page.txt"),
    ("../../etc/passwd", "text/plain", "passwd.txt"),
    ("C:\\Users\\agent\\bilan.docx", "application/pdf", "bilan.pdf"),
    ("facture\u202efdp.exe", "application/pdf", "facture fdp.pdf"),  # bidi override removed
    ("a\r\nb\"c<d>|e?.pdf", "application/pdf", "a b_c_d__e_.pdf"),
    ("  .cache. ", "text/plain", "cache.txt"),
    ("", "application/zip", "fichier.zip"),
    ("CON", "text/plain", "_CON.txt"),
    ("inconnu.dat", "application/octet-stream", "inconnu.dat.bin"),
    ("x" * 400 + ".pdf", "application/pdf", "x" * 150 + ".pdf"),
])
def test_a_download_name_is_clean_and_ends_with_its_type(name: str, mime_type: str,
                                                         served: str) -> None:
    assert download_filename(name, mime_type) == served


def test_the_header_quotes_ascii_and_encodes_the_rest() -> None:
    assert attachment_disposition('re"çu.exe', "application/pdf") == \
        "attachment; filename*=utf-8''re_%C3%A7u.pdf"
    assert attachment_disposition("bilan", "text/csv") == 'attachment; filename="bilan.csv"'


def test_a_stored_file_is_served_as_an_attachment_never_sniffed() -> None:
    response = file_download(io.BytesIO(b"%PDF-1.4"), name="facture.exe",
                             mime_type="application/pdf")
    assert served_name(response) == "facture.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
