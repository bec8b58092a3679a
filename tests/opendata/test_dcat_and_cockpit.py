"""The DCAT-AP 3 feed passes the official SHACL shapes; the cockpit says each commune's obligations."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse
from rdflib import Graph

from socle.opendata.demo import demo_load
from socle.opendata.obligations import Status
from socle.opendata.selectors import cockpit_for
from tests.support.clients import signed_in
from tests.support.reference import reference_path


@pytest.fixture
def demo(territory, make_user):
    make_user("donnees.compiegne@exemple.fr", roles=[(territory["compiegne"], "opendata.steward")])
    demo_load()
    return territory


def _conforms(graph: Graph) -> tuple[bool, str]:
    from pyshacl import validate

    shapes = Graph().parse(reference_path("dcat-ap/dcat-ap_3_shacl_shapes.ttl"), format="turtle")
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none", advanced=True)
    return bool(conforms), str(text)


def test_the_turtle_catalogue_conforms_to_the_dcat_ap_3_shapes(demo, client):
    response = client.get(reverse("opendata:catalog_ttl"))
    assert response["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    assert len(graph) > 50
    conforms, text = _conforms(graph)
    assert conforms, text


# rdflib's own JSON-LD parser builds a ConjunctiveGraph, which rdflib 7 itself marks deprecated.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_json_ld_catalogue_is_the_same_graph(demo, client):
    turtle = Graph().parse(data=client.get(reverse("opendata:catalog_ttl")).content.decode(), format="turtle")
    response = client.get(reverse("opendata:catalog_jsonld"))
    assert response["Content-Type"].startswith("application/ld+json")
    json.loads(response.content)
    jsonld = Graph().parse(data=response.content.decode(), format="json-ld")
    assert len(jsonld) == len(turtle)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("text/html", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
    ],
)
def test_the_catalogue_negotiates_its_format(demo, client, accept, expected):
    response = client.get(reverse("opendata:catalog"), HTTP_ACCEPT=accept)
    assert response["Content-Type"].startswith(expected) and "Accept" in response["Vary"]


def test_restricted_datasets_stay_out_of_the_feed(demo, client):
    text = client.get(reverse("opendata:catalog_ttl")).content.decode()
    assert "Suivi interne" not in text and "subventions" in text


def test_the_cockpit_gives_real_statuses_and_the_threshold(demo, make_user):
    dcsi = make_user("dcsi@exemple.fr", roles=[(demo["arc"], "opendata.reader")])
    communes = {c.commune.slug: c for c in cockpit_for(actor=dcsi, today=date.today())}
    assert len(communes) == 22
    compiegne = {r.obligation.key: r.status for r in communes["compiegne"].rows}
    assert compiegne["subventions"] == Status.PUBLISHED and compiegne["deliberations"] == Status.PUBLISHED
    assert compiegne["budget"] == Status.MISSING
    margny = {r.obligation.key: r for r in communes["margny-les-compiegne"].rows}
    assert margny["subventions"].status == Status.INVALID and "erreur" in margny["subventions"].reason
    small = {r.obligation.key: r for r in communes["armancourt"].rows}
    assert small["deliberations"].status == Status.NOT_APPLICABLE and "3 500" in small["deliberations"].reason
    assert small["subventions"].status == Status.MISSING and small["subventions"].due is not None


def test_a_stale_publication_is_reported_with_its_due_date(demo, make_user):
    reader = make_user("elu@compiegne.fr", roles=[(demo["compiegne"], "opendata.reader")])
    (later,) = cockpit_for(actor=reader, today=date(date.today().year + 2, 1, 1))
    rows = {r.obligation.key: r for r in later.rows}
    assert rows["deliberations"].status == Status.STALE and rows["deliberations"].due < date(
        date.today().year + 2, 1, 1
    )


def test_a_commune_sees_only_its_own_obligations_and_the_dcsi_all(demo, make_user):
    reader = make_user("elu@compiegne.fr", roles=[(demo["compiegne"], "opendata.reader")])
    page = signed_in(reader).get(reverse("opendata:cockpit")).content.decode()
    assert "Compiègne" in page and "Margny" not in page
    dcsi = make_user("dcsi@exemple.fr", roles=[(demo["arc"], "opendata.reader")])
    page = signed_in(dcsi).get(reverse("opendata:cockpit")).content.decode()
    assert "Margny-lès-Compiègne" in page and "Armancourt" in page and "<caption>" in page


def test_the_obligations_indicator_counts_only_what_the_viewer_may_see(demo, make_user):
    from socle.opendata.selectors import indicator_obligations_met

    reader = make_user("elu@margny.fr", roles=[(demo["margny-les-compiegne"], "opendata.reader")])
    dcsi = make_user("dcsi@exemple.fr", roles=[(demo["arc"], "opendata.reader")])
    today = date.today()
    mine = indicator_obligations_met(actor=reader, start=today, end=date.fromordinal(today.toordinal() + 1))
    everyone = indicator_obligations_met(actor=dcsi, start=today, end=date.fromordinal(today.toordinal() + 1))
    assert 0 < mine < everyone
    compiegne = indicator_obligations_met(
        actor=reader, start=today, end=date.fromordinal(today.toordinal() + 1), organisation=demo["compiegne"]
    )
    assert compiegne == 0
