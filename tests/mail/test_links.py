"""A letter refers to its portal case and to the GED documents of its pieces by their ids
(decision 0017): shown only through the owners' selectors, so knowing an id shows nothing."""

from __future__ import annotations

import importlib
import io

import pytest
from django.urls import reverse

import socle.documents.services as documents_services
from socle.core.services import ServiceError
from socle.mail.models import Mail
from socle.mail.services import DOCUMENTS_NODE_CODE, PieceUpload, case_from_mail, contact_create
from socle.portal.selectors import procedure_offered_get
from socle.portal.services import case_submit, procedure_create, procedure_publish
from tests.mail.conftest import PDF
from tests.mail.test_case_from_mail import FIELDS, GOOD
from tests.support.clients import signed_in
from tests.support.migrations import migrations_at


@pytest.fixture
def agent(territory, make_user):
    """Compiègne's clerk who also processes Compiègne's portal cases."""
    return make_user("accueil.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "mail.clerk"),
                            (territory["compiegne"], "portal.caseworker")])


@pytest.fixture
def procedure(territory, make_user):
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    created = procedure_create(actor=editor, organisation=territory["compiegne"],
                               slug="signalement", title="Signalement", fields=FIELDS)
    procedure_publish(actor=editor, procedure=created)
    return created


@pytest.fixture
def letter(register, agent, procedure):
    return register(actor=agent, subject="Bruit la nuit rue de Paris")


@pytest.fixture
def case(letter, agent):
    return case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)


def test_the_case_is_shown_to_whoever_may_see_it(case, letter, agent, api_client):
    page = signed_in(agent).get(reverse("mail:detail", args=[letter.pk])).content.decode()
    assert reverse("portal:agent_case", args=[case.number]) in page
    assert api_client(agent).get(f"/api/v1/mail/{letter.pk}").json()["portal_case"] == case.number
    [item] = api_client(agent).get("/api/v1/mail").json()["items"]
    assert item["portal_case"] == case.number


def test_a_clerk_who_may_not_see_the_case_learns_only_that_there_is_one(case, letter, clerk,
                                                                         api_client):
    page = signed_in(clerk).get(reverse("mail:detail", args=[letter.pk])).content.decode()
    assert case.number not in page
    assert "Un dossier que votre rôle ne permet pas de consulter" in page
    assert api_client(clerk).get(f"/api/v1/mail/{letter.pk}").json()["portal_case"] is None
    [item] = api_client(clerk).get("/api/v1/mail").json()["items"]
    assert item["portal_case"] is None


def test_a_second_filing_names_the_case_it_is_linked_to(case, letter, agent):
    with pytest.raises(ServiceError) as refused:
        case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)
    assert (refused.value.code, refused.value.message) == (
        "duplicate", f"Ce courrier est déjà lié au dossier {case.number}.")


def test_the_ged_link_of_a_piece_is_shown_only_to_a_reader_of_the_document(register, clerk,
                                                                           territory, make_user):
    plan = documents_services.plan_create(actor=None, organisation=territory["arc"], code="REF",
                                          title="Plan de référence")
    documents_services.node_create(actor=None, plan=plan, code=DOCUMENTS_NODE_CODE,
                                   title="Courrier (pièces numérisées)")
    mail = register(pieces=[PieceUpload(name="scan.pdf", stream=io.BytesIO(PDF))])
    document_id = mail.pieces.get().documents_document_id
    assert document_id is not None
    link = reverse("documents:detail", args=[document_id])
    assert link not in signed_in(clerk).get(reverse("mail:detail", args=[mail.pk])).content.decode()
    reader = make_user(roles=[(territory["compiegne"], "mail.clerk"),
                              (territory["compiegne"], "documents.reader")])
    assert link in signed_in(reader).get(reverse("mail:detail", args=[mail.pk])).content.decode()


# ------------------------------------------------------------------------------ the migration




@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_case_numbers_and_string_references_into_ids(territory, make_user,
                                                                         procedure):
    citizen = make_user("camille@exemple.fr", commune=territory["compiegne"])
    case = case_submit(actor=citizen, data=GOOD,
                       offered=procedure_offered_get(slug="signalement", commune=territory["compiegne"]))
    clerk = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    contact = contact_create(actor=clerk, organisation=territory["compiegne"], kind="person",
                             name="Camille")
    with migrations_at() as to:
        old = to(("mail", "0002_reference_ids"))
        OldMail, OldPiece = old.get_model("mail", "Mail"), old.get_model("mail", "MailPiece")
        Blob = old.get_model("core", "Blob")
        blob = Blob.objects.create(sha256="0" * 64, size=1, mime_type="application/pdf")

        def mail(number: int, organisation: str = "compiegne", **values):
            return OldMail.objects.create(
                organisation_id=territory[organisation].pk, direction="in", year=2026, number=number,
                chrono=f"2026-ARR-{number:06d}", received_on="2026-03-02", channel="web_form",
                contact_id=contact.pk, subject="Dossier", **values)

        linked = mail(1, portal_case_number=case.number,
                     portal_case_organisation_id=territory["compiegne"].pk)
        # The same number said to be a case of another commune: not this case.
        elsewhere = mail(2, "venette", portal_case_number=case.number,
                         portal_case_organisation_id=territory["venette"].pk)
        unknown = mail(3, portal_case_number="2026-999999")
        filed = OldPiece.objects.create(mail_id=linked.pk, blob_id=blob.sha256, name="a.pdf",
                                        document_ref="42")
        garbled = OldPiece.objects.create(mail_id=linked.pk, blob_id=blob.sha256, name="b.pdf",
                                          document_ref="doc-42")
        # Without the portal installed, the pieces are converted and the case numbers left.
        fill = importlib.import_module("socle.mail.migrations.0003_reference_ids_fill")
        fill.forwards(_WithoutPortal(old), None)
        assert not OldMail.objects.filter(portal_case_id__isnull=False).exists()
        assert OldPiece.objects.get(pk=filed.pk).documents_document_id == 42

        to(("mail", "0004_drop_display_keys"))
        assert {m.pk: m.portal_case_id for m in Mail.objects.all()} == {
            linked.pk: case.pk, elsewhere.pk: None, unknown.pk: None}
        pieces = dict(Mail.objects.get(pk=linked.pk).pieces.values_list("pk", "documents_document_id"))
        assert pieces == {filed.pk: 42, garbled.pk: None}

        # And back: the id gives the number and organisation again.
        old = to(("mail", "0002_reference_ids"))
        back = old.get_model("mail", "Mail").objects.get(pk=linked.pk)
        assert (back.portal_case_number, back.portal_case_organisation_id) == (
            case.number, territory["compiegne"].pk)
        assert old.get_model("mail", "MailPiece").objects.get(pk=filed.pk).document_ref == "42"
        to(("mail", "0004_drop_display_keys"))


class _WithoutPortal:
    """A migration state as if the portal were not installed."""

    def __init__(self, apps):
        self.apps = apps

    def get_model(self, app_label: str, model_name: str):
        if app_label == "portal":
            raise LookupError(app_label)
        return self.apps.get_model(app_label, model_name)
