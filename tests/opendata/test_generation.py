"""Files generated from live data: valid against the official schema (frictionless referees)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.core.blobs import blob_open
from socle.opendata.demo import demo_load
from socle.opendata.generation import FieldNotAllowed, generated_file, rows_csv
from socle.opendata.jobs import generate
from socle.opendata.models import Dataset, Distribution
from socle.opendata.schemas import schema_load

from .conftest import descriptor, frictionless_errors


def test_subventions_come_from_the_accepted_grant_requests_and_pass_frictionless(
    accepted_grants, tmp_path: Path
):
    data = generated_file(accepted_grants["dataset"])
    assert data is not None
    text = data.decode()
    assert "Harmonie municipale" in text and "Club de judo" in text and "Refusée" not in text
    assert "Jean Dupont" not in text  # a natural person's name is never published
    assert "secret@asso.fr" not in text  # the applicant's e-mail is not a column of the schema
    assert accepted_grants["cases"][1].number in text  # the decision reference
    path = tmp_path / "subventions.csv"
    path.write_bytes(data)
    assert frictionless_errors(path, descriptor("subventions")) == []


def test_the_job_publishes_a_valid_generated_file(accepted_grants):
    summary = generate()
    distribution = Distribution.objects.get(dataset=accepted_grants["dataset"])
    assert "1 fichier(s) généré(s) et publié(s)" in summary
    # the two associations, and the natural person under a pseudonym (test_pseudonyms.py)
    assert distribution.published_at is not None and distribution.row_count == 3


def test_the_job_does_not_publish_an_invalid_generated_file(accepted_grants):
    dataset = accepted_grants["dataset"]
    dataset.producer_siret = ""  # the territory does not know the commune's SIRET: idAttribuant is empty
    dataset.save()
    assert "1 refusé(s) pour erreurs" in generate()
    distribution = Distribution.objects.get(dataset=dataset)
    assert distribution.published_at is None
    assert not distribution.last_validation.valid
    assert distribution.last_validation.report["errors"][0]["field"] == "idAttribuant"


def test_the_generator_refuses_a_column_the_schema_does_not_declare():
    with pytest.raises(FieldNotAllowed, match="courriel"):
        rows_csv(schema_load("scdl/subventions"), [{"nomAttribuant": "Ville", "courriel": "x@y.fr"}])


def test_the_demo_catalogue_publishes_files_that_frictionless_accepts(territory, make_user, tmp_path: Path):
    from socle.portal.services import demo_procedures_load

    demo_procedures_load()
    make_user("habitant.compiegne@demo.socle.fr", commune=territory["compiegne"])
    make_user("agent.compiegne@demo.socle.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    make_user(
        "donnees.compiegne@exemple.fr",
        roles=[(territory["compiegne"], "opendata.steward"), (territory["compiegne"], "portal.caseworker")],
    )
    (line,) = demo_load()
    assert "3 subventions accordées" in line and "jeux de données créés" in line
    published = Distribution.objects.filter(published_at__isnull=False).select_related("dataset")
    kinds = {(d.dataset.organisation.slug, d.dataset.slug) for d in published}
    assert {
        ("compiegne", "equipements"),
        ("compiegne", "deliberations"),
        ("compiegne", "catalogue"),
        ("compiegne", "subventions"),
        ("margny-les-compiegne", "equipements"),
    } <= kinds
    for distribution in published:
        with blob_open(distribution.csv_blob) as handle:
            path = tmp_path / f"{distribution.pk}.csv"
            path.write_bytes(handle.read())
        name = distribution.table_schema.split("@")[0].split("/")[1]
        assert frictionless_errors(path, descriptor(name)) == [], distribution
    margny = Dataset.objects.get(organisation__slug="margny-les-compiegne", slug="subventions")
    assert not margny.distributions.get().last_validation.valid
    subventions = published.get(dataset__organisation__slug="compiegne", dataset__slug="subventions")
    assert subventions.row_count == 3
    assert demo_load()[0].startswith("Données ouvertes : 0 subventions accordées, 0 jeux")  # idempotent
