"""The catalogue by category and search, and the commune page's procedures."""

from __future__ import annotations

from django.urls import reverse


def _publish_three(publish, territory):
    publish(territory["arc"], "inscription-conservatoire", title="Inscription au conservatoire",
            category="Culture et loisirs", summary="Pour les enfants de 6 à 18 ans.")
    publish(territory["compiegne"], "acte-naissance", title="Acte de naissance",
            category="État civil", summary="Copie intégrale ou extrait.")
    publish(territory["venette"], "salle-venette", title="Location de la salle des fêtes",
            category="Culture et loisirs")
    publish(territory["arc"], "signalement", title="Signaler un problème de voirie")


def test_the_catalogue_groups_procedures_by_category(client, territory, publish):
    _publish_three(publish, territory)
    page = client.get(reverse("portal:catalogue"), {"commune": "compiegne"}).content.decode()
    culture, civil, other = (page.index('id="cat-culture-et-loisirs"'),
                             page.index('id="cat-etat-civil"'), page.index('id="cat-autres-demarches"'))
    assert culture < civil < other
    assert "Acte de naissance" in page and "Inscription au conservatoire" in page
    # Venette's own procedure is not offered to Compiègne's residents.
    assert "Location de la salle des fêtes" not in page


def test_a_category_link_shows_only_that_category(client, territory, publish):
    _publish_three(publish, territory)
    page = client.get(reverse("portal:catalogue"),
                      {"commune": "compiegne", "categorie": "etat-civil"}).content.decode()
    assert "Acte de naissance" in page
    assert "Inscription au conservatoire" not in page
    assert 'aria-current="page">État civil (1)' in page


def test_the_search_ignores_accents_and_case_and_needs_every_word(client, territory, publish):
    _publish_three(publish, territory)
    url = reverse("portal:catalogue")
    page = client.get(url, {"commune": "compiegne", "q": "ETAT civil"}).content.decode()
    assert "Acte de naissance" in page and "Inscription au conservatoire" not in page
    assert "1 démarche trouvée" in page
    page = client.get(url, {"commune": "compiegne", "q": "enfants conservatoire"}).content.decode()
    assert "Inscription au conservatoire" in page and "Acte de naissance" not in page
    page = client.get(url, {"q": "piscine"}).content.decode()
    assert "Aucune démarche trouvée pour « piscine »" in page


def test_links_in_a_summary_are_clickable(client, territory, publish):
    publish(territory["arc"], "avec-lien", summary="Voir https://www.service-public.fr/ avant.")
    page = client.get(reverse("portal:catalogue")).content.decode()
    assert '<a href="https://www.service-public.fr/"' in page


def test_the_commune_page_lists_its_procedures_by_category(client, territory, publish):
    _publish_three(publish, territory)
    page = client.get(reverse("core:commune_detail", args=["venette"])).content.decode()
    panel = page[page.index('aria-label="Démarches en ligne"'):]
    assert "<h3>Culture et loisirs</h3>" in panel
    assert f'href="{reverse("portal:procedure", args=["salle-venette"])}?commune=venette"' in panel
    assert "Inscription au conservatoire" in panel
    assert "Acte de naissance" not in panel
    assert "3 démarches proposées aux habitants de Venette" in panel
