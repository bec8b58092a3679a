"""The dashboard as a PDF for a council meeting: the figures of the page, and nothing of another commune."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from socle.opendata.dashboard_pdf import pdf_figure
from socle.opendata.dashboards import chart_for, indicator_get_for
from socle.opendata.demo import demo_load
from tests.support.clients import signed_in


@pytest.fixture
def demo(territory, make_user):
    make_user("donnees.compiegne@exemple.fr", roles=[(territory["compiegne"], "opendata.steward")])
    demo_load()
    return territory


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_holds_title_organisation_period_filters_and_every_figure(demo, make_user):
    reader = make_user("elu@compiegne.fr", roles=[(demo["compiegne"], "opendata.reader")])
    response = signed_in(reader).get(reverse("opendata:dashboard") + "?mois=6&commune=compiegne&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="tableau-de-bord-compiegne.pdf"' in response["Content-Disposition"]
    if os.environ.get("SOCLE_E2E_SCREENSHOTS"):
        Path(os.environ["SOCLE_E2E_SCREENSHOTS"], "dashboard.pdf").write_bytes(response.content)
    text = _text(response.content)
    assert "Tableau de bord — Compiègne" in text
    assert "Période : du " in text and "(6 derniers mois)" in text
    assert "commune : Compiègne" in text and f"par {reader.display_name}" in text
    indicator = indicator_get_for(actor=reader, name="opendata.obligations_met")
    assert indicator is not None
    chart = chart_for(
        actor=reader,
        indicator=indicator,
        today=timezone.localdate(),
        months=6,
        organisation=demo["compiegne"],
    )
    assert chart.total > 0  # the demo publishes Compiègne's files: the figures are not all zero
    for point in chart.points:
        assert point.label in text
        assert pdf_figure(point.value) in text
    assert PdfReader(io.BytesIO(response.content)).metadata.title == "Tableau de bord — Compiègne"


def test_another_communes_dashboard_is_a_404_in_every_format(demo, make_user):
    margny = signed_in(make_user("elu@margny.fr", roles=[(demo["margny-les-compiegne"], "opendata.reader")]))
    for suffix in ("", "&format=csv", "&format=pdf"):
        assert margny.get(reverse("opendata:dashboard") + "?commune=compiegne" + suffix).status_code == 404
    assert (
        margny.get(reverse("opendata:dashboard") + "?commune=margny-les-compiegne&format=pdf").status_code
        == 200
    )


def test_the_pdf_of_all_followed_communes_is_titled_by_the_top_organisation(demo, make_user):
    dcsi = make_user("dcsi@arc.fr", roles=[(demo["arc"], "opendata.reader")])
    response = signed_in(dcsi).get(reverse("opendata:dashboard") + "?mois=3&format=pdf")
    text = _text(response.content)
    assert demo["arc"].name in text and "toutes les communes suivies" in text


def test_french_figures():
    assert pdf_figure(12345.0) == "12\u00a0345"
    assert pdf_figure(0.5) == "0,5"
    assert pdf_figure(None) == "—"
