"""An editor tries the revision being edited as a citizen would: same steps, conditions and
checks, and the end of the trial files nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from socle.core.models import AuditEvent
from socle.portal.models import Case, Procedure
from socle.portal.services import procedure_create, procedure_draft, procedure_update
from tests.support.clients import signed_in

from .test_form_steps import STEPPED


@pytest.fixture
def editor(territory, make_user):
    return make_user("redaction.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "portal.editor")])


@pytest.fixture
def unpublished(territory, editor) -> Procedure:
    procedure = procedure_create(actor=editor, organisation=territory["compiegne"],
                                 slug="declaration-travaux", title="Déclaration de travaux")
    return procedure_update(actor=editor, procedure=procedure, fields=STEPPED)


def _url(step: str | int | None = None) -> str:
    base = reverse("portal:editor_trial", args=["declaration-travaux"])
    return base if step is None else f"{base}?etape={step}"


def test_an_editor_tries_an_unpublished_procedure_and_nothing_is_filed(editor, unpublished):
    client = signed_in(editor)
    assert unpublished.published_revision is None
    first = client.get(_url()).content.decode()
    assert "Mode essai de la version 1" in first and "(non publiée)" in first
    # The same checks as a citizen's: the conditional question is required when it applies.
    refused = client.post(_url(1), {"f-nom": "", "f-statut": "sci", "action": "next"})
    assert refused.status_code == 400
    assert "Nom de la société : Ce champ est obligatoire." in refused.content.decode()
    client.post(_url(1), {"f-nom": "Martin", "f-statut": "sci", "f-raison_sociale": "SCI du Parc",
                          "action": "next"})
    # No works: the « Les travaux » step is skipped, straight to the summary.
    skipped = client.post(_url(2), {"f-travaux": "false", "action": "next"})
    assert skipped.status_code == 302 and skipped["Location"].endswith("etape=recapitulatif")
    recap = client.get(skipped["Location"]).content.decode()
    assert "Terminer l'essai" in recap and "Envoyer ma demande" not in recap
    assert "Enregistrer le brouillon" not in recap
    cases_before, events_before = Case.objects.count(), AuditEvent.objects.count()
    done = client.post(skipped["Location"], {"action": "submit"})
    assert done.status_code == 200
    text = done.content.decode()
    assert "Essai terminé" in text and "Aucun dossier n'a été créé" in text
    assert "SCI du Parc" in text
    assert Case.objects.count() == cases_before == 0
    assert AuditEvent.objects.count() == events_before and mail.outbox == []
    assert procedure_draft(Procedure.objects.get(pk=unpublished.pk)).published_at is None


def test_a_trial_with_a_wrong_answer_is_sent_back_to_its_step(editor, unpublished):
    client = signed_in(editor)
    client.post(_url(1), {"f-nom": "Martin", "f-statut": "particulier", "action": "next"})
    client.post(_url(2), {"f-travaux": "true", "action": "next"})
    refused = client.post(_url(3), {"f-surface": "beaucoup", "action": "next"})
    assert refused.status_code == 400
    assert not Case.objects.exists()


def test_only_the_procedures_editors_may_try_it(territory, make_user, unpublished, citizen):
    venette = make_user("redaction.venette@exemple.fr",
                        roles=[(territory["venette"], "portal.editor")])
    assert signed_in(venette).get(_url()).status_code == 404
    assert signed_in(citizen).get(_url()).status_code == 403
    # The citizen's own address for the procedure does not serve an unpublished revision.
    assert signed_in(citizen).get(
        reverse("portal:procedure", args=["declaration-travaux"])).status_code == 404
