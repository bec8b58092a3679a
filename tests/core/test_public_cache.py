"""The public page cache serves visitors without a session, and nobody else."""

import pytest
from django.core.cache import caches

from socle.core.models import Organisation
from tests.support.clients import sign_in


@pytest.fixture
def cache_on(settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    caches["public"].clear()
    yield
    caches["public"].clear()


def test_a_visitor_gets_the_cached_home_page(client, territory, cache_on,
                                             django_assert_num_queries):
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get("/")
    assert again.content == first.content
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert again["X-Frame-Options"] == "DENY"


def test_the_cache_is_short_lived_and_can_be_turned_off(client, territory, cache_on, settings):
    client.get("/api/v1/organisations")
    Organisation.objects.filter(slug="compiegne").update(name="Compiègne (renommée)")
    assert "renomm" not in client.get("/api/v1/organisations").content.decode()
    settings.PUBLIC_CACHE_SECONDS = 0
    assert "renomm" in client.get("/api/v1/organisations").content.decode()


def test_signed_in_people_never_get_a_cached_page(client, territory, make_user, cache_on):
    client.get("/")  # a visitor fills the cache
    user = make_user("camille@exemple.fr", commune=territory["compiegne"])
    sign_in(client, user)
    page = client.get("/").content.decode()
    assert "camille@exemple.fr" in page and "Se déconnecter" in page


def test_pages_with_a_query_or_not_listed_are_not_cached(client, territory, cache_on,
                                                         django_assert_num_queries):
    client.get("/communes/?q=jaux")
    with django_assert_num_queries(1):
        client.get("/communes/?q=jaux")
    client.get("/connexion/")
    assert caches["public"].get("public-page:/connexion/") is None


def test_a_response_that_sets_a_cookie_is_not_cached(client, territory, cache_on, settings):
    # Even if listed, the sign-in page issues a CSRF cookie: never shared between visitors.
    settings.PUBLIC_CACHE_PATHS = {*settings.PUBLIC_CACHE_PATHS, "/connexion/"}
    response = client.get("/connexion/")
    assert "csrftoken" in response.cookies
    assert caches["public"].get("public-page:/connexion/") is None
    response = client.get("/")
    assert not response.cookies
    assert caches["public"].get("public-page:/") is not None
