"""Transfers from the GED: SEDA 2.3 (and 2.1) manifests valid against the official XSD,
ingested end to end, two copies stored, documents marked transferred, tenancy kept."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone
from lxml import etree

from socle.archives import ged_transfer as ged
from socle.archives.models import ArchivalPackage, GedTransferStatus
from socle.archives.seda_export import archive_transfer
from socle.core.models import AuditEvent, Organisation, User
from socle.core.services import ServiceError
from socle.documents.models import Document, DocumentStatus, FilePlan
from socle.documents.services import document_create, node_create, plan_create
from tests.archives.conftest import NS, SCHEMA_FOLDERS, stored_files
from tests.support.clients import sign_in
from tests.support.downloads import served_name
from tests.support.migrations import migrations_at
from tests.support.reference import reference_path

LATER = timezone.localdate() + dt.timedelta(days=800)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def xsd(version: str) -> etree.XMLSchema:
    folder = reference_path(SCHEMA_FOLDERS["2.3" if version == "2.3" else "2.1"])
    return etree.XMLSchema(etree.parse(str(folder / f"seda-{version}-main.xsd")))


@pytest.fixture
def plan(territory: dict[str, Organisation]) -> FilePlan:
    plan = plan_create(actor=None, organisation=territory["arc"], code="ref", title="Référence")
    for code, action, access in [("DELIB", "keep", "public"), ("CORR", "sort", "internal"),
                                 ("FACT", "destroy", "internal")]:
        node_create(actor=None, plan=plan, code=code, title=f"Noeud {code}", retention_period=1,
                    retention_unit="year", retention_start_event="creation", final_action=action,
                    access_rule=access)
    return plan


@pytest.fixture
def file_doc(plan: FilePlan) -> Callable[..., Document]:
    def make(organisation: Organisation, node: str, title: str, content: bytes = PDF,
             name: str = "acte.pdf") -> Document:
        return document_create(actor=None, organisation=organisation, node_code=node,
                               stream=io.BytesIO(content), file_name=name, title=title)

    return make


@pytest.fixture
def ged_archivist(arc: Organisation, make_user: Callable[..., User]) -> User:
    return make_user("archiviste.ged@exemple.fr",
                     roles=[(arc, "archives.archivist"), (arc, "documents.archivist")])


@pytest.fixture
def due(territory: dict[str, Organisation], file_doc: Callable[..., Document]) -> list[Document]:
    compiegne = territory["compiegne"]
    return [file_doc(compiegne, "DELIB", "Délibération 2024-01"),
            file_doc(compiegne, "CORR", "Courrier au préfet",
                     b"Objet : jumelage.\n", "courrier.txt"),
            file_doc(compiegne, "FACT", "Facture 12")]


def test_proposals_list_keep_and_sort_documents_due(ged_archivist: User, due: list[Document],
                                                     territory: dict[str, Organisation]) -> None:
    proposals = ged.transfer_proposal_list(ged_archivist, LATER)
    assert [(p.organisation.slug, sorted(d.title for d in p.documents)) for p in proposals] == [
        ("compiegne", ["Courrier au préfet", "Délibération 2024-01"])]
    assert ged.transfer_proposal_list(ged_archivist, timezone.localdate()) == []


@pytest.mark.parametrize("version", ["2.3", "2.1"])
def test_generated_manifest_validates_against_the_official_xsd(
        version: str, ged_archivist: User, due: list[Document],
        territory: dict[str, Organisation]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    version=version, on=LATER)
    root = etree.fromstring(prepared.manifest_xml.encode())
    schema = xsd(version)
    assert schema.validate(root), schema.error_log
    ns = {"s": NS[version]}
    units = {u.findtext("s:Content/s:Title", namespaces=ns): u
             for u in root.iterfind(".//s:ArchiveUnit", ns)}
    sort = units["Courrier au préfet"]
    assert sort.findtext("s:Management/s:AppraisalRule/s:FinalAction", namespaces=ns) == "Keep"
    assert sort.findtext("s:Management/s:NeedAuthorization", namespaces=ns) == "true"
    keep = units["Délibération 2024-01"]
    assert keep.find("s:Management/s:NeedAuthorization", ns) is None
    assert keep.findtext("s:Management/s:AppraisalRule/s:Rule", namespaces=ns) == "ref:DELIB"
    assert keep.findtext("s:Management/s:AppraisalRule/s:StartDate", namespaces=ns) == \
        str(due[0].retention_start)
    assert keep.findtext("s:Management/s:AccessRule/s:Rule", namespaces=ns) == "ACC-00Y"
    assert keep.findtext("s:Content/s:FilePlanPosition", namespaces=ns) == "DELIB"
    assert keep.findtext("s:Content/s:OriginatingAgency/s:Identifier", namespaces=ns) == "compiegne"
    pdf = root.find(f".//s:BinaryDataObject[@id='BDO-{due[0].pk}-1']", ns)
    assert pdf.findtext("s:MessageDigest", namespaces=ns) == due[0].current_version.blob_id
    assert pdf.find("s:MessageDigest", ns).get("algorithm") == "SHA-256"
    assert pdf.findtext("s:Size", namespaces=ns) == str(len(PDF))
    assert pdf.findtext("s:FormatIdentification/s:MimeType", namespaces=ns) == "application/pdf"
    assert pdf.findtext("s:FormatIdentification/s:FormatId", namespaces=ns).startswith("fmt/")
    assert pdf.findtext("s:FileInfo/s:Filename", namespaces=ns) == "acte.pdf"
    assert root.findtext("s:ArchivalAgency/s:Identifier", namespaces=ns) == "arc"
    assert root.findtext("s:TransferringAgency/s:Identifier", namespaces=ns) == "compiegne"


def test_archival_agreement_is_written_when_given() -> None:
    manifest = archive_transfer(version="2.3", message_identifier="M", archival_agency="arc",
                                transferring_agency="compiegne", units=[],
                                at=timezone.now(), archival_agreement="CONV-2024")
    root = etree.fromstring(manifest)
    assert root.findtext("s:ArchivalAgreement", namespaces={"s": NS["2.3"]}) == "CONV-2024"


@pytest.mark.parametrize("version", ["2.3", "2.1"])
def test_validated_transfer_is_ingested_stored_twice_and_documents_marked(
        version: str, ged_archivist: User, due: list[Document],
        territory: dict[str, Organisation], offers: list[Path]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    version=version, on=LATER)
    assert ged.transfer_proposal_list(ged_archivist, LATER) == []  # proposed once only
    transfer = ged.transfer_validate_and_ingest(actor=ged_archivist, ged_transfer=prepared)
    assert transfer.status == "accepted", [(s.name, s.reason) for s in transfer.steps.all()]
    prepared.refresh_from_db()
    assert prepared.status == GedTransferStatus.INGESTED
    package = ArchivalPackage.objects.get(transfer=transfer)
    assert package.organisation == territory["compiegne"]
    assert package.appraisal_rule.startswith("ref:") and package.final_action == "Keep"
    # Two offers, each with every object (2 documents + manifest) and its digest file.
    for root in offers:
        assert len([p for p in stored_files([root]) if p.name.endswith(".pdf")]) == 1
    assert {obj.sha256 for obj in package.contents.all()} >= {
        d.current_version.blob_id for d in due[:2]}
    for document in due[:2]:
        document.refresh_from_db()
        assert document.locked and document.status == DocumentStatus.FROZEN
        assert AuditEvent.objects.filter(action="documents.transferred",
                                         target_id=str(document.pk)).exists()
    due[2].refresh_from_db()
    assert not due[2].locked  # destroy: never transferred
    with pytest.raises(ServiceError):
        ged.transfer_validate_and_ingest(actor=ged_archivist, ged_transfer=prepared)


def test_commune_archivist_sees_and_transfers_only_its_own(
        territory: dict[str, Organisation], due: list[Document], file_doc: Callable[..., Document],
        make_user: Callable[..., User], ged_archivist: User) -> None:
    venette = territory["venette"]
    file_doc(venette, "DELIB", "Délibération de Venette")
    local = make_user("archives.venette@exemple.fr",
                      roles=[(venette, "archives.archivist"), (venette, "documents.archivist")])
    assert [p.organisation.slug for p in ged.transfer_proposal_list(local, LATER)] == ["venette"]
    with pytest.raises(ServiceError):
        ged.transfer_prepare(actor=local, organisation=territory["compiegne"], on=LATER)
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    on=LATER)
    with pytest.raises(Http404):
        ged.ged_transfer_get(local, prepared.identifier)
    with pytest.raises(ServiceError):
        ged.transfer_validate_and_ingest(actor=local, ged_transfer=prepared)


# --- references to the GED's documents (decision 0017) ----------------------------------------


def test_a_transfer_keeps_its_documents_by_id_and_reads_them_through_the_ged(
        ged_archivist: User, due: list[Document], territory: dict[str, Organisation],
        make_user: Callable[..., User]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    on=LATER)
    assert ged.ged_transfer_document_ids(prepared) == sorted(d.pk for d in due[:2])
    assert [d.title for d in ged.ged_transfer_documents(ged_archivist, prepared)] == [
        "Délibération 2024-01", "Courrier au préfet"]
    # Knowing the ids is no authority: the archivist of another commune reads nothing.
    venette = make_user("archives.venette@exemple.fr",
                        roles=[(territory["venette"], "archives.archivist")])
    assert ged.ged_transfer_documents(venette, prepared) == []


def test_a_transfer_whose_document_left_the_ged_is_refused_not_sent_incomplete(
        ged_archivist: User, due: list[Document], territory: dict[str, Organisation]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    on=LATER)
    Document.objects.filter(pk=due[1].pk).delete()
    with pytest.raises(ServiceError) as refused:
        ged.transfer_validate_and_ingest(actor=ged_archivist, ged_transfer=prepared)
    assert refused.value.code == "documents_missing"
    prepared.refresh_from_db()
    assert prepared.status == GedTransferStatus.PREPARED and prepared.transfer is None
    due[0].refresh_from_db()
    assert not due[0].locked


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_the_many_to_many_rows_as_ids(
        ged_archivist: User, due: list[Document], territory: dict[str, Organisation]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    on=LATER)
    ids = ged.ged_transfer_document_ids(prepared)
    with migrations_at() as to:
        old = to(("archives", "0004_gedtransferdocument"))
        OldTransfer = old.get_model("archives", "GedTransfer")
        # Backwards, the ids went into the old table; forwards, they come back from it alone.
        assert sorted(OldTransfer.objects.get(pk=prepared.pk).documents
                      .values_list("pk", flat=True)) == ids
        old.get_model("archives", "GedTransferDocument").objects.all().delete()
        to(("archives", "0006_remove_gedtransfer_documents"))
        assert ged.ged_transfer_document_ids(prepared) == ids


# --- pages ------------------------------------------------------------------------------------


def test_pages_review_and_validate_a_transfer(ged_archivist: User, due: list[Document],
                                              client: Client) -> None:
    sign_in(client, ged_archivist)
    # Filed today with a one-year rule: their retention is made to have ended yesterday.
    Document.objects.filter(pk__in=[d.pk for d in due]).update(
        retention_end=timezone.localdate() - dt.timedelta(days=1))
    page = client.get("/archives/ged/")
    assert page.status_code == 200
    assert "Délibération 2024-01" in page.content.decode()
    assert "Facture 12" not in page.content.decode()
    response = client.post("/archives/ged/preparer/", {
        "organisation": "compiegne", "document": [str(due[0].pk), str(due[1].pk)],
        "version": "2.3"})
    assert response.status_code == 302
    review = client.get(response["Location"])
    assert review.status_code == 200
    body = review.content.decode()
    assert "Courrier au préfet" in body and "NeedAuthorization" in body
    manifest = client.get(response["Location"] + "bordereau.xml")
    assert manifest.status_code == 200
    identifier = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert served_name(manifest) == f"{identifier}.xml"
    done = client.post(response["Location"])
    assert done.status_code == 302 and "/archives/versements/ATR-" in done["Location"]
    due[0].refresh_from_db()
    assert due[0].locked


def test_pages_of_the_ged_transfer_for_another_commune(
        ged_archivist: User, due: list[Document], client: Client, make_user: Callable[..., User],
        territory: dict[str, Organisation]) -> None:
    prepared = ged.transfer_prepare(actor=ged_archivist, organisation=territory["compiegne"],
                                    on=LATER)
    other = make_user("archives.venette@exemple.fr",
                      roles=[(territory["venette"], "archives.archivist")])
    sign_in(client, other)
    assert client.get(f"/archives/ged/{prepared.identifier}/").status_code == 404
    assert client.post(f"/archives/ged/{prepared.identifier}/").status_code == 404
    refused = client.post("/archives/ged/preparer/", {"organisation": "compiegne",
                                                      "document": [str(due[0].pk)]})
    assert refused.status_code == 400
    clerk = make_user("ged.editor@exemple.fr", roles=[(territory["arc"], "documents.editor")])
    sign_in(client, clerk)
    assert client.get("/archives/ged/").status_code == 403
