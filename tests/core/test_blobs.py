"""The blob store: content addressing, type by content, capped uploads, verify, S3."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import json
import os
import secrets
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.management import CommandError, call_command
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from moto.server import ThreadedMotoServer

from socle.core.blobs import (
    BlobRefused,
    blob_key,
    blob_open,
    blob_put,
    blob_verify_all,
    detect_type,
    storage,
    storage_reset,
)
from socle.core.models import AuditEvent, Blob, Upload
from socle.core.services import token_create
from socle.core.upload_handlers import UploadLengthRequired, UploadTooLarge, accepts_uploads
from socle.urls import urlpatterns as project_urlpatterns
from tests.support.clients import sign_in

CAP = 64 * 1024
CAP_MESSAGE = "Le fichier envoyé dépasse la taille maximale autorisée (64 ko)."


# --- contents ------------------------------------------------------------------------------


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + os.urandom(200)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + os.urandom(100)


def zipped(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return out.getvalue()


def odt() -> bytes:
    return zipped([
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b'<?xml version="1.0"?><office:document-content '
                        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>'),
        ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest/>'),
    ], stored_first=True)


def ooxml(part: str, extra: list[tuple[str, bytes]] | None = None) -> bytes:
    return zipped([
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.'
                                b'openxmlformats.org/package/2006/content-types"/>'),
        ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
        (part, b'<?xml version="1.0"?><document/>'),
        *(extra or []),
    ])


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def multipart(content: bytes, filename: str = "piece.pdf", field: str = "file",
              content_type: str = "application/pdf") -> tuple[bytes, str]:
    """A multipart body built by hand, so that the file name reaches the server as given."""
    boundary = f"socle{secrets.token_hex(8)}"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def files_under(*roots: Path) -> set[Path]:
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def blob_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A blob store of its own for each test, so that what is on disk is what the test did."""
    settings.BLOB_DIR = tmp_path / "blobs"
    storage_reset()
    yield settings.BLOB_DIR
    storage_reset()


@pytest.fixture
def small_cap(settings: Any) -> None:
    # The request cap well above the file cap: what passes the middleware meets the handler.
    settings.BLOB_MAX_SIZE = CAP
    settings.REQUEST_MAX_SIZE = 16 * CAP


@pytest.fixture
def agent(territory: dict, make_user: Any) -> Any:
    return make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])


@pytest.fixture
def agent_client(api_client: Any, agent: Any) -> Client:
    return api_client(agent)


def on_disk(blob_dir: Path) -> set[Path]:
    return files_under(blob_dir, Path(django_settings.DATA_DIR))


def upload(client: Client, content: bytes, **kwargs: Any) -> Any:
    body, content_type = multipart(content, **kwargs)
    return client.generic("POST", "/api/v1/blobs", body, content_type=content_type)


# --- the store -----------------------------------------------------------------------------


def test_same_content_is_stored_once(blob_dir: Path, db: None) -> None:
    first = blob_put(stream=io.BytesIO(PDF))
    second = blob_put(stream=[PDF[:10], PDF[10:]])
    assert first.created and not second.created
    assert first.blob.sha256 == second.blob.sha256
    assert Blob.objects.count() == 1
    assert files_under(blob_dir) == {blob_dir / blob_key(first.blob.sha256)}


def test_a_blob_has_the_digest_size_and_type_of_its_content(blob_dir: Path, db: None) -> None:
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    assert blob.sha256 == hashlib.sha256(PDF).hexdigest()
    assert blob.size == len(PDF)
    assert blob.mime_type == "application/pdf"
    with blob_open(blob) as handle:
        assert handle.read() == PDF
    stored = blob_dir / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    assert stored.stat().st_mode & 0o777 == 0o440


def test_the_local_storage_never_overwrites_nor_renames_a_key(blob_dir: Path, db: None) -> None:
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    key = blob_key(blob.sha256)
    assert storage.save(key, io.BytesIO(b"autre contenu")) == key
    assert files_under(blob_dir) == {blob_dir / key}
    assert (blob_dir / key).read_bytes() == PDF


def test_putting_a_lost_blob_again_restores_its_file(blob_dir: Path, db: None) -> None:
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    (blob_dir / blob_key(blob.sha256)).unlink()
    assert not blob_verify_all().ok
    assert blob_put(stream=io.BytesIO(PDF)).created is False
    assert blob_verify_all().ok


def test_a_content_over_the_cap_is_refused_and_nothing_is_left(blob_dir: Path, db: None) -> None:
    before = on_disk(blob_dir)
    with pytest.raises(BlobRefused) as refused:
        blob_put(stream=io.BytesIO(b"a" * 2048), max_size=1024)
    assert refused.value.code == "payload_too_large"
    assert "1 ko" in refused.value.message
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


def test_a_blob_key_is_only_ever_a_digest(db: None) -> None:
    for forged in ("../../etc/passwd", "/etc/passwd", "a" * 63, "A" * 64, "a" * 64 + "/.."):
        with pytest.raises(ValueError):
            blob_key(forged)
    with pytest.raises(ValueError):
        blob_open(Blob(sha256="../../../../etc/passwd", size=1, mime_type="text/plain"))


# --- type by content -----------------------------------------------------------------------


@pytest.mark.parametrize(("content", "expected"), [
    (PDF, "application/pdf"),
    (png(), "image/png"),
    (JPEG, "image/jpeg"),
    (odt(), "application/vnd.oasis.opendocument.text"),
    (ooxml("word/document.xml"), DOCX),
    (ooxml("xl/workbook.xml"), XLSX),
    (zipped([("lisezmoi.txt", b"Bonjour"), ("plan.pdf", PDF)]), "application/zip"),
    ("Délibération du conseil communautaire, séance du 3 février.\n".encode(), "text/plain"),
    ("MZ : zone de mobilité, compte rendu.\n".encode(), "text/plain"),
    ("commune;population\nCompiègne;40000\nMargny-lès-Compiègne;8000\n".encode(), "text/csv"),
    (b'{"commune": "Compi\xc3\xa8gne", "population": 40000}', "application/json"),
    (b'<?xml version="1.0" encoding="UTF-8"?><ArchiveTransfer xmlns="fr:gouv:culture:'
     b'archivesdefrance:seda:v2.1"><Comment>ok</Comment></ArchiveTransfer>', "application/xml"),
], ids=["pdf", "png", "jpeg", "odt", "docx", "xlsx", "zip", "text", "text-mz", "csv", "json",
        "xml"])
def test_the_type_is_detected_from_the_content(content: bytes, expected: str) -> None:
    assert detect_type(content) == expected
    assert detect_type(io.BytesIO(content)) == expected


SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)'
                   b"</script></svg>")


@pytest.mark.parametrize("content", [
    ELF,
    EXE,
    b"#!/bin/sh\nrm -rf /\n",
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    b"\n  <script>fetch('/api/v1/me')</script>",
    SVG_WITH_SCRIPT,
    b'<?xml version="1.0"?>\n' + SVG_WITH_SCRIPT,
    # The namespace spelt with a character reference: still SVG to a browser.
    b'<?xml version="1.0"?><doc><svg:svg xmlns:svg="http://www.w3.org/2000/&#115;vg">'
    b"<svg:script>alert(1)</svg:script></svg:svg></doc>",
    b'<?xml version="1.0"?><page><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)'
    b"</x:script></page>",
    b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="#"?><doc/>',
    ooxml("word/document.xml", [("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")]),
    "Une tête de texte tout à fait banale.\n".encode() * 300 + ELF,
    zipped([("META-INF/MANIFEST.MF", b"Main-Class: Evil\n"), ("Evil.class", b"\xca\xfe")]),
], ids=["elf", "exe", "script", "html", "html-late", "svg", "svg-xml", "svg-charref", "xhtml",
        "xslt", "docm", "text-then-binary", "jar"])
def test_disguised_and_active_contents_are_refused(blob_dir: Path, db: None,
                                                   content: bytes) -> None:
    with pytest.raises(BlobRefused) as refused:
        blob_put(stream=io.BytesIO(content))
    assert refused.value.code == "unsupported_type"
    assert "n'est pas accepté" in refused.value.message
    assert not Blob.objects.exists()
    assert files_under(blob_dir) == set()


def test_xml_declaring_entities_is_not_taken_for_xml() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;">]>'
              b"<l>&b;</l>")
    assert detect_type(laughs) == "text/plain"


# --- the API -------------------------------------------------------------------------------


def test_an_agent_uploads_a_file(blob_dir: Path, agent: Any, agent_client: Client) -> None:
    response = upload(agent_client, PDF, filename="arrêté.pdf")
    assert response.status_code == 201
    body = response.json()
    assert body["upload"].startswith("upl_") and body["expires_at"]
    assert {k: body[k] for k in ("name", "size", "mime_type")} == {
        "name": "arrêté.pdf", "size": len(PDF), "mime_type": "application/pdf"}
    again = upload(agent_client, PDF, filename="copie.pdf")
    # The same content again: a new handle, and nothing says it was stored already.
    assert again.status_code == 201 and again.json()["upload"] != body["upload"]
    assert set(again.json()) == set(body)
    assert Blob.objects.count() == 1
    events = AuditEvent.objects.filter(action="blob.upload").order_by("seq")
    assert [(e.actor_id, e.target_id, e.data["created"]) for e in events] == [
        (agent.pk, hashlib.sha256(PDF).hexdigest(), True),
        (agent.pk, hashlib.sha256(PDF).hexdigest(), False),
    ]


def test_an_upload_handle_lives_24_hours_for_its_uploader_only(
        blob_dir: Path, agent: Any, agent_client: Client, make_user: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from socle.core import uploads

    body = upload(agent_client, PDF).json()
    issued = timezone.now()
    other = make_user("autre.agent@exemple.fr")

    def at(offset: timedelta) -> Upload | None:
        monkeypatch.setattr(uploads.timezone, "now", lambda: issued + offset)
        try:
            return uploads.upload_lookup(actor=agent, handle=body["upload"])
        finally:
            monkeypatch.undo()

    assert at(timedelta(hours=23, minutes=59)) is not None
    assert at(timedelta(hours=24, seconds=1)) is None
    assert uploads.upload_lookup(actor=other, handle=body["upload"]) is None
    assert uploads.uploads_consume(actor=agent, handles=[body["upload"]]) == 1
    assert uploads.upload_lookup(actor=agent, handle=body["upload"]) is None  # single use


def test_a_disguised_executable_named_pdf_is_refused(blob_dir: Path,
                                                     agent_client: Client) -> None:
    before = on_disk(blob_dir)
    response = upload(agent_client, ELF, filename="facture.pdf", content_type="application/pdf")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsupported_type" and "n'est pas accepté" in body["message"]
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


def test_html_with_a_script_is_refused(blob_dir: Path, agent_client: Client) -> None:
    page = b"<html><body><script>document.location='https://ailleurs.example'</script></html>"
    response = upload(agent_client, page, filename="note.pdf")
    assert response.status_code == 400 and response.json()["code"] == "unsupported_type"


def test_an_empty_file_is_refused(blob_dir: Path, agent_client: Client) -> None:
    response = upload(agent_client, b"", filename="vide.pdf")
    assert response.status_code == 400
    assert response.json() == {"code": "empty_file", "message": "Le fichier est vide.",
                               "errors": []}
    assert not Blob.objects.exists()


def test_a_request_without_file_is_refused(blob_dir: Path, agent_client: Client) -> None:
    response = upload(agent_client, PDF, field="autre")
    assert response.status_code == 400 and response.json()["code"] == "missing_file"


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd",
                                  "../" * 30 + "socle.sqlite3", "%2e%2e%2fpasswd"])
def test_a_path_in_the_file_name_has_no_effect_on_where_it_is_stored(
    blob_dir: Path, tmp_path: Path, agent_client: Client, name: str
) -> None:
    content = f"Contenu déposé sous le nom {name}\n".encode()
    before = on_disk(blob_dir) | files_under(tmp_path)
    response = upload(agent_client, content, filename=name, content_type="text/plain")
    assert response.status_code == 201
    digest = hashlib.sha256(content).hexdigest()
    assert on_disk(blob_dir) | files_under(tmp_path) == before | {blob_dir / blob_key(digest)}
    assert (blob_dir / blob_key(digest)).read_bytes() == content


def test_a_citizen_may_upload_for_a_case(blob_dir: Path, territory: dict, make_user: Any,
                                         api_client: Any) -> None:
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    response = upload(api_client(citizen), PDF)
    assert response.status_code == 201
    assert Upload.objects.get(uploader=citizen).blob_id == hashlib.sha256(PDF).hexdigest()


def test_an_account_neither_citizen_nor_agent_may_not_upload(
    blob_dir: Path, make_user: Any, api_client: Any
) -> None:
    someone = make_user("compte-technique@exemple.fr")
    before = on_disk(blob_dir)
    response = upload(api_client(someone), PDF)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


def test_an_anonymous_caller_must_authenticate(blob_dir: Path, client: Client, db: None) -> None:
    response = upload(client, PDF)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert not Blob.objects.exists()


def test_the_endpoint_is_in_the_openapi_schema(client: Client) -> None:
    operation = client.get("/api/schema").json()["paths"]["/api/v1/blobs"]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["file"]
    assert body["properties"]["file"]["format"] == "binary"
    assert {"201", "400", "403", "413"} <= set(operation["responses"])
    assert "Nothing here names a file by its digest" in operation["description"]


# --- the cap -------------------------------------------------------------------------------


def test_an_upload_declared_over_the_cap_is_refused_before_reading(
    blob_dir: Path, small_cap: None, agent_client: Client
) -> None:
    before = on_disk(blob_dir)
    response = upload(agent_client, b"%PDF-" + b"x" * (16 * CAP))
    assert response.status_code == 413
    assert response.json() == {"code": "payload_too_large", "message": CAP_MESSAGE}
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


def test_a_file_over_the_cap_in_a_smaller_request_is_cut_while_streaming(
    blob_dir: Path, small_cap: None, agent_client: Client
) -> None:
    before = on_disk(blob_dir)
    response = upload(agent_client, b"%PDF-" + b"x" * (4 * CAP))
    assert response.status_code == 413
    assert response.json() == {"code": "payload_too_large", "message": CAP_MESSAGE}
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


def test_an_agent_signed_in_by_session_gets_the_same_413(blob_dir: Path, small_cap: None,
                                                         agent: Any) -> None:
    # Here the CSRF check of the session reads the body, before the endpoint runs.
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, agent)
    browser.cookies["csrftoken"] = "a" * 32
    response = upload(browser, b"%PDF-" + b"x" * (4 * CAP))
    assert response.status_code == 413
    assert response.json() == {"code": "payload_too_large", "message": CAP_MESSAGE}
    assert not Blob.objects.exists()


def test_a_file_at_the_cap_is_accepted(blob_dir: Path, small_cap: None,
                                       agent_client: Client) -> None:
    content = b"%PDF-" + b"x" * (CAP - 5)
    response = upload(agent_client, content)
    assert response.status_code == 201 and response.json()["size"] == CAP


class CountingStream(io.BytesIO):
    """The request body, counting what the server read of it."""

    served = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.served += len(data)
        return data


def raw_request(body: bytes, content_type: str, content_length: str | None) -> WSGIRequest:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SCRIPT_NAME": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               "CONTENT_TYPE": content_type, "wsgi.input": CountingStream(body)}
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    return WSGIRequest(environ)


def test_the_handler_stops_reading_as_soon_as_the_cap_is_passed(small_cap: None) -> None:
    body, content_type = multipart(b"%PDF-" + b"x" * (10 * CAP))
    request = raw_request(body, content_type, str(len(body)))
    with pytest.raises(UploadTooLarge) as refused:
        request.FILES  # noqa: B018 - reading the body is the point
    assert refused.value.status_code == 413 and refused.value.message == CAP_MESSAGE
    # Read up to the cap, plus the parser's look-ahead: never the whole body.
    assert request.environ["wsgi.input"].served < 3 * CAP


def test_uploaded_files_are_on_disk_not_in_memory(small_cap: None) -> None:
    body, content_type = multipart(b"%PDF-1.4 petit fichier")
    request = raw_request(body, content_type, str(len(body)))
    uploaded = request.FILES["file"]
    assert uploaded.read() == b"%PDF-1.4 petit fichier"
    assert os.fstat(uploaded.file.fileno()).st_size == len(b"%PDF-1.4 petit fichier")
    assert not isinstance(uploaded.file, io.BytesIO)
    request.close()  # what Django's handler does at the end of a request: the spool goes


def test_a_multipart_body_without_length_is_refused_not_ignored() -> None:
    body, content_type = multipart(PDF)
    request = raw_request(body, content_type, None)
    with pytest.raises(UploadLengthRequired) as refused:
        request.FILES  # noqa: B018
    assert refused.value.status_code == 411
    assert "Content-Length" in refused.value.message


def chunked(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_chunked_upload_to_a_live_server_is_refused_and_nothing_is_stored(
    live_server: Any, transactional_db: None, blob_dir: Path, small_cap: None, agent: Any
) -> None:
    _, token = token_create(actor=None, user=agent)
    body, content_type = multipart(b"%PDF-" + b"x" * (4 * CAP))
    before = on_disk(blob_dir)
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        # The server may answer, and close, before the whole body is sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request("POST", "/api/v1/blobs", body=chunked(body), encode_chunked=True,
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": content_type,
                                        "Transfer-Encoding": "chunked"})
        response = connection.getresponse()
        status, answer = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 411
    assert answer["code"] == "length_required"
    assert "Content-Length" in answer["message"]
    assert not Blob.objects.exists()
    assert on_disk(blob_dir) == before


# --- pages that receive files --------------------------------------------------------------


@accepts_uploads
def _upload_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{len(request.FILES)} fichier(s) reçu(s)")


@csrf_exempt
def _bare_upload_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{len(request.FILES)} fichier(s) reçu(s)")


urlpatterns = [
    path("essai/depot", _upload_page),
    path("essai/depot-nu", _bare_upload_page),
    *project_urlpatterns,
]


@pytest.mark.urls("tests.core.test_blobs")
def test_a_page_answers_an_oversized_upload_with_a_french_413_page(small_cap: None,
                                                                   db: None) -> None:
    page = Client(enforce_csrf_checks=True)
    page.cookies["csrftoken"] = "a" * 32
    body, content_type = multipart(b"%PDF-" + b"x" * (2 * CAP))
    response = page.generic("POST", "/essai/depot", body, content_type=content_type)
    assert response.status_code == 413
    text = response.content.decode()
    assert "Fichier trop volumineux" in text and CAP_MESSAGE.replace("'", "&#x27;") in text


@pytest.mark.urls("tests.core.test_blobs")
def test_a_page_within_the_cap_receives_its_file(small_cap: None, client: Client,
                                                 db: None) -> None:
    body, content_type = multipart(PDF)
    response = client.generic("POST", "/essai/depot", body, content_type=content_type)
    assert response.status_code == 200 and response.content.decode() == "1 fichier(s) reçu(s)"


@pytest.mark.urls("tests.core.test_blobs")
def test_an_unwrapped_page_refuses_an_oversized_upload_with_400_not_500(small_cap: None,
                                                                         client: Client,
                                                                         db: None) -> None:
    body, content_type = multipart(b"%PDF-" + b"x" * (2 * CAP))
    response = client.generic("POST", "/essai/depot-nu", body, content_type=content_type)
    assert response.status_code == 400


# --- socle blobs verify --------------------------------------------------------------------


@pytest.fixture
def three_blobs(blob_dir: Path, db: None) -> list[Blob]:
    contents = [PDF, png(), "Compte rendu de la séance.\n".encode()]
    return [blob_put(stream=io.BytesIO(content)).blob for content in contents]


def verify() -> dict[str, Any]:
    out = io.StringIO()
    call_command("blobs", "verify", stdout=out)
    return json.loads(out.getvalue())


def test_verify_passes_on_an_intact_store(three_blobs: list[Blob]) -> None:
    report = verify()
    assert report["ok"] is True and report["checked"] == 3 and report["problems"] == []


def test_verify_names_a_corrupted_file(blob_dir: Path, three_blobs: list[Blob]) -> None:
    victim = three_blobs[1]
    stored = blob_dir / blob_key(victim.sha256)
    stored.chmod(0o640)
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=victim.sha256) as failed:
        verify()
    assert "altéré" in str(failed.value)
    assert [p.sha256 for p in blob_verify_all().problems] == [victim.sha256]


def test_verify_names_a_deleted_file(blob_dir: Path, three_blobs: list[Blob]) -> None:
    victim = three_blobs[2]
    (blob_dir / blob_key(victim.sha256)).unlink()
    with pytest.raises(CommandError, match=victim.sha256) as failed:
        verify()
    assert "absent" in str(failed.value)


# --- S3 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: str, settings: Any) -> Iterator[tuple[Any, str]]:
    """An S3-compatible bucket on 127.0.0.1, and the blob store switched to it."""
    bucket = f"socle-blobs-{secrets.token_hex(4)}"
    settings.BLOB_BACKEND = "s3"
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = s3_server
    settings.S3_ACCESS_KEY = "socle-essai"
    settings.S3_SECRET_KEY = "socle-essai-secret"
    settings.S3_REGION = "fr-par"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="fr-par",
                          aws_access_key_id="socle-essai",
                          aws_secret_access_key="socle-essai-secret")
    client.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    storage_reset()
    yield client, bucket
    storage_reset()


def keys(client: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_s3_round_trip(s3_bucket: tuple[Any, str], db: None) -> None:
    client, bucket = s3_bucket
    content = png() + os.urandom(3 * 1024 * 1024)  # past the spill-to-disk size of reads
    stored = blob_put(stream=io.BytesIO(content))
    assert stored.created and stored.blob.mime_type == "image/png"
    assert keys(client, bucket) == [blob_key(stored.blob.sha256)]
    with blob_open(stored.blob) as handle:
        assert handle.read() == content
    assert blob_put(stream=io.BytesIO(content)).created is False
    assert keys(client, bucket) == [blob_key(stored.blob.sha256)]
    assert blob_verify_all().ok


def test_s3_storage_never_overwrites_a_key(s3_bucket: tuple[Any, str], db: None) -> None:
    client, bucket = s3_bucket
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    key = blob_key(blob.sha256)
    assert storage.save(key, io.BytesIO(b"autre contenu")) == key
    assert keys(client, bucket) == [key]
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == PDF


def test_s3_verify_names_an_altered_and_a_missing_object(s3_bucket: tuple[Any, str],
                                                        db: None) -> None:
    client, bucket = s3_bucket
    altered, missing, _intact = (blob_put(stream=io.BytesIO(c)).blob
                                 for c in (PDF, png(), b"Texte intact.\n"))
    client.put_object(Bucket=bucket, Key=blob_key(altered.sha256), Body=b"%PDF-1.4 falsifie")
    client.delete_object(Bucket=bucket, Key=blob_key(missing.sha256))
    report = blob_verify_all()
    assert report.checked == 2
    assert {p.sha256: p.reason for p in report.problems} == {
        altered.sha256: "contenu altéré (empreinte différente)",
        missing.sha256: "fichier absent du stockage",
    }
    with pytest.raises(CommandError, match=altered.sha256):
        verify()
