"""Writing an ArchiveTransfer (SEDA 2.3, or 2.1 for partners still on it) from the GED's documents.

The generator works on plain descriptions (``ExportUnit``, ``ExportObject``) so it is
tested on its own against the official XSD; ``document_unit`` turns a GED document into
one. Element order follows the XSD sequences exactly (an unordered element is invalid).

The GED's final action "sort" (tri) has no SEDA code of its own: it is written as
``FinalAction`` ``Keep`` plus ``NeedAuthorization`` ``true`` in the unit's ``Management``,
the SEDA way of saying that a person must authorise what happens to the unit, and the
unit's description says so in words too.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .seda import NAMESPACE_OF

EXPORT_VERSIONS = ("2.3", "2.1")
SORT_STATEMENT = ("Sort final : tri. Conservation (Keep) sous réserve d'une autorisation "
                  "explicite du service d'archives avant toute élimination partielle.")
# Code du patrimoine, L213-2: immediately communicable, 25 years, 50 years (private life).
ACCESS_RULES = {"public": ("ACC-00Y", 0), "internal": ("ACC-25Y", 25), "restricted": ("ACC-50Y", 50)}


@dataclass(frozen=True)
class ExportObject:
    id: str
    uri: str
    sha256: str
    size: int
    mime_type: str
    filename: str
    version: int = 1
    format_id: str = ""


@dataclass(frozen=True)
class ExportRule:
    rule_id: str
    start_date: dt.date | None


@dataclass(frozen=True)
class ExportUnit:
    id: str
    title: str
    objects: list[ExportObject]
    originating_agency: str
    submission_agency: str
    description: str = ""
    file_plan_position: str = ""
    originating_system_id: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    appraisal: ExportRule | None = None
    final_action: str = "Keep"  # Keep / Destroy
    need_authorization: bool = False
    access: ExportRule | None = None
    keywords: list[str] = field(default_factory=list)


def archive_transfer(*, version: str, message_identifier: str, archival_agency: str,
                     transferring_agency: str, units: list[ExportUnit], at: dt.datetime,
                     comment: str = "", archival_agreement: str = "") -> bytes:
    """Write one ArchiveTransfer message describing the units and their binary objects."""
    if version not in EXPORT_VERSIONS:
        raise ValueError(f"SEDA {version} non pris en charge à l'export.")
    ns = NAMESPACE_OF[version]
    root = etree.Element(f"{{{ns}}}ArchiveTransfer", nsmap={None: ns})

    def add(parent: etree._Element, name: str, value: str | None = None,
            **attributes: str) -> etree._Element:
        child = etree.SubElement(parent, f"{{{ns}}}{name}", attributes)
        if value is not None:
            child.text = value
        return child

    if comment:
        add(root, "Comment", comment)
    add(root, "Date", at.replace(microsecond=0, tzinfo=None).isoformat())
    add(root, "MessageIdentifier", message_identifier)
    if archival_agreement:
        add(root, "ArchivalAgreement", archival_agreement)
    lists = add(root, "CodeListVersions")
    add(lists, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    add(lists, "MessageDigestAlgorithmCodeListVersion", "MessageDigestAlgorithmCodeListVersion0")
    add(lists, "MimeTypeCodeListVersion", "MimeTypeCodeListVersion0")
    add(lists, "FileFormatCodeListVersion", "PRONOM")
    package = add(root, "DataObjectPackage")
    for unit in units:
        group = add(package, "DataObjectGroup", id=f"GRP-{unit.id}")
        for obj in unit.objects:
            _binary_object(add, group, obj)
    descriptive = add(package, "DescriptiveMetadata")
    for unit in units:
        _archive_unit(add, descriptive, unit)
    management = add(package, "ManagementMetadata")
    add(management, "OriginatingAgencyIdentifier", units[0].originating_agency if units
        else transferring_agency)
    add(management, "SubmissionAgencyIdentifier", transferring_agency)
    add(add(root, "ArchivalAgency"), "Identifier", archival_agency)
    add(add(root, "TransferringAgency"), "Identifier", transferring_agency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _binary_object(add: Any, group: etree._Element, obj: ExportObject) -> None:
    node = add(group, "BinaryDataObject", id=obj.id)
    add(node, "DataObjectVersion", f"BinaryMaster_{obj.version}")
    add(node, "Uri", obj.uri)
    add(node, "MessageDigest", obj.sha256, algorithm="SHA-256")
    add(node, "Size", str(obj.size))
    formats = add(node, "FormatIdentification")
    if obj.mime_type:
        add(formats, "MimeType", obj.mime_type)
    if obj.format_id:
        add(formats, "FormatId", obj.format_id)
    add(add(node, "FileInfo"), "Filename", obj.filename)


def _archive_unit(add: Any, parent: etree._Element, unit: ExportUnit) -> None:
    node = add(parent, "ArchiveUnit", id=unit.id)
    management = add(node, "Management")
    if unit.appraisal:
        rule = add(management, "AppraisalRule")
        add(rule, "Rule", unit.appraisal.rule_id)
        if unit.appraisal.start_date:
            add(rule, "StartDate", unit.appraisal.start_date.isoformat())
        add(rule, "FinalAction", unit.final_action)
    if unit.access:
        rule = add(management, "AccessRule")
        add(rule, "Rule", unit.access.rule_id)
        if unit.access.start_date:
            add(rule, "StartDate", unit.access.start_date.isoformat())
    if unit.need_authorization:
        add(management, "NeedAuthorization", "true")
    content = add(node, "Content")
    add(content, "DescriptionLevel", "Item")
    add(content, "Title", unit.title)
    if unit.file_plan_position:
        add(content, "FilePlanPosition", unit.file_plan_position)
    if unit.originating_system_id:
        add(content, "OriginatingSystemId", unit.originating_system_id)
    description = " ".join(part for part in (unit.description, SORT_STATEMENT
                                             if unit.need_authorization else "") if part)
    if description:
        add(content, "Description", description)
    for keyword in unit.keywords:
        add(add(content, "Keyword"), "KeywordContent", keyword)
    add(add(content, "OriginatingAgency"), "Identifier", unit.originating_agency)
    add(add(content, "SubmissionAgency"), "Identifier", unit.submission_agency)
    if unit.start_date:
        add(content, "StartDate", unit.start_date.isoformat())
    if unit.end_date:
        add(content, "EndDate", unit.end_date.isoformat())
    if unit.objects:
        add(add(node, "DataObjectReference"), "DataObjectGroupReferenceId", f"GRP-{unit.id}")


# --- from the GED ---------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def member_name(document_id: int, number: int, name: str) -> str:
    """Return the path of a version's file inside the package: unique, portable, readable."""
    safe = _UNSAFE.sub("_", name).strip("._")[:120] or "fichier"
    return f"Content/DOC{document_id}/v{number}-{safe}"


def appraisal_years(duration: str) -> int:
    """Return a SEDA duration (P10Y, P18M) in whole years, the referential's unit (months round up)."""
    found = re.fullmatch(r"P(\d+)([YM])", duration or "")
    if not found:
        return 0
    value = int(found.group(1))
    return value if found.group(2) == "Y" else math.ceil(value / 12)


def access_rule_of(access_rule: str) -> tuple[str, int]:
    """Map the GED's access rule to a communicability rule of the archives' referential."""
    return ACCESS_RULES.get(access_rule.split(":", 1)[0], ACCESS_RULES["internal"])


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def document_unit(meta: dict[str, Any], *, transferring_agency: str,
                  format_ids: dict[str, str] | None = None) -> ExportUnit:
    """Describe one GED document (``documents.selectors.transfer_metadata``) as an archive unit."""
    appraisal = meta["appraisal_rule"]
    node = meta["node"]
    created = _day(meta["created_at"])
    start = _day(meta.get("document_date")) or created
    end = _day(meta.get("closed_on")) or start
    assert start is not None and end is not None
    access_id, _ = access_rule_of(meta["access_rule"]["rule"])
    objects = [ExportObject(
        id=f"BDO-{meta['id']}-{version['number']}",
        uri=member_name(meta["id"], version["number"],
                        version["file_name"] or version["original_name"]),
        sha256=version["sha256"], size=version["size"], mime_type=version["mime_type"],
        filename=version["original_name"] or version["file_name"], version=version["number"],
        format_id=(format_ids or {}).get(version["sha256"], ""),
    ) for version in meta["versions"]]
    return ExportUnit(
        id=f"DOC-{meta['id']}", title=meta["title"][:500], objects=objects,
        originating_agency=meta["originating_agency"]["slug"],
        submission_agency=transferring_agency,
        description=f"Plan de classement {node['plan']} (version {node['plan_version']}) : "
                    f"{node['code']} — {node['title']}.",
        file_plan_position=node["code"], originating_system_id=f"socle-ged:{meta['id']}",
        start_date=min(start, end), end_date=max(start, end),
        appraisal=ExportRule(appraisal["rule"], _day(appraisal.get("start_date")))
        if appraisal.get("duration") else None,
        final_action="Destroy" if appraisal.get("final_action_local") == "destroy" else "Keep",
        need_authorization=appraisal.get("final_action_local") == "sort",
        access=ExportRule(access_id, max(start, end)),
        keywords=[str(tag) for tag in (meta.get("tags") or [])][:20],
    )
