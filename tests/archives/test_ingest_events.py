"""What an archivist can trust in an ingest: each step said, timed and coded; the reply naming
what was archived; viruses and incoherent descriptions refused, each with its own reason."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from lxml import etree

from socle.archives.antivirus import scanner_from_address
from socle.archives.checks import antivirus_check
from socle.archives.ingest import STEP_LABELS
from socle.archives.models import ArchivalPackage, Rule, RuleKind, Transfer
from socle.core.models import Organisation
from tests.archives.conftest import NS, PDF, SCHEMA_FOLDERS, TXT, manifest_xml, sip_zip, unit
from tests.archives.test_ingest import failed_step, ingest, refused, reply_valid, write
from tests.support.clamd import EICAR, SIGNATURE, clamd_binary, real_clamd
from tests.support.reference import ROOT, reference_path

NO_SCHEMA = {"2.1": "", "2.2": "", "2.3": ""}


def accepted(tmp_path: Path, manifest: bytes, files: dict[str, bytes]) -> Transfer:
    identifier, _ = ingest(write(tmp_path, sip_zip(manifest, files)), "arc")
    return ArchivalPackage.objects.get(identifier=identifier).transfer


def events(transfer: Transfer) -> list[etree._Element]:
    root = etree.fromstring(transfer.reply_xml.encode())
    return root.findall(f"{{{etree.QName(root).namespace}}}Operation/"
                        f"{{{etree.QName(root).namespace}}}Event")


def field(event: etree._Element, name: str) -> str | None:
    return event.findtext(f"{{{etree.QName(event).namespace}}}{name}")


# --- 1. every step done or said undone, each with its time and its code --------------------


def test_each_step_carries_the_time_it_ended_not_the_reception_time(
        arc: Organisation, good_sip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = timezone.now()
    ticks = iter(range(10_000))
    # A clock that moves one second each time it is read: steps that all carried the
    # reception time would all show the same second.
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=next(ticks)))
    identifier, _ = ingest(good_sip, "arc")
    transfer = ArchivalPackage.objects.get(identifier=identifier).transfer
    steps = list(transfer.steps.all())
    times = [step.at for step in steps]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] > transfer.received_at
    stamps = [field(event, "EventDateTime") for event in events(transfer)]
    assert stamps == [step.at.isoformat(timespec="milliseconds") for step in steps]


def test_the_reply_codes_each_event_as_the_documentation_does(arc: Organisation,
                                                              good_sip: Path) -> None:
    identifier, _ = ingest(good_sip, "arc")
    transfer = ArchivalPackage.objects.get(identifier=identifier).transfer
    documented = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for event in events(transfer):
        code, outcome = field(event, "EventTypeCode"), field(event, "Outcome")
        assert code in STEP_LABELS
        assert re.search(rf"^\| `{code}` \| {re.escape(STEP_LABELS[code])} \|", documented,
                         re.MULTILINE), code
        assert field(event, "EventType") == STEP_LABELS[code]
        assert field(event, "OutcomeDetail") == f"{code}.{outcome}"
    assert [field(e, "EventTypeCode") for e in events(transfer)] == list(STEP_LABELS)


def test_a_declared_size_that_differs_is_a_warning_and_the_real_size_is_kept(
        arc: Organisation, tmp_path: Path) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = manifest_xml(files).replace(f"<Size>{len(TXT)}</Size>".encode(),
                                           b"<Size>12</Size>")
    transfer = accepted(tmp_path, manifest, files)
    step = transfer.steps.get(name="objects")
    assert (step.ok, step.outcome) == (True, "WARNING")
    assert f"taille déclarée 12 octets, taille réelle {len(TXT)} octets" in step.reason
    assert transfer.package.contents.get(path="Content/pv.txt").size == len(TXT)
    assert etree.fromstring(transfer.reply_xml.encode()).findtext(
        f"{{{NS['2.1']}}}ReplyCode") == "WARNING"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1"])
def test_a_weak_digest_is_accepted_with_a_warning(arc: Organisation, tmp_path: Path,
                                                  algorithm: str) -> None:
    files = {"Content/pv.txt": TXT}
    transfer = accepted(tmp_path, manifest_xml(files, algorithm=algorithm), files)
    step = transfer.steps.get(name="objects")
    assert step.outcome == "WARNING"
    assert f"empreinte {algorithm} déclarée, un algorithme faible" in step.reason
    stored = transfer.package.contents.get(path="Content/pv.txt")
    assert (stored.declared_algorithm, len(stored.sha256)) == (algorithm, 64)


def test_sha_256_and_sha_384_digests_are_ok(arc: Organisation, tmp_path: Path) -> None:
    files = {"Content/pv.txt": TXT}
    for algorithm in ("SHA-256", "SHA-384"):
        (tmp_path / algorithm).mkdir()
        transfer = accepted(tmp_path / algorithm, manifest_xml(files, algorithm=algorithm), files)
        assert transfer.steps.get(name="objects").outcome == "OK"


def test_an_unidentified_format_is_a_warning(arc: Organisation, tmp_path: Path) -> None:
    files = {"Content/pv.txt": TXT, "Content/donnees.qqq": bytes(range(256)) * 8}
    transfer = accepted(tmp_path, manifest_xml(files), files)
    step = transfer.steps.get(name="formats")
    assert (step.ok, step.outcome) == (True, "WARNING")
    assert "Format non identifié : Content/donnees.qqq" in step.reason
    assert transfer.status == "accepted"


# --- 2. SEDA 2.2 validated like 2.1 and 2.3 -------------------------------------------------


def test_an_invalid_seda_2_2_manifest_is_refused_by_the_official_2_2_schema(
        arc: Organisation, good_files: dict, tmp_path: Path, offers: list[Path],
        seda_schemas: dict) -> None:
    assert reference_path("seda-2.2") == seda_schemas["2.2"]
    manifest = manifest_xml(good_files, version="2.2").replace(
        b"<Date>", b"<Humeur>joyeuse</Humeur><Date>", 1)
    transfer = refused(write(tmp_path, sip_zip(manifest, good_files)), "arc", offers)
    step = failed_step(transfer)
    assert (step.name, step.outcome) == ("schema", "KO")
    assert step.reason.startswith("Bordereau non conforme au schéma SEDA 2.2 : ")
    assert "Humeur" in step.reason
    assert reply_valid(transfer, "2.2").findtext(f"{{{NS['2.2']}}}ReplyCode") == "KO"


def test_the_deploy_check_and_the_tests_know_a_2_2_schema_folder() -> None:
    assert set(SCHEMA_FOLDERS) == {"2.1", "2.2", "2.3"}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "# SOCLE_SEDA_SCHEMA_DIR_2_2=../shared/reference/seda-2.2" in example


# --- 3. the reply names the package and what was archived -----------------------------------


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3"])
def test_the_accepted_reply_names_the_package_units_and_objects_in_valid_seda(
        arc: Organisation, good_files: dict, tmp_path: Path, version: str,
        seda_schemas: dict, clamd: Any) -> None:
    reference_path(SCHEMA_FOLDERS[version])
    transfer = accepted(tmp_path, manifest_xml(good_files, version=version), good_files)
    package = transfer.package
    root = reply_valid(transfer, version)
    ns = {"s": NS[version]}
    assert package.identifier in root.findtext("s:Comment", namespaces=ns)
    storage = next(e for e in events(transfer) if field(e, "EventTypeCode") == "storage")
    assert field(storage, "EventDetailData") == package.identifier
    units = {node.get("id"): node.findtext("s:Content/s:SystemId", namespaces=ns)
             for node in root.iterfind("s:DataObjectPackage/s:DescriptiveMetadata/s:ArchiveUnit",
                                       namespaces=ns)}
    assert units == {"AU1": f"{package.identifier}/AU1", "AU2": f"{package.identifier}/AU2"}
    objects = {node.get("id"): (node.findtext("s:DataObjectSystemId", namespaces=ns),
                                node.findtext("s:DataObjectGroupSystemId", namespaces=ns))
               for node in root.iterfind(".//s:BinaryDataObject", namespaces=ns)}
    assert objects == {f"BDO{n}": (f"{package.identifier}/BDO{n}", f"{package.identifier}/GRP{n}")
                       for n in (1, 2)}
    # Each system identifier leads back to what was stored.
    assert set(package.contents.exclude(data_object_id="").values_list(
        "data_object_id", flat=True)) == {"BDO1", "BDO2"}


def test_a_refused_reply_names_no_package(arc: Organisation, tmp_path: Path,
                                          offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = manifest_xml(files, digests={"Content/pv.txt": "ab" * 64})
    transfer = refused(write(tmp_path, sip_zip(manifest, files)), "arc", offers)
    root = etree.fromstring(transfer.reply_xml.encode())
    assert root.find(f"{{{NS['2.1']}}}DataObjectPackage") is None
    assert "AIP-" not in transfer.reply_xml


# --- 4. the antivirus -----------------------------------------------------------------------


def infected_package(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    files = {"Content/pv.txt": TXT, "Content/piece-jointe.com": EICAR}
    return write(tmp_path, sip_zip(manifest_xml(files), files)), files


def test_the_eicar_test_file_is_refused_with_its_name_and_signature(
        arc: Organisation, tmp_path: Path, offers: list[Path], clamd: Any) -> None:
    package, _ = infected_package(tmp_path)
    transfer = refused(package, "arc", offers)
    step = failed_step(transfer)
    assert (step.name, step.outcome) == ("antivirus", "KO")
    assert step.reason == ("Virus détecté, paquet refusé : « Content/piece-jointe.com » "
                           f"(signature « {SIGNATURE} »).")
    assert clamd.scanned == 3  # every file, the manifest included


def test_a_clean_package_is_scanned_file_by_file(arc: Organisation, good_sip: Path,
                                                 clamd: Any) -> None:
    identifier, _ = ingest(good_sip, "arc")
    step = ArchivalPackage.objects.get(identifier=identifier).transfer.steps.get(name="antivirus")
    assert step.outcome == "OK"
    assert step.reason.startswith("3 fichier(s) analysé(s) par ClamAV (clamd, ")
    assert "ClamAV 0.0.0-test" in step.reason


def test_debian_clamd_refuses_the_eicar_test_file(arc: Organisation, tmp_path: Path,
                                                  offers: list[Path], settings: Any) -> None:
    binary = clamd_binary()
    if binary is None:
        pytest.skip("clamd absent (paquet Debian clamav-daemon) : l'antivirus réel n'est pas "
                    "essayé ; le protocole l'est par test_the_eicar_test_file_is_refused_….")
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    with real_clamd(folder, binary) as (address, _database):
        settings.ARCHIVES_ANTIVIRUS = address
        package, _ = infected_package(tmp_path)
        transfer = refused(package, "arc", offers)
        clean, _ = ingest(write(tmp_path, sip_zip(manifest_xml({"Content/pv.txt": TXT}),
                                                  {"Content/pv.txt": TXT}), "clean.zip"), "arc")
    step = failed_step(transfer)
    assert step.name == "antivirus"
    assert "« Content/piece-jointe.com »" in step.reason
    assert "Eicar" in step.reason
    ok = ArchivalPackage.objects.get(identifier=clean).transfer.steps.get(name="antivirus")
    assert ok.outcome == "OK" and "ClamAV 1." in ok.reason


def test_a_configured_scanner_that_does_not_answer_refuses_the_package(
        arc: Organisation, good_sip: Path, offers: list[Path], settings: Any,
        tmp_path: Path) -> None:
    settings.ARCHIVES_ANTIVIRUS = f"clamd://{tmp_path}/absent.sock"
    transfer = refused(good_sip, "arc", offers)
    step = failed_step(transfer)
    assert step.name == "antivirus"
    assert step.reason.startswith("Analyse antivirus impossible, paquet refusé plutôt que reçu "
                                  "sans analyse : clamd injoignable")


def test_a_file_beyond_what_clamd_scans_refuses_the_package(
        arc: Organisation, good_sip: Path, offers: list[Path], clamd: Any) -> None:
    clamd.server.max_length = 10
    transfer = refused(good_sip, "arc", offers)
    assert "augmenter StreamMaxLength" in failed_step(transfer).reason


def test_without_a_scanner_the_step_is_a_warning_and_the_deploy_check_says_so(
        arc: Organisation, good_sip: Path, settings: Any) -> None:
    settings.ARCHIVES_ANTIVIRUS = ""
    identifier, _ = ingest(good_sip, "arc")
    step = ArchivalPackage.objects.get(identifier=identifier).transfer.steps.get(name="antivirus")
    assert (step.ok, step.outcome) == (True, "WARNING")
    assert step.reason.startswith("Analyse antivirus non effectuée")
    [message] = antivirus_check()
    assert (message.id, message.level) == ("socle.archives.W001", checks.WARNING)
    assert "SOCLE_ARCHIVES_ANTIVIRUS" in message.hint
    assert "socle.archives.W001" in {m.id for m in checks.run_checks(include_deployment_checks=True)}
    assert "socle.archives.W001" not in {m.id for m in checks.run_checks()}
    settings.ARCHIVES_ANTIVIRUS = "clamd:///run/clamav/clamd.ctl"
    assert antivirus_check() == []


@pytest.mark.parametrize("address", ["clamav://x", "clamd://127.0.0.1", "clamd://"])
def test_a_malformed_antivirus_address_is_refused(address: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        scanner_from_address(address)


def test_antivirus_addresses_name_a_socket_or_a_host() -> None:
    unix = scanner_from_address("clamd:///run/clamav/clamd.ctl")
    tcp = scanner_from_address("clamd://127.0.0.1:3310")
    assert unix is not None and tcp is not None
    assert unix.description == "ClamAV (clamd, /run/clamav/clamd.ctl)"
    assert tcp.description == "ClamAV (clamd, 127.0.0.1:3310)"


# --- 5. structure and meaning ---------------------------------------------------------------


def refused_for(tmp_path: Path, offers: list[Path], files: dict[str, bytes], **manifest: Any
                ) -> Any:
    transfer = refused(write(tmp_path, sip_zip(manifest_xml(files, **manifest), files)), "arc",
                       offers)
    return failed_step(transfer)


def item(id_: str, refs: str, title: str = "Pièce") -> str:
    return (f'<ArchiveUnit id="{id_}"><Content><DescriptionLevel>Item</DescriptionLevel>'
            f"<Title>{title}</Title></Content>{refs}</ArchiveUnit>")


def test_an_object_group_no_unit_refers_to_is_refused(arc: Organisation, tmp_path: Path,
                                                      offers: list[Path], settings: Any) -> None:
    files = {"Content/pv.txt": TXT, "Content/oublie.pdf": PDF}
    units = unit("AU1", "Un", inner=item("AU2", "<DataObjectReference><DataObjectGroupReferenceId>"
                                                "GRP1</DataObjectGroupReferenceId>"
                                                "</DataObjectReference>"))
    step = refused_for(tmp_path, offers, files, units=units)
    assert step.name == "tree"
    assert step.reason == ("Groupe(s) d'objets ou objet(s) rattaché(s) à aucune unité "
                           "d'archives : GRP2.")


@pytest.mark.parametrize("version", ["2.1", "2.3"])
def test_a_unit_pointing_at_an_object_instead_of_its_group_is_refused(
        arc: Organisation, tmp_path: Path, offers: list[Path], version: str) -> None:
    files = {"Content/pv.txt": TXT}
    units = unit("AU1", "Un", inner=item("AU2", "<DataObjectReference><DataObjectReferenceId>"
                                                "BDO1</DataObjectReferenceId>"
                                                "</DataObjectReference>"))
    step = refused_for(tmp_path, offers, files, units=units, version=version)
    assert (step.name, step.reason) == ("tree", (
        "L'unité d'archives « AU2 » désigne l'objet « BDO1 » au lieu de son groupe « GRP1 » : "
        "une unité se rattache au groupe d'objets."))


def test_a_unit_naming_an_object_as_a_group_is_refused(arc: Organisation, tmp_path: Path,
                                                       offers: list[Path], settings: Any) -> None:
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = NO_SCHEMA
    files = {"Content/pv.txt": TXT}
    units = unit("AU1", "Un", inner=item("AU2", "<DataObjectReference><DataObjectGroupReferenceId>"
                                                "BDO1</DataObjectGroupReferenceId>"
                                                "</DataObjectReference>"))
    step = refused_for(tmp_path, offers, files, units=units, version="2.3")
    assert step.reason.startswith("L'unité d'archives « AU2 » désigne l'objet « BDO1 » comme un "
                                  "groupe d'objets")


RULES = {
    RuleKind.STORAGE: "<StorageRule><Rule>{id}</Rule><StartDate>2012-12-31</StartDate>"
                      "<FinalAction>Transfer</FinalAction></StorageRule>",
    RuleKind.DISSEMINATION: "<DisseminationRule><Rule>{id}</Rule><StartDate>2012-12-31"
                            "</StartDate></DisseminationRule>",
    RuleKind.REUSE: "<ReuseRule><Rule>{id}</Rule><StartDate>2012-12-31</StartDate></ReuseRule>",
    RuleKind.CLASSIFICATION: "<ClassificationRule><Rule>{id}</Rule><StartDate>2012-12-31"
                             "</StartDate><ClassificationLevel>Diffusion Restreinte"
                             "</ClassificationLevel><ClassificationOwner>arc"
                             "</ClassificationOwner></ClassificationRule>",
}


def with_rule(manifest: bytes, block: str) -> bytes:
    # Placed where ManagementGroup wants it: storage first, the others after AccessRule.
    if block.startswith("<StorageRule>"):
        return manifest.replace(b"<ManagementMetadata>", b"<ManagementMetadata>" + block.encode())
    return manifest.replace(b"</AccessRule>", b"</AccessRule>" + block.encode(), 1)


@pytest.mark.parametrize("kind", list(RULES))
def test_rules_of_every_category_are_checked_against_the_referential(
        arc: Organisation, tmp_path: Path, offers: list[Path], kind: str, seda_schemas: dict
        ) -> None:
    files = {"Content/pv.txt": TXT}
    unknown = with_rule(manifest_xml(files), RULES[kind].format(id="INCONNUE-1"))
    transfer = refused(write(tmp_path, sip_zip(unknown, files)), "arc", offers)
    step = failed_step(transfer)
    assert step.name == "rules"
    assert step.reason.startswith(f"Règle « INCONNUE-1 » ({kind}, ")
    assert "absente du référentiel de Compiègne" in step.reason
    Rule.objects.create(organisation=arc, rule_id="CONNUE-1", kind=kind, duration_years=5)
    known = with_rule(manifest_xml(files), RULES[kind].format(id="CONNUE-1"))
    (tmp_path / "known").mkdir()
    transfer = accepted(tmp_path / "known", known, files)
    assert kind in transfer.steps.get(name="rules").reason


def test_a_rule_declared_in_the_wrong_category_is_refused(arc: Organisation, tmp_path: Path,
                                                          offers: list[Path]) -> None:
    files = {"Content/pv.txt": TXT}
    manifest = with_rule(manifest_xml(files), RULES[RuleKind.REUSE].format(id="ACC-25Y"))
    step = refused(write(tmp_path, sip_zip(manifest, files)), "arc", offers).steps.get(ok=False)
    assert step.reason.startswith("Règle « ACC-25Y » déclarée en ReuseRule")
    assert "le référentiel en fait une AccessRule" in step.reason


def dated(start: str, end: str, title: str = "Délibérations") -> str:
    return (f'<ArchiveUnit id="AU1"><Content><DescriptionLevel>File</DescriptionLevel>'
            f"<Title>{title}</Title><StartDate>{start}</StartDate><EndDate>{end}</EndDate>"
            "</Content><DataObjectReference><DataObjectGroupReferenceId>GRP1"
            "</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>")


def test_an_end_date_before_the_start_date_is_refused(arc: Organisation, tmp_path: Path,
                                                      offers: list[Path]) -> None:
    step = refused_for(tmp_path, offers, {"Content/pv.txt": TXT},
                       units=dated("2012-12-31", "2010-01-01"))
    assert (step.name, step.reason) == ("description", (
        "Unité d'archives « AU1 » : la date de fin (2010-01-01) précède la date de début "
        "(2012-12-31)."))


def test_a_date_after_the_transfer_is_an_impossible_year(arc: Organisation, tmp_path: Path,
                                                         offers: list[Path]) -> None:
    step = refused_for(tmp_path, offers, {"Content/pv.txt": TXT},
                       units=dated("2010-01-01", "2201-06-30"))
    assert step.reason == ("Unité d'archives « AU1 » : la date EndDate « 2201-06-30 » est "
                           "postérieure au versement ; année 2201 impossible.")


@pytest.mark.parametrize("written", ["20100-01-01", "-0044-03-15", "2010-02-30"])
def test_a_date_that_does_not_exist_is_refused(arc: Organisation, tmp_path: Path,
                                               offers: list[Path], settings: Any,
                                               written: str) -> None:
    # The XSD lets some through (five-digit or negative years): the ingest does not.
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = NO_SCHEMA
    step = refused_for(tmp_path, offers, {"Content/pv.txt": TXT},
                       units=dated(written, "2012-12-31"))
    assert step.reason == (f"Unité d'archives « AU1 » : la date StartDate « {written} » n'existe "
                           "pas (année sur quatre chiffres, mois et jour réels attendus).")


@pytest.mark.parametrize("title", ["", "   "])
def test_a_unit_without_a_title_is_refused(arc: Organisation, tmp_path: Path, offers: list[Path],
                                           title: str) -> None:
    step = refused_for(tmp_path, offers, {"Content/pv.txt": TXT},
                       units=dated("2010-01-01", "2012-12-31", title=title))
    assert (step.name, step.reason) == (
        "description", "L'unité d'archives « AU1 » n'a pas de titre (Title absent ou vide).")
