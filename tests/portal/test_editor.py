"""The procedure editor's pages: writing, publishing, exporting, importing, adopting templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from socle.core.models import AuditEvent
from socle.portal import selectors
from socle.portal.models import Adoption, Procedure, ProcedureStatus
from socle.portal.services import CaseInvalid, case_submit, procedure_draft
from tests.support.clients import sign_in
from tests.support.downloads import served_name

SETTINGS = {
    "fee_kind": "none", "implicit_decision_days": "30", "silence_means": "acceptance",
    "routing": "owner", "requires_account": "on",
}


@pytest.fixture
def compiegne_editor(territory, make_user):
    return make_user("redaction.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "portal.editor")])


@pytest.fixture
def venette_editor(territory, make_user):
    return make_user("redaction.venette@exemple.fr",
                     roles=[(territory["venette"], "portal.editor")])


def logged(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def url(name: str, **kwargs: str) -> str:
    return reverse(f"portal:{name}", kwargs=kwargs)


def create(client: Client, organisation: str, slug: str, title: str, **extra: str):
    return client.post(url("editor_create"), {"organisation": organisation, "slug": slug,
                                              "title": title, **SETTINGS, **extra})


def add_field(client: Client, slug: str, commune: str | None = None, group: str | None = None,
              **data: Any):
    data.setdefault("type", "text")
    posted = {f"nouveau-{key}": value for key, value in data.items()}
    if commune:
        target = url("editor_adoption_field_add", slug=slug, commune=commune)
    elif group:
        target = url("editor_subfield_add", slug=slug, path=group)
    else:
        target = url("editor_field_add", slug=slug)
    return client.post(target, posted)


def draft_fields(slug: str) -> list[dict[str, Any]]:
    return procedure_draft(Procedure.objects.get(slug=slug)).fields


def names(fields: list[dict[str, Any]]) -> list[str]:
    return [f["name"] for f in fields]


def build_resident_card(client: Client) -> None:
    assert create(client, "compiegne", "carte-resident", "Carte de stationnement résident"
                  ).status_code == 302
    assert add_field(client, "carte-resident", name="nom", label="Nom", required="on",
                     message_required="Indiquez le nom du titulaire de la carte.").status_code == 302
    assert add_field(client, "carte-resident", type="choice", name="motif", label="Motif",
                     required="on", choices="premiere|Première demande\nRenouvellement"
                     ).status_code == 302
    assert add_field(client, "carte-resident", type="yesno", name="envoi",
                     label="Envoi par courrier ?").status_code == 302
    assert add_field(client, "carte-resident", type="address", name="adresse",
                     label="Adresse d'envoi", required="on", show_if_field="envoi",
                     show_if_value="oui").status_code == 302


# ------------------------------------------------------------------ writing and publishing


def test_an_editor_writes_a_procedure_field_by_field(compiegne_editor):
    client = logged(compiegne_editor)
    build_resident_card(client)
    fields = draft_fields("carte-resident")
    assert names(fields) == ["nom", "motif", "envoi", "adresse"]
    assert fields[0]["messages"] == {"required": "Indiquez le nom du titulaire de la carte."}
    assert fields[1]["choices"] == [{"value": "premiere", "label": "Première demande"},
                                    {"value": "renouvellement", "label": "Renouvellement"}]
    assert fields[3]["show_if"] == {"field": "envoi", "equals": True}
    page = client.get(url("editor_procedure", slug="carte-resident"))
    assert page.status_code == 200
    assert "Publier la version 1" in page.content.decode()


def test_identifiers_are_derived_from_labels_and_conditions_read_as_the_citizen_reads(
        compiegne_editor):
    client = logged(compiegne_editor)
    assert create(client, "compiegne", "", "Inscription à l'école élémentaire").status_code == 302
    slug = "inscription-a-lecole-elementaire"
    assert Procedure.objects.filter(slug=slug).exists()
    assert add_field(client, slug, label="Date de naissance de l'enfant", type="date").status_code == 302
    assert add_field(client, slug, type="choice", label="Statut du responsable",
                     choices="parent|Parent\nsci|Société civile immobilière (SCI)").status_code == 302
    # The condition names the answer as the citizen reads it; its value is stored.
    assert add_field(client, slug, label="Nom de la société", show_if_field="statut_du_responsable",
                     show_if_value="société civile immobilière (sci)").status_code == 302
    assert add_field(client, slug, label="2e prénom").status_code == 302
    fields = draft_fields(slug)
    assert names(fields) == ["date_de_naissance_de_lenfant", "statut_du_responsable",
                             "nom_de_la_societe", "champ_2e_prenom"]
    assert fields[2]["show_if"] == {"field": "statut_du_responsable", "equals": "sci"}
    # A written name still wins over the derived one.
    assert add_field(client, slug, name="telephone", label="Numéro de téléphone").status_code == 302
    assert names(draft_fields(slug))[-1] == "telephone"


def test_publishing_freezes_the_revision_and_editing_opens_a_new_draft(
        compiegne_editor, citizen):
    client = logged(compiegne_editor)
    build_resident_card(client)
    response = client.post(url("editor_publish", slug="carte-resident"), follow=True)
    assert "La version 1 est publiée" in response.content.decode()
    procedure = Procedure.objects.get(slug="carte-resident")
    assert procedure.status == ProcedureStatus.PUBLISHED
    v1 = procedure.published_revision
    case = case_submit(actor=citizen, offered=selectors.procedure_offered_get(
        slug="carte-resident", commune=None), data={"nom": "Martin", "motif": "premiere", "envoi": "non"})

    edited = client.post(url("editor_field", slug="carte-resident", path="nom"), {
        "type": "text", "name": "nom", "label": "Nom du titulaire", "required": "on"})
    assert edited.status_code == 302
    procedure.refresh_from_db()
    v1.refresh_from_db()
    draft = procedure_draft(procedure)
    assert (draft.number, draft.is_frozen) == (2, False)
    assert draft.fields[0]["label"] == "Nom du titulaire"
    assert v1.fields[0]["label"] == "Nom" and procedure.published_revision == v1
    case.refresh_from_db()
    assert case.revision == v1

    response = client.post(url("editor_publish", slug="carte-resident"), follow=True)
    assert "La version 2 est publiée" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.published_revision.number == 2
    case.refresh_from_db()
    assert case.revision == v1


def test_fields_move_and_are_deleted(compiegne_editor):
    client = logged(compiegne_editor)
    build_resident_card(client)
    assert client.post(url("editor_field_move", slug="carte-resident", path="motif"),
                       {"direction": "up"}).status_code == 302
    assert names(draft_fields("carte-resident")) == ["motif", "nom", "envoi", "adresse"]
    assert client.post(url("editor_field_delete", slug="carte-resident", path="nom")
                       ).status_code == 302
    assert names(draft_fields("carte-resident")) == ["motif", "envoi", "adresse"]


def test_a_change_breaking_the_form_is_refused_with_a_french_error_summary(compiegne_editor):
    client = logged(compiegne_editor)
    build_resident_card(client)
    # The address is shown only when "envoi" says yes: it cannot move above "envoi".
    response = client.post(url("editor_field_move", slug="carte-resident", path="adresse"),
                           {"direction": "up"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert "la condition d&#x27;affichage doit porter sur un champ placé avant" in page
    assert names(draft_fields("carte-resident")) == ["nom", "motif", "envoi", "adresse"]
    duplicate = add_field(client, "carte-resident", name="nom", label="Encore un nom")
    assert duplicate.status_code == 400
    assert "noms de champ en double : nom" in duplicate.content.decode()


def test_an_empty_form_cannot_be_published(compiegne_editor):
    client = logged(compiegne_editor)
    create(client, "compiegne", "vide", "Démarche vide")
    response = client.post(url("editor_publish", slug="vide"))
    assert response.status_code == 400
    assert "Un formulaire vide ne peut pas être publié." in response.content.decode()
    assert Procedure.objects.get(slug="vide").published_revision is None


def test_a_field_form_error_is_reported_per_field(compiegne_editor):
    client = logged(compiegne_editor)
    create(client, "compiegne", "essai", "Essai")
    response = add_field(client, "essai", type="choice", name="Mauvais Nom", label="Choix")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Le nom technique commence par une lettre minuscule" in page
    response = add_field(client, "essai", type="choice", name="choix", label="Choix")
    assert "Indiquez au moins une réponse, une par ligne." in response.content.decode()
    response = add_field(client, "essai", type="number", name="age", label="Âge", min="douze")
    assert "Indiquez un nombre" in response.content.decode()
    assert draft_fields("essai") == []


def test_the_authors_messages_are_what_the_citizen_reads(compiegne_editor, citizen):
    client = logged(compiegne_editor)
    create(client, "compiegne", "contact", "Contact")
    add_field(client, "contact", type="email", name="courriel", label="Courriel", required="on",
              message_required="Votre adresse électronique nous permet de vous répondre.",
              message_invalid="Cette adresse ne ressemble pas à nom@domaine.fr.")
    add_field(client, "contact", type="number", name="quantite", label="Quantité", min="1",
              max="3", integer="on")
    client.post(url("editor_publish", slug="contact"))
    offered = selectors.procedure_offered_get(slug="contact", commune=None)
    for data, expected in [
        ({}, "Votre adresse électronique nous permet de vous répondre."),
        ({"courriel": "pas-une-adresse"}, "Cette adresse ne ressemble pas à nom@domaine.fr."),
    ]:
        with pytest.raises(CaseInvalid) as caught:
            case_submit(actor=citizen, offered=offered, data=data)
        assert caught.value.errors["courriel"] == expected
    with pytest.raises(CaseInvalid) as caught:
        case_submit(actor=citizen, offered=offered,
                    data={"courriel": "a@exemple.fr", "quantite": "4"})
    assert caught.value.errors == {"quantite": "La valeur doit être au plus 3."}


def test_a_group_edits_its_subfields(compiegne_editor):
    client = logged(compiegne_editor)
    create(client, "compiegne", "inscription", "Inscription")
    response = add_field(client, "inscription", type="group", name="enfants", label="Enfants",
                         required="on", max_rows="4")
    assert response.status_code == 302
    assert response["Location"] == url("editor_field", slug="inscription", path="enfants")
    assert client.get(response["Location"]).status_code == 200
    add_field(client, "inscription", group="enfants", name="prenom", label="Prénom",
              required="on")
    add_field(client, "inscription", group="enfants", type="date", name="naissance",
              label="Date de naissance", max="2026-12-31")
    client.post(url("editor_field_delete", slug="inscription", path="enfants.element"))
    client.post(url("editor_field", slug="inscription", path="enfants.prenom"),
                {"type": "text", "name": "prenom", "label": "Prénom de l'enfant", "required": "on"})
    group = draft_fields("inscription")[0]
    assert group["max_rows"] == 4
    assert [(f["name"], f["label"]) for f in group["fields"]] == [
        ("prenom", "Prénom de l'enfant"), ("naissance", "Date de naissance")]
    nested = add_field(client, "inscription", group="enfants", type="group", name="sous",
                       label="Sous-groupe")
    assert "Un groupe ne peut pas contenir de groupe." in nested.content.decode()


def test_settings_are_saved_and_checked(compiegne_editor):
    client = logged(compiegne_editor)
    build_resident_card(client)
    response = client.post(url("editor_procedure", slug="carte-resident"), {
        **SETTINGS, "title": "Carte résident", "fee_kind": "fixed", "fee_amount": "30,00",
        "routing": "address_field", "routing_field": "adresse", "service_name": "Stationnement"})
    assert response.status_code == 302
    procedure = Procedure.objects.get(slug="carte-resident")
    assert (procedure.title, str(procedure.fee_amount), procedure.routing_field) == (
        "Carte résident", "30.00", "adresse")
    refused = client.post(url("editor_procedure", slug="carte-resident"), {
        **SETTINGS, "title": "Carte résident", "fee_kind": "fixed", "fee_amount": ""})
    assert refused.status_code == 400
    assert "Un tarif fixe demande un montant positif." in refused.content.decode()


# ------------------------------------------------------------------ export and import


def test_export_then_import_gives_the_same_procedure(editor, compiegne_editor):
    build_resident_card(logged(compiegne_editor))
    logged(compiegne_editor).post(url("editor_publish", slug="carte-resident"))
    client = logged(editor)
    exported = client.get(url("editor_export", slug="carte-resident"))
    assert exported.status_code == 200
    assert served_name(exported) == "carte-resident.json"
    document = json.loads(exported.content)
    assert document["format"] == "socle-procedure/1"
    upload = SimpleUploadedFile("carte.json", exported.content, content_type="application/json")
    response = client.post(url("editor_import"), {"organisation": "venette",
                                                  "slug": "carte-resident-venette",
                                                  "document": upload})
    assert response.status_code == 302
    imported = Procedure.objects.get(slug="carte-resident-venette")
    assert imported.organisation.slug == "venette"
    assert imported.status == ProcedureStatus.DRAFT
    assert procedure_draft(imported).fields == document["fields"]
    assert imported.title == document["title"]
    assert imported.implicit_decision_days == document["implicit_decision_days"]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _valid_export() -> dict[str, Any]:
    return {"format": "socle-procedure/1", "slug": "importee", "title": "Importée",
            "fields": [{"name": "nom", "label": "Nom", "type": "text"}]}


@pytest.mark.parametrize(("content", "message"), [
    (b"{pas du json", "Le fichier n&#x27;est pas un JSON valide (ligne 1, colonne 2)."),
    (b"\xff\xfe\x00\x00", "Le fichier n&#x27;est pas un fichier texte JSON (UTF-8)."),
    (json.dumps({"title": "Autre chose"}).encode(),
     "Le fichier n&#x27;est pas un export de démarche (format socle-procedure/1)."),
    (json.dumps([1, 2, 3]).encode(), "format socle-procedure/1"),
    (b"[" * 100_000 + b"]" * 100_000, "trop imbriqué"),
    (json.dumps({**_valid_export(), "x": _nested(25)}).encode(), "trop imbriqué"),
    (json.dumps({**_valid_export(), "x": list(range(60_000))}).encode(), "trop d&#x27;éléments"),
    (json.dumps({**_valid_export(), "fields": [{"name": "nom", "label": "Nom", "type": "text",
                                                "max_length": "long"}]}).encode(),
     "« max_length » doit être un entier"),
    (json.dumps({**_valid_export(), "implicit_decision_days": "soixante"}).encode(),
     "Le délai de décision implicite est un nombre de jours"),
    (json.dumps({**_valid_export(), "workflow": [1, 2]}).encode(),
     "Le circuit de traitement (workflow) n&#x27;est pas valide."),
])
def test_an_import_that_is_not_a_procedure_export_is_refused_in_french(editor, content, message):
    client = logged(editor)
    upload = SimpleUploadedFile("export.json", content, content_type="application/json")
    response = client.post(url("editor_import"), {"organisation": "arc", "document": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert message in page
    assert not Procedure.objects.exists()


def test_an_import_larger_than_an_export_is_stopped_while_received(editor):
    content = b" " * (512 * 1024) + json.dumps(_valid_export()).encode()
    upload = SimpleUploadedFile("export.json", content, content_type="application/json")
    response = logged(editor).post(url("editor_import"), {"organisation": "arc",
                                                          "document": upload})
    assert response.status_code == 413
    assert "dépasse la taille maximale autorisée (512 ko)" in response.content.decode()
    assert not Procedure.objects.exists()


def test_a_valid_import_keeps_the_files_identifier(editor):
    upload = SimpleUploadedFile("export.json", json.dumps(_valid_export()).encode())
    response = logged(editor).post(url("editor_import"), {"organisation": "arc",
                                                          "document": upload})
    assert response.status_code == 302
    assert Procedure.objects.get(slug="importee").organisation.slug == "arc"


# ------------------------------------------------------------------ templates and adoption


@pytest.fixture
def civil_template(territory, publish):
    return publish(territory["arc"], "acte-naissance", title="Demande d'acte de naissance",
                   is_template=True, service_name="Service état civil de la mairie")


def test_a_commune_adopts_a_template_storing_only_what_it_overrides(
        civil_template, venette_editor, editor, territory):
    client = logged(venette_editor)
    listing = client.get(url("editor_list")).content.decode()
    assert "Demande d&#x27;acte de naissance" in listing and "Non adoptée" in listing
    response = client.post(url("editor_adopt", slug="acte-naissance", commune="venette"), {
        "offered": "oui", "service_name": "Service état civil, mairie de Venette",
        "implicit_decision_days": "", "title": ""})
    assert response.status_code == 302
    adoption = Adoption.objects.get(template=civil_template, organisation=territory["venette"])
    assert adoption.overrides == {"service_name": "Service état civil, mairie de Venette"}

    # A change of the template reaches the commune for every part it did not override.
    logged(editor).post(url("editor_procedure", slug="acte-naissance"), {
        **SETTINGS, "title": "Acte de naissance", "is_template": "on",
        "service_name": "État civil"})
    offered = selectors.procedure_offered_get(slug="acte-naissance", commune=territory["venette"])
    assert offered.title == "Acte de naissance"
    assert offered.service_name == "Service état civil, mairie de Venette"


def test_a_template_the_commune_does_not_offer_leaves_its_catalogue(
        civil_template, venette_editor, territory):
    client = logged(venette_editor)
    client.post(url("editor_adopt", slug="acte-naissance", commune="venette"), {"offered": "oui"})
    assert "acte-naissance" in {p.slug for p in selectors.procedures_offered(commune=territory["venette"])}
    client.post(url("editor_adopt", slug="acte-naissance", commune="venette"), {"offered": "non"})
    assert "acte-naissance" not in {
        p.slug for p in selectors.procedures_offered(commune=territory["venette"])}


def test_a_commune_adds_its_own_fields_to_a_template(civil_template, venette_editor,
                                                      territory):
    client = logged(venette_editor)
    adopt_url = url("editor_adopt", slug="acte-naissance", commune="venette")
    client.post(adopt_url, {"offered": "oui", "title": "Acte de naissance (Venette)"})
    response = add_field(client, "acte-naissance", commune="venette", type="yesno",
                         name="retrait_mairie", label="Retrait en mairie ?")
    assert response.status_code == 302
    assert response["Location"] == f"{adopt_url}?champ=retrait_mairie#champ-retrait_mairie"
    offered = selectors.procedure_offered_get(slug="acte-naissance", commune=territory["venette"])
    assert [f.name for f in offered.fields()][-1] == "retrait_mairie"
    assert offered.title == "Acte de naissance (Venette)"
    # Saving the adoption again keeps the commune's fields.
    client.post(adopt_url, {"offered": "oui"})
    adoption = Adoption.objects.get(organisation=territory["venette"])
    assert names(adoption.overrides["extra_fields"]) == ["retrait_mairie"]
    clash = add_field(client, "acte-naissance", commune="venette", name="nom", label="Nom")
    assert clash.status_code == 400
    assert "noms de champ en double : nom" in clash.content.decode()


# ------------------------------------------------------------------ tenancy and journal


def test_an_editor_of_another_commune_gets_404(compiegne_editor, venette_editor,
                                                civil_template):
    build_resident_card(logged(compiegne_editor))
    client = logged(venette_editor)
    for response in [
        client.get(url("editor_procedure", slug="carte-resident")),
        client.get(url("editor_export", slug="carte-resident")),
        client.get(url("editor_field", slug="carte-resident", path="nom")),
        client.post(url("editor_publish", slug="carte-resident")),
        client.post(url("editor_field_delete", slug="carte-resident", path="nom")),
        add_field(client, "carte-resident", name="pirate", label="Pirate"),
        client.get(url("editor_adopt", slug="acte-naissance", commune="compiegne")),
        client.post(url("editor_adopt", slug="acte-naissance", commune="compiegne"),
                    {"offered": "non"}),
        add_field(client, "acte-naissance", commune="compiegne", name="pirate", label="Pirate"),
        client.get(url("editor_procedure", slug="acte-naissance")),
    ]:
        assert response.status_code == 404
    assert "carte-resident" not in client.get(url("editor_list")).content.decode()
    assert names(draft_fields("carte-resident")) == ["nom", "motif", "envoi", "adresse"]
    refused = create(client, "compiegne", "intrus", "Intrus")
    assert refused.status_code == 400
    assert not Procedure.objects.filter(slug="intrus").exists()


def test_a_caseworker_without_the_editor_role_is_refused(caseworker, citizen,
                                                          compiegne_editor):
    build_resident_card(logged(compiegne_editor))
    for user in (caseworker, citizen):
        client = logged(user)
        assert client.get(url("editor_list")).status_code == 403
        assert client.get(url("editor_procedure", slug="carte-resident")).status_code == 403
        assert client.post(url("editor_publish", slug="carte-resident")).status_code == 403
    anonymous = Client().get(url("editor_list"))
    assert anonymous.status_code == 302 and "/connexion/" in anonymous["Location"]


def test_every_write_is_journaled_with_its_editor(compiegne_editor, civil_template,
                                                   territory):
    client = logged(compiegne_editor)
    build_resident_card(client)
    client.post(url("editor_field_move", slug="carte-resident", path="motif"),
                {"direction": "up"})
    client.post(url("editor_field_delete", slug="carte-resident", path="nom"))
    client.post(url("editor_procedure", slug="carte-resident"),
                {**SETTINGS, "title": "Carte résident"})
    client.post(url("editor_publish", slug="carte-resident"))
    client.post(url("editor_adopt", slug="acte-naissance", commune="compiegne"),
                {"offered": "oui"})
    add_field(client, "acte-naissance", commune="compiegne", name="precision",
              label="Précision")
    events = AuditEvent.objects.filter(actor=compiegne_editor)
    actions = list(events.order_by("seq").values_list("action", flat=True))
    assert actions == (["procedure.create"] + ["procedure.update"] * 7 + ["procedure.publish"]
                       + ["procedure.adopt"] * 2)
    assert set(events.values_list("organisation_slug", flat=True)) == {"compiegne"}


def test_publishing_refuses_a_routing_by_an_address_the_form_lacks(compiegne_editor):
    client = logged(compiegne_editor)
    build_resident_card(client)
    client.post(url("editor_procedure", slug="carte-resident"), {
        **SETTINGS, "title": "Carte résident", "routing": "address_field",
        "routing_field": "adresse"})
    client.post(url("editor_field_delete", slug="carte-resident", path="adresse"))
    response = client.post(url("editor_publish", slug="carte-resident"))
    assert response.status_code == 400
    assert "Les dossiers vont à la commune du champ « adresse »" in response.content.decode()


def test_a_change_to_the_form_lands_back_on_the_field_changed(compiegne_editor):
    client = logged(compiegne_editor)
    assert create(client, "compiegne", "ma-demarche", "Ma démarche").status_code == 302
    added = add_field(client, "ma-demarche", label="Numéro fiscal")
    assert added.status_code == 302
    assert added["Location"].endswith("/?champ=numero_fiscal#champ-numero_fiscal")
    page = client.get(added["Location"]).content.decode()
    assert '<tr id="champ-numero_fiscal" class="just-changed" tabindex="-1" ' \
           'data-keep-place-focus>' in page
    deleted = client.post(url("editor_field_delete", slug="ma-demarche", path="numero_fiscal"))
    assert deleted["Location"].endswith("/#formulaire")
