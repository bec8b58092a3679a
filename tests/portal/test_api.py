"""The portal's API: procedures, filing, following and processing cases, over HTTP."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socle.core.blobs import blob_put
from socle.portal import selectors
from socle.portal.models import Case, DocumentKind
from socle.portal.services import (
    adoption_set,
    case_acknowledge,
    case_submit,
    case_transition,
    procedure_update,
)

from .conftest import SIMPLE_FIELDS

GOOD = {"nom": "Martin", "motif": "perte"}
PDF = b"%PDF-1.4\n% justificatif de domicile\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
VALID_SIRET = "73282932000074"

FULL_FIELDS: list[dict[str, Any]] = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True, "max_length": 20,
     "help": "Tel qu'il figure sur votre pièce d'identité."},
    {"name": "courriel", "label": "Courriel", "type": "email"},
    {"name": "telephone", "label": "Téléphone", "type": "phone"},
    {"name": "places", "label": "Nombre de places", "type": "number", "min": 1, "max": 10,
     "integer": True},
    {"name": "date_souhaitee", "label": "Date souhaitée", "type": "date", "min": "2020-01-01"},
    {"name": "motif", "label": "Motif", "type": "choice", "required": True,
     "choices": [{"value": "perte", "label": "Perte"}, {"value": "autre", "label": "Autre"}]},
    {"name": "autre_motif", "label": "Précisez", "type": "text", "required": True,
     "show_if": {"field": "motif", "equals": "autre"}},
    {"name": "jours", "label": "Jours", "type": "multichoice", "choices": ["lundi", "mardi"]},
    {"name": "cantine", "label": "Cantine", "type": "yesno"},
    {"name": "adresse", "label": "Adresse", "type": "address"},
    {"name": "commune_travail", "label": "Commune de travail", "type": "commune"},
    {"name": "siret", "label": "SIRET", "type": "siret"},
    {"name": "justificatif", "label": "Justificatif", "type": "file",
     "types": ["application/pdf"], "max_size": 1000},
    {"name": "enfants", "label": "Enfants", "type": "group", "max_rows": 3, "fields": [
        {"name": "prenom", "label": "Prénom", "type": "text", "required": True},
        {"name": "naissance", "label": "Date de naissance", "type": "date"},
    ]},
]


def post_json(client, url: str, body: Any, **headers: str):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def file_case(client, slug: str, data: dict[str, Any], **extra: Any):
    return post_json(client, f"/api/v1/procedures/{slug}/cases", {"data": data, **extra})


def move(client, number: str, to: str, comment: str = ""):
    return post_json(client, f"/api/v1/cases/{number}/transitions", {"to": to, "comment": comment})


@pytest.fixture
def parking(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")


@pytest.fixture
def filed(parking, citizen):
    """A case of Compiègne filed by the citizen, its acknowledgements drawn by the worker."""
    case = case_submit(actor=citizen,
                       offered=selectors.procedure_offered_get(slug=parking.slug, commune=None), data=GOOD)
    case_acknowledge(case_id=case.pk)
    return case


@pytest.fixture
def full_form(territory, publish):
    return publish(territory["compiegne"], "inscription-cantine", fields=FULL_FIELDS)


# ------------------------------------------------------------------ procedures


def test_a_communes_procedures_are_the_arcs_its_own_and_the_templates_it_adopted(
    client, territory, publish, editor
):
    publish(territory["arc"], "abonnement-velotic", title="Abonnement VéloTIC")
    publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")
    publish(territory["venette"], "salle-des-fetes", title="Réserver la salle des fêtes")
    template = publish(territory["arc"], "encombrants", title="Enlèvement des encombrants",
                       is_template=True)
    adoption_set(actor=editor, template=template, organisation=territory["compiegne"],
                 overrides={"title": "Encombrants à Compiègne"})

    response = client.get("/api/v1/procedures?commune=compiegne")

    assert response.status_code == 200
    by_slug = {row["slug"]: row for row in response.json()["items"]}
    assert set(by_slug) == {"abonnement-velotic", "carte-stationnement", "encombrants"}
    assert by_slug["abonnement-velotic"]["organisation"] == "arc"
    assert by_slug["carte-stationnement"]["organisation"] == "compiegne"
    adopted = by_slug["encombrants"]
    assert adopted["organisation"] == "compiegne" and adopted["template"] == "arc"
    assert adopted["title"] == "Encombrants à Compiègne"
    assert by_slug["carte-stationnement"]["template"] is None


def test_without_a_commune_only_the_arcs_own_procedures_are_listed(client, territory, publish):
    publish(territory["arc"], "abonnement-velotic")
    publish(territory["compiegne"], "carte-stationnement")
    publish(territory["arc"], "encombrants", is_template=True)
    rows = client.get("/api/v1/procedures").json()["items"]
    assert [row["slug"] for row in rows] == ["abonnement-velotic"]


def test_an_unknown_commune_is_a_404_in_json(client, territory):
    for slug in ("atlantide", "arc"):  # the ARC is not a commune
        response = client.get(f"/api/v1/procedures?commune={slug}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_procedures_form_describes_every_field_to_build_a_request(client, full_form):
    response = client.get("/api/v1/procedures/inscription-cantine")

    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == 1 and body["organisation"] == "compiegne"
    fields = {f["name"]: f for f in body["fields"]}
    assert [f["name"] for f in body["fields"]] == [f["name"] for f in FULL_FIELDS]
    assert fields["nom"] == {"name": "nom", "label": "Nom", "type": "text",
                             "type_label": "Texte court", "required": True, "max_length": 20,
                             "help": "Tel qu'il figure sur votre pièce d'identité.",
                             "value_format": "texte, 20 caractères au plus",
                             "value_schema": {"type": "string", "maxLength": 20}}
    assert fields["motif"]["choices"] == [{"value": "perte", "label": "Perte"},
                                          {"value": "autre", "label": "Autre"}]
    assert fields["jours"]["choices"] == [{"value": "lundi", "label": "lundi"},
                                          {"value": "mardi", "label": "mardi"}]
    assert fields["autre_motif"]["show_if"] == {"field": "motif", "equals": "autre"}
    assert fields["places"]["min"] == "1" and fields["places"]["max"] == "10"
    assert fields["justificatif"]["types"] == ["application/pdf"]
    assert fields["justificatif"]["max_size"] == 1000
    assert [sub["name"] for sub in fields["enfants"]["fields"]] == ["prenom", "naissance"]
    assert fields["enfants"]["fields"][0]["required"] is True
    assert fields["enfants"]["max_rows"] == 3
    assert all(isinstance(f["required"], bool) for f in body["fields"])


GOOD_VALUES = {
    "nom": "Martin", "courriel": "camille@exemple.fr", "telephone": "03 44 40 00 00",
    "places": 2, "date_souhaitee": "2030-09-01", "motif": "autre", "autre_motif": "Garde",
    "jours": ["mardi", "lundi"], "cantine": True,
    "adresse": {"street": "1 rue Solférino", "postal_code": "60200", "city": "Compiègne"},
    "commune_travail": "venette", "siret": VALID_SIRET,
    "justificatif": {"sha256": "0" * 64, "name": "domicile.pdf"},
    "enfants": [{"prenom": "Léa", "naissance": "2015-03-01"}],
}
BAD_VALUES = [
    ("nom", "x" * 21), ("courriel", "camille.exemple.fr"), ("motif", "vol"),
    ("jours", ["lundi", "dimanche"]), ("jours", {"lundi": True}), ("cantine", "peut-être"),
    ("adresse", {"street": "1 rue Solférino", "city": "Compiègne"}),
    ("adresse", {"street": "1 rue Solférino", "postal_code": "602", "city": "Compiègne"}),
    ("adresse", "1 rue Solférino 60200 Compiègne"), ("siret", "1234"), ("justificatif", "a.pdf"),
    ("enfants", [{"prenom": "A"}] * 4), ("enfants", {"prenom": "Léa"}),
]


def test_each_field_says_the_shape_of_its_value_as_a_json_schema(client, full_form):
    fields = {f["name"]: f for f in client.get("/api/v1/procedures/inscription-cantine").json()[
        "fields"]}
    checker = jsonschema.FormatChecker()

    def valid(name: str, value: Any) -> bool:
        schema = fields[name]["value_schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        return jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(value)

    assert all(valid(name, value) for name, value in GOOD_VALUES.items())
    assert [(name, value) for name, value in BAD_VALUES if valid(name, value)] == []
    assert fields["adresse"]["value_schema"]["required"] == ["street", "postal_code", "city"]
    assert "postal_code (5 chiffres)" in fields["adresse"]["value_format"]
    # A file is a reference to a file deposited first, whatever that reference holds.
    assert "POST /api/v1/blobs" in fields["justificatif"]["value_format"]
    assert "application/pdf" in fields["justificatif"]["value_format"]
    assert fields["enfants"]["value_schema"]["maxItems"] == 3
    assert fields["places"]["value_format"] == "nombre entier, au moins 1, au plus 10"


def test_a_commune_that_adopted_a_template_adds_its_own_fields(client, territory, publish,
                                                                  editor):
    template = publish(territory["arc"], "encombrants", is_template=True)
    adoption_set(actor=editor, template=template, organisation=territory["compiegne"],
                 overrides={"extra_fields": [{"name": "etage", "label": "Étage",
                                              "type": "number"}]})

    in_compiegne = client.get("/api/v1/procedures/encombrants?commune=compiegne").json()
    as_template = client.get("/api/v1/procedures/encombrants").json()

    assert [f["name"] for f in in_compiegne["fields"]][-1] == "etage"
    assert in_compiegne["organisation"] == "compiegne" and in_compiegne["template"] == "arc"
    assert "etage" not in [f["name"] for f in as_template["fields"]]
    assert client.get("/api/v1/procedures/encombrants?commune=venette").status_code == 404


def test_another_communes_procedure_a_draft_or_an_unknown_slug_is_404(
    client, territory, parking, editor
):
    from socle.portal.services import procedure_create

    procedure_create(actor=editor, organisation=territory["compiegne"], slug="brouillon",
                     title="Brouillon", fields=SIMPLE_FIELDS)
    assert client.get("/api/v1/procedures/brouillon").status_code == 404
    assert client.get("/api/v1/procedures/inexistante").status_code == 404
    assert client.get("/api/v1/procedures/carte-stationnement?commune=venette").status_code == 404


# ---------------------------------------------------------------------- filing


def test_a_citizen_files_a_case_and_gets_its_number(api_client, parking, citizen):
    response = file_case(api_client(citizen), "carte-stationnement", GOOD)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted" and body["organisation"] == "compiegne"
    case = Case.objects.get(number=body["number"])
    assert case.citizen == citizen and case.data == GOOD


def test_filing_needs_authentication(api_client, parking):
    response = file_case(api_client(None), "carte-stationnement", GOOD)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert not Case.objects.exists()


def test_an_agent_without_a_citizen_account_cannot_file(api_client, parking, caseworker):
    response = file_case(api_client(caseworker), "carte-stationnement", GOOD)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Case.objects.exists()


def test_a_template_is_filed_in_the_citizens_home_commune(api_client, territory, publish,
                                                           editor, citizen, make_user):
    template = publish(territory["arc"], "encombrants", is_template=True)
    adoption_set(actor=editor, template=template, organisation=territory["compiegne"])
    resident_of_venette = make_user("dominique@exemple.fr", commune=territory["venette"])

    filed = file_case(api_client(citizen), "encombrants", GOOD)
    not_offered = file_case(api_client(resident_of_venette), "encombrants", GOOD)
    elsewhere = file_case(api_client(resident_of_venette), "encombrants", GOOD,
                          commune="compiegne")
    unknown = file_case(api_client(resident_of_venette), "encombrants", GOOD,
                        commune="atlantide")

    assert filed.status_code == 201 and filed.json()["organisation"] == "compiegne"
    assert not_offered.status_code == 404
    assert elsewhere.status_code == 201 and elsewhere.json()["organisation"] == "compiegne"
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"field": "commune",
                                         "message": "Choisissez une commune de l'agglomération."}]


def test_a_retry_with_the_same_idempotency_key_returns_the_same_case(api_client, parking,
                                                                      citizen):
    client = api_client(citizen)
    first = file_case(client, "carte-stationnement", GOOD, **{})
    url = "/api/v1/procedures/carte-stationnement/cases"
    key = "7f1d2c8e-4a3b-4f8e-9d2a-0b1c2d3e4f50"

    once = post_json(client, url, {"data": GOOD}, **{"Idempotency-Key": key})
    again = post_json(client, url, {"data": GOOD}, **{"Idempotency-Key": key})

    assert first.status_code == 201
    assert once.status_code == 201 and again.status_code == 200
    assert once.json()["number"] == again.json()["number"] != first.json()["number"]
    assert Case.objects.filter(citizen=citizen).count() == 2


def test_an_idempotency_key_used_for_another_procedure_is_a_conflict(api_client, territory,
                                                                      publish, parking, citizen):
    publish(territory["compiegne"], "carte-residant")
    client = api_client(citizen)
    headers = {"Idempotency-Key": "cle-1"}
    post_json(client, "/api/v1/procedures/carte-stationnement/cases", {"data": GOOD}, **headers)

    response = post_json(client, "/api/v1/procedures/carte-residant/cases", {"data": GOOD},
                         **headers)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_an_overlong_idempotency_key_is_refused(api_client, parking, citizen):
    response = post_json(api_client(citizen), "/api/v1/procedures/carte-stationnement/cases",
                         {"data": GOOD}, **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Case.objects.exists()


def test_a_revision_published_while_the_citizen_was_filing_is_a_conflict(
    api_client, parking, citizen, editor
):
    from socle.portal.services import procedure_publish

    procedure_update(actor=editor, procedure=parking,
                     fields=[*SIMPLE_FIELDS, {"name": "plaque", "label": "Immatriculation",
                                              "type": "text"}])
    procedure_publish(actor=editor, procedure=parking)
    client = api_client(citizen)

    stale = file_case(client, "carte-stationnement", GOOD, revision=1)
    current = file_case(client, "carte-stationnement", GOOD, revision=2)

    assert stale.status_code == 409
    assert stale.json()["code"] == "revision_changed"
    assert "modifiée" in stale.json()["message"]
    assert current.status_code == 201
    assert Case.objects.get().revision.number == 2


def test_answers_to_fields_the_form_does_not_have_are_refused(api_client, parking, citizen):
    response = file_case(api_client(citizen), "carte-stationnement",
                         {**GOOD, "statut": "accepted", "organisation": "venette"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "organisation", "message": "Ce champ n'existe pas dans le formulaire."},
        {"field": "statut", "message": "Ce champ n'existe pas dans le formulaire."},
    ]
    assert not Case.objects.exists()


def test_unexpected_keys_in_the_request_body_are_refused(api_client, parking, citizen):
    response = post_json(api_client(citizen), "/api/v1/procedures/carte-stationnement/cases",
                         {"data": GOOD, "status": "accepted"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "status",
                                          "message": "Ce champ n'est pas attendu."}]
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", ["{\"data\": {", "[1, 2", "\xff\xfe"])
def test_malformed_json_is_a_400_never_a_500(api_client, filed, caseworker, citizen, body):
    for client, url in [
        (api_client(citizen), "/api/v1/procedures/carte-stationnement/cases"),
        (api_client(caseworker), f"/api/v1/cases/{filed.number}/transitions"),
    ]:
        response = client.post(url, body.encode("latin-1"), content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"code": "malformed_json",
                                   "message": "Le corps de la requête n'est pas un JSON valide."}


def test_nul_characters_anywhere_are_refused_not_a_database_error(api_client, filed, citizen,
                                                                  caseworker):
    # PostgreSQL stores no NUL character: each of these would be a 500 there.
    agent, own = api_client(caseworker), api_client(citizen)
    url = "/api/v1/procedures/carte-stationnement/cases"
    not_found = [own.get("/api/v1/cases/2026%00"), own.get("/api/v1/procedures/carte%00"),
                 own.get("/api/v1/procedures?commune=compiegne%00")]
    refused = [
        agent.get("/api/v1/cases?q=Martin%00"),
        agent.get("/api/v1/cases?status=submitted%00"),
        post_json(own, url, {"data": {**GOOD, "precisions": {"a": ["\x00"]}}}),
        post_json(own, url, {"data": {**GOOD, "nom\x00": "x"}}),
        post_json(own, url, {"data": GOOD, "commune": "compiegne\x00"}),
        post_json(own, url, {"data": GOOD}, **{"Idempotency-Key": "cle\x00"}),
        move(agent, filed.number, "closed", "Sans suite\x00"),
    ]
    assert [r.status_code for r in not_found] == [404] * 3
    assert [r.status_code for r in refused] == [400] * len(refused)
    assert Case.objects.count() == 1


def test_an_oversized_body_is_refused_with_a_4xx(api_client, parking, citizen):
    response = file_case(api_client(citizen), "carte-stationnement",
                         {**GOOD, "precisions": "x" * 3_000_000})
    assert 400 <= response.status_code < 500
    assert response.json()["code"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", [{}, {"data": ["nom", "Martin"]}, {"data": "nom=Martin"},
                                  {"data": GOOD, "revision": "premiere"}])
def test_a_body_of_the_wrong_shape_is_a_400(api_client, parking, citizen, body):
    response = post_json(api_client(citizen), "/api/v1/procedures/carte-stationnement/cases",
                         body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]


FULL_GOOD = {"nom": "Martin", "motif": "perte"}


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({"nom": "x" * 21}, "nom", "Le texte est trop long (20 caractères au plus)."),
    ({"nom": ""}, "nom", "Ce champ est obligatoire."),
    ({"nom": ["Martin"]}, "nom", "La valeur saisie n'est pas valide."),
    ({"courriel": "camille.exemple.fr"}, "courriel",
     "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr)."),
    ({"telephone": "12 34"}, "telephone",
     "Le numéro de téléphone n'est pas valide (exemple : 03 44 40 00 00)."),
    ({"places": "11"}, "places", "La valeur doit être au plus 10."),
    ({"places": 0}, "places", "La valeur doit être au moins 1."),
    ({"places": "deux"}, "places", "Indiquez un nombre (exemple : 12 ou 12,5)."),
    ({"places": "2,5"}, "places", "Indiquez un nombre (exemple : 12 ou 12,5)."),
    ({"places": True}, "places", "Indiquez un nombre (exemple : 12 ou 12,5)."),
    ({"date_souhaitee": "31/02/2024"}, "date_souhaitee",
     "Indiquez une date valide au format JJ/MM/AAAA."),
    ({"date_souhaitee": "2019-12-31"}, "date_souhaitee", "La valeur doit être au moins 01/01/2020."),
    ({"motif": "vol"}, "motif", "Choisissez une des réponses proposées."),
    ({"motif": "autre"}, "autre_motif", "Ce champ est obligatoire."),
    ({"jours": ["lundi", "dimanche"]}, "jours", "Choisissez une des réponses proposées."),
    ({"jours": {"lundi": True}}, "jours", "Choisissez une des réponses proposées."),
    ({"cantine": "peut-être"}, "cantine", "Répondez par oui ou par non."),
    ({"adresse": {"street": "1 rue Solférino", "city": "Compiègne"}}, "adresse",
     "Indiquez une adresse complète : voie, code postal et commune."),
    ({"adresse": {"street": "1 rue Solférino", "postal_code": "602", "city": "Compiègne"}},
     "adresse", "Le code postal doit comporter 5 chiffres."),
    ({"adresse": "1 rue Solférino 60200 Compiègne"}, "adresse",
     "Indiquez une adresse complète : voie, code postal et commune."),
    ({"commune_travail": "paris"}, "commune_travail",
     "Choisissez une commune de l'agglomération."),
    ({"siret": VALID_SIRET[:-1] + "5"}, "siret",
     "Le numéro SIRET doit comporter 14 chiffres et sa clé doit être valide."),
    ({"siret": "7328293200007"}, "siret",
     "Le numéro SIRET doit comporter 14 chiffres et sa clé doit être valide."),
    ({"justificatif": {"sha256": "0" * 64, "name": "justificatif.pdf"}}, "justificatif",
     "Joignez un fichier."),
    ({"justificatif": "justificatif.pdf"}, "justificatif", "Joignez un fichier."),
    ({"enfants": [{"prenom": "Léa"}, {"prenom": "Tom"}, {"prenom": "Zoé"}, {"prenom": "Max"}]},
     "enfants", "Vous ne pouvez pas ajouter plus de 3 lignes."),
    ({"enfants": "Léa"}, "enfants", "La valeur saisie n'est pas valide."),
])
def test_every_field_types_invalid_values_are_reported_in_french(
    api_client, full_form, citizen, answers, field, message
):
    response = file_case(api_client(citizen), "inscription-cantine", {**FULL_GOOD, **answers})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert body["errors"] == [{"field": field, "message": message}]
    assert not Case.objects.exists()


def test_errors_in_rows_of_a_group_name_the_row_and_the_field(api_client, full_form, citizen):
    response = file_case(api_client(citizen), "inscription-cantine", {
        **FULL_GOOD,
        "enfants": [{"prenom": "Léa", "naissance": "2015-03-01"},
                    {"prenom": "", "naissance": "2015-13-01"}],
    })

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "enfants.1.prenom", "message": "Ce champ est obligatoire."},
        {"field": "enfants.1.naissance",
         "message": "Indiquez une date valide au format JJ/MM/AAAA."},
    ]


def test_a_file_of_a_refused_type_or_too_large_is_refused_by_its_content(api_client, full_form,
                                                                         citizen):
    client = api_client(citizen)
    image = deposit(client, PNG, "justificatif.pdf")
    large = deposit(client, PDF + b"1" * 1000, "justificatif.pdf")

    disguised = file_case(client, "inscription-cantine", {**FULL_GOOD, "justificatif": image})
    oversized = file_case(client, "inscription-cantine", {**FULL_GOOD, "justificatif": large})

    assert disguised.json()["errors"] == [{"field": "justificatif",
                                           "message": "Ce type de fichier n'est pas accepté."}]
    assert oversized.json()["errors"] == [{"field": "justificatif", "message":
                                           "Le fichier dépasse la taille maximale autorisée."}]
    assert not Case.objects.exists()


def test_a_complete_form_with_a_file_is_filed_and_the_file_attached(api_client, full_form,
                                                                     citizen):
    client = api_client(citizen)
    pdf = deposit(client, PDF, "domicile.pdf")

    response = file_case(client, "inscription-cantine", {
        "nom": "Martin", "courriel": "Camille@Exemple.fr", "telephone": "+33 3 44 40 00 00",
        "places": "2", "date_souhaitee": "01/09/2030", "motif": "autre", "autre_motif": "Garde",
        "jours": ["mardi", "lundi"], "cantine": "oui",
        "adresse": {"street": "1 rue Solférino", "postal_code": "60200", "city": "Compiègne"},
        "commune_travail": "venette", "siret": VALID_SIRET,
        "justificatif": pdf,
        "enfants": [{"prenom": "Léa", "naissance": "2015-03-01"}],
    })

    assert response.status_code == 201, response.json()
    case = client.get(f"/api/v1/cases/{response.json()['number']}").json()
    assert case["data"]["telephone"] == "03 44 40 00 00"
    assert case["data"]["date_souhaitee"] == "2030-09-01"
    assert case["data"]["jours"] == ["lundi", "mardi"]
    assert case["data"]["cantine"] is True
    assert case["data"]["adresse"]["commune"] == "compiegne"
    attachments = [d for d in case["documents"] if d["kind"] == DocumentKind.ATTACHMENT]
    assert attachments == [{"id": attachments[0]["id"], "name": "domicile.pdf",
                            "kind": "attachment", "field": "justificatif",
                            "mime_type": "application/pdf", "size": len(PDF)}]


def deposit(client, content: bytes, name: str) -> dict[str, str]:
    """POST /api/v1/blobs, as a client does before naming the file in an answer."""
    answer = client.post("/api/v1/blobs", {"file": SimpleUploadedFile(name, content)})
    assert answer.status_code == 201, answer.json()
    assert "sha256" not in answer.json() and "created" not in answer.json()
    return {"upload": answer.json()["upload"], "name": name}


def test_a_digest_is_not_a_key_to_someone_elses_file(api_client, full_form, citizen, make_user,
                                                     territory):
    """Knowing the SHA-256 of a file stored by someone else gives no right to attach it."""
    other = make_user("voisin@exemple.fr", commune=territory["verberie"])
    theirs = blob_put(stream=io.BytesIO(PDF + b"secret du voisin")).blob
    client = api_client(citizen)
    by_digest = file_case(client, "inscription-cantine", {
        **FULL_GOOD, "justificatif": {"sha256": theirs.sha256, "name": "vole.pdf"}})
    assert by_digest.status_code == 400
    assert by_digest.json()["errors"] == [{"field": "justificatif", "message": "Joignez un fichier."}]
    # Nor by the handle another person was given for it.
    their_handle = deposit(api_client(other), PDF + b"autre", "autre.pdf")
    by_their_handle = file_case(client, "inscription-cantine", {**FULL_GOOD,
                                                                "justificatif": their_handle})
    assert by_their_handle.status_code == 400
    assert not Case.objects.exists()


def test_an_upload_handle_serves_once(api_client, full_form, citizen):
    client = api_client(citizen)
    pdf = deposit(client, PDF, "domicile.pdf")
    assert file_case(client, "inscription-cantine", {**FULL_GOOD, "justificatif": pdf}).status_code == 201
    again = file_case(client, "inscription-cantine", {**FULL_GOOD, "justificatif": pdf})
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "justificatif"


def test_depositing_a_file_never_tells_whether_the_content_was_already_stored(api_client, citizen,
                                                                              full_form):
    blob_put(stream=io.BytesIO(PDF))  # someone stored it before
    client = api_client(citizen)
    known = client.post("/api/v1/blobs", {"file": SimpleUploadedFile("a.pdf", PDF)}).json()
    fresh = client.post("/api/v1/blobs", {"file": SimpleUploadedFile("b.pdf", PDF + b"x")}).json()
    assert set(known) == set(fresh) == {"upload", "expires_at", "name", "size", "mime_type"}


# ------------------------------------------------------------------ one case


def test_the_citizen_sees_their_case_with_its_public_history(api_client, filed, citizen):
    response = api_client(citizen).get(f"/api/v1/cases/{filed.number}")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == filed.number and body["status"] == "submitted"
    assert body["data"] == GOOD and body["transitions"] == []
    assert body["procedure"] == "carte-stationnement" and body["organisation"] == "compiegne"
    assert [e["to_status"] for e in body["history"]] == ["submitted"]
    assert {d["kind"] for d in body["documents"]} == {"registration", "receipt"}


def test_the_agent_of_the_commune_sees_the_case_and_what_they_may_do(api_client, filed,
                                                                      caseworker):
    body = api_client(caseworker).get(f"/api/v1/cases/{filed.number}").json()
    assert body["status"] == "submitted"
    assert sorted(body["transitions"]) == ["closed", "in_instruction"]  # nothing to pay


def test_agents_of_another_commune_and_other_citizens_get_404(api_client, filed,
                                                              other_caseworker, make_user,
                                                              territory):
    neighbour = make_user("voisin@exemple.fr", commune=territory["compiegne"])
    for user in (other_caseworker, neighbour):
        response = api_client(user).get(f"/api/v1/cases/{filed.number}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_reading_a_case_needs_authentication(api_client, filed):
    assert api_client(None).get(f"/api/v1/cases/{filed.number}").status_code == 401


def test_internal_comments_are_shown_to_agents_only(api_client, filed, citizen, caseworker):
    from socle.portal.services import case_comment

    case_comment(actor=caseworker, case=filed, text="Vérifier le justificatif.")

    agent_view = api_client(caseworker).get(f"/api/v1/cases/{filed.number}").json()
    citizen_view = api_client(citizen).get(f"/api/v1/cases/{filed.number}").json()

    assert "Vérifier le justificatif." in [e["text"] for e in agent_view["history"]]
    assert "Vérifier le justificatif." not in [e["text"] for e in citizen_view["history"]]


# ---------------------------------------------------------------- transitions


def test_the_agent_moves_a_case_along_its_workflow(api_client, filed, caseworker):
    response = move(api_client(caseworker), filed.number, "in_instruction")

    assert response.status_code == 200
    assert response.json()["status"] == "in_instruction"
    assert "accepted" in response.json()["transitions"]
    filed.refresh_from_db()
    assert filed.status == "in_instruction"


def test_a_move_the_workflow_forbids_is_a_409_in_french(api_client, filed, caseworker):
    client = api_client(caseworker)
    skipping = move(client, filed.number, "accepted")
    unknown = move(client, filed.number, "archive")

    assert skipping.status_code == 409
    assert skipping.json() == {"code": "transition_refused", "message":
                               "Le dossier ne peut pas passer de « Déposé » à « Accepté »."}
    assert unknown.status_code == 409
    filed.refresh_from_db()
    assert filed.status == "submitted"


def test_a_refusal_without_motivation_is_a_409(api_client, filed, caseworker):
    client = api_client(caseworker)
    move(client, filed.number, "in_instruction")
    response = move(client, filed.number, "refused")
    assert response.status_code == 409
    assert "motivation" in response.json()["message"]
    assert move(client, filed.number, "refused", "Pièce manquante.").status_code == 200


def test_a_citizen_cannot_decide_on_their_own_case(api_client, filed, citizen, caseworker):
    move(api_client(caseworker), filed.number, "in_instruction")
    response = move(api_client(citizen), filed.number, "accepted")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_refused"
    filed.refresh_from_db()
    assert filed.status == "in_instruction"


def test_an_agent_of_another_commune_cannot_move_the_case(api_client, filed, other_caseworker):
    response = move(api_client(other_caseworker), filed.number, "in_instruction")
    assert response.status_code == 404
    filed.refresh_from_db()
    assert filed.status == "submitted"


def test_moving_a_case_needs_authentication(api_client, filed):
    assert move(api_client(None), filed.number, "in_instruction").status_code == 401


def test_the_citizen_completes_a_case_sent_back_for_information(api_client, filed, citizen,
                                                                  caseworker):
    agent = api_client(caseworker)
    move(agent, filed.number, "in_instruction")
    move(agent, filed.number, "info_requested", "Précisez les circonstances.")
    client = api_client(citizen)
    assert client.get(f"/api/v1/cases/{filed.number}").json()["transitions"] == [
        "in_instruction"]

    refused = post_json(client, f"/api/v1/cases/{filed.number}/complete",
                        {"data": {"motif": "perte"}})
    completed = post_json(client, f"/api/v1/cases/{filed.number}/complete",
                          {"data": {**GOOD, "precisions": "Perdue au marché."}})

    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"field": "nom", "message": "Ce champ est obligatoire."}]
    assert completed.status_code == 200 and completed.json()["status"] == "in_instruction"
    again = post_json(client, f"/api/v1/cases/{filed.number}/complete", {"data": GOOD})
    assert again.status_code == 409
    filed.refresh_from_db()
    assert filed.data["precisions"] == "Perdue au marché."


def test_only_the_cases_citizen_completes_it(api_client, filed, caseworker, other_caseworker):
    agent = api_client(caseworker)
    move(agent, filed.number, "in_instruction")
    move(agent, filed.number, "info_requested", "Précisez.")
    by_agent = post_json(agent, f"/api/v1/cases/{filed.number}/complete", {"data": GOOD})
    by_stranger = post_json(api_client(other_caseworker), f"/api/v1/cases/{filed.number}/complete",
                            {"data": GOOD})
    assert by_agent.status_code == 409
    assert by_stranger.status_code == 404


# ------------------------------------------------------------------ the lists


def file_many(procedure, citizen, count: int) -> list[Case]:
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=None)
    return [case_submit(actor=citizen, offered=offered, data=GOOD) for _ in range(count)]


def test_agents_list_the_cases_of_their_commune_only(api_client, filed, caseworker,
                                                     other_caseworker):
    mine = api_client(caseworker).get("/api/v1/cases")
    theirs = api_client(other_caseworker).get("/api/v1/cases")

    assert mine.status_code == 200
    assert [row["number"] for row in mine.json()["items"]] == [filed.number]
    assert mine.json()["next"] is None
    assert theirs.status_code == 200 and theirs.json()["items"] == []


def test_the_agents_list_filters_by_status(api_client, parking, citizen, caseworker):
    first, second = file_many(parking, citizen, 2)
    case_transition(actor=caseworker, case=first, to="in_instruction")
    client = api_client(caseworker)

    in_instruction = client.get("/api/v1/cases?status=in_instruction").json()["items"]
    submitted = client.get("/api/v1/cases?status=submitted").json()["items"]

    assert [row["number"] for row in in_instruction] == [first.number]
    assert [row["number"] for row in submitted] == [second.number]


def test_a_citizen_lists_only_their_own_cases(api_client, parking, filed, citizen, make_user,
                                              territory):
    neighbour = make_user("voisin@exemple.fr", commune=territory["compiegne"])
    theirs = file_many(parking, neighbour, 1)[0]

    rows = api_client(citizen).get("/api/v1/cases").json()["items"]

    assert [row["number"] for row in rows] == [filed.number]
    assert theirs.number not in [row["number"] for row in rows]
    assert rows[0]["assigned_to"] is None


def test_listing_cases_needs_authentication(api_client, filed):
    response = api_client(None).get("/api/v1/cases")
    assert response.status_code == 401


def test_the_list_is_paged_by_cursor_newest_first(api_client, parking, citizen, caseworker):
    cases = file_many(parking, citizen, 5)
    client = api_client(caseworker)
    seen: list[str] = []
    cursor: str | None = ""
    pages = 0
    while cursor is not None:
        body = client.get("/api/v1/cases", {"limit": 2, "status": "submitted",
                                            "cursor": cursor}).json()
        seen += [row["number"] for row in body["items"]]
        cursor = body["next"]
        pages += 1

    assert pages == 3
    assert seen == [case.number for case in reversed(cases)]


def test_a_tampered_cursor_or_limit_is_a_400(api_client, filed, caseworker):
    client = api_client(caseworker)
    for query in ("cursor=pas-un-curseur", "cursor=WyJ4IiwgMV0", "limit=0", "limit=101"):
        response = client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] in {"invalid_cursor", "invalid"}


@pytest.mark.parametrize("who", ["agent", "citizen"])
def test_a_page_of_cases_costs_the_same_queries_for_5_or_25_cases(
    api_client, parking, citizen, caseworker, django_assert_num_queries, who
):
    client = api_client(caseworker if who == "agent" else citizen)
    file_many(parking, citizen, 5)
    client.get("/api/v1/cases")  # the token's first use records it once
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/cases").json()["items"]) == 5

    file_many(parking, citizen, 20)
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(client.get("/api/v1/cases").json()["items"]) == 25


# ------------------------------------------------------------------- schema


def test_every_endpoint_is_in_the_openapi_schema_with_a_french_summary(client, db):
    schema = client.get("/api/schema").json()
    expected = {
        ("/api/v1/procedures", "get"), ("/api/v1/procedures/{slug}", "get"),
        ("/api/v1/procedures/{slug}/cases", "post"), ("/api/v1/cases", "get"),
        ("/api/v1/cases/{number}", "get"), ("/api/v1/cases/{number}/transitions", "post"),
        ("/api/v1/cases/{number}/complete", "post"),
    }
    operations = {(path, method): op for path, methods in schema["paths"].items()
                  for method, op in methods.items()}
    assert expected <= set(operations)
    summaries = {operations[key]["summary"] for key in expected}
    assert "Déposer une demande" in summaries
    assert all(summary[0].isupper() and " " in summary for summary in summaries)
    create = operations[("/api/v1/procedures/{slug}/cases", "post")]
    assert {"200", "201", "400", "409"} <= set(create["responses"])
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
