"""An editor on a long form, in Chromium: adding or moving a field keeps their place (in place
with JavaScript, at the field's anchor without), then they try the procedure before publishing
it, and the trial files nothing. Every page is checked by axe-core."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from socle.core.models import Organisation, User
from socle.portal.models import Case
from socle.portal.services import procedure_create

from .accessibility import PageAudit
from .test_agent_work_journey import enrol_and_land

pytestmark = pytest.mark.e2e

# A long form: forty questions, the page several screens high.
LONG = [{"name": f"question_{n}", "label": f"Question numéro {n}", "type": "text"}
        for n in range(1, 41)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_editor_adds_a_field_to_a_long_form_and_tries_it(
        audit: PageAudit, territory: dict[str, Organisation], make_user: Callable[..., User],
        javascript: bool) -> None:
    editor = make_user("redaction@compiegne.fr", roles=[(territory["compiegne"], "portal.editor")])
    procedure_create(actor=editor, organisation=territory["compiegne"], slug="longue-demarche",
                     fields=LONG, title="Une longue démarche")
    page: Page = audit.open(javascript=javascript)
    enrol_and_land(audit, page, editor)
    page.goto("/agent/demarches/longue-demarche/")
    audit.check(page, title="Une longue démarche — rédaction")
    if javascript:
        page.evaluate("window.keptPage = 'la même page'")
    add = page.get_by_role("region", name="Ajouter un champ")
    add.get_by_label("Libellé (la question posée)").fill("Numéro fiscal du demandeur")
    add.get_by_role("button", name="Ajouter le champ").click()
    row = page.locator("#champ-numero_fiscal_du_demandeur")
    expect(row).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("est ajouté")
    if javascript:
        # Not reloaded: the page's own state is still there, the new field has the focus.
        assert page.evaluate("window.keptPage") == "la même page"
        expect(row).to_be_focused()
    else:
        assert page.url.endswith("#champ-numero_fiscal_du_demandeur")
    placed = page.evaluate("el => [el.getBoundingClientRect().top, "
                           "el.getBoundingClientRect().bottom, window.innerHeight, window.scrollY]",
                           row.element_handle())
    assert placed[3] > 1000 and placed[0] >= -1 and placed[1] <= placed[2] + 1, placed  # in view
    if javascript:
        audit.check_in_place(page)
    else:
        audit.check(page, title="Une longue démarche — rédaction")
    row.get_by_role("button", name="Monter le champ « Numéro fiscal du demandeur »").click()
    expect(page.get_by_role("status")).to_contain_text("est déplacé")
    if not javascript:
        audit.check(page, title="Une longue démarche — rédaction")
    expect(page.locator("tbody tr").nth(39)).to_have_id("champ-numero_fiscal_du_demandeur")
    if javascript:
        assert page.evaluate("window.keptPage") == "la même page"

    # The trial: the citizen's pages on the unpublished version, and nothing filed.
    page.get_by_role("link", name="Essayer la version 1 comme un usager").click()
    audit.check(page, title="Étape 1 sur 2 : Votre demande — Une longue démarche")
    expect(page.get_by_role("note")).to_contain_text("Mode essai de la version 1")
    page.get_by_label("Question numéro 1", exact=True).fill("Réponse d'essai")
    page.get_by_role("button", name="Continuer").last.click()
    audit.check(page, title="Vérifier vos réponses — Une longue démarche")
    page.get_by_role("button", name="Terminer l'essai").click()
    audit.check(page, title="Essai terminé — Une longue démarche",
                h1="Essai terminé : Une longue démarche")
    expect(page.get_by_role("status")).to_contain_text("Aucun dossier n'a été créé")
    assert not Case.objects.exists()
