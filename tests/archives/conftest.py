"""Archives fixtures: two local offers, the official SEDA schemas, the archives service of the ARC."""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from socle.archives.models import AgencyIdentifier, ArchivalProfile, FinalAction, Rule, RuleKind
from socle.core.models import Organisation, User
from tests.support.clamd import ClamdProtocolServer
from tests.support.reference import REFERENCE_ROOT, reference_path

NS = {"2.1": "fr:gouv:culture:archivesdefrance:seda:v2.1",
      "2.2": "fr:gouv:culture:archivesdefrance:seda:v2.2",
      "2.3": "fr:gouv:culture:archivesdefrance:seda:v2.3"}


# The official schemas of the reference folder, one for each version socle ingests.
SCHEMA_FOLDERS = {"2.1": "seda-2.1-lxml", "2.2": "seda-2.2", "2.3": "seda-2.3"}


def sample(name: str) -> Path:
    """A transfer package of Vitam's samples (skipped, or failing in CI, when absent)."""
    return reference_path(f"seda-samples/{name}")


def schema_dirs(folders: dict[str, Path]) -> dict[str, str]:
    return {version: str(folders[version]) if version in folders else "" for version in NS}


@pytest.fixture(autouse=True)
def offers(settings: Any, tmp_path: Path) -> list[Path]:
    roots = [tmp_path / "offer-a", tmp_path / "offer-b"]
    settings.ARCHIVES_OFFERS = [("offer-a", str(roots[0])), ("offer-b", str(roots[1]))]
    # Without the reference folder, ingests run as on a server without schemas (the schema
    # step warns); a test whose point is the XSD asks for `seda_schemas`.
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = schema_dirs({
        version: REFERENCE_ROOT / folder for version, folder in SCHEMA_FOLDERS.items()
        if (REFERENCE_ROOT / folder).is_dir()})
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    return roots


@pytest.fixture
def seda_schemas(offers: list[Path], settings: Any) -> dict[str, Path]:
    """The official SEDA schemas, configured (skipped, or failing in CI, when absent).

    2.1 and 2.3 are required; 2.2 is configured when the reference folder has it, and the
    tests about 2.2 itself ask for it (``reference_path``), so that its absence fails
    them, and only them, in CI.
    """
    folders = {version: reference_path(folder) for version, folder in SCHEMA_FOLDERS.items()
               if version != "2.2"}
    if (REFERENCE_ROOT / SCHEMA_FOLDERS["2.2"]).is_dir():
        folders["2.2"] = REFERENCE_ROOT / SCHEMA_FOLDERS["2.2"]
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = schema_dirs(folders)
    return folders


@pytest.fixture
def clamd(settings: Any) -> Iterator[ClamdProtocolServer]:
    """A server speaking clamd's protocol, configured as the ingest's antivirus."""
    # A short folder: a unix socket's path is limited to about a hundred bytes.
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    try:
        with ClamdProtocolServer(folder / "clamd.sock") as server:
            settings.ARCHIVES_ANTIVIRUS = server.address
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stored_files(roots: list[Path]) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def org_create(slug: str, parent: Organisation | None, kind: str = "service", **extra: Any
               ) -> Organisation:
    path = f"{parent.path if parent else '/'}{slug}/"
    organisation = Organisation(slug=slug, name=slug.upper(), kind=kind, parent=parent, path=path,
                                **extra)
    organisation.save()
    return organisation


@pytest.fixture
def arc(territory: dict[str, Organisation]) -> Organisation:
    """The ARC answers as archival agency; it keeps the rules referential of every commune."""
    arc = territory["arc"]
    for rule_id, kind, years, final in [
        ("APP-10Y", RuleKind.APPRAISAL, 10, FinalAction.DESTROY),
        ("APP-KEEP", RuleKind.APPRAISAL, 5, FinalAction.KEEP),
        ("ACC-25Y", RuleKind.ACCESS, 25, ""),
        ("ACC-00Y", RuleKind.ACCESS, 0, ""),
    ]:
        Rule.objects.create(organisation=arc, rule_id=rule_id, kind=kind, duration_years=years,
                            final_action=final)
    return arc


@pytest.fixture
def frad01(db: None) -> Organisation:
    """The agencies of the reference samples: FRAD01 (archives) and DGFIP (transferring)."""
    frad01 = org_create("archives-departementales-ain", None, kind="epci")
    dgfip = org_create("dgfip-ain", frad01)
    # The names the samples give them, as an archivist declares them.
    AgencyIdentifier.objects.create(organisation=frad01, identifier="FRAD01",
                                    label="Code du service d'archives")
    AgencyIdentifier.objects.create(organisation=dgfip, identifier="DGFIP")
    # Vitam's test profile PROFIL_TNR_RNG requires this title (its RNG is not in the reference
    # folder): the same requirement, written as a Schematron.
    ArchivalProfile.objects.create(organisation=frad01, identifier="PROFIL_TNR_RNG", schema=(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">'
        '<ns prefix="s" uri="fr:gouv:culture:archivesdefrance:seda:v2.1"/>'
        '<pattern><rule context="/s:ArchiveTransfer/s:DataObjectPackage/s:DescriptiveMetadata'
        '/s:ArchiveUnit/s:Content">'
        '<assert test="s:Title = \'Versement de la matrice cadastrale numérique\'">Le titre doit '
        "être « Versement de la matrice cadastrale numérique ».</assert>"
        "</rule></pattern></schema>"))
    Rule.objects.create(organisation=frad01, rule_id="APP-00001", kind=RuleKind.APPRAISAL,
                        duration_years=50, final_action=FinalAction.KEEP)
    return frad01


@pytest.fixture
def archivist(arc: Organisation, make_user: Callable[..., User]) -> User:
    return make_user("archiviste@exemple.fr", roles=[(arc, "archives.archivist")])


def unit(id_: str, title: str, inner: str = "", refs: str = "") -> str:
    return (f'<ArchiveUnit id="{id_}">{refs}<Content><DescriptionLevel>File</DescriptionLevel>'
            f"<Title>{title}</Title><StartDate>2010-01-01</StartDate>"
            f"<EndDate>2012-12-31</EndDate></Content>{inner}</ArchiveUnit>")


def manifest_xml(files: dict[str, bytes], *, version: str = "2.1", archival: str = "arc",
                 transferring: str = "compiegne", units: str | None = None,
                 appraisal: tuple[str, str, str] | None = ("APP-10Y", "2010-01-01", "Destroy"),
                 access: tuple[str, str] | None = ("ACC-25Y", "2012-12-31"),
                 algorithm: str = "SHA-512", digests: dict[str, str] | None = None,
                 extra_objects: str = "", title: str = "Délibérations du conseil") -> bytes:
    """A SEDA ArchiveTransfer valid against the official schema, describing `files`."""
    objects = []
    for index, (path, content) in enumerate(files.items(), start=1):
        digest = (digests or {}).get(path) or hashlib.new(
            algorithm.replace("-", "").lower(), content).hexdigest()
        group = (f"<DataObjectGroupId>GRP{index}</DataObjectGroupId>" if version == "2.1" else "")
        bdo = (f'<BinaryDataObject id="BDO{index}">{group}'
               f"<DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>{path}</Uri>"
               f'<MessageDigest algorithm="{algorithm}">{digest}</MessageDigest>'
               f"<Size>{len(content)}</Size></BinaryDataObject>")
        objects.append(bdo if version == "2.1" else
                       f'<DataObjectGroup id="GRP{index}">{bdo}</DataObjectGroup>')
    refs = "".join(f"<DataObjectReference><DataObjectGroupReferenceId>GRP{index}"
                   f"</DataObjectGroupReferenceId></DataObjectReference>"
                   for index in range(1, len(files) + 1))
    if units is None:
        units = unit("AU1", title, inner=f'<ArchiveUnit id="AU2"><Content><DescriptionLevel>Item'
                     f"</DescriptionLevel><Title>Pièces</Title></Content>{refs}</ArchiveUnit>")
    rules = ""
    if appraisal:
        rules += (f"<AppraisalRule><Rule>{appraisal[0]}</Rule><StartDate>{appraisal[1]}</StartDate>"
                  f"<FinalAction>{appraisal[2]}</FinalAction></AppraisalRule>")
    if access:
        rules += f"<AccessRule><Rule>{access[0]}</Rule><StartDate>{access[1]}</StartDate></AccessRule>"
    management = f"<ManagementMetadata>{rules}</ManagementMetadata>"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ArchiveTransfer xmlns="{NS[version]}">'
            f"<Date>2024-01-15T10:00:00</Date><MessageIdentifier>MSG-{version}-1</MessageIdentifier>"
            f"<CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>"
            f"</CodeListVersions><DataObjectPackage>{''.join(objects)}{extra_objects}"
            f"<DescriptiveMetadata>{units}</DescriptiveMetadata>{management}</DataObjectPackage>"
            f"<ArchivalAgency><Identifier>{archival}</Identifier></ArchivalAgency>"
            f"<TransferringAgency><Identifier>{transferring}</Identifier></TransferringAgency>"
            f"</ArchiveTransfer>").encode()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TXT = "Procès-verbal de la séance du conseil municipal.\n".encode()


def sip_zip(manifest: bytes, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.xml", manifest)
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


@pytest.fixture
def good_files() -> dict[str, bytes]:
    return {"Content/deliberation.pdf": PDF, "Content/pv.txt": TXT}


@pytest.fixture
def good_sip(tmp_path: Path, good_files: dict[str, bytes]) -> Path:
    path = tmp_path / "sip.zip"
    path.write_bytes(sip_zip(manifest_xml(good_files), good_files))
    return path
