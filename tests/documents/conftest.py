"""GED fixtures: the ARC's reference plan (the demo's nodes), agents, sample files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from socle.core.models import Organisation, User
from socle.documents.demo import NODES
from socle.documents.models import Document, FilePlan, FilePlanNode
from socle.documents.services import document_create, node_create, plan_adopt, plan_create


@pytest.fixture
def reference(territory) -> FilePlan:
    """The ARC's reference plan with the demo's nodes."""
    plan = plan_create(actor=None, organisation=territory["arc"], code="arc-reference",
                       title="Plan de référence")
    created: dict[str, FilePlanNode] = {}
    for code, parent, title, period, unit, start, action, access, naming, types in NODES:
        created[code] = node_create(actor=None, plan=plan, code=code, title=title,
                                    parent=created.get(parent), retention_period=period,
                                    retention_unit=unit, retention_start_event=start,
                                    final_action=action, access_rule=access, naming_rule=naming,
                                    document_types=types)
    return plan


@pytest.fixture
def compiegne_plan(territory, reference) -> FilePlan:
    """Compiègne's plan: adopts the reference, overrides PAT-02, adds CPG-JUM."""
    plan = plan_adopt(actor=None, organisation=territory["compiegne"], reference=reference)
    node_create(actor=None, plan=plan, code="PAT-02", title="Bâtiments (Compiègne)",
                overrides=reference.nodes.get(code="PAT-02"), retention_period=15)
    node_create(actor=None, plan=plan, code="CPG-JUM", title="Jumelages", retention_period=10)
    return plan


@pytest.fixture
def editor(territory, make_user) -> User:
    return make_user("ged.compiegne@exemple.fr", roles=[(territory["compiegne"], "documents.editor")])


@pytest.fixture
def reader(territory, make_user) -> User:
    return make_user("lecteur.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "documents.reader")])


@pytest.fixture
def other_editor(territory, make_user) -> User:
    return make_user("ged.venette@exemple.fr", roles=[(territory["venette"], "documents.editor")])


@pytest.fixture
def file_document(reference) -> Callable[..., Document]:
    def make(actor: User | None, organisation: Organisation, text: str = "Texte du document.",
             *, node: str = "PAT-02", name: str = "note.txt", **values: Any) -> Document:
        return document_create(actor=actor, organisation=organisation, node_code=node,
                               stream=io.BytesIO(text.encode()), file_name=name, **values)

    return make


# The signers and the document of the validation-circuit tests.
@pytest.fixture
def chief(territory, make_user):
    return make_user("chef.compiegne@exemple.fr", roles=[(territory["compiegne"], "documents.reader")])


@pytest.fixture
def mayor(territory, make_user):
    return make_user("maire.compiegne@exemple.fr", roles=[(territory["compiegne"], "documents.reader")])


@pytest.fixture
def document(territory, editor, file_document):
    return file_document(editor, territory["compiegne"], title="Délibération budget")


def docx_bytes(text: str, *, body: bytes | None = None) -> bytes:
    """A minimal DOCX: the parts Word needs and one paragraph per line."""
    paragraphs = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines())
    document = body if body is not None else (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{paragraphs}</w:body></w:document>").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/word/document.xml" '
                         'ContentType="application/vnd.openxmlformats-officedocument.'
                         'wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def odt_bytes(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        paragraphs = "".join(f"<text:p>{line}</text:p>" for line in text.splitlines())
        archive.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            f"<office:body><office:text>{paragraphs}</office:text></office:body>"
            "</office:document-content>"))
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def pdf_bytes(text: str | None, *, password: str | None = None) -> bytes:
    """A real PDF drawn by reportlab (no text layer when text is None), encrypted on demand."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    if text is None:
        page.rect(100, 100, 200, 200, fill=1)  # a "scan": drawing, no text
    else:
        for index, line in enumerate(text.splitlines()):
            page.drawString(72, 760 - 16 * index, line)
    page.save()
    data = out.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    return encrypted.getvalue()


@pytest.fixture
def arc_archivist(territory, make_user):
    return make_user("archives.arc@exemple.fr", roles=[(territory["arc"], "documents.archivist")])


@pytest.fixture
def archivist(territory, make_user):
    return make_user("archives.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "documents.archivist")])


@pytest.fixture
def venette_archivist(territory, make_user):
    return make_user("archives.venette@exemple.fr",
                     roles=[(territory["venette"], "documents.archivist")])
