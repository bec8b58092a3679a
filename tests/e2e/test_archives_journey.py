"""The archivist's journey in Chromium: a GED transfer reviewed, validated, searched, delivered.

Every page loaded is checked (title, lang, one h1, axe-core WCAG 2.1 AA) through ``audit``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from socle.archives.models import FinalAction, Rule, RuleKind
from socle.core.models import Organisation, User
from socle.documents.models import Document
from socle.documents.services import document_create, node_create, plan_create
from tests.conftest import PASSWORD
from tests.support.reference import REFERENCE_ROOT, reference_path

from .accessibility import PageAudit
from .test_spine_journeys import sign_in

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _offers(settings: Any, tmp_path: Path) -> None:
    settings.ARCHIVES_OFFERS = [("offer-a", str(tmp_path / "a")), ("offer-b", str(tmp_path / "b"))]
    # The journey transfers in SEDA 2.3; 2.2 is configured too when the reference has it
    # (tests/archives asks for it and fails in CI without it).
    settings.ARCHIVES_SEDA_SCHEMA_DIRS = {
        "2.1": str(reference_path("seda-2.1-lxml")),
        "2.2": str(REFERENCE_ROOT / "seda-2.2") if (REFERENCE_ROOT / "seda-2.2").is_dir() else "",
        "2.3": str(reference_path("seda-2.3"))}


def test_archivist_validates_a_ged_transfer_searches_and_downloads_a_dip(
    audit: PageAudit, territory: dict[str, Organisation], make_user: Callable[..., User]
) -> None:
    arc, compiegne = territory["arc"], territory["compiegne"]
    Rule.objects.create(organisation=arc, rule_id="APP-10Y", kind=RuleKind.APPRAISAL,
                        duration_years=10, final_action=FinalAction.DESTROY)
    plan = plan_create(actor=None, organisation=arc, code="ref", title="Référence")
    node_create(actor=None, plan=plan, code="DELIB", title="Délibérations", retention_period=1,
                retention_start_event="creation", final_action="keep", access_rule="public")
    document = document_create(actor=None, organisation=compiegne, node_code="DELIB",
                               stream=io.BytesIO(PDF), file_name="deliberation.pdf",
                               title="Délibération sur le jumelage")
    Document.objects.filter(pk=document.pk).update(
        retention_end=timezone.localdate() - dt.timedelta(days=1))
    archivist = make_user("archiviste@arc.fr", roles=[(arc, "archives.archivist"),
                                                      (arc, "documents.archivist")])

    page = audit.open()
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, archivist.email, PASSWORD)
    audit.check(page, title="Second facteur", h1="Vérification en deux étapes")
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    # An agent lands on their tasks (issue #12).
    audit.check(page, title="Mes tâches", h1="Mes tâches")

    page.goto("/archives/ged/")
    audit.check(page, title="Versements depuis la GED", h1="Versements depuis la GED")
    expect(page.get_by_role("checkbox", name="Délibération sur le jumelage")).to_be_checked()
    page.get_by_role("button", name="Préparer le versement").click()
    audit.check(page, title=page.title().split(" — ")[0], h1=None)
    expect(page.get_by_role("table", name="Documents versés")).to_contain_text(
        "Délibération sur le jumelage")
    page.get_by_role("button", name="Valider le versement").click()
    audit.check(page, title=page.title().split(" — ")[0], h1=None)
    expect(page.locator("body")).to_contain_text("accepté")

    page.goto("/archives/")
    audit.check(page, title="Archives électroniques", h1="Archives électroniques")
    page.get_by_label("Titre, description ou identifiant").fill("jumelage")
    page.get_by_role("button", name="Rechercher").click()
    audit.check(page, title="Archives électroniques", h1="Archives électroniques")
    page.get_by_role("link", name="Délibération sur le jumelage").click()
    audit.check(page, title=page.title().split(" — ")[0], h1=None)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="paquet de diffusion", exact=False).click()
    path = download_info.value.path()
    with zipfile.ZipFile(path) as bag:
        names = bag.namelist()
    assert any(name.endswith("bag-info.txt") for name in names)
    assert any(name.endswith(".pdf") for name in names)
