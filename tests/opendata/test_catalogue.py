"""The catalogue: access levels and tenancy, checked files published only when valid, public pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from socle.core.errors import Conflict
from socle.core.models import AuditEvent
from socle.opendata.models import Access
from socle.opendata.services import (
    dataset_create,
    distribution_check,
    distribution_create,
    distribution_publish,
)
from tests.support.clients import signed_in

from .conftest import GOOD, HEADER


@pytest.fixture
def stewards(territory, make_user):
    return {
        "compiegne": make_user("donnees@compiegne.fr", roles=[(territory["compiegne"], "opendata.steward")]),
        "margny": make_user(
            "donnees@margny.fr", roles=[(territory["margny-les-compiegne"], "opendata.steward")]
        ),
        "arc": make_user("donnees@arc.fr", roles=[(territory["arc"], "opendata.steward")]),
    }


@pytest.fixture
def catalogue(territory, stewards):
    compiegne = territory["compiegne"]
    open_set = dataset_create(
        actor=stewards["compiegne"],
        organisation=compiegne,
        slug="subventions",
        title="Subventions de Compiègne",
        legal_basis="subventions",
        theme="Vie associative",
    )
    restricted = dataset_create(
        actor=stewards["compiegne"],
        organisation=compiegne,
        slug="interne",
        title="Suivi interne",
        access=Access.AGENTS,
    )
    distribution = distribution_create(
        actor=stewards["compiegne"],
        dataset=open_set,
        title="Subventions 2025",
        table_schema="scdl/subventions",
    )
    return {"open": open_set, "restricted": restricted, "distribution": distribution}


def _publish_good(catalogue, steward):
    validation = distribution_check(
        actor=steward,
        distribution=catalogue["distribution"],
        data=f"{HEADER}\n{GOOD}\n".encode(),
        filename="subventions.csv",
    )
    return distribution_publish(actor=steward, validation=validation)


def test_a_file_with_errors_is_kept_with_its_report_and_never_published(catalogue, stewards):
    validation = distribution_check(
        actor=stewards["compiegne"],
        distribution=catalogue["distribution"],
        data=f"{HEADER}\n{GOOD.replace('1500.50', 'mille')}\n".encode(),
    )
    assert not validation.valid and validation.report["errors"][0]["code"] == "type-error"
    with pytest.raises(Conflict, match="erreur"):
        distribution_publish(actor=stewards["compiegne"], validation=validation)
    catalogue["distribution"].refresh_from_db()
    assert catalogue["distribution"].published_at is None and catalogue["distribution"].csv_blob is None


def test_a_valid_file_is_published_with_its_json_and_parquet_copies(catalogue, stewards, client):
    distribution = _publish_good(catalogue, stewards["compiegne"])
    assert distribution.published_at and distribution.row_count == 1
    assert AuditEvent.objects.filter(action="opendata.publish").count() == 1
    csv_file = client.get(reverse("opendata:download", args=[distribution.pk, "csv"]))
    assert b"".join(csv_file.streaming_content).startswith(HEADER.encode())
    as_json = client.get(reverse("opendata:download", args=[distribution.pk, "json"]))
    records = __import__("json").loads(b"".join(as_json.streaming_content))
    assert records[0]["montant"] == 1500.5 and records[0]["notificationUE"] is False
    parquet = client.get(reverse("opendata:download", args=[distribution.pk, "parquet"]))
    assert b"".join(parquet.streaming_content)[:4] == b"PAR1"


def test_another_communes_steward_cannot_check_or_publish(catalogue, stewards):
    from socle.core.errors import Forbidden

    with pytest.raises(Forbidden):
        distribution_check(
            actor=stewards["margny"],
            distribution=catalogue["distribution"],
            data=f"{HEADER}\n{GOOD}\n".encode(),
        )


def test_the_api_lists_open_datasets_to_everyone_and_restricted_ones_to_their_agents(
    catalogue, stewards, api_client
):
    visitor = api_client(None).get("/api/v1/datasets").json()
    assert [d["slug"] for d in visitor["items"]] == ["subventions"]
    own = api_client(stewards["compiegne"]).get("/api/v1/datasets").json()
    assert {d["slug"] for d in own["items"]} == {"subventions", "interne"}
    other = api_client(stewards["margny"]).get("/api/v1/datasets").json()
    assert [d["slug"] for d in other["items"]] == ["subventions"]
    arc = api_client(stewards["arc"]).get("/api/v1/datasets").json()
    assert {d["slug"] for d in arc["items"]} == {"subventions", "interne"}


def test_a_restricted_dataset_of_another_commune_is_a_404(catalogue, stewards, api_client):
    restricted = catalogue["restricted"].pk
    assert api_client(stewards["compiegne"]).get(f"/api/v1/datasets/{restricted}").status_code == 200
    assert api_client(stewards["margny"]).get(f"/api/v1/datasets/{restricted}").status_code == 404
    assert api_client(None).get(f"/api/v1/datasets/{restricted}").status_code == 404
    assert api_client(None).get("/api/v1/datasets/999999").status_code == 404


def test_the_api_gives_a_dataset_with_its_files_and_last_check(catalogue, stewards, api_client):
    _publish_good(catalogue, stewards["compiegne"])
    body = api_client(None).get(f"/api/v1/datasets/{catalogue['open'].pk}").json()
    (distribution,) = body["distributions"]
    assert distribution["schema"] == "scdl/subventions@2.1.1" and distribution["valid"] is True
    assert distribution["csv_url"].endswith(".csv") and distribution["row_count"] == 1


def test_the_api_pages_with_a_cursor(catalogue, stewards, api_client):
    first = api_client(stewards["compiegne"]).get("/api/v1/datasets?limit=1").json()
    assert len(first["items"]) == 1 and first["next"]
    second = api_client(stewards["compiegne"]).get(f"/api/v1/datasets?limit=1&cursor={first['next']}").json()
    assert second["items"][0]["id"] != first["items"][0]["id"] and second["next"] is None
    assert api_client(None).get("/api/v1/datasets?cursor=pas-un-curseur").status_code == 400


def test_the_portal_lists_searches_and_filters_published_open_datasets(catalogue, stewards, client):
    page = client.get(reverse("opendata:portal")).content.decode()
    assert "Subventions de Compiègne" not in page  # nothing published yet
    _publish_good(catalogue, stewards["compiegne"])
    page = client.get(reverse("opendata:portal")).content.decode()
    assert "Subventions de Compiègne" in page and "Suivi interne" not in page
    assert "Compiègne (1)" in page and "scdl/subventions (1)" in page
    assert (
        "Subventions de Compiègne"
        not in client.get(reverse("opendata:portal") + "?q=voirie").content.decode()
    )
    filtered = client.get(reverse("opendata:portal") + "?organisation=margny-les-compiegne").content.decode()
    assert "Subventions de Compiègne" not in filtered


def test_the_dataset_page_shows_schema_last_check_freshness_preview_and_downloads(
    catalogue, stewards, client
):
    distribution = _publish_good(catalogue, stewards["compiegne"])
    page = client.get(reverse("opendata:dataset", args=["compiegne", "subventions"])).content.decode()
    assert "scdl/subventions@2.1.1" in page and "sans erreur" in page and "À jour" in page
    assert "Harmonie municipale" in page and "<caption>Aperçu" in page
    assert reverse("opendata:download", args=[distribution.pk, "parquet"]) in page
    assert client.get(reverse("opendata:dataset", args=["compiegne", "interne"])).status_code == 404


def test_an_agent_uploads_a_file_sees_its_errors_fixes_it_and_publishes_it(catalogue, stewards):
    client = signed_in(stewards["compiegne"])
    url = reverse("opendata:agent_dataset", args=[catalogue["open"].pk])
    bad = SimpleUploadedFile("s.csv", f"{HEADER}\n{GOOD.replace('2025-03-27', '27/03/2025')}\n".encode())
    response = client.post(url, {"distribution": catalogue["distribution"].pk, "file": bad})
    report = client.get(response["Location"]).content.decode()
    assert "ne peut pas être publié" in report and "dateConvention" in report and "AAAA-MM-JJ" in report
    refused = client.post(response["Location"] + "publier")
    assert refused.status_code == 409
    good = SimpleUploadedFile("s.csv", f"{HEADER}\n{GOOD}\n".encode())
    response = client.post(url, {"distribution": catalogue["distribution"].pk, "file": good})
    assert "Publier ce fichier" in client.get(response["Location"]).content.decode()
    client.post(response["Location"] + "publier")
    catalogue["distribution"].refresh_from_db()
    assert catalogue["distribution"].published_at is not None


def test_another_communes_agent_gets_a_404_on_the_dataset_and_its_checks(catalogue, stewards):
    validation = distribution_check(
        actor=stewards["compiegne"],
        distribution=catalogue["distribution"],
        data=f"{HEADER}\n{GOOD}\n".encode(),
    )
    client = signed_in(stewards["margny"])
    assert client.get(reverse("opendata:agent_dataset", args=[catalogue["open"].pk])).status_code == 404
    assert client.get(reverse("opendata:validation", args=[validation.pk])).status_code == 404
    assert client.post(reverse("opendata:validation_publish", args=[validation.pk])).status_code == 404


def test_a_visitor_is_kept_out_of_the_agents_catalogue(client, catalogue):
    response = client.get(reverse("opendata:agent_catalogue"))
    assert response.status_code in (302, 403)


def test_the_operations_answer_as_the_published_schema_says(catalogue, stewards, api_client):
    from tests.test_api_contract import Contract

    _publish_good(catalogue, stewards["compiegne"])
    contract = Contract(api_client(None).get("/api/schema").json())
    visitor, agent = api_client(None), api_client(stewards["compiegne"])
    contract.call(visitor, "get", "/api/v1/datasets", 200)
    contract.call(agent, "get", "/api/v1/datasets?limit=1", 200)
    contract.call(visitor, "get", "/api/v1/datasets?cursor=x", 400)
    contract.call(agent, "get", f"/api/v1/datasets/{catalogue['open'].pk}", 200)
    contract.call(visitor, "get", f"/api/v1/datasets/{catalogue['restricted'].pk}", 404)
    upload = SimpleUploadedFile("s.csv", f"{HEADER}\n{GOOD}\n,\n".encode(), content_type="text/csv")
    contract.call(
        visitor, "post", "/api/v1/validations", 200, data={"file": upload, "schema": "scdl/subventions"}
    )
    contract.call(visitor, "post", "/api/v1/validations", 400, data={"schema": "scdl/subventions"})
    assert {
        ("get", "/api/v1/datasets"),
        ("get", "/api/v1/datasets/{dataset_id}"),
        ("post", "/api/v1/validations"),
    } <= contract.succeeded
