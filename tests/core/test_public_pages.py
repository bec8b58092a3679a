"""The public pages a French public site owes, and the commune pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from socle.core.modules import processing_activities
from socle.core.territory import territory_load


@pytest.mark.parametrize("name", ["legal_notice", "personal_data", "contact", "accessibility"])
def test_every_legal_page_is_linked_from_the_footer(client, territory, name):
    page = client.get(reverse("core:home")).content.decode()
    footer = page[page.index('<footer'):]
    assert f'href="{reverse("core:" + name)}"' in footer
    assert client.get(reverse("core:" + name)).status_code == 200


def test_the_personal_data_page_lists_every_declared_processing_activity(client, territory):
    page = client.get(reverse("core:personal_data")).content.decode()
    declared = processing_activities()
    assert len(declared) >= 4
    for _module, activity in declared:
        assert activity.name.replace("'", "&#x27;") in page
        assert activity.retention.replace("'", "&#x27;") in page
    assert "Vos droits" in page and "CNIL" in page


def test_the_dpo_contact_comes_from_the_settings_and_is_never_made_up(client, territory, settings):
    page = client.get(reverse("core:personal_data")).content.decode()
    dpo = page[page.index('id="dpo"'):]
    assert "non renseigné" in dpo
    settings.DPO_NAME = "Claire Martin"
    settings.DPO_EMAIL = "dpo@agglo.example"
    page = client.get(reverse("core:personal_data")).content.decode()
    assert "Claire Martin" in page and 'href="mailto:dpo@agglo.example"' in page


def test_the_legal_notice_names_the_publisher_from_the_territory(client, territory, settings):
    settings.HOSTING_PROVIDER = "Hébergeur Exemple SAS"
    page = client.get(reverse("core:legal_notice")).content.decode()
    assert territory["arc"].name.replace("'", "&#x27;") in page
    assert "Hébergeur Exemple SAS" in page
    # The ARC's SIRET is not verified (SOURCES.md): it is said unknown, not invented.
    assert "Numéro SIRET</dt><dd>non renseigné" in page


def test_pages_carry_a_favicon_that_exists(client, territory):
    page = client.get(reverse("core:home")).content.decode()
    assert 'rel="icon" href="/static/socle/favicon.svg"' in page
    assert 'href="/static/socle/favicon-32.png"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/socle/favicon.ico"


def test_the_commune_page_shows_the_mairie_and_leaves_unknown_facts_empty(client, territory):
    page = client.get(reverse("core:commune_detail", args=["compiegne"])).content.decode()
    assert "<h1>Compiègne</h1>" in page
    mairie = page[page.index('id="mairie"'):page.index("</section>")]
    # arc.json holds no checked contact for Compiègne: nothing is shown in its place.
    for fact in ("Adresse</dt><dd>non renseignée", "Téléphone</dt><dd>non renseigné",
                 "Horaires d'ouverture</dt><dd>non renseignés"):
        assert fact in mairie


def test_the_commune_page_shows_the_contact_details_of_the_territory_file(client, db, tmp_path):
    path = tmp_path / "territoire.json"
    path.write_text(json.dumps({"format": "socle-territory/1", "organisations": [
        {"slug": "arc", "name": "Agglo", "kind": "epci"},
        {"slug": "saint-exemple", "name": "Saint-Exemple", "kind": "commune", "parent": "arc",
         "phone": "03 44 00 00 00", "email": "mairie@saint-exemple.fr",
         "address": "1 place de la Mairie, 60000 Saint-Exemple",
         "website": "https://www.saint-exemple.fr",
         "opening_hours": "Lundi au vendredi : 8 h 30 - 12 h\nSamedi : 9 h - 12 h"},
    ]}), encoding="utf-8")
    territory_load(actor=None, path=path)
    page = client.get(reverse("core:commune_detail", args=["saint-exemple"])).content.decode()
    assert 'href="tel:0344000000"' in page
    assert 'href="mailto:mairie@saint-exemple.fr"' in page
    assert "1 place de la Mairie, 60000 Saint-Exemple" in page
    assert "Lundi au vendredi : 8 h 30 - 12 h<br>Samedi : 9 h - 12 h" in page
    assert 'href="https://www.saint-exemple.fr"' in page


def test_finding_one_commune_leads_to_its_page(client, territory):
    response = client.get(reverse("core:communes"), {"q": "Venette"})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:commune_detail", args=["venette"])
    # Several answers stay a list to choose from.
    response = client.get(reverse("core:communes"), {"q": "saint"})
    assert response.status_code == 200 and "Saint-Sauveur" in response.content.decode()


def test_an_unknown_commune_or_a_service_has_no_commune_page(client, territory):
    assert client.get(reverse("core:commune_detail", args=["nulle-part"])).status_code == 404
    assert client.get(reverse("core:commune_detail", args=["dcsi"])).status_code == 404


def test_home_page_cards_are_links_to_pages_that_exist(client, territory):
    page = client.get(reverse("core:home")).content.decode()
    cards = page[page.index('<ul class="cards">'):]
    cards = cards[:cards.index("</ul>")]
    hrefs = [part.split('"')[0] for part in cards.split('<a href="')[1:]]
    assert reverse("portal:catalogue") in hrefs
    assert len(hrefs) >= 3
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    # Nothing is promised that does not exist on this platform.
    assert "médiation" not in cards.lower() and "données publiques" not in cards.lower()


def test_after_sign_in_a_citizen_lands_on_their_requests_and_an_agent_on_their_tasks(
        client, territory, make_user):
    from socle.core.models import User
    from socle.core.views import landing_url
    from tests.conftest import PASSWORD

    make_user("habitante@exemple.fr", commune=territory["compiegne"])
    response = client.post(reverse("core:login"),
                           {"email": "habitante@exemple.fr", "password": PASSWORD})
    assert response["Location"] == reverse("portal:my_cases")
    # Signed in already, the sign-in page leads there too.
    assert client.get(reverse("core:login"))["Location"] == reverse("portal:my_cases")
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    assert landing_url(User.objects.get(pk=agent.pk)) == reverse("core:my_work") == "/agent/taches/"
