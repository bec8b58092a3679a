"""Real time: delays and disruptions entered or read from an operator, shown and republished."""

from __future__ import annotations

import http.server
import io
import threading
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from google.transit import gtfs_realtime_pb2 as rt

from socle.core.errors import Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.mobility import jobs, realtime, selectors
from socle.mobility.gtfs_rt import Network, feed_rt_check
from socle.mobility.models import Disruption, RealtimeFetch, TripRealtime
from socle.mobility.services import gtfs_import, gtfs_publish
from tests.support.clients import signed_in

from .conftest import BASE, build_feed


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def live_feed() -> bytes:
    """A feed running today: t1 leaves s1 in 10 minutes, t2 in 20 minutes (times past 24:00 allowed)."""
    now = timezone.localtime()
    base = now.hour * 3600 + now.minute * 60
    rows = [BASE["stop_times.txt"][0]]
    for trip, start in (("t1", base + 600), ("t2", base + 1200)):
        rows += [[trip, _hms(start + 300 * i), _hms(start + 300 * i), stop, str(i + 1)]
                 for i, stop in enumerate(("s1", "s2", "s3"))]
    return build_feed({"stop_times.txt": rows, "calendar.txt": None,
                       "trips.txt": [BASE["trips.txt"][0], ["r1", "live", "t1", "Hôpital", "0"],
                                     ["r1", "live", "t2", "Hôpital", "0"]],
                       "calendar_dates.txt": [["service_id", "date", "exception_type"],
                                              ["live", f"{now:%Y%m%d}", "1"]]})


@pytest.fixture
def network(territory):
    version = gtfs_import(actor=None, organisation=territory["arc"], source=io.BytesIO(live_feed()),
                          filename="reseau.zip")
    assert version.valid, version.report
    return gtfs_publish(actor=None, version=version)


@pytest.fixture
def transport(territory, make_user):
    return make_user("transport@exemple.fr", roles=[(territory["arc"], "mobility.agent")])


def _message(data: bytes) -> rt.FeedMessage:
    message = rt.FeedMessage()
    message.ParseFromString(data)
    return message


NETWORK = Network(trips=frozenset({"t1", "t2"}), routes=frozenset({"r1"}),
                  stops=frozenset({"s1", "s2", "s3"}))


def test_an_agent_reports_a_delay_seen_on_pages_displays_siri_and_gtfs_rt(network, transport, client):
    agent = signed_in(transport)
    page = agent.post(reverse("mobility:realtime"), {
        "action": "delay", "trip_id": "t1", "service_day": f"{timezone.localdate():%Y-%m-%d}",
        "delay_minutes": "15"})
    assert page.status_code == 302
    assert AuditEvent.objects.filter(action="mobility.trip_realtime").count() == 1

    stop = client.get(reverse("mobility:stop", args=["s1"])).content.decode()
    assert "retard de 15 min" in stop
    display = client.get(reverse("mobility:display", args=["s1"])).content.decode()
    assert "+15 min" in display

    siri = client.get(reverse("mobility:siri_stop_monitoring"), {"MonitoringRef": "s1"}).json()
    visits = siri["Siri"]["ServiceDelivery"]["StopMonitoringDelivery"][0]["MonitoredStopVisit"]
    # t1, aimed 10 minutes from now and 15 minutes late, now leaves after t2 (aimed in 20, on time)
    assert [v["MonitoredVehicleJourney"]["FramedVehicleJourneyRef"]["DatedVehicleJourneyRef"]
            for v in visits] == ["t2", "t1"]
    late = visits[1]["MonitoredVehicleJourney"]["MonitoredCall"]
    assert late["DepartureStatus"] == "delayed"
    aimed, expected = (datetime.fromisoformat(late[k]) for k in ("AimedDepartureTime",
                                                                   "ExpectedDepartureTime"))
    assert expected - aimed == timedelta(minutes=15)
    assert visits[0]["MonitoredVehicleJourney"]["MonitoredCall"]["DepartureStatus"] == "noReport"

    feed = client.get(reverse("mobility:gtfs_rt_trip_updates"))
    assert feed["Content-Type"] == "application/x-protobuf"
    message = _message(feed.content)
    [entity] = message.entity
    assert entity.trip_update.trip.trip_id == "t1"
    assert [s.stop_id for s in entity.trip_update.stop_time_update] == ["s1", "s2", "s3"]
    assert {s.departure.delay for s in entity.trip_update.stop_time_update} == {900}
    # socle's own feed passes the real-time rules it applies to operators' feeds
    report = feed_rt_check(feed.content, network=NETWORK, now=int(timezone.now().timestamp()),
                           max_bytes=10**6)
    assert report.as_dict()["error_count"] == 0 and report.usable
    assert client.get(reverse("mobility:gtfs_rt_trip_updates"), {"format": "json"}).json()[
        "header"]["gtfsRealtimeVersion"] == "2.0"


def test_a_cancelled_trip_is_shown_struck_and_published_as_canceled(network, transport, client):
    realtime.trip_delay_set(actor=transport, trip_id="t2", service_day=timezone.localdate(),
                            cancelled=True)
    assert "supprimé" in client.get(reverse("mobility:display", args=["s1"])).content.decode()
    siri = client.get(reverse("mobility:siri_stop_monitoring"), {"MonitoringRef": "s1"}).json()
    calls = [v["MonitoredVehicleJourney"]["MonitoredCall"] for v in
             siri["Siri"]["ServiceDelivery"]["StopMonitoringDelivery"][0]["MonitoredStopVisit"]]
    assert [c["DepartureStatus"] for c in calls] == ["noReport", "cancelled"]
    [entity] = _message(client.get(reverse("mobility:gtfs_rt_trip_updates")).content).entity
    assert entity.trip_update.trip.schedule_relationship == rt.TripDescriptor.CANCELED


def test_a_disruption_reaches_stop_pages_displays_and_the_alerts_feed_until_ended(network, transport, client):
    agent = signed_in(transport)
    agent.post(reverse("mobility:realtime"), {
        "action": "disruption", "title": "Travaux rue de Paris", "description": "Arrêt Mairie déplacé.",
        "route_ids": ["r1"], "stop_ids": "s2", "cause": "CONSTRUCTION", "effect": "STOP_MOVED"})
    disruption = Disruption.objects.get()
    assert "Travaux rue de Paris" in client.get(reverse("mobility:stop", args=["s1"])).content.decode()
    assert "Travaux rue de Paris" in client.get(reverse("mobility:display", args=["s3"])).content.decode()
    assert "Travaux rue de Paris" in client.get(reverse("mobility:route", args=["r1"])).content.decode()
    [entity] = _message(client.get(reverse("mobility:gtfs_rt_alerts")).content).entity
    assert entity.alert.effect == rt.Alert.STOP_MOVED
    assert {(i.route_id, i.stop_id) for i in entity.alert.informed_entity} == {("r1", ""), ("", "s2")}
    assert entity.alert.header_text.translation[0].language == "fr"

    assert agent.post(reverse("mobility:disruption_end", args=[disruption.pk])).status_code == 302
    assert "Travaux rue de Paris" not in client.get(reverse("mobility:stop", args=["s1"])).content.decode()
    assert list(_message(client.get(reverse("mobility:gtfs_rt_alerts")).content).entity) == []


def test_bad_entries_are_refused_with_a_french_message_and_nothing_written(network, transport):
    agent = signed_in(transport)
    unknown = agent.post(reverse("mobility:realtime"), {
        "action": "delay", "trip_id": "inconnu", "service_day": f"{timezone.localdate():%Y-%m-%d}",
        "delay_minutes": "5"})
    assert unknown.status_code == 400 and "existe pas dans les horaires" in unknown.content.decode()
    huge = agent.post(reverse("mobility:realtime"), {
        "action": "delay", "trip_id": "t1", "service_day": "2026-12-03", "delay_minutes": "100000"})
    assert huge.status_code == 400
    nowhere = agent.post(reverse("mobility:realtime"), {"action": "disruption", "title": "Grève"})
    assert nowhere.status_code == 400 and "au moins une ligne" in nowhere.content.decode()
    assert not TripRealtime.objects.exists() and not Disruption.objects.exists()


def test_only_the_networks_transport_agents_enter_real_time(network, territory, make_user):
    commune_agent = make_user("commune@exemple.fr", roles=[(territory["compiegne"], "mobility.agent")])
    with pytest.raises(Forbidden):
        realtime.trip_delay_set(actor=commune_agent, trip_id="t1", service_day=timezone.localdate(),
                                delay_minutes=3)
    caseworker = make_user("instructeur@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    assert signed_in(caseworker).get(reverse("mobility:realtime")).status_code == 403
    assert signed_in(caseworker).post(reverse("mobility:realtime"), {"action": "delay"}).status_code == 403


def test_siri_lite_refuses_bad_parameters_in_json(network, client):
    url = reverse("mobility:siri_stop_monitoring")
    assert client.get(url).json()["code"] == "missing_monitoring_ref"
    assert client.get(url, {"MonitoringRef": "s1", "PreviewInterval": "1 heure"}).status_code == 400
    assert client.get(url, {"MonitoringRef": "s1", "MaximumStopVisits": "0"}).status_code == 400
    assert client.get(url, {"MonitoringRef": "zz"}).status_code == 404
    one = client.get(url, {"MonitoringRef": "s1", "MaximumStopVisits": "1"}).json()
    assert len(one["Siri"]["ServiceDelivery"]["StopMonitoringDelivery"][0]["MonitoredStopVisit"]) == 1
    short = client.get(url, {"MonitoringRef": "s1", "PreviewInterval": "PT12M"}).json()
    assert len(short["Siri"]["ServiceDelivery"]["StopMonitoringDelivery"][0]["MonitoredStopVisit"]) == 1


def _operator_feed(*, timestamp: int, entities: list[dict], with_header: bool = True) -> bytes:
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    if with_header:
        message.header.timestamp = timestamp
    for number, spec in enumerate(entities):
        entity = message.entity.add()
        entity.id = spec.get("id", f"e{number}")
        if "alert" in spec:
            alert = entity.alert
            alert.header_text.translation.add(text=spec["alert"], language="fr")
            alert.informed_entity.add().route_id = spec.get("route", "r1")
            continue
        update = entity.trip_update
        update.trip.trip_id = spec["trip"]
        update.timestamp = timestamp
        for sequence, stop in spec.get("stops", [(1, "s1")]):
            stu = update.stop_time_update.add()
            stu.stop_sequence = sequence
            stu.stop_id = stop
            stu.departure.delay = spec.get("delay", 0)
    return message.SerializeToString()


def test_an_operators_feed_is_checked_rule_by_rule_and_its_sound_entities_applied(network):
    now = int(timezone.now().timestamp())
    data = _operator_feed(timestamp=now, entities=[
        {"trip": "t1", "delay": 240},
        {"trip": "fantome", "delay": 60},
        {"trip": "t2", "stops": [(2, "s2"), (1, "s1")], "delay": 60},
        {"trip": "t2", "stops": [(3, "s9")], "id": "bad-stop"},
    ])
    fetch = realtime.realtime_ingest(data=data, kind="trip_updates")
    codes = {n["code"]: n for n in fetch.report["notices"]}
    assert fetch.usable and {"E003", "E002", "E011"} <= set(codes)
    assert codes["E003"]["samples"][0]["trip_id"] == "fantome"
    applied = TripRealtime.objects.values_list("trip_id", "delay_seconds", "source")
    assert list(applied) == [("t1", 240, "feed")]


@pytest.mark.parametrize(("data", "code"), [
    (b"\xff\xff\xff\xff not protobuf", "unreadable"),
    (_operator_feed(timestamp=0, entities=[{"trip": "t1"}], with_header=False), "E048"),
    (_operator_feed(timestamp=1_700_000_000_000, entities=[{"trip": "t1"}]), "E001"),
    (b"\x00" * (64 * 1024 + 1), "too_large"),
])
def test_an_unusable_operators_message_is_refused_whole_and_reported(network, settings, data, code):
    settings.MOBILITY_GTFS_RT_MAX_BYTES = 64 * 1024
    fetch = realtime.realtime_ingest(data=data, kind="trip_updates")
    assert not fetch.usable and code in {n["code"] for n in fetch.report["notices"]}
    assert not TripRealtime.objects.exists()


def test_a_header_going_back_in_time_is_refused_and_a_stale_one_warned(network):
    now = int(timezone.now().timestamp())
    assert realtime.realtime_ingest(data=_operator_feed(timestamp=now, entities=[]), kind="alerts").usable
    back = realtime.realtime_ingest(data=_operator_feed(timestamp=now - 30, entities=[]), kind="alerts")
    assert not back.usable and "E018" in {n["code"] for n in back.report["notices"]}
    report = feed_rt_check(_operator_feed(timestamp=now - 600, entities=[]), network=NETWORK, now=now,
                           max_bytes=10**6)
    assert report.usable and "W008" in report.notices


def test_operators_alerts_are_mirrored_and_ended_when_they_leave_the_full_dataset(network, client):
    now = int(timezone.now().timestamp())
    realtime.realtime_ingest(data=_operator_feed(timestamp=now, entities=[
        {"id": "greve", "alert": "Grève du 4 décembre"}]), kind="alerts")
    assert "Grève du 4 décembre" in client.get(reverse("mobility:stop", args=["s1"])).content.decode()
    realtime.realtime_ingest(data=_operator_feed(timestamp=now + 1, entities=[]), kind="alerts")
    assert Disruption.objects.get().ends_at is not None
    assert "Grève" not in client.get(reverse("mobility:stop", args=["s1"])).content.decode()


class _Feed(http.server.BaseHTTPRequestHandler):
    payload = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(self.payload)

    def log_message(self, *args: object) -> None:
        pass


def test_the_poll_job_reads_the_operators_url_and_fails_loudly_when_it_cannot(network, settings):
    _Feed.payload = _operator_feed(timestamp=int(timezone.now().timestamp()), entities=[
        {"trip": "t2", "delay": 120}])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.MOBILITY_GTFS_RT_TRIP_UPDATES_URL = f"http://127.0.0.1:{server.server_port}/tu.pb"
        assert "1 voyages" in jobs.realtime_poll()
        assert TripRealtime.objects.get().delay_seconds == 120
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(RuntimeError, match="lecture impossible"):
        jobs.realtime_poll()  # the server is gone
    settings.MOBILITY_GTFS_RT_TRIP_UPDATES_URL = "file:///etc/passwd"
    with pytest.raises(RuntimeError, match="http"):
        jobs.realtime_poll()
    assert RealtimeFetch.objects.count() == 1


def test_without_published_timetables_real_time_is_refused(territory, transport):
    with pytest.raises(ServiceError):
        realtime.trip_delay_set(actor=transport, trip_id="t1", service_day=timezone.localdate())
    assert selectors.trip_updates_out(now=timezone.now()) == []


def test_the_demos_simulated_operator_goes_through_the_real_checks(network, client, settings):
    settings.MOBILITY_REALTIME_SIMULATION = False
    assert "désactivée" in jobs.realtime_simulate()
    settings.MOBILITY_REALTIME_SIMULATION = True
    assert "2 voyages" in jobs.realtime_simulate()
    fetch = RealtimeFetch.objects.get()
    assert fetch.usable and fetch.report["error_count"] == 0
    assert set(TripRealtime.objects.values_list("trip_id", flat=True)) == {"t1", "t2"}
    assert "en temps réel" in client.get(reverse("mobility:stop", args=["s1"])).content.decode()


def test_a_trips_last_stop_is_not_shown_as_a_departure(network, client):
    assert "Aucun départ prévu" in client.get(reverse("mobility:display", args=["s3"])).content.decode()
    assert "Aucun départ prévu" not in client.get(reverse("mobility:display", args=["s2"])).content.decode()
    served = client.get(reverse("mobility:route", args=["r1"])).content.decode()
    assert "Hôpital" in served  # the line still serves its terminus
