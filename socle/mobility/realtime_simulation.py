"""A simulated operator, for the demo: plausible delays written as a GTFS-RT message and read back.

The message goes through the same checks and the same ingestion as an operator's real feed,
so the demo's displays show real-time departures without any shortcut. Delays are drawn from
the trip and the day (the same trip keeps its delay for the day), between 0 and 8 minutes;
one trip in fifteen is on time but reported, so that "à l'heure" shows too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone
from google.transit import gtfs_realtime_pb2 as rt

from . import selectors
from .models import RealtimeFetch
from .realtime import realtime_ingest

HORIZON = timedelta(minutes=90)


def _delay(trip_id: str, day: str) -> int:
    draw = int(hashlib.sha256(f"{trip_id}|{day}".encode()).hexdigest()[:8], 16)
    return 0 if draw % 15 == 0 else 60 * (draw % 9)


def simulated_message(*, now: datetime) -> bytes:
    """Write a TripUpdates message for the trips leaving in the next 90 minutes."""
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    message.header.timestamp = int(now.timestamp())
    for trip_id, day in selectors.trips_running(now=now, horizon=HORIZON):
        entity = message.entity.add()
        entity.id = f"sim-{trip_id}-{day:%Y%m%d}"
        update = entity.trip_update
        update.trip.trip_id = trip_id
        update.trip.start_date = f"{day:%Y%m%d}"
        update.timestamp = int(now.timestamp())
        update.delay = _delay(trip_id, f"{day:%Y%m%d}")
    return message.SerializeToString()


def realtime_simulate(*, now: datetime | None = None) -> RealtimeFetch | None:
    """Simulate the operator's feed once; None when no timetable is published."""
    if selectors.feed_current() is None:
        return None
    moment = now or timezone.now()
    return realtime_ingest(data=simulated_message(now=moment), kind="trip_updates", now=moment)
