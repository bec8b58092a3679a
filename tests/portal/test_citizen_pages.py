"""The citizens' pages: catalogue, filing with every field type, drafts, follow-up, files."""

import html
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from socle.core.models import ThrottleHit
from socle.core.throttle import throttle_prune
from socle.portal.models import Case, CaseDocument
from socle.portal.services import case_transition

ALL_FIELDS = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True,
     "messages": {"required": "Indiquez votre nom de famille."}},
    {"name": "precisions", "label": "Précisions", "type": "textarea"},
    {"name": "courriel", "label": "Courriel", "type": "email"},
    {"name": "telephone", "label": "Téléphone", "type": "phone"},
    {"name": "exemplaires", "label": "Nombre d'exemplaires", "type": "number", "min": 1, "max": 5},
    {"name": "date_evenement", "label": "Date de l'événement", "type": "date"},
    {"name": "motif", "label": "Motif", "type": "choice", "required": True,
     "choices": [{"value": "perte", "label": "Perte"}, {"value": "autre", "label": "Autre"}]},
    {"name": "autre_motif", "label": "Autre motif", "type": "text",
     "show_if": {"field": "motif", "equals": "autre"}, "required": True},
    {"name": "usages", "label": "Usages", "type": "multichoice",
     "choices": ["Passeport", "Mariage"]},
    {"name": "urgent", "label": "Urgent", "type": "yesno"},
    {"name": "adresse", "label": "Adresse", "type": "address"},
    {"name": "commune_naissance", "label": "Commune", "type": "commune"},
    {"name": "siret", "label": "SIRET", "type": "siret"},
    {"name": "piece", "label": "Pièce d'identité", "type": "file"},
    {"name": "enfants", "label": "Enfants", "type": "group", "fields": [
        {"name": "prenom", "label": "Prénom", "type": "text", "required": True},
        {"name": "age", "label": "Âge", "type": "number"},
    ]},
]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def procedure(territory, publish):
    return publish(territory["compiegne"], "copie-acte", fields=ALL_FIELDS,
                   title="Copie d'acte de naissance", requires_account=False)


def good_post(**extra):
    data = {
        "revision": "1", "f-nom": "Martin", "f-motif": "perte", "f-usages": ["Passeport"],
        "f-urgent": "non", "f-telephone": "03 44 40 00 00", "f-exemplaires": "2",
        "f-date_evenement": "03/03/2020", "f-adresse-street": "1 place de l'Hôtel de Ville",
        "f-adresse-postal_code": "60200", "f-adresse-city": "Compiègne",
        "f-commune_naissance": "compiegne", "f-siret": "73282932000074",
        "f-enfants-rows": "2", "f-enfants-0-prenom": "Léa", "f-enfants-0-age": "7",
        "f-enfants-1-prenom": "", "f-enfants-1-age": "",
        "f-piece": io.BytesIO(PDF),
    }
    data["f-piece"].name = "carte.pdf"
    data.update(extra)
    return data


def test_the_catalogue_lists_procedures_by_commune(client, territory, procedure):
    page = client.get("/demarches/?commune=compiegne").content.decode()
    assert "Copie d&#x27;acte de naissance" in page
    other = client.get("/demarches/?commune=venette").content.decode()
    assert "Copie d&#x27;acte de naissance" not in other
    assert client.get("/demarches/?commune=nowhere").status_code == 404


def test_the_form_renders_every_field_type_with_labels(client, procedure):
    page = client.get("/demarches/copie-acte/").content.decode()
    for label in ["Nom", "Téléphone", "Motif", "Usages", "Urgent", "Numéro et voie", "SIRET",
                  "Pièce d&#x27;identité", "Enfants — ligne 1"]:
        assert label in page
    assert "À remplir seulement si" in page
    assert 'enctype="multipart/form-data"' in page


def test_invalid_answers_get_french_messages_and_nothing_is_filed(client, procedure):
    response = client.post("/demarches/copie-acte/", {
        "revision": "1", "f-motif": "autre", "f-telephone": "12", "f-exemplaires": "9",
        "f-date_evenement": "31/02/2020", "f-siret": "73282932000075",
        "f-adresse-street": "x", "f-adresse-postal_code": "6020", "f-adresse-city": "y",
        "f-enfants-rows": "1", "f-enfants-0-age": "3", "contact_email": "a@exemple.fr",
    })
    assert response.status_code == 400
    page = response.content.decode()
    for message in ["Indiquez votre nom de famille.", "Ce champ est obligatoire.",
                    "Le numéro de téléphone n&#x27;est pas valide",
                    "La valeur doit être au plus 5.", "Indiquez une date valide",
                    "clé doit être valide", "Le code postal doit comporter 5 chiffres."]:
        assert message in page, message
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_visitor_files_without_account_and_confirms_by_email(client, procedure):
    response = client.post("/demarches/copie-acte/", good_post(contact_email="visiteur@exemple.fr"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/mes-demandes/{case.number}/"
    assert case.email == "visiteur@exemple.fr" and not case.email_confirmed
    assert case.data["enfants"] == [{"prenom": "Léa", "age": "7"}]
    assert case.data["adresse"]["commune"] == "compiegne"
    assert CaseDocument.objects.filter(case=case, kind="attachment", name="carte.pdf").exists()
    page = client.get(response["Location"]).content.decode()
    assert "sont en préparation" in page  # the worker draws the acknowledgements
    call_command("worker", batch=True)
    page = client.get(response["Location"]).content.decode()
    assert "Accusé d&#x27;enregistrement" in page
    # The link in the email confirms the address and opens the case in another browser.
    # Built from SOCLE_BASE_URL, never from the request's Host header.
    link = next(re.search(r"http://127\.0\.0\.1:8000(/suivi/\S+)", m.body).group(1)
                for m in mail.outbox if "Confirmez" in m.subject)
    from django.test import Client

    other = Client()
    assert other.get(f"/mes-demandes/{case.number}/").status_code == 404
    assert other.get(link).status_code == 302
    assert other.get(f"/mes-demandes/{case.number}/").status_code == 200
    case.refresh_from_db()
    assert case.email_confirmed


def test_a_disguised_upload_is_refused(client, procedure):
    fake = io.BytesIO(b"\x7fELF\x02\x01\x01" + b"\x00" * 100)
    fake.name = "carte.pdf"
    response = client.post("/demarches/copie-acte/",
                           good_post(**{"f-piece": fake, "contact_email": "v@exemple.fr"}))
    assert response.status_code == 400
    assert "type de fichier" in response.content.decode()
    assert not Case.objects.exists()


def test_a_citizen_saves_a_draft_then_submits_it(client, procedure, citizen):
    client.force_login(citizen)
    response = client.post("/demarches/copie-acte/", {"revision": "1", "f-nom": "Martin",
                                                       "action": "draft"})
    assert response.status_code == 302
    draft = Case.objects.get(status="draft")
    listing = client.get("/mes-demandes/").content.decode()
    assert draft.number in listing and "reprendre" in listing
    resumed = client.get(f"/demarches/copie-acte/?brouillon={draft.number}").content.decode()
    assert 'value="Martin"' in resumed
    response = client.post(f"/demarches/copie-acte/?brouillon={draft.number}", good_post())
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and Case.objects.count() == 1


def test_double_submission_files_one_case(client, procedure, citizen):
    client.force_login(citizen)
    post = good_post(submission_key="cle-unique-123")
    client.post("/demarches/copie-acte/", post)
    post = good_post(submission_key="cle-unique-123")
    client.post("/demarches/copie-acte/", post)
    assert Case.objects.count() == 1


def test_a_revision_changed_while_filing_is_reported(client, procedure, citizen, editor):
    from socle.portal.services import procedure_publish, procedure_update

    procedure_update(actor=editor, procedure=procedure, fields=ALL_FIELDS[:7])
    procedure_publish(actor=editor, procedure=procedure)
    client.force_login(citizen)
    response = client.post("/demarches/copie-acte/", good_post(revision="1"))
    assert response.status_code == 409
    assert "modifiée pendant votre saisie" in response.content.decode()


def test_another_citizen_cannot_see_a_case(client, procedure, citizen, make_user, territory):
    client.force_login(citizen)
    client.post("/demarches/copie-acte/", good_post())
    case = Case.objects.get()
    document = case.documents.first()
    intruder = make_user("intrus@exemple.fr", commune=territory["compiegne"])
    client.force_login(intruder)
    assert client.get(f"/mes-demandes/{case.number}/").status_code == 404
    assert client.get(f"/mes-demandes/{case.number}/documents/{document.pk}/").status_code == 404


def test_the_citizen_completes_a_case_after_an_information_request(
    client, procedure, citizen, caseworker
):
    client.force_login(citizen)
    client.post("/demarches/copie-acte/", good_post())
    case = Case.objects.get()
    case_transition(actor=caseworker, case=case, to="in_instruction")
    case_transition(actor=caseworker, case=case, to="info_requested",
                    comment="Précisez la date exacte.")
    page = client.get(f"/mes-demandes/{case.number}/").content.decode()
    assert "Compléter mon dossier" in page
    form = client.get(f"/mes-demandes/{case.number}/completer/").content.decode()
    assert "Précisez la date exacte." in form
    response = client.post(f"/mes-demandes/{case.number}/completer/",
                           good_post(**{"f-precisions": "Le 3 mars 2020 à 14 h"}))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_instruction" and case.data["precisions"] == "Le 3 mars 2020 à 14 h"


def test_the_history_names_each_status_as_the_citizen_reads_it(client, procedure, citizen, caseworker):
    client.force_login(citizen)
    client.post("/demarches/copie-acte/", good_post())
    case = Case.objects.get()
    case_transition(actor=caseworker, case=case, to="in_instruction")
    page = html.unescape(client.get(f"/mes-demandes/{case.number}/").content.decode())
    assert "Statut : Demande déposée" in page
    assert "Statut : En cours d'instruction" in page


def test_the_citizen_downloads_the_acknowledgement_pdf(client, procedure, citizen):
    client.force_login(citizen)
    client.post("/demarches/copie-acte/", good_post())
    case = Case.objects.get()
    call_command("worker", batch=True)  # the worker draws the acknowledgements
    receipt = case.documents.get(kind="receipt")
    response = client.get(f"/mes-demandes/{case.number}/documents/{receipt.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("address", ["a@exemple.fr, b@exemple.fr", "a@exemple.fr;b@exemple.fr",
                                     "a@exemple.fr\nBcc: b@exemple.fr", "<a@exemple.fr>",
                                     "Alix <a@exemple.fr>", "pas-une-adresse", ""])
def test_a_visitor_gives_one_plain_address_or_nothing_is_filed(client, procedure, address):
    response = client.post("/demarches/copie-acte/", good_post(contact_email=address))
    assert response.status_code == 400
    assert "Indiquez une seule adresse électronique" in response.content.decode()
    assert not Case.objects.exists()


def test_filing_without_an_account_is_capped_per_address(client, procedure):
    for _ in range(3):
        assert client.post("/demarches/copie-acte/",
                           good_post(contact_email="cible@exemple.fr")).status_code == 302
    refused = client.post("/demarches/copie-acte/", good_post(contact_email="cible@exemple.fr"))
    assert refused.status_code == 429
    assert "Réessayez dans une heure" in refused.content.decode()
    assert Case.objects.count() == 3
    assert client.post("/demarches/copie-acte/",
                       good_post(contact_email="autre@exemple.fr")).status_code == 302


def test_filing_without_an_account_is_capped_per_client_whatever_the_addresses(
        client, procedure, settings):
    settings.ANONYMOUS_FILINGS_PER_CLIENT = 4
    for n in range(4):
        assert client.post("/demarches/copie-acte/", good_post(contact_email=f"v{n}@exemple.fr"),
                           REMOTE_ADDR="203.0.113.7").status_code == 302
    refused = client.post("/demarches/copie-acte/", good_post(contact_email="v9@exemple.fr"),
                          REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert "depuis votre connexion" in refused.content.decode()
    assert Case.objects.count() == 4
    # Another client is not held back, and the table keeps no address in clear.
    assert client.post("/demarches/copie-acte/", good_post(contact_email="w@exemple.fr"),
                       REMOTE_ADDR="198.51.100.2").status_code == 302
    assert not ThrottleHit.objects.filter(key__contains="203.0.113").exists()
    assert ThrottleHit.objects.count() == 5


def test_the_per_client_count_forgets_after_an_hour_and_is_pruned(client, procedure, settings):
    settings.ANONYMOUS_FILINGS_PER_CLIENT = 1
    assert client.post("/demarches/copie-acte/", good_post(contact_email="a@exemple.fr"),
                       REMOTE_ADDR="203.0.113.7").status_code == 302
    assert client.post("/demarches/copie-acte/", good_post(contact_email="b@exemple.fr"),
                       REMOTE_ADDR="203.0.113.7").status_code == 429
    ThrottleHit.objects.update(at=timezone.now() - timedelta(minutes=61))
    assert client.post("/demarches/copie-acte/", good_post(contact_email="b@exemple.fr"),
                       REMOTE_ADDR="203.0.113.7").status_code == 302
    ThrottleHit.objects.update(at=timezone.now() - timedelta(days=2))
    assert throttle_prune() == 2
    assert not ThrottleHit.objects.exists()
