"""Text extraction from the files of the GED: PDF, DOCX, ODT, TXT, HTML (OCR when available).

Every outcome is a status and a French message, never an exception: a corrupted,
encrypted or hostile file leaves its document without text and says why.
Office files are ZIP archives of XML: their decompressed size is capped while
reading (a declared size can lie), and the XML parser resolves no entity, reaches
no network and refuses huge trees.

Scans (a PDF without a text layer, an image) are read by the system's tesseract,
in French when its French data is installed, with a time limit per image and per
file and at most ``MAX_OCR_PAGES`` pages; whatever was left unread is said in the
message that comes with the text.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from pypdf import PdfReader
from lxml import html as lxml_html

logger = logging.getLogger(__name__)

# Past this, a ZIP part is taken for a bomb: no real letter or deliberation comes close.
MAX_DECOMPRESSED = 50 * 1024 * 1024
# The text kept per version; beyond, it is cut (search and excerpts need no more).
MAX_TEXT = 2_000_000
MAX_PDF_PAGES = 3000
# OCR costs a few seconds a page on a two-core server, in the background worker: a scanned
# letter or deliberation is far shorter than this, and a longer scan is read in part.
MAX_OCR_PAGES = 50
# Seconds for one page image, then for the whole file, before tesseract is stopped.
OCR_TIMEOUT = 120
OCR_FILE_TIMEOUT = 900
OCR_LANGUAGE = "fra"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class Extraction:
    status: str  # a TextStatus value
    text: str = ""
    message: str = ""


class _TooLarge(Exception):
    pass


def _done(text: str, message: str = "") -> Extraction:
    text = text.replace("\x00", "").strip()
    if not text:
        return Extraction("empty", "", message or "Le fichier ne contient aucun texte.")
    return Extraction("done", text[:MAX_TEXT], message)


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


@functools.lru_cache(maxsize=4)
def _languages(tesseract: str) -> frozenset[str]:
    # The installed language data, asked once per program path (tesseract prints a
    # heading line, then one code per line).
    try:
        listed = subprocess.run(  # noqa: S603 - fixed program and arguments
            [tesseract, "--list-langs"], capture_output=True, timeout=30, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return frozenset()
    lines = (listed.stdout + listed.stderr).decode("utf-8", errors="replace").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def ocr_language() -> str:
    """Return the language OCR reads in: French when its data is installed, else tesseract's default."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return ""
    return OCR_LANGUAGE if OCR_LANGUAGE in _languages(tesseract) else ""


@dataclass
class _Ocr:
    """One file's OCR: the text of each image read, and what could not be read."""

    deadline: float
    texts: list[str] = field(default_factory=list)
    timed_out: int = 0
    failed: int = 0
    unread_pages: int = 0
    out_of_time: bool = False

    def read(self, path: Path) -> None:
        tesseract = shutil.which("tesseract")
        remaining = self.deadline - time.monotonic()
        if tesseract is None:
            self.failed += 1
            return
        if remaining <= 0:
            self.out_of_time = True
            return
        language = ocr_language()
        command = [tesseract, str(path), "stdout", *(["-l", language] if language else [])]
        # One thread: the worker shares the server's few cores with the pages being served.
        environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            result = subprocess.run(  # noqa: S603 - fixed program, our own temporary file
                command, capture_output=True, timeout=min(OCR_TIMEOUT, remaining), check=False,
                env=environment)
        except subprocess.TimeoutExpired:
            self.timed_out += 1
            return
        except OSError:
            self.failed += 1
            return
        if result.returncode != 0:
            logger.info("tesseract a échoué : %s", result.stderr[-500:])
            self.failed += 1
            return
        self.texts.append(result.stdout.decode("utf-8", errors="replace"))

    def result(self) -> Extraction:
        notes = []
        if self.unread_pages:
            notes.append(f"{self.unread_pages} page(s) non lue(s) : la reconnaissance de "
                         f"caractères s'arrête après {MAX_OCR_PAGES} pages.")
        if self.out_of_time:
            notes.append(f"Temps de reconnaissance dépassé ({OCR_FILE_TIMEOUT // 60} minutes "
                         "par fichier) : la fin du fichier n'a pas été lue.")
        if self.timed_out:
            notes.append(f"{self.timed_out} image(s) abandonnée(s) après {OCR_TIMEOUT} secondes.")
        if self.failed:
            notes.append(f"{self.failed} image(s) illisible(s) pour la reconnaissance de "
                         "caractères.")
        if self.texts and not ocr_language():
            notes.append("Lu sans les données du français (paquet tesseract-ocr-fra absent) : "
                         "des accents peuvent manquer.")
        text = "\n".join(self.texts)
        if text.strip():
            return _done(text, " ".join(["Texte reconnu par OCR.", *notes])[:300])
        return _done("", " ".join(["La reconnaissance de caractères n'a trouvé aucun texte.",
                                   *notes])[:300])


def _ocr_pdf(reader: PdfReader) -> Extraction:
    ocr = _Ocr(deadline=time.monotonic() + OCR_FILE_TIMEOUT)
    pages = reader.pages
    ocr.unread_pages = max(0, len(pages) - MAX_OCR_PAGES)
    with tempfile.TemporaryDirectory() as work:
        for index, page in enumerate(pages):
            if index >= MAX_OCR_PAGES:
                break
            if time.monotonic() >= ocr.deadline:
                ocr.out_of_time = True
                break
            try:
                images = list(page.images)
            except Exception:
                # An image pypdf cannot decode (an exotic filter) leaves that page unread.
                logger.info("Images illisibles page %s", index + 1, exc_info=True)
                ocr.failed += 1
                continue
            for number, image in enumerate(images):
                path = Path(work) / f"p{index}-{number}{Path(image.name).suffix or '.png'}"
                path.write_bytes(image.data)
                ocr.read(path)
    return ocr.result()


def _ocr_image(handle: IO[bytes]) -> Extraction:
    if not ocr_available():
        return Extraction("ocr_unavailable", "", OCR_UNAVAILABLE)
    ocr = _Ocr(deadline=time.monotonic() + OCR_FILE_TIMEOUT)
    with tempfile.NamedTemporaryFile(suffix=".img") as image:
        shutil.copyfileobj(handle, image)
        image.flush()
        ocr.read(Path(image.name))
    return ocr.result()


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
