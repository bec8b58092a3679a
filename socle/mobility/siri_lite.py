"""SIRI Lite StopMonitoring (JSON): the next visits at a stop, as the French SIRI Lite profile has it.

Choices: visits are ordered by expected departure time (the aimed time plus the known delay),
a cancelled visit stays in the list with ``DepartureStatus`` ``cancelled`` so that a display
can say so; ``PreviewInterval`` is an ISO 8601 duration (``PT1H`` by default, at most
``PT12H``) counted from now on the expected times; ``MaximumStopVisits`` is 10 by default and
at most 50. Times carry the server's offset (Europe/Paris).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from .selectors import NextDeparture

PREVIEW_DEFAULT = timedelta(hours=1)
PREVIEW_MAX = timedelta(hours=12)
VISITS_DEFAULT = 10
VISITS_MAX = 50
_DURATION = re.compile(r"^PT(?:(\d{1,2})H)?(?:(\d{1,4})M)?(?:(\d{1,5})S)?$")


def preview_parse(text: str) -> timedelta | None:
    """Read an ISO 8601 duration such as PT1H30M; None when it is not one."""
    if not text:
        return PREVIEW_DEFAULT
    match = _DURATION.match(text)
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return min(timedelta(hours=hours, minutes=minutes, seconds=seconds), PREVIEW_MAX)


def _status(visit: NextDeparture) -> str:
    if visit.cancelled:
        return "cancelled"
    if not visit.realtime:
        return "noReport"
    return "delayed" if visit.delay_seconds >= 60 else "onTime"


def stop_monitoring(*, stop_id: str, stop_name: str, visits: Iterable[NextDeparture],
                    now: datetime, producer: str) -> dict[str, object]:
    """Build a StopMonitoring delivery for one stop."""
    stamp = now.isoformat(timespec="seconds")
    monitored = []
    for visit in visits:
        aimed = visit.aimed or visit.at
        call: dict[str, object] = {
            "StopPointName": [{"value": stop_name}],
            "AimedDepartureTime": aimed.isoformat(timespec="seconds"),
            "DepartureStatus": _status(visit),
        }
        if visit.realtime and not visit.cancelled:
            call["ExpectedDepartureTime"] = visit.at.isoformat(timespec="seconds")
        monitored.append({
            "RecordedAtTime": stamp,
            "ItemIdentifier": f"{visit.trip_id}:{stop_id}:{aimed:%Y%m%d%H%M}",
            "MonitoringRef": {"value": stop_id},
            "MonitoredVehicleJourney": {
                "LineRef": {"value": visit.route.route_id},
                "PublishedLineName": [{"value": visit.route.short_name or visit.route.route_id}],
                "DirectionName": [{"value": visit.headsign}],
                "DestinationName": [{"value": visit.headsign}],
                "FramedVehicleJourneyRef": {"DataFrameRef": {"value": f"{aimed:%Y-%m-%d}"},
                                            "DatedVehicleJourneyRef": visit.trip_id},
                "Monitored": visit.realtime,
                "MonitoredCall": call,
            },
        })
    return {"Siri": {"ServiceDelivery": {
        "ResponseTimestamp": stamp, "ProducerRef": producer,
        "StopMonitoringDelivery": [{"Version": "2.0", "ResponseTimestamp": stamp, "Status": True,
                                    "MonitoringRef": [{"value": stop_id}],
                                    "MonitoredStopVisit": monitored}],
    }}}
