"""A procedure in steps: conditions decided between steps, a summary before sending, hints
in the citizen's words, « (obligatoire) » only on what is required now."""

from __future__ import annotations

import pytest
from django.urls import reverse

from socle.portal.form_schema import DefinitionError, definition_parse
from socle.portal.form_steps import steps_shown, steps_split
from socle.portal.models import Case

STEPPED = [
    {"name": "nom", "label": "Votre nom", "type": "text", "required": True},
    {"name": "statut", "label": "Vous demandez", "type": "choice", "required": True,
     "choices": [{"value": "particulier", "label": "En votre nom"},
                 {"value": "sci", "label": "Pour une société civile immobilière (SCI)"}]},
    {"name": "raison_sociale", "label": "Nom de la société", "type": "text", "required": True,
     "show_if": {"field": "statut", "equals": "sci"}},
    {"name": "etape_projet", "label": "Le projet", "type": "step"},
    {"name": "travaux", "label": "Le projet comporte-t-il des travaux ?", "type": "yesno",
     "required": True},
    {"name": "etape_travaux", "label": "Les travaux", "type": "step",
     "show_if": {"field": "travaux", "equals": True}},
    {"name": "surface", "label": "Surface créée (m²)", "type": "number", "required": True},
    {"name": "debut", "label": "Date de début", "type": "date"},
]


@pytest.fixture
def stepped(territory, publish):
    return publish(territory["compiegne"], "declaration-travaux", fields=STEPPED,
                   title="Déclaration de travaux", summary="Voir https://www.service-public.fr/.")


def _url(step=None):
    base = reverse("portal:procedure", args=["declaration-travaux"])
    return base if step is None else f"{base}?etape={step}"


def test_steps_are_cut_by_step_fields_and_skipped_when_their_condition_fails():
    steps = steps_split(definition_parse(STEPPED), first_title="Votre demande")
    assert [s.title for s in steps] == ["Votre demande", "Le projet", "Les travaux"]
    assert [s.title for s in steps_shown(steps, {"travaux": False})] == ["Votre demande",
                                                                         "Le projet"]
    assert len(steps_shown(steps, {"travaux": True})) == 3


def test_a_step_cannot_be_required_nor_a_condition_target():
    with pytest.raises(DefinitionError, match="étape"):
        definition_parse([{"name": "e", "label": "É", "type": "step", "required": True}])
    with pytest.raises(DefinitionError, match="pas sur une étape"):
        definition_parse([{"name": "e", "label": "É", "type": "step"},
                          {"name": "q", "label": "Q", "type": "text",
                           "show_if": {"field": "e", "equals": "x"}}])


def test_the_hint_names_the_answer_the_citizen_saw_never_its_value(client, stepped, citizen):
    client.force_login(citizen)
    page = client.get(_url()).content.decode()
    assert ("À remplir seulement si vous avez répondu « Pour une société civile immobilière "
            "(SCI) » à « Vous demandez ».") in page
    assert "« sci »" not in page
    # Required only when it applies: the conditional question says so.
    assert "Nom de la société <span class=\"required\">(obligatoire dans ce cas)</span>" in page
    assert "Votre nom <span class=\"required\">(obligatoire)</span>" in page
    assert 'data-show-if="f-statut" data-show-if-values="[&quot;sci&quot;]"' in page
    assert '<a href="https://www.service-public.fr/"' in page


def test_a_step_is_validated_before_the_next_and_the_conditional_question_only_if_it_applies(
        client, stepped, citizen):
    client.force_login(citizen)
    refused = client.post(_url(1), {"f-nom": "", "f-statut": "sci", "action": "next"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Votre nom : Ce champ est obligatoire." in text
    assert "Nom de la société : Ce champ est obligatoire." in text
    # Errors of later steps are not shown yet.
    assert "Le projet comporte-t-il des travaux" not in text
    ok = client.post(_url(1), {"f-nom": "Dupont", "f-statut": "particulier", "action": "next"})
    assert ok.status_code == 302 and ok["Location"].endswith("etape=2")


def test_a_step_whose_condition_fails_is_skipped_and_the_summary_lets_change_answers(
        client, stepped, citizen):
    client.force_login(citizen)
    client.post(_url(1), {"f-nom": "Dupont", "f-statut": "particulier", "action": "next"})
    no_works = client.post(_url(2), {"f-travaux": "non", "action": "next"})
    assert no_works["Location"].endswith("etape=recapitulatif")
    recap = client.get(_url("recapitulatif")).content.decode()
    assert "Les travaux" not in recap and "Surface créée" not in recap
    assert "En votre nom" in recap and "particulier" not in recap
    assert f'href="{_url(2)}"' in recap
    # Changing an answer brings the step of works in.
    with_works = client.post(_url(2), {"f-travaux": "oui", "action": "next"})
    assert with_works["Location"].endswith("etape=3")
    page = client.get(_url(3)).content.decode()
    assert "Étape 3 sur 4 : Les travaux" in page
    client.post(_url(3), {"f-surface": "12,5", "f-debut": "01/03/2027", "action": "next"})
    recap = client.get(_url("recapitulatif")).content.decode()
    assert "12,5" in recap and "01/03/2027" in recap
    sent = client.post(_url("recapitulatif"), {"action": "submit"})
    assert sent.status_code == 302
    case = Case.objects.get(citizen=citizen)
    assert case.data == {"nom": "Dupont", "statut": "particulier", "travaux": True,
                         "surface": "12.5", "debut": "2027-03-01"}


def test_answers_to_a_step_that_no_longer_applies_are_not_sent(client, stepped, citizen):
    client.force_login(citizen)
    client.post(_url(1), {"f-nom": "Dupont", "f-statut": "particulier", "action": "next"})
    client.post(_url(2), {"f-travaux": "oui", "action": "next"})
    client.post(_url(3), {"f-surface": "30", "action": "next"})
    client.post(_url(2), {"f-travaux": "non", "action": "next"})
    client.post(_url("recapitulatif"), {"action": "submit"})
    case = Case.objects.get(citizen=citizen)
    assert "surface" not in case.data and case.data["travaux"] is False


def test_the_previous_button_keeps_answers_without_checking_them(client, stepped, citizen):
    client.force_login(citizen)
    client.post(_url(1), {"f-nom": "Dupont", "f-statut": "particulier", "action": "next"})
    back = client.post(_url(2), {"action": "previous"})
    assert back["Location"].endswith("etape=1")
    page = client.get(_url(1)).content.decode()
    assert 'value="Dupont"' in page


def test_a_visitor_files_in_steps_and_gets_the_link(client, territory, publish):
    publish(territory["arc"], "signalement-etapes", requires_account=False, fields=[
        {"name": "lieu", "label": "Lieu", "type": "text", "required": True},
        {"name": "etape_2", "label": "Précisions", "type": "step"},
        {"name": "texte", "label": "Description", "type": "textarea"}])
    url = reverse("portal:procedure", args=["signalement-etapes"])
    client.post(f"{url}?etape=1", {"f-lieu": "Rue de Paris", "action": "next"})
    client.post(f"{url}?etape=2", {"f-texte": "Un trou", "action": "next"})
    sent = client.post(f"{url}?etape=recapitulatif",
                       {"action": "submit", "contact_email": "visiteur@exemple.fr"})
    assert sent.status_code == 302
    case = Case.objects.get(email="visiteur@exemple.fr")
    assert case.data == {"lieu": "Rue de Paris", "texte": "Un trou"}
    assert client.get(sent["Location"]).status_code == 200


def test_filing_in_steps_without_an_account_is_capped_per_client_too(
        client, territory, publish, settings):
    settings.ANONYMOUS_FILINGS_PER_CLIENT = 1
    publish(territory["arc"], "signalement-etapes", requires_account=False, fields=[
        {"name": "lieu", "label": "Lieu", "type": "text", "required": True},
        {"name": "etape_2", "label": "Précisions", "type": "step"},
        {"name": "texte", "label": "Description", "type": "textarea"}])
    url = reverse("portal:procedure", args=["signalement-etapes"])

    def file(email):
        client.post(f"{url}?etape=1", {"f-lieu": "Rue de Paris", "action": "next"},
                    REMOTE_ADDR="203.0.113.7")
        client.post(f"{url}?etape=2", {"f-texte": "Un trou", "action": "next"},
                    REMOTE_ADDR="203.0.113.7")
        return client.post(f"{url}?etape=recapitulatif",
                           {"action": "submit", "contact_email": email},
                           REMOTE_ADDR="203.0.113.7")

    assert file("premier@exemple.fr").status_code == 302
    refused = file("second@exemple.fr")
    assert refused.status_code == 429
    assert "depuis votre connexion" in refused.content.decode()
    assert list(Case.objects.values_list("email", flat=True)) == ["premier@exemple.fr"]
