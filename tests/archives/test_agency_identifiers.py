"""The identifiers SEDA messages give agencies (« FRAD01 »), declared by an archivist."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from socle.archives.agencies import organisation_for_agency
from socle.archives.models import AgencyIdentifier
from socle.core.models import AuditEvent, Organisation, User
from tests.support.clients import signed_in

PAGE = reverse("archives:agency_identifiers")


@pytest.fixture
def venette_archivist(territory: dict[str, Organisation], make_user: Callable[..., User]) -> User:
    return make_user("archives@venette.fr", roles=[(territory["venette"], "archives.archivist")])


def test_an_archivist_declares_an_identifier_that_messages_then_name(
        archivist: User, territory: dict[str, Organisation]) -> None:
    client = signed_in(archivist)
    response = client.post(PAGE, {"organisation": "compiegne", "identifier": "frac60159",
                                  "label": "Archives municipales"})
    assert response.status_code == 302
    declared = AgencyIdentifier.objects.get()
    assert (declared.identifier, declared.organisation.slug) == ("FRAC60159", "compiegne")
    assert organisation_for_agency("FRAC60159") == territory["compiegne"]
    assert organisation_for_agency(" frac60159 ") == territory["compiegne"]
    assert AuditEvent.objects.filter(action="archives.agency_identifier_add",
                                     data__identifier="FRAC60159").exists()
    page = client.get(PAGE).content.decode()
    assert "<code>FRAC60159</code>" in page and "Archives municipales" in page


@pytest.mark.parametrize(("identifier", "expected"), [
    ("", 400), ("avec espace", 400), ("é" * 3, 400), ("x" * 101, 400),
    ("compiegne", 409),  # another organisation's slug
])
def test_a_bad_or_taken_identifier_is_refused_and_nothing_is_kept(
        archivist: User, territory: dict[str, Organisation], identifier: str,
        expected: int) -> None:
    response = signed_in(archivist).post(PAGE, {"organisation": "venette",
                                                "identifier": identifier})
    assert response.status_code == expected
    assert "L'identifiant n'a pas été enregistré" in response.content.decode()
    assert not AgencyIdentifier.objects.exists()


def test_an_identifier_names_one_organisation_only(archivist: User) -> None:
    client = signed_in(archivist)
    assert client.post(PAGE, {"organisation": "compiegne", "identifier": "FRAC1"}).status_code == 302
    again = client.post(PAGE, {"organisation": "venette", "identifier": "frac1"})
    assert again.status_code == 409 and "désigne déjà" in again.content.decode()


def test_another_communes_archivist_neither_sees_nor_touches_them(
        archivist: User, venette_archivist: User, territory: dict[str, Organisation]) -> None:
    signed_in(archivist).post(PAGE, {"organisation": "compiegne", "identifier": "FRAC60159"})
    declared = AgencyIdentifier.objects.get()
    client = signed_in(venette_archivist)
    assert "FRAC60159" not in client.get(PAGE).content.decode()
    refused = client.post(PAGE, {"organisation": "compiegne", "identifier": "AUTRE"})
    assert refused.status_code == 400 and not AgencyIdentifier.objects.filter(
        identifier="AUTRE").exists()
    removal = client.post(reverse("archives:agency_identifier_delete", args=[declared.pk]))
    assert removal.status_code == 404 and AgencyIdentifier.objects.filter(pk=declared.pk).exists()


def test_the_archivist_withdraws_an_identifier(archivist: User) -> None:
    client = signed_in(archivist)
    client.post(PAGE, {"organisation": "compiegne", "identifier": "FRAC60159"})
    declared = AgencyIdentifier.objects.get()
    response = client.post(reverse("archives:agency_identifier_delete", args=[declared.pk]))
    assert response.status_code == 302 and not AgencyIdentifier.objects.exists()
    assert organisation_for_agency("FRAC60159") is None
    assert AuditEvent.objects.filter(action="archives.agency_identifier_remove").exists()


def test_a_citizen_is_refused(territory: dict[str, Organisation],
                              make_user: Callable[..., User]) -> None:
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    assert signed_in(citizen).get(PAGE).status_code == 403
