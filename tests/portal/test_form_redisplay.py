"""A procedure form shown again (a row added, an error) keeps what the citizen already gave."""

from __future__ import annotations

import io
import re

import pytest
from django.core import signing
from django.test import Client

from socle.core.models import Blob
from socle.portal.form_render import KEPT_SALT
from socle.portal.models import Case

FIELDS = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True},
    {"name": "proprietaire", "label": "Propriétaire du véhicule", "type": "yesno",
     "required": True},
    {"name": "justificatif", "label": "Justificatif de domicile", "type": "file",
     "required": True},
    {"name": "vehicules", "label": "Véhicules", "type": "group", "required": True, "fields": [
        {"name": "immatriculation", "label": "Immatriculation", "type": "text",
         "required": True},
    ]},
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEPT = re.compile(r'name="f-justificatif-kept" value="([^"]+)"')


@pytest.fixture
def url(territory, publish) -> str:
    publish(territory["compiegne"], "carte-stationnement", fields=FIELDS)
    return "/demarches/carte-stationnement/"


@pytest.fixture
def client(citizen) -> Client:
    client = Client()
    client.force_login(citizen)
    return client


def upload(name: str = "justificatif.pdf") -> io.BytesIO:
    file = io.BytesIO(PDF)
    file.name = name
    return file


def answers(**extra: object) -> dict[str, object]:
    return {"revision": "1", "f-nom": "Martin", "f-proprietaire": "oui",
            "f-vehicules-rows": "1", "f-vehicules-0-immatriculation": "AB-123-CD", **extra}


def test_a_file_sent_before_adding_a_row_is_filed_without_choosing_it_again(client, url):
    shown = client.post(url, answers(**{"f-justificatif": upload(), "add_row": "vehicules"}))
    html = shown.content.decode()
    assert shown.status_code == 200 and "Déjà joint : justificatif.pdf" in html
    kept = KEPT.search(html)
    assert kept is not None

    filed = client.post(url, answers(**{"f-vehicules-rows": "2",
                                        "f-vehicules-1-immatriculation": "EF-456-GH",
                                        "f-justificatif-kept": kept.group(1)}))

    assert filed.status_code == 302
    case = Case.objects.get()
    assert [item["name"] for item in case.data["justificatif"]] == ["justificatif.pdf"]
    assert case.documents.filter(name="justificatif.pdf", field="justificatif").exists()


def test_a_new_file_replaces_the_kept_one(client, url):
    shown = client.post(url, answers(**{"f-justificatif": upload(), "add_row": "vehicules"}))
    kept = KEPT.search(shown.content.decode())
    assert kept is not None
    client.post(url, answers(**{"f-justificatif-kept": kept.group(1),
                                "f-justificatif": upload("facture.pdf")}))
    assert [item["name"] for item in Case.objects.get().data["justificatif"]] == ["facture.pdf"]


def test_a_forged_reference_to_a_file_is_ignored(client, url, make_user):
    # Another person's file, named by its hash: the platform only believes what it signed.
    other = Client()
    other.force_login(make_user(citizen=True))
    other.post(url, answers(**{"f-justificatif": upload(), "add_row": "vehicules"}))
    blob = Blob.objects.get()
    forged = signing.dumps([{"sha256": blob.sha256, "name": "justificatif.pdf"}],
                           key="une-autre-cle", salt=KEPT_SALT)

    response = client.post(url, answers(**{"f-justificatif-kept": forged}))

    assert response.status_code == 400
    assert "Justificatif de domicile : Ce champ est obligatoire." in response.content.decode()
    assert not Case.objects.exists()


def test_even_a_genuinely_signed_digest_of_someone_elses_file_is_refused(client, url, make_user):
    """Defence in depth: the signature says the page sent it, the answers must also hold it."""
    other = Client()
    other.force_login(make_user(citizen=True))
    other.post(url, answers(**{"f-justificatif": upload(), "add_row": "vehicules"}))
    blob = Blob.objects.get()
    signed = signing.dumps([{"sha256": blob.sha256, "name": "justificatif.pdf"}], salt=KEPT_SALT,
                           compress=True)

    response = client.post(url, answers(**{"f-justificatif-kept": signed}))

    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_yes_no_answer_stays_checked_when_the_form_is_shown_again(client, url):
    response = client.post(url, answers(**{"f-nom": "", "f-proprietaire": "non"}))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'value="non" checked', html) and not re.search(r'value="oui" checked', html)
