"""Importing the JSON inventory written by GLPI Agent (``glpi-agent --json``, or the local
inventory task), following GLPI's published format (glpi-project/inventory_format,
``inventory.schema.json``): ``deviceid``, ``action``, ``itemtype`` and ``content`` with
``hardware``, ``bios``, ``operatingsystem``, ``softwares`` and ``versionclient``.

One file holds one device, or a JSON list of devices. A device is matched to an asset of
the commune by its serial number (``bios.ssn``), else added. Its installed software is
replaced by what the agent found. Everything is checked before anything is written: one
bad device and nothing is imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from socle.core.errors import ServiceError, TooLarge
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .. import selectors
from ..models import Asset, AssetKind, Site
from .assets import asset_create, asset_update
from .common import MANAGE, require, text
from .csv_import import ImportReport
from .licences import installations_replace

MAX_BYTES = 5 * 1024 * 1024
MAX_DEVICES = 500
MAX_SOFTWARE = 5000

# GLPI Agent's hardware.chassis_type (SMBIOS chassis names) → our kinds.
CHASSIS = {
    "laptop": AssetKind.LAPTOP, "notebook": AssetKind.LAPTOP, "portable": AssetKind.LAPTOP,
    "sub notebook": AssetKind.LAPTOP, "convertible": AssetKind.LAPTOP,
    "tablet": AssetKind.TABLET, "detachable": AssetKind.TABLET,
    "rack mount chassis": AssetKind.SERVER, "main server chassis": AssetKind.SERVER,
    "blade": AssetKind.SERVER, "server": AssetKind.SERVER,
}


@dataclass
class Device:
    values: dict[str, Any]
    software: list[tuple[str, str, str]]


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


def _load(data: bytes) -> list[Any]:
    if len(data) > MAX_BYTES:
        raise TooLarge(f"Le fichier d'inventaire dépasse {MAX_BYTES // (1024 * 1024)} Mo.")
    try:
        parsed = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ServiceError("Ce fichier n'est pas un inventaire JSON de GLPI Agent lisible.",
                           code="invalid_json") from None
    devices = parsed if isinstance(parsed, list) else [parsed]
    if not devices:
        raise ServiceError("Le fichier ne contient aucun inventaire.", code="empty")
    if len(devices) > MAX_DEVICES:
        raise TooLarge(f"Le fichier dépasse {MAX_DEVICES} inventaires : découpez-le.")
    return devices


def _section(content: dict[str, Any], name: str) -> dict[str, Any]:
    value = content.get(name) or {}
    if not isinstance(value, dict):
        raise ServiceError(f"« content.{name} » doit être un objet.")
    return value


def _device(raw: Any) -> Device:
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), dict):
        raise ServiceError("ce n'est pas un inventaire de GLPI Agent (« content » manquant).")
    if not isinstance(raw.get("deviceid"), str) or not raw["deviceid"]:
        raise ServiceError("« deviceid » manquant.")
    if raw.get("itemtype", "Computer") != "Computer":
        raise ServiceError(f"type « {str(raw.get('itemtype'))[:30]} » non pris en charge "
                           "(seulement « Computer »).")
    content = raw["content"]
    if not isinstance(content.get("versionclient"), str):
        raise ServiceError("« content.versionclient » manquant.")
    hardware, bios = _section(content, "hardware"), _section(content, "bios")
    system = _section(content, "operatingsystem")
    name = text(hardware.get("name"), "Le nom du poste (hardware.name)", 160, required=True)
    serial = text(bios.get("ssn"), "Le numéro de série (bios.ssn)", 120)
    chassis = str(hardware.get("chassis_type") or "").strip().lower()
    values = {
        "inventory_number": text(f"GLPI-{serial or name}", "Le numéro d'inventaire", 40),
        "name": name, "serial_number": serial,
        "kind": CHASSIS.get(chassis, AssetKind.COMPUTER),
        "manufacturer": text(bios.get("smanufacturer"), "Le fabricant (bios.smanufacturer)",
                             120),
        "model": text(bios.get("smodel"), "Le modèle (bios.smodel)", 120),
        "operating_system": text(system.get("full_name") or system.get("name"),
                                 "Le système (operatingsystem.full_name)", 160),
    }
    found = content.get("softwares") or []
    if not isinstance(found, list):
        raise ServiceError("« content.softwares » doit être une liste.")
    if len(found) > MAX_SOFTWARE:
        raise TooLarge(f"Plus de {MAX_SOFTWARE} logiciels sur un seul poste.")
    software = []
    for index, entry in enumerate(found):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        label = f"softwares[{index}]"
        software.append((text(entry.get("name"), f"Le nom ({label}.name)", 200),
                         text(entry.get("version"), f"La version ({label}.version)", 60),
                         text(entry.get("publisher"), f"L'éditeur ({label}.publisher)", 200)))
    return Device(values, software)


def assets_import_glpi(*, actor: User | None, organisation: Organisation, data: bytes,
                       site: Site | None = None,
                       catalogue: Organisation | None = None) -> ImportReport:
    """Import GLPI Agent JSON inventories into a commune's assets and installed software."""
    actor = require(actor, MANAGE, organisation)
    report = ImportReport()
    devices: list[Device] = []
    for number, raw in enumerate(_load(data), 1):
        try:
            devices.append(_device(raw))
        except ServiceError as error:
            report.error(number, f"Inventaire n° {number} : {error.message}")
    if not report.ok:
        return report
    catalogue = catalogue or selectors.catalogue_owner_of(organisation=organisation)
    with transaction.atomic():
        for device in devices:
            serial = device.values["serial_number"]
            known = (Asset.objects.filter(organisation=organisation, serial_number=serial).first()
                     if serial else None) or Asset.objects.filter(
                organisation=organisation,
                inventory_number=device.values["inventory_number"]).first()
            if known is None:
                asset = asset_create(actor=actor, organisation=organisation, site=site,
                                     values=device.values, source="glpi")
                report.created += 1
            else:
                keep = {name: getattr(known, name) for name in (
                    "inventory_number", "purchased_on", "warranty_end", "contract", "cost",
                    "assigned_to")}
                asset = asset_update(actor=actor, asset=known, values={**device.values, **keep},
                                     site=site or known.site)
                report.updated += 1
            installations_replace(actor=actor, asset=asset, found=device.software,
                                  catalogue=catalogue)
        audit_record(actor=actor, action="inventory.import", organisation=organisation,
                     data={"format": "glpi-agent-json", "created": report.created,
                           "updated": report.updated})
    return report
