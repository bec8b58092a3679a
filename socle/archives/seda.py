"""SEDA 2.1 / 2.2 / 2.3 messages: reading an ArchiveTransfer safely, writing an ArchiveTransferReply.

The platform's own code for SEDA: lxml with entities never resolved, no network, no
huge trees, and any DTD refused outright (the vector of entity expansion and of
external entities). Validation against the official XSD happens when its folder is
configured (``SOCLE_SEDA_SCHEMAS`` or ``SOCLE_SEDA_SCHEMA_DIR_2_x``).
"""

from __future__ import annotations

import datetime as dt
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
DIGEST_ALGORITHMS = {"SHA-256": "sha256", "SHA-512": "sha512"}
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


@dataclass
class RuleRef:
    kind: str  # AppraisalRule / AccessRule
    rule_id: str
    start_date: dt.date | None
    final_action: str
    package_level: bool = False


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
    rules: list[RuleRef] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    # unit id -> ids of the units it contains (nested or referenced)
    unit_children: dict[str, list[str]] = field(default_factory=dict)
    unit_refs: list[str] = field(default_factory=list)
    object_refs: list[str] = field(default_factory=list)
    top_units: list[str] = field(default_factory=list)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def read_manifest(tree: etree._ElementTree, version: str) -> Manifest:
    """Extract from a parsed ArchiveTransfer what the ingest checks and keeps."""
    ns = {"s": NAMESPACE_OF[version]}
    root = tree.getroot()

    def text(node: etree._Element, path: str) -> str:
        found = node.find(path, ns)
        return (found.text or "").strip() if found is not None and found.text else ""

    manifest = Manifest(
        version=version,
        message_identifier=text(root, "s:MessageIdentifier"),
        archival_agency=text(root, "s:ArchivalAgency/s:Identifier"),
        transferring_agency=text(root, "s:TransferringAgency/s:Identifier"),
    )
    manifest.archival_profile = text(
        root, "s:DataObjectPackage/s:ManagementMetadata/s:ArchivalProfile")
    manifest.ids = [str(node.get("id")) for node in root.iter() if node.get("id") is not None]
    for node in root.iter(f"{{{ns['s']}}}BinaryDataObject"):
        digest = node.find("s:MessageDigest", ns)
        size = text(node, "s:Size")
        uri = text(node, "s:Uri") or (node.find("s:Attachment", ns).get("filename", "")
                                      if node.find("s:Attachment", ns) is not None else "")
        parent = node.getparent()
        group = text(node, "s:DataObjectGroupId") or (
            str(parent.get("id", "")) if parent is not None
            and etree.QName(parent).localname == "DataObjectGroup" else "")
        manifest.data_objects.append(DataObject(
            id=str(node.get("id", "")), uri=uri,
            algorithm=(digest.get("algorithm", "") if digest is not None else ""),
            digest=((digest.text or "").strip().lower() if digest is not None else ""),
            size=int(size) if size.isdigit() else None, group=group,
        ))
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
    manifest.unit_refs = [(ref.text or "").strip()
                          for ref in root.iter(f"{{{ns['s']}}}ArchiveUnitRefId")]
    for tag in ("DataObjectReferenceId", "DataObjectGroupReferenceId"):
        manifest.object_refs += [(ref.text or "").strip() for ref in root.iter(f"{{{ns['s']}}}{tag}")]
    units = [unit for unit in root.iter(unit_tag) if unit.find("s:Content", ns) is not None]
    if units:
        content = units[0].find("s:Content", ns)
        assert content is not None
        manifest.title = text(content, "s:Title")
        manifest.description = text(content, "s:Description")
    starts = [d for u in units if (d := _date(text(u, "s:Content/s:StartDate")))]
    ends = [d for u in units if (d := _date(text(u, "s:Content/s:EndDate")))]
    manifest.start_date = min(starts) if starts else None
    manifest.end_date = max(ends) if ends else None
    manifest.originating_agency = (
        text(root, "s:DataObjectPackage/s:ManagementMetadata/s:OriginatingAgencyIdentifier")
        or (text(units[0], "s:Content/s:OriginatingAgency/s:Identifier") if units else ""))
    for kind in ("AppraisalRule", "AccessRule"):
        for block in root.iter(f"{{{ns['s']}}}{kind}"):
            start = _date(text(block, "s:StartDate"))
            final = text(block, "s:FinalAction")
            for rule in block.findall("s:Rule", ns):
                parent = block.getparent()
                manifest.rules.append(RuleRef(
                    kind=kind, rule_id=(rule.text or "").strip(), start_date=start,
                    final_action=final,
                    package_level=parent is not None
                    and etree.QName(parent).localname == "ManagementMetadata"))
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
    name: str
    ok: bool
    detail: str


def transfer_reply(*, version: str, reply_identifier: str, request_identifier: str,
                   ok: bool, archival_agency: str, transferring_agency: str,
                   events: list[ReplyEvent], at: dt.datetime,
                   comment: str = "") -> bytes:
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
    stamp = at.replace(microsecond=0).isoformat()
    add(root, "Date", stamp)
    add(root, "MessageIdentifier", reply_identifier)
    lists = add(root, "CodeListVersions")
    add(lists, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    add(root, "ReplyCode", "OK" if ok else "KO")
    operation = add(root, "Operation")
    for event in events:
        node = add(operation, "Event")
        add(node, "EventTypeCode", event.name)
        add(node, "EventDateTime", stamp)
        add(node, "Outcome", "OK" if event.ok else "KO")
        if event.detail:
            add(node, "OutcomeDetailMessage", event.detail[:1000])
    add(root, "MessageRequestIdentifier", request_identifier or "inconnu")
    if ok:
        add(root, "GrantDate", stamp)
    add(add(root, "ArchivalAgency"), "Identifier", archival_agency or "inconnu")
    add(add(root, "TransferringAgency"), "Identifier", transferring_agency or "inconnu")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
