"""Importing, publishing and serving timetables: pages, API, command, tenancy."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from socle.core.errors import Conflict
from socle.core.models import AuditEvent
from socle.mobility import selectors
from socle.mobility.models import FeedVersion
from socle.mobility.services import gtfs_import, gtfs_publish
from tests.support.clients import signed_in
from tests.support.downloads import served_name

from .conftest import BASE, build_feed


@pytest.fixture
def transport(territory, make_user):
    return make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])


@pytest.fixture
def published(territory):
    version = gtfs_import(actor=None, organisation=territory["arc"], source=io.BytesIO(build_feed()),
                          filename="reseau.zip")
    return gtfs_publish(actor=None, version=version)


def _upload(data: bytes, name: str = "reseau.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def test_an_agent_imports_a_feed_sees_its_report_and_publishes_it(territory, transport):
    client = signed_in(transport)
    data = build_feed()
    response = client.post(reverse("mobility:feeds"), {"organisation": "arc", "feed": _upload(data)})
    version = FeedVersion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("mobility:feed", args=[version.pk])
    page = client.get(reverse("mobility:feed", args=[version.pk])).content.decode()
    assert "0 erreur" in page and "Publier ces horaires" in page
    client.post(reverse("mobility:feed_publish", args=[version.pk]))
    version.refresh_from_db()
    assert version.published_at is not None
    assert AuditEvent.objects.filter(action="mobility.feed_publish").exists()
    served = client.get(reverse("mobility:gtfs_zip"))
    assert served.status_code == 200 and b"".join(served.streaming_content) == data
    assert served_name(served) == "gtfs.zip"


def test_a_feed_with_errors_is_kept_with_its_report_and_never_published(territory, transport):
    broken = build_feed({"routes.txt": None})
    version = gtfs_import(actor=transport, organisation=territory["arc"], source=io.BytesIO(broken),
                          filename="casse.zip")
    assert not version.valid and version.report["error_count"] >= 1
    with pytest.raises(Conflict):
        gtfs_publish(actor=transport, version=version)
    page = signed_in(transport).get(reverse("mobility:feed", args=[version.pk])).content.decode()
    assert "missing_required_file" in page and "ne peut pas être publié" in page
    assert signed_in(transport).post(reverse("mobility:feed_publish", args=[version.pk])).status_code == 409
    assert selectors.feed_current() is None


def test_a_file_that_is_no_feed_gets_a_french_message_and_stores_nothing(territory, transport):
    response = signed_in(transport).post(reverse("mobility:feeds"),
                                         {"organisation": "arc", "feed": _upload(b"pas un zip")})
    assert response.status_code == 400
    assert "archive zip" in response.content.decode()
    assert not FeedVersion.objects.exists()


def test_the_diff_between_versions_lists_what_changed(territory, transport):
    gtfs_import(actor=transport, organisation=territory["arc"], source=io.BytesIO(build_feed()),
                filename="v1.zip")
    more = build_feed({"routes.txt": [*BASE["routes.txt"], ["r2", "a", "2", "Mairie - Gare", "3"]]})
    second = gtfs_import(actor=transport, organisation=territory["arc"], source=io.BytesIO(more),
                         filename="v2.zip")
    page = signed_in(transport).get(reverse("mobility:feed", args=[second.pk])).content.decode()
    assert "De la version n° 1 à la version n° 2" in page
    assert '<th scope="row">Lignes</th>\n    <td data-label="Ajoutés">1 : r2</td>' in page


def test_another_communes_agent_sees_no_version_and_gets_404(territory, transport, make_user, published):
    other = make_user("transport.verberie@exemple.fr", roles=[(territory["verberie"], "mobility.agent")])
    client = signed_in(other)
    listing = client.get(reverse("mobility:feeds"))
    assert listing.status_code == 200 and "reseau.zip" not in listing.content.decode()
    assert client.get(reverse("mobility:feed", args=[published.pk])).status_code == 404
    assert client.post(reverse("mobility:feed_publish", args=[published.pk])).status_code == 404
    refused = client.post(reverse("mobility:feeds"), {"organisation": "arc", "feed": _upload(build_feed())})
    assert refused.status_code == 400 and FeedVersion.objects.count() == 1


def test_an_agent_without_the_role_gets_403(territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    assert signed_in(agent).get(reverse("mobility:feeds")).status_code == 403


def _freeze(monkeypatch, moment):
    real = timezone.localtime
    monkeypatch.setattr(timezone, "localtime", lambda value=None, *a: real(value or moment, *a))


def test_stop_pages_show_the_next_theoretical_departures(published, client, monkeypatch):
    monday_morning = timezone.make_aware(datetime(2026, 12, 7, 8, 30))
    _freeze(monkeypatch, monday_morning)
    page = client.get(reverse("mobility:stop", args=["s1"])).content.decode()
    assert "09:00" in page and "théorique" in page and "08:00" not in page
    display = client.get(reverse("mobility:display", args=["s1"]))
    html = display.content.decode()
    assert 'http-equiv="refresh"' in html and "09:00" in html
    assert "<nav" not in html  # kiosk mode: no navigation
    assert display["Cache-Control"] == "no-store"
    assert client.get(reverse("mobility:stop", args=["inconnu"])).status_code == 404


def test_no_departure_on_a_day_without_service(published, client, monkeypatch):
    sunday = timezone.make_aware(datetime(2026, 12, 6, 8, 30))
    _freeze(monkeypatch, sunday)
    assert "Aucun départ prévu" in client.get(reverse("mobility:stop", args=["s1"])).content.decode()


def test_the_public_api_lists_lines_stops_and_departures(published, client):
    assert [r["route_id"] for r in client.get("/api/v1/mobility/routes").json()["items"]] == ["r1"]
    first = client.get("/api/v1/mobility/stops?limit=2").json()
    assert [s["stop_id"] for s in first["items"]] == ["s1", "s2"]
    rest = client.get(f"/api/v1/mobility/stops?limit=2&cursor={first['next']}").json()
    assert [s["stop_id"] for s in rest["items"]] == ["s3"] and rest["next"] is None
    assert client.get("/api/v1/mobility/stops?cursor=pas-un-curseur").status_code == 400
    assert client.get("/api/v1/mobility/stops/s1/departures").status_code == 200
    assert client.get("/api/v1/mobility/stops/zz/departures").status_code == 404


def test_the_validation_api_returns_the_report(territory, make_user, api_client):
    user = make_user("reutilisateur@exemple.fr")
    response = api_client(user).post("/api/v1/mobility/gtfs/validations",
                                     {"file": _upload(build_feed({"agency.txt": None}))})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert any(n["code"] == "missing_required_file" and n["severity"] == "ERROR" for n in body["notices"])
    bad = api_client(user).post("/api/v1/mobility/gtfs/validations", {"file": _upload(b"nope")})
    assert bad.status_code == 400 and bad.json()["code"] == "not_a_zip"
    assert api_client(None).post("/api/v1/mobility/gtfs/validations").status_code == 401


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("mobility", "gtfs", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_the_command_exits_1_on_errors_0_on_a_valid_feed_2_when_unreadable(tmp_path):
    good, bad, junk = tmp_path / "good.zip", tmp_path / "bad.zip", tmp_path / "junk.zip"
    good.write_bytes(build_feed())
    bad.write_bytes(build_feed({"stops.txt": None}))
    junk.write_bytes(b"junk")
    assert _cli("validate", str(good))[0] == 0
    code, output = _cli("validate", str(bad), "--json")
    assert code == 1 and '"missing_required_file"' in output
    assert _cli("validate", str(junk))[0] == 2
    assert _cli("validate", str(tmp_path / "absent.zip"))[0] == 2


def test_module_switched_off_hides_the_network(published, territory, client):
    from socle.core.module_activation import module_disable

    module_disable(actor=None, module="mobility", organisation=territory["arc"])
    assert client.get(reverse("mobility:gtfs_zip")).status_code == 404


def test_the_departures_of_a_stop_are_paged_like_every_list(published, client, monkeypatch):
    from socle.mobility import selectors

    monday_morning = timezone.make_aware(datetime(2026, 12, 7, 5, 0))
    _freeze(monkeypatch, monday_morning)
    stop = selectors.stop_public_get(stop_id="s1")
    expected = [d.at.isoformat() for d in selectors.departures_next(
        stop=stop, now=timezone.localtime(), limit=100)]
    assert len(expected) >= 2
    seen: list[str] = []
    cursor = ""
    for _ in range(50):
        body = client.get("/api/v1/mobility/stops/s1/departures?limit=1"
                          + (f"&cursor={cursor}" if cursor else "")).json()
        assert len(body["items"]) <= 1
        seen += [d["at"] for d in body["items"]]
        if not (cursor := body["next"]):
            break
    assert seen == expected  # nothing lost, nothing repeated
    assert client.get("/api/v1/mobility/stops/s1/departures?cursor=xyz").status_code == 400
