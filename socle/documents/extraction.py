"""Text extraction from the files of the GED: PDF, DOCX, ODT, TXT, HTML (OCR when available).

Every outcome is a status and a French message, never an exception: a corrupted,
encrypted or hostile file leaves its document without text and says why.
Office files are ZIP archives of XML: their decompressed size is capped while
reading (a declared size can lie), and the XML parser resolves no entity, reaches
no network and refuses huge trees.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree
from lxml import html as lxml_html

logger = logging.getLogger(__name__)

# Past this, a ZIP part is taken for a bomb: no real letter or deliberation comes close.
MAX_DECOMPRESSED = 50 * 1024 * 1024
# The text kept per version; beyond, it is cut (search and excerpts need no more).
MAX_TEXT = 2_000_000
MAX_PDF_PAGES = 3000
OCR_TIMEOUT = 120

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class Extraction:
    status: str  # a TextStatus value
    text: str = ""
    message: str = ""


class _TooLarge(Exception):
    pass


def _done(text: str) -> Extraction:
    text = text.replace("\x00", "").strip()
    if not text:
        return Extraction("empty", "", "Le fichier ne contient aucun texte.")
    return Extraction("done", text[:MAX_TEXT], "")


def ocr_available() -> bool:
    """Tell whether the system's OCR engine (tesseract) is on the PATH."""
    return shutil.which("tesseract") is not None


OCR_UNAVAILABLE = ("OCR indisponible : ce fichier ne contient pas de texte lisible et le moteur de "
                   "reconnaissance de caractères (tesseract) n'est pas installé sur le serveur.")


def extract(handle: IO[bytes], mime_type: str) -> Extraction:
    """Extract the text of a file, given its type detected from its content."""
    try:
        if mime_type == "application/pdf":
            return _pdf(handle)
        if mime_type == DOCX:
            return _office(handle, ["word/document.xml"], paragraph_tag="p")
        if mime_type == ODT:
            return _office(handle, ["content.xml"], paragraph_tag="p", extra_tags=("h",))
        if mime_type == "text/html":
            return _html(handle.read(MAX_DECOMPRESSED))
        if mime_type in {"text/plain", "text/csv"}:
            return _done(decode_text(handle.read(MAX_TEXT * 2)))
        if mime_type.startswith("image/"):
            return _ocr_image(handle)
    except _TooLarge:
        return Extraction("too_large", "", "Le contenu décompressé de ce fichier dépasse "
                          f"{MAX_DECOMPRESSED // (1024 * 1024)} Mo : il n'a pas été lu "
                          "(archive suspecte, dite « bombe de décompression »).")
    except (zipfile.BadZipFile, etree.XMLSyntaxError, etree.ParserError, KeyError, EOFError,
            ValueError, OSError, NotImplementedError, RuntimeError):
        return Extraction("corrupted", "", "Le fichier est endommagé ou illisible : son texte "
                          "n'a pas pu être extrait.")
    return Extraction("unsupported", "", f"Pas d'extraction de texte pour ce type de fichier "
                      f"({mime_type}).")


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- PDF


def _pdf(handle: IO[bytes]) -> Extraction:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted:
            # Many PDFs carry only an owner password (printing rights): they open with "".
            try:
                opened = bool(reader.decrypt(""))
            except (NotImplementedError, FileNotDecryptedError, PdfReadError):
                opened = False
            if not opened:
                return Extraction("encrypted", "", "Le PDF est protégé par un mot de passe : son "
                                  "texte n'a pas pu être extrait.")
        parts = []
        total = 0
        for index, page in enumerate(reader.pages):
            if index >= MAX_PDF_PAGES or total > MAX_TEXT:
                break
            text = page.extract_text() or ""
            total += len(text)
            parts.append(text)
    except FileNotDecryptedError:
        return Extraction("encrypted", "", "Le PDF est protégé par un mot de passe : son texte "
                          "n'a pas pu être extrait.")
    except Exception:
        logger.info("PDF illisible", exc_info=True)
        return Extraction("corrupted", "", "Le PDF est endommagé ou illisible : son texte n'a pas "
                          "pu être extrait.")
    text = "\n".join(parts).strip()
    if text:
        return _done(text)
    # No text layer: a scan. OCR it when the engine is there, say so when it is not.
    if not ocr_available():
        return Extraction("ocr_unavailable", "", OCR_UNAVAILABLE)
    return _ocr_pdf(reader)


def _ocr_pdf(reader: object) -> Extraction:
    texts = []
    with tempfile.TemporaryDirectory() as work:
        for index, page in enumerate(reader.pages):  # type: ignore[attr-defined]
            if index >= MAX_PDF_PAGES:
                break
            for number, image in enumerate(page.images):
                path = Path(work) / f"p{index}-{number}{Path(image.name).suffix or '.png'}"
                path.write_bytes(image.data)
                texts.append(_tesseract(path))
    return _done("\n".join(texts))


def _ocr_image(handle: IO[bytes]) -> Extraction:
    if not ocr_available():
        return Extraction("ocr_unavailable", "", OCR_UNAVAILABLE)
    with tempfile.NamedTemporaryFile(suffix=".img") as image:
        shutil.copyfileobj(handle, image)
        image.flush()
        return _done(_tesseract(Path(image.name)))


def _tesseract(path: Path) -> str:
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return ""
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, our own temporary file
            [tesseract, str(path), "stdout", "-l", "fra"], capture_output=True,
            timeout=OCR_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return ""
    return result.stdout.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- office files


def _read_capped(archive: zipfile.ZipFile, name: str, budget: list[int]) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > budget[0]:
        raise _TooLarge
    out = io.BytesIO()
    with archive.open(info) as part:
        while chunk := part.read(64 * 1024):
            budget[0] -= len(chunk)
            if budget[0] < 0:  # the declared size lied
                raise _TooLarge
            out.write(chunk)
    return out.getvalue()


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False)


def _office(handle: IO[bytes], parts: list[str], *, paragraph_tag: str,
            extra_tags: tuple[str, ...] = ()) -> Extraction:
    budget = [MAX_DECOMPRESSED]
    with zipfile.ZipFile(handle) as archive:
        names = set(archive.namelist())
        paragraphs: list[str] = []
        for name in parts:
            if name not in names:
                continue
            root = etree.fromstring(_read_capped(archive, name, budget), parser=_safe_parser())
            wanted = {paragraph_tag, *extra_tags}
            for element in root.iter():
                tag = element.tag if isinstance(element.tag, str) else ""
                if etree.QName(tag).localname in wanted if tag else False:
                    paragraphs.append("".join(element.itertext()))
    return _done("\n".join(paragraphs))


# ---------------------------------------------------------------- HTML


_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "section", "article",
           "header", "footer", "table", "ul", "ol", "blockquote", "pre", "td", "th")


def _html(data: bytes) -> Extraction:
    if not data.strip():
        return Extraction("empty", "", "Le fichier ne contient aucun texte.")
    parser = lxml_html.HTMLParser(no_network=True, remove_comments=True, huge_tree=False)
    root = lxml_html.document_fromstring(data, parser=parser)
    for element in list(root.iter("script", "style", "noscript", "template")):
        element.drop_tree()
    # Block elements end a line, so words of two paragraphs do not run together.
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    text = "\n".join(line.strip() for line in root.text_content().splitlines() if line.strip())
    return _done(text)
