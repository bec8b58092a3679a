"""Indicators through the module contract: scoped to the viewer, drawn as SVG with their table, exported."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from socle.opendata.dashboards import Point, months_back, svg_bars
from socle.opendata.demo import demo_load
from tests.support.clients import signed_in


@pytest.fixture
def demo(territory, make_user):
    make_user("donnees.compiegne@exemple.fr", roles=[(territory["compiegne"], "opendata.steward")])
    demo_load()
    return territory


def test_an_indicator_of_another_commune_is_a_404_and_ones_own_a_value(demo, make_user, api_client):
    margny = api_client(make_user("elu@margny.fr", roles=[(demo["margny-les-compiegne"], "opendata.reader")]))
    own = margny.get("/api/v1/indicators/opendata.obligations_met?organisation=margny-les-compiegne")
    assert (
        own.status_code == 200
        and own.json()["value"] >= 1
        and own.json()["organisation"] == "margny-les-compiegne"
    )
    assert margny.get("/api/v1/indicators/opendata.obligations_met?organisation=compiegne").status_code == 404
    assert margny.get("/api/v1/indicators/mail.registered").status_code == 404  # no mail role: not theirs
    assert margny.get("/api/v1/indicators/inconnu").status_code == 404
    assert margny.get("/api/v1/indicators/opendata.obligations_met?period=2025-13").status_code == 400
    assert api_client(None).get("/api/v1/indicators/opendata.obligations_met").status_code == 401


def test_the_arc_wide_figure_counts_every_commune_and_a_communes_only_its_own(demo, make_user, api_client):
    dcsi = api_client(make_user("dcsi@arc.fr", roles=[(demo["arc"], "opendata.reader")]))
    everything = dcsi.get("/api/v1/indicators/opendata.obligations_met").json()["value"]
    compiegne = dcsi.get("/api/v1/indicators/opendata.obligations_met?organisation=compiegne").json()["value"]
    assert everything > compiegne > 0


def test_the_dashboard_draws_each_indicator_with_its_table_and_exports_csv(demo, make_user):
    reader = make_user("elu@compiegne.fr", roles=[(demo["compiegne"], "opendata.reader")])
    client = signed_in(reader)
    page = client.get(reverse("opendata:dashboard") + "?mois=3&commune=compiegne").content.decode()
    assert "<svg" in page and 'role="img"' in page and "<desc" in page
    assert "Obligations d&#x27;ouverture remplies, mois par mois" in page or "mois par mois" in page
    assert "Tableau de bord — Compiègne" in page
    exported = client.get(reverse("opendata:dashboard") + "?mois=3&format=csv")
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("indicateur,") and len(lines) == 1 + 3 * (len(lines) - 1) // 3
    assert any(line.startswith("opendata.obligations_met,") for line in lines[1:])


def test_a_visitor_does_not_see_the_dashboard(client, demo):
    assert client.get(reverse("opendata:dashboard")).status_code in (302, 403)


def test_the_chart_says_every_figure_in_its_text_alternative():
    svg = svg_bars(
        "Dossiers déposés",
        "dossiers",
        [
            Point("janv. 2025", date(2025, 1, 1), date(2025, 2, 1), 12),
            Point("févr. 2025", date(2025, 2, 1), date(2025, 3, 1), 0),
        ],
    )
    assert '<title id="t">Dossiers déposés</title>' in svg
    assert "janv. 2025 : 12 dossiers; févr. 2025 : 0 dossiers" in svg


def test_months_back_crosses_the_year():
    assert months_back(date(2025, 2, 10), 3) == [(2024, 12), (2025, 1), (2025, 2)]


def test_an_indicator_reads_over_a_quarter_or_a_year(demo, make_user, api_client):
    margny = api_client(make_user("elu@margny.fr", roles=[(demo["margny-les-compiegne"], "opendata.reader")]))
    base = "/api/v1/indicators/opendata.obligations_met?organisation=margny-les-compiegne"
    year = margny.get(f"{base}&period=2026").json()
    assert (year["period"], year["start"], year["end"]) == ("2026", "2026-01-01", "2027-01-01")
    quarter = margny.get(f"{base}&period=2026-t4").json()
    assert (quarter["period"], quarter["start"], quarter["end"]) == ("2026-T4", "2026-10-01", "2027-01-01")
    month = margny.get(f"{base}&period=2026-02").json()
    assert (month["start"], month["end"]) == ("2026-02-01", "2026-03-01")
    for bad in ("2026-T5", "2026-00", "26", "2026-1-1"):
        refused = margny.get(f"{base}&period={bad}")
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_period"
