"""Each organisation's identity: a logo it uploads and a colour that keeps white text readable."""

from __future__ import annotations

import html
import io

import pytest
from django.urls import reverse
from PIL import Image

from socle.core.errors import ServiceError
from socle.core.identity import contrast_with_white, identity_of, identity_set
from socle.core.models import AuditEvent
from tests.support.clients import signed_in


def png(width: int = 120, height: int = 60, color: str = "#1d3a6e") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_a_light_colour_is_refused_with_the_ratio_and_nothing_changes(territory):
    compiegne = territory["compiegne"]
    with pytest.raises(ServiceError) as refused:
        identity_set(actor=None, organisation=compiegne, brand_color="#ffcc00")
    assert refused.value.code == "insufficient_contrast" and "4,5:1" in refused.value.message
    with pytest.raises(ServiceError) as refused:
        identity_set(actor=None, organisation=compiegne, brand_color="bleu")
    assert refused.value.code == "invalid_color"
    compiegne.refresh_from_db()
    assert compiegne.brand_color == ""


def test_a_logo_must_be_a_real_png_or_jpeg_of_reasonable_size(territory):
    compiegne = territory["compiegne"]
    fake = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10)
    for stream, code in ((fake, "unsupported_type"),
                         (io.BytesIO(b"<svg onload='alert(1)'></svg>"), "unsupported_type"),
                         (png(2500, 10), "too_large_image"),
                         (io.BytesIO(b"\0" * 1_000_001), "payload_too_large")):
        with pytest.raises(ServiceError) as refused:
            identity_set(actor=None, organisation=compiegne, logo=stream)
        assert refused.value.code == code
    compiegne.refresh_from_db()
    assert compiegne.logo_id is None


def test_the_communication_officer_sets_the_identity_of_their_commune_only(territory, make_user, client):
    officer = make_user("communication@exemple.fr",
                        roles=[(territory["compiegne"], "core.communication")])
    page = signed_in(officer)
    assert page.get(reverse("core:identity_edit", args=["margny-les-compiegne"])).status_code == 404
    answer = page.post(reverse("core:identity_edit", args=["compiegne"]),
                       {"brand_color": "#7a1f3d", "logo": png()})
    assert answer.status_code == 302
    compiegne = type(territory["compiegne"]).objects.get(slug="compiegne")
    assert compiegne.brand_color == "#7a1f3d" and compiegne.logo_id is not None
    assert AuditEvent.objects.filter(action="organisation.identity").exists()
    refused = page.post(reverse("core:identity_edit", args=["compiegne"]), {"brand_color": "#eeeeee"})
    assert refused.status_code == 400 and "trop claire" in refused.text
    # The commune's page shows its name, logo and colour; the logo is served as an image.
    commune = html.unescape(client.get(reverse("core:commune_detail", args=["compiegne"])).text)
    assert "Services en ligne de Compiègne" in commune
    assert "Avec l'Agglomération de la Région de Compiègne" in commune
    assert reverse("core:logo", args=["compiegne"]) in commune
    assert reverse("core:colors_css", args=["compiegne"]) in commune
    logo = client.get(reverse("core:logo", args=["compiegne"]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    css = client.get(reverse("core:colors_css", args=["compiegne"])).content.decode()
    assert "--brand: #7a1f3d" in css
    assert client.get(reverse("core:logo", args=["venette"])).status_code == 404
    # Agents without the role are refused the page.
    caseworker = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    assert signed_in(caseworker).get(reverse("core:identity_list")).status_code == 403


def test_the_site_says_whose_services_they_are_with_french_elision(territory):
    assert identity_of(territory["arc"]).services_title.startswith("Services en ligne de l'Agglomération")
    assert identity_of(territory["compiegne"]).services_title == "Services en ligne de Compiègne"
    le_meux = territory.get("le-meux")
    if le_meux is not None:
        assert identity_of(le_meux).services_title == "Services en ligne du Meux"


def test_the_home_page_names_the_agglomeration_not_the_software(client, territory):
    home = html.unescape(client.get("/").text)
    assert "Services en ligne de l'Agglomération de la Région de Compiègne" in home
    assert "<title>Accueil — Services en ligne de l'Agglomération" in home
