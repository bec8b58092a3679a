"""GBFS v2.3 and v3.0 of VéloTIC, built from the stations and bikes, and checked.

Both versions are served (v3.0 at ``/mobilite/gbfs/``, v2.3 at ``/mobilite/gbfs/v2.3/``):
re-users' apps still read 2.x. Bikes in an active rental are never listed (privacy rule of
GBFS). ``gbfs_check`` applies, beyond each file's JSON Schema, the cross-file rules a schema
cannot say: ``duplicate_station_id``, ``missing_station_status`` (a status for every
station), ``unknown_station_id``, ``unknown_vehicle_type_id``, ``unknown_pricing_plan_id``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

TTL = 60
SYSTEM_ID = "velotic"
VEHICLE_TYPES = {
    "classic": ("velo", "human", "Vélo classique"),
    "electric": ("velo-ae", "electric_assist", "Vélo à assistance électrique"),
}
ELECTRIC_RANGE_METERS = 50_000
V3_FILES = (
    "system_information",
    "station_information",
    "station_status",
    "vehicle_types",
    "vehicle_status",
    "system_pricing_plans",
)
V2_FILES = (
    "system_information",
    "station_information",
    "station_status",
    "vehicle_types",
    "free_bike_status",
    "system_pricing_plans",
)


@dataclass(frozen=True)
class StationRow:
    station_id: str
    name: str
    address: str
    lat: float
    lon: float
    capacity: int
    active: bool
    available: dict[str, int]  # bike kind -> bikes available now
    docks_free: int


@dataclass(frozen=True)
class BikeRow:
    number: str
    kind: str
    station_id: str
    disabled: bool
    battery_percent: int | None


@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    name: str
    price: float
    days: int


@dataclass(frozen=True)
class System:
    name: str
    operator: str
    email: str
    url: str
    timezone: str
    now: datetime
    stations: list[StationRow]
    bikes: list[BikeRow]
    plans: list[PlanRow]


def _fr(text: str) -> list[dict[str, str]]:
    return [{"text": text, "language": "fr"}]


def _type_id(kind: str) -> str:
    return VEHICLE_TYPES[kind][0]


def _vehicle_type(kind: str, version: str) -> dict[str, Any]:
    type_id, propulsion, label = VEHICLE_TYPES[kind]
    entry: dict[str, Any] = {
        "vehicle_type_id": type_id,
        "form_factor": "bicycle",
        "propulsion_type": propulsion,
        "name": _fr(label) if version == "3.0" else label,
    }
    if propulsion != "human":
        entry["max_range_meters"] = ELECTRIC_RANGE_METERS
    return entry


def gbfs_files(system: System, *, version: str, root_url: str) -> dict[str, dict[str, Any]]:
    """Return every file of one GBFS version, ``gbfs`` and ``gbfs_versions`` included.

    ``root_url`` is where v3.0 is served (ending with a slash); v2.3 lives in its ``v2.3/``.
    """
    v3 = version == "3.0"
    base_url = root_url if v3 else f"{root_url}v2.3/"
    stamp: Any = system.now.isoformat(timespec="seconds") if v3 else int(system.now.timestamp())
    reported = int(system.now.timestamp())

    def wrap(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "last_updated": system.now.isoformat(timespec="seconds") if v3 else stamp,
            "ttl": TTL,
            "version": version,
            "data": data,
        }

    text = _fr if v3 else (lambda value: value)  # v2.3 strings are plain, v3.0 translated
    info: dict[str, Any] = {
        "system_id": SYSTEM_ID,
        "name": text(system.name),
        "operator": text(system.operator),
        "url": system.url,
        "timezone": system.timezone,
    }
    if v3:
        info |= {"languages": ["fr"], "opening_hours": "24/7", "feed_contact_email": system.email}
    else:
        info |= {"language": "fr", "email": system.email}
    stations_info, stations_status = [], []
    for s in system.stations:
        stations_info.append(
            {
                "station_id": s.station_id,
                "name": text(s.name),
                "lat": s.lat,
                "lon": s.lon,
                "address": s.address,
                "capacity": s.capacity,
                "is_virtual_station": False,
            }
        )
        total = sum(s.available.values())
        status: dict[str, Any] = {
            "station_id": s.station_id,
            "is_installed": s.active,
            "is_renting": s.active,
            "is_returning": s.active,
            "last_reported": system.now.isoformat(timespec="seconds") if v3 else reported,
            "num_docks_available": s.docks_free,
            "vehicle_types_available": [
                {"vehicle_type_id": _type_id(kind), "count": s.available.get(kind, 0)}
                for kind in VEHICLE_TYPES
            ],
        }
        status["num_vehicles_available" if v3 else "num_bikes_available"] = total
        stations_status.append(status)
    vehicles = []
    for b in system.bikes:
        entry: dict[str, Any] = {
            "is_reserved": False,
            "is_disabled": b.disabled,
            "vehicle_type_id": _type_id(b.kind),
            "station_id": b.station_id,
            "last_reported": system.now.isoformat(timespec="seconds") if v3 else reported,
        }
        entry["vehicle_id" if v3 else "bike_id"] = f"velo-{b.number}"
        if b.kind == "electric" and b.battery_percent is not None:
            entry["current_range_meters"] = round(ELECTRIC_RANGE_METERS * b.battery_percent / 100)
            if v3:
                entry["current_fuel_percent"] = round(b.battery_percent / 100, 2)
        vehicles.append(entry)
    plans = [
        {
            "plan_id": p.plan_id,
            "name": text(p.name),
            "currency": "EUR",
            "price": p.price,
            "is_taxable": False,
            "description": text(
                f"{p.name} : locations illimitées de moins de "
                f"30 minutes pendant {p.days} jour{'s' if p.days > 1 else ''}."
            ),
        }
        for p in system.plans
    ]
    files = {
        "system_information": wrap(info),
        "station_information": wrap({"stations": stations_info}),
        "station_status": wrap({"stations": stations_status}),
        "vehicle_types": wrap({"vehicle_types": [_vehicle_type(k, version) for k in VEHICLE_TYPES]}),
        "vehicle_status" if v3 else "free_bike_status": wrap({"vehicles" if v3 else "bikes": vehicles}),
        "system_pricing_plans": wrap({"plans": plans}),
    }
    names = V3_FILES if v3 else V2_FILES
    feeds = [{"name": name, "url": f"{base_url}{name}.json"} for name in ("gbfs_versions", *names)]
    files["gbfs"] = wrap({"feeds": feeds} if v3 else {"fr": {"feeds": feeds}})
    files["gbfs_versions"] = wrap(
        {
            "versions": [
                {"version": "2.3", "url": f"{root_url}v2.3/gbfs.json"},
                {"version": "3.0", "url": f"{root_url}gbfs.json"},
            ]
        }
    )
    return files


def gbfs_check(
    files: dict[str, dict[str, Any]], *, version: str, schemas: Path | None
) -> list[dict[str, Any]]:
    """Check a GBFS version file by file against its JSON Schemas (if given) and the cross-file rules."""
    problems: list[dict[str, Any]] = []
    if schemas is not None:
        import jsonschema

        for name, content in files.items():
            schema_path = schemas / f"{name}.json"
            if not schema_path.is_file():
                problems.append({"code": "no_schema", "file": name})
                continue
            schema = json.loads(schema_path.read_text())
            validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
            problems += [
                {
                    "code": "schema",
                    "file": name,
                    "path": "/".join(str(p) for p in error.absolute_path),
                    "message": error.message[:300],
                }
                for error in validator.iter_errors(content)
            ]
    v3 = version == "3.0"
    info_ids = [s["station_id"] for s in files["station_information"]["data"]["stations"]]
    status_ids = [s["station_id"] for s in files["station_status"]["data"]["stations"]]
    problems += [
        {"code": "duplicate_station_id", "station_id": sid} for sid, n in Counter(info_ids).items() if n > 1
    ]
    problems += [
        {"code": "missing_station_status", "station_id": sid} for sid in set(info_ids) - set(status_ids)
    ]
    problems += [
        {"code": "unknown_station_id", "file": "station_status", "station_id": sid}
        for sid in set(status_ids) - set(info_ids)
    ]
    type_ids = {t["vehicle_type_id"] for t in files["vehicle_types"]["data"]["vehicle_types"]}
    vehicles = files["vehicle_status" if v3 else "free_bike_status"]["data"]["vehicles" if v3 else "bikes"]
    for vehicle in vehicles:
        if vehicle.get("station_id") and vehicle["station_id"] not in info_ids:
            problems.append(
                {"code": "unknown_station_id", "file": "vehicles", "station_id": vehicle["station_id"]}
            )
        if vehicle.get("vehicle_type_id") not in type_ids:
            problems.append(
                {"code": "unknown_vehicle_type_id", "vehicle_type_id": vehicle.get("vehicle_type_id")}
            )
    for station in files["station_status"]["data"]["stations"]:
        for available in station.get("vehicle_types_available", []):
            if available["vehicle_type_id"] not in type_ids:
                problems.append(
                    {"code": "unknown_vehicle_type_id", "vehicle_type_id": available["vehicle_type_id"]}
                )
    plan_ids = {p["plan_id"] for p in files["system_pricing_plans"]["data"]["plans"]}
    for vehicle in vehicles:
        plan = vehicle.get("pricing_plan_id")
        if plan and plan not in plan_ids:
            problems.append({"code": "unknown_pricing_plan_id", "plan_id": plan})
    return problems
