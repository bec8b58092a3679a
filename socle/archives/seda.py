"""SEDA 2.1 / 2.2 / 2.3 messages: reading an ArchiveTransfer safely, writing an ArchiveTransferReply.

The platform's own code for SEDA: lxml with entities never resolved, no network, no
huge trees, and any DTD refused outright (the vector of entity expansion and of
external entities). Validation against the official XSD happens when its folder is
configured (``SOCLE_SEDA_SCHEMAS`` or ``SOCLE_SEDA_SCHEMA_DIR_2_x``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from lxml import etree

NAMESPACES = {
    "fr:gouv:culture:archivesdefrance:seda:v2.1": "2.1",
    "fr:gouv:culture:archivesdefrance:seda:v2.2": "2.2",
    "fr:gouv:culture:archivesdefrance:seda:v2.3": "2.3",
}
NAMESPACE_OF = {version: ns for ns, version in NAMESPACES.items()}
# The digest algorithms of SEDA's code list; MD5 and SHA-1 are accepted with a warning: the
# content is still checked against them, and the SAE keeps its own SHA-256.
DIGEST_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
                     "SHA-512": "sha512"}
WEAK_DIGESTS = frozenset({"MD5", "SHA-1"})
MAX_MANIFEST_SIZE = 50 * 1024 * 1024


class ManifestRefused(ValueError):
    """A manifest that cannot be read or trusted, with a French reason."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True)


def parse_manifest(data: bytes) -> tuple[etree._ElementTree, str]:
    """Parse a manifest hardened; return its tree and its SEDA version."""
    if len(data) > MAX_MANIFEST_SIZE:
        raise ManifestRefused("Le manifeste dépasse la taille admise.")
    # Refused before parsing: a DTD is how entity expansion and external entities come in.
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise ManifestRefused(
            "Le manifeste déclare une DTD ou des entités XML : expansion d'entités et entités "
            "externes refusées.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ManifestRefused(f"Le manifeste n'est pas un XML bien formé : {exc}.") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ManifestRefused(
            "Le manifeste déclare une DTD : expansion d'entités et entités externes refusées.")
    qname = etree.QName(root)
    version = NAMESPACES.get(qname.namespace or "")
    if version is None:
        raise ManifestRefused(
            f"Espace de noms inconnu « {qname.namespace} » : SEDA 2.1, 2.2 ou 2.3 attendu.")
    if qname.localname != "ArchiveTransfer":
        raise ManifestRefused(f"Message « {qname.localname} » reçu : ArchiveTransfer attendu.")
    return tree, version


def schema_path(version: str) -> Path | None:
    """Return the main XSD of a SEDA version when its folder is configured, else None."""
    folder = settings.ARCHIVES_SEDA_SCHEMA_DIRS.get(version)
    if not folder:
        return None
    path = Path(folder) / f"seda-{version}-main.xsd"
    return path if path.is_file() else None


@lru_cache(maxsize=8)
def _schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(path, parser))


def validate_schema(tree: etree._ElementTree, version: str) -> list[str] | None:
    """Validate against the official XSD: the errors, or None when no schema is configured."""
    path = schema_path(version)
    if path is None:
        return None
    schema = _schema(str(path))
    if schema.validate(tree):
        return []
    return [f"ligne {error.line} : {error.message}" for error in list(schema.error_log)[:20]]


_RELAXNG = "http://relaxng.org/ns/structure/1.0"
_SCHEMATRON = "http://purl.oclc.org/dsdl/schematron"


def validate_profile(tree: etree._ElementTree, profile_schema: str) -> list[str]:
    """Check a manifest against an archival profile (RELAX NG or ISO Schematron): the errors."""
    from lxml import isoschematron

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(profile_schema.encode(), parser)
        namespace = etree.QName(document).namespace
        validator: etree._Validator
        if namespace == _RELAXNG:
            validator = etree.RelaxNG(document)
        elif namespace == _SCHEMATRON:
            validator = isoschematron.Schematron(document, store_report=True)
        else:
            return ["le profil n'est ni un schéma RELAX NG ni un Schematron"]
    except (etree.XMLSyntaxError, etree.RelaxNGParseError, etree.SchematronParseError) as exc:
        return [f"profil illisible : {exc}"]
    if validator.validate(tree):
        return []
    if isinstance(validator, isoschematron.Schematron):
        report = validator.validation_report
        texts = report.xpath("//svrl:failed-assert/svrl:text/text()",
                             namespaces={"svrl": "http://purl.oclc.org/dsdl/svrl"})
        return [str(text).strip() for text in texts[:20]] or ["non conforme"]
    return [f"ligne {error.line} : {error.message}" for error in list(validator.error_log)[:20]]


# --- reading ------------------------------------------------------------------------------


@dataclass
class DataObject:
    id: str
    uri: str
    algorithm: str
    digest: str
    size: int | None
    group: str
    physical: bool = False


# The rule categories SEDA defines, in the order of its ManagementGroup (HoldRule: 2.3).
RULE_CATEGORIES = ("StorageRule", "AppraisalRule", "AccessRule", "DisseminationRule",
                   "ReuseRule", "ClassificationRule", "HoldRule")
# The dates of a unit's Content that say when its documents were made, sent or received.
CONTENT_DATES = ("StartDate", "EndDate", "CreatedDate", "TransactedDate", "AcquiredDate",
                 "SentDate", "ReceivedDate", "RegisteredDate")


@dataclass
class RuleRef:
    kind: str  # one of RULE_CATEGORIES
    rule_id: str
    start_date: dt.date | None
    final_action: str
    package_level: bool = False
    start_text: str = ""  # as written, to tell an unreadable date from an absent one
    unit: str = ""  # the unit declaring it, empty at package level


@dataclass
class Unit:
    """An archive unit that is described (has a Content), as the semantic checks see it."""

    id: str
    titles: list[str] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)  # CONTENT_DATES as written


@dataclass
class Attachment:
    """A unit's own DataObjectReference: to a group (the rule) or to an object."""

    unit: str
    ref: str
    to_group: bool


@dataclass
class Manifest:
    version: str
    message_identifier: str
    archival_agency: str
    transferring_agency: str
    archival_profile: str = ""
    originating_agency: str = ""
    title: str = ""
    description: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    data_objects: list[DataObject] = field(default_factory=list)
    physical_objects: list[DataObject] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    rules: list[RuleRef] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    # unit id -> ids of the units it contains (nested or referenced)
    unit_children: dict[str, list[str]] = field(default_factory=dict)
    unit_refs: list[str] = field(default_factory=list)
    object_refs: list[str] = field(default_factory=list)
    top_units: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def parse_date(text: str | None) -> dt.date | None:
    """Read an xs:date or xs:dateTime as a date; None when it is not a real calendar date."""
    if not text:
        return None
    value = text.strip()
    # Four-digit years only: xs:date also allows "-0044" or "20100", never a real archive.
    if len(value) < 10 or not value[:4].isdigit() or (len(value) > 10 and value[10] not in "T+-Z"):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


_date = parse_date


def _text(node: etree._Element, path: str, ns: dict[str, str]) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def _read_objects(root: etree._Element, ns: dict[str, str], manifest: Manifest) -> None:
    group_tag = f"{{{ns['s']}}}DataObjectGroup"
    manifest.groups = [str(node.get("id", "")) for node in root.iter(group_tag)]
    for tag in ("BinaryDataObject", "PhysicalDataObject"):
        for node in root.iter(f"{{{ns['s']}}}{tag}"):
            parent = node.getparent()
            # SEDA 2.1 names the group inside the object; 2.2 and 2.3 put the object in it.
            own_group = _text(node, "s:DataObjectGroupId", ns)
            if own_group:
                manifest.groups.append(own_group)
            group = own_group or _text(node, "s:DataObjectGroupReferenceId", ns) or (
                str(parent.get("id", "")) if parent is not None and parent.tag == group_tag
                else "")
            if tag == "PhysicalDataObject":
                manifest.physical_objects.append(DataObject(
                    id=str(node.get("id", "")), uri="", algorithm="", digest="", size=None,
                    group=group, physical=True))
                continue
            digest = node.find("s:MessageDigest", ns)
            size = _text(node, "s:Size", ns)
            attachment = node.find("s:Attachment", ns)
            uri = _text(node, "s:Uri", ns) or (
                attachment.get("filename", "") if attachment is not None else "")
            manifest.data_objects.append(DataObject(
                id=str(node.get("id", "")), uri=uri,
                algorithm=(digest.get("algorithm", "") if digest is not None else ""),
                digest=((digest.text or "").strip().lower() if digest is not None else ""),
                size=int(size) if size.isdigit() else None, group=group,
            ))


def _read_units(root: etree._Element, ns: dict[str, str], manifest: Manifest) -> None:
    unit_tag = f"{{{ns['s']}}}ArchiveUnit"
    for unit in root.iter(unit_tag):
        unit_id = str(unit.get("id", ""))
        children = [str(child.get("id", "")) for child in unit if child.tag == unit_tag]
        children += [(ref.text or "").strip() for ref in unit.findall("s:ArchiveUnitRefId", ns)]
        children += [(ref.text or "").strip()
                     for ref in unit.findall("s:ArchiveUnit/s:ArchiveUnitRefId", ns)]
        manifest.unit_children[unit_id] = [child for child in children if child]
        parent = unit.getparent()
        if parent is not None and parent.tag != unit_tag:
            manifest.top_units.append(unit_id)
        content = unit.find("s:Content", ns)
        if content is not None:
            manifest.units.append(Unit(
                id=unit_id,
                titles=[(title.text or "").strip() for title in content.findall("s:Title", ns)],
                dates={name: _text(content, f"s:{name}", ns) for name in CONTENT_DATES
                       if content.find(f"s:{name}", ns) is not None}))
        for reference in unit.findall("s:DataObjectReference", ns):
            for tag, to_group in (("DataObjectGroupReferenceId", True),
                                  ("DataObjectReferenceId", False)):
                for ref in reference.findall(f"s:{tag}", ns):
                    manifest.attachments.append(
                        Attachment(unit=unit_id, ref=(ref.text or "").strip(), to_group=to_group))


def _read_rules(root: etree._Element, ns: dict[str, str], manifest: Manifest) -> None:
    unit_tag = f"{{{ns['s']}}}ArchiveUnit"
    for kind in RULE_CATEGORIES:
        for block in root.iter(f"{{{ns['s']}}}{kind}"):
            start_text = _text(block, "s:StartDate", ns)
            final = _text(block, "s:FinalAction", ns)
            parent = block.getparent()
            owner = parent.getparent() if parent is not None else None
            for rule in block.findall("s:Rule", ns):
                manifest.rules.append(RuleRef(
                    kind=kind, rule_id=(rule.text or "").strip(), start_date=_date(start_text),
                    final_action=final, start_text=start_text,
                    package_level=parent is not None
                    and etree.QName(parent).localname == "ManagementMetadata",
                    unit=str(owner.get("id", "")) if owner is not None
                    and owner.tag == unit_tag else ""))


def read_manifest(tree: etree._ElementTree, version: str) -> Manifest:
    """Extract from a parsed ArchiveTransfer what the ingest checks and keeps."""
    ns = {"s": NAMESPACE_OF[version]}
    root = tree.getroot()
    manifest = Manifest(
        version=version,
        message_identifier=_text(root, "s:MessageIdentifier", ns),
        archival_agency=_text(root, "s:ArchivalAgency/s:Identifier", ns),
        transferring_agency=_text(root, "s:TransferringAgency/s:Identifier", ns),
    )
    manifest.archival_profile = _text(
        root, "s:DataObjectPackage/s:ManagementMetadata/s:ArchivalProfile", ns)
    manifest.ids = [str(node.get("id")) for node in root.iter() if node.get("id") is not None]
    _read_objects(root, ns, manifest)
    _read_units(root, ns, manifest)
    manifest.unit_refs = [(ref.text or "").strip()
                          for ref in root.iter(f"{{{ns['s']}}}ArchiveUnitRefId")]
    for tag in ("DataObjectReferenceId", "DataObjectGroupReferenceId"):
        manifest.object_refs += [(ref.text or "").strip() for ref in root.iter(f"{{{ns['s']}}}{tag}")]
    unit_tag = f"{{{ns['s']}}}ArchiveUnit"
    units = [unit for unit in root.iter(unit_tag) if unit.find("s:Content", ns) is not None]
    if units:
        content = units[0].find("s:Content", ns)
        assert content is not None
        manifest.title = _text(content, "s:Title", ns)
        manifest.description = _text(content, "s:Description", ns)
    starts = [d for u in units if (d := _date(_text(u, "s:Content/s:StartDate", ns)))]
    ends = [d for u in units if (d := _date(_text(u, "s:Content/s:EndDate", ns)))]
    manifest.start_date = min(starts) if starts else None
    manifest.end_date = max(ends) if ends else None
    manifest.originating_agency = (
        _text(root, "s:DataObjectPackage/s:ManagementMetadata/s:OriginatingAgencyIdentifier", ns)
        or (_text(units[0], "s:Content/s:OriginatingAgency/s:Identifier", ns) if units else ""))
    _read_rules(root, ns, manifest)
    return manifest


def find_cycle(children: dict[str, list[str]]) -> list[str] | None:
    """Return one cycle of the archive-unit graph, or None (iterative: trees may be deep)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in children:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            kids = children.get(node, [])
            if index < len(kids):
                stack.append((node, index + 1))
                kid = kids[index]
                if state.get(kid) == 1:
                    return [*path[path.index(kid):], kid]
                if not state.get(kid):
                    stack.append((kid, 0))
            else:
                state[node] = 2
                path.pop()
    return None


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyEvent:
    name: str  # the event type code (docs/operations.md, "Étapes du versement")
    outcome: str  # OK, WARNING or KO
    detail: str
    at: dt.datetime | None = None  # when the step was done; the reply's date otherwise
    label: str = ""  # the event type, in French
    data: str = ""  # EventDetailData: what the step produced (the package's identifier)


@dataclass(frozen=True)
class ReplyPackage:
    """What an accepted transfer became: the package and the identifiers given inside it.

    Each unit, object and object group keeps the id it had in the manifest (so that the
    transferring agency can match them) and receives a system identifier, the package's
    identifier followed by that id: unique in the whole archive, since a manifest's ids are
    unique within it.
    """

    identifier: str
    units: list[str]
    objects: list[tuple[str, str]]  # (object id, group id or "")

    def system_id(self, local_id: str) -> str:
        return f"{self.identifier}/{local_id}"


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def _reply_package(add: Callable[..., etree._Element], root: etree._Element,
                   package: ReplyPackage) -> None:
    container = add(root, "DataObjectPackage")
    grouped: dict[str, list[str]] = {}
    loose: list[str] = []
    for object_id, group in package.objects:
        (grouped.setdefault(group, []) if group else loose).append(object_id)

    def data_object(parent: etree._Element, object_id: str, group: str) -> None:
        node = add(parent, "BinaryDataObject")
        node.set("id", object_id)
        add(node, "DataObjectSystemId", package.system_id(object_id))
        if group:
            add(node, "DataObjectGroupSystemId", package.system_id(group))

    for group, object_ids in grouped.items():
        node = add(container, "DataObjectGroup")
        node.set("id", group)
        for object_id in object_ids:
            data_object(node, object_id, group)
    for object_id in loose:
        data_object(container, object_id, "")
    descriptive = add(container, "DescriptiveMetadata")
    for unit_id in package.units:
        unit = add(descriptive, "ArchiveUnit")
        unit.set("id", unit_id)
        add(add(unit, "Content"), "SystemId", package.system_id(unit_id))
    add(container, "ManagementMetadata")


def transfer_reply(*, version: str, reply_identifier: str, request_identifier: str,
                   reply_code: str, archival_agency: str, transferring_agency: str,
                   events: list[ReplyEvent], at: dt.datetime,
                   comment: str = "", package: ReplyPackage | None = None) -> bytes:
    """Write an ArchiveTransferReply in the namespace of the transfer's SEDA version."""
    namespace = NAMESPACE_OF.get(version, NAMESPACE_OF["2.1"])
    root = etree.Element(f"{{{namespace}}}ArchiveTransferReply", nsmap={None: namespace})

    def add(parent: etree._Element, name: str, value: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        if value is not None:
            child.text = value
        return child

    if comment:
        add(root, "Comment", comment)
    add(root, "Date", _stamp(at))
    add(root, "MessageIdentifier", reply_identifier)
    lists = add(root, "CodeListVersions")
    add(lists, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    if package is not None and reply_code != "KO":
        _reply_package(add, root, package)
    add(root, "ReplyCode", str(reply_code))
    operation = add(root, "Operation")
    for event in events:
        node = add(operation, "Event")
        add(node, "EventTypeCode", event.name)
        if event.label:
            add(node, "EventType", event.label)
        add(node, "EventDateTime", _stamp(event.at or at))
        add(node, "Outcome", str(event.outcome))
        add(node, "OutcomeDetail", f"{event.name}.{event.outcome}")
        if event.detail:
            add(node, "OutcomeDetailMessage", event.detail[:1000])
        if event.data:
            add(node, "EventDetailData", event.data)
    add(root, "MessageRequestIdentifier", request_identifier or "inconnu")
    if reply_code != "KO":  # accepted, with or without a warning
        add(root, "GrantDate", _stamp(at))
    add(add(root, "ArchivalAgency"), "Identifier", archival_agency or "inconnu")
    add(add(root, "TransferringAgency"), "Identifier", transferring_agency or "inconnu")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
