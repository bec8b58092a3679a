"""What changed between two GTFS versions: counts and samples of routes, stops and trips."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from socle.mobility.gtfs_diff import feeds_diff
from socle.mobility.gtfs_feed import feed_read
from socle.mobility.services import gtfs_import
from tests.support.clients import signed_in

from .conftest import BASE, build_feed


def _changed() -> bytes:
    routes = [BASE["routes.txt"][0], ["r1", "a", "1", "Gare - Hôpital par le centre", "3"],
              ["r2", "a", "2", "Mairie - Gare", "3"]]
    stops = [BASE["stops.txt"][0], BASE["stops.txt"][1], BASE["stops.txt"][3], ["s4", "Lycée", "49.44",
                                                                                "2.86"]]
    trips = [*BASE["trips.txt"], ["r2", "wk", "t3", "Gare", "1"]]
    times = [BASE["stop_times.txt"][0],
             ["t1", "08:00:00", "08:00:00", "s1", "1"], ["t1", "08:07:00", "08:07:00", "s3", "2"],  # retimed
             *BASE["stop_times.txt"][4:7],  # t2 untouched except its stop s2 removed below
             ["t3", "10:00:00", "10:00:00", "s4", "1"], ["t3", "10:10:00", "10:10:00", "s1", "2"]]
    times = [row for row in times if row[3] != "s2"]
    return build_feed({"routes.txt": routes, "stops.txt": stops, "trips.txt": trips, "stop_times.txt": times})


def test_the_diff_counts_and_samples_added_removed_and_changed_rows():
    diff = feeds_diff(feed_read(io.BytesIO(build_feed())), feed_read(io.BytesIO(_changed())))
    assert diff["routes"]["added_samples"] == ["r2"] and diff["routes"]["removed"] == 0
    assert diff["routes"]["changed_samples"] == [{"id": "r1", "fields": ["route_long_name"]}]
    assert diff["stops"]["added_samples"] == ["s4"] and diff["stops"]["removed_samples"] == ["s2"]
    assert diff["stops"]["changed"] == 0
    assert diff["trips"]["added_samples"] == ["t3"]
    # t1 retimed and t2 no longer at s2: both changed through their stop times, trips.txt untouched.
    assert diff["trips"]["changed_samples"] == [{"id": "t1", "fields": ["stop_times"]},
                                                {"id": "t2", "fields": ["stop_times"]}]


def test_the_same_feed_twice_has_no_change_even_with_bom_and_a_nested_folder():
    diff = feeds_diff(feed_read(io.BytesIO(build_feed())), feed_read(io.BytesIO(build_feed(bom=True,
                                                                                           folder="x/"))))
    assert all(d["added"] == d["removed"] == d["changed"] == 0 for d in diff.values())


def test_a_feed_without_stop_times_columns_compares_without_failing():
    bare = build_feed({"stop_times.txt": [["trip_id", "stop_sequence"], ["t1", "1"]]})
    diff = feeds_diff(feed_read(io.BytesIO(build_feed())), feed_read(io.BytesIO(bare)))
    assert diff["trips"]["changed"] == 2 and diff["trips"]["added"] == 0


@pytest.fixture
def transport(territory, make_user):
    return make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])


def test_the_agents_page_compares_any_two_versions_of_its_network(territory, transport, make_user):
    arc = territory["arc"]
    first = gtfs_import(actor=transport, organisation=arc, source=io.BytesIO(build_feed()), filename="v1.zip")
    second = gtfs_import(actor=transport, organisation=arc, source=io.BytesIO(_changed()), filename="v2.zip")
    third = gtfs_import(actor=transport, organisation=arc, source=io.BytesIO(build_feed()), filename="v3.zip")
    client = signed_in(transport)
    page = client.get(reverse("mobility:feed", args=[third.pk])).content.decode()
    assert "De la version n° 2 à la version n° 3" in page  # the previous one by default
    chosen = client.get(reverse("mobility:feed", args=[first.pk]) + "?avec=2").content.decode()
    assert "De la version n° 1 à la version n° 2" in chosen
    assert "r1 (route_long_name)" in chosen and "t1 (stop_times)" in chosen
    assert client.get(reverse("mobility:feed", args=[first.pk]) + "?avec=99").status_code == 404
    assert client.get(reverse("mobility:feed", args=[first.pk]) + "?avec=1").status_code == 404  # itself
    assert second.number == 2
    other = make_user("transport.verberie@exemple.fr", roles=[(territory["verberie"], "mobility.agent")])
    assert signed_in(other).get(reverse("mobility:feed", args=[first.pk]) + "?avec=2").status_code == 404
