"""A case an agent files from a paper letter (case_file_for_mail): no account, the channel kept."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from socle.core.blobs import blob_open
from socle.core.services import ServiceError
from socle.portal import selectors
from socle.portal.models import Case, CaseChannel, DocumentKind
from socle.portal.services import CaseInvalid, case_file_for_mail
from tests.support.clients import sign_in
from tests.support.smtp_server import smtp_server  # noqa: F401

GOOD = {"nom": "Martin", "motif": "perte"}
RECEIVED = date(2026, 3, 2)


@pytest.fixture
def procedure(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement",
                   title="Carte de stationnement résident", implicit_decision_days=60)


def file(actor, territory, *, email: str = "", data=None, slug: str = "carte-stationnement"):
    return case_file_for_mail(actor=actor, organisation=territory["compiegne"],
                              procedure_slug=slug, data=GOOD if data is None else data,
                              mail_reference="2026-ARR-000007", applicant_name="Jeanne Dupont",
                              email=email, received_on=RECEIVED)


def pdf_text(document) -> str:
    with blob_open(document.blob) as handle:
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def test_a_letter_is_filed_without_an_account_and_acknowledged_on_paper(territory, procedure,
                                                                       caseworker):
    case = file(caseworker, territory)
    assert (case.citizen, case.email, case.applicant_name) == (None, "", "Jeanne Dupont")
    assert (case.channel, case.mail_reference) == (CaseChannel.PAPER_MAIL, "2026-ARR-000007")
    assert case.decision_due_on == RECEIVED + timedelta(days=60)
    [event] = case.events.all()
    assert event.actor == caseworker and "reçue par courrier le 02/03/2026" in event.text
    # A letter gets the acknowledgement of receipt, not that of electronic registration.
    assert [d.kind for d in case.documents.all()] == [DocumentKind.RECEIPT]
    text = " ".join(pdf_text(case.documents.get()).split())
    assert "Reçue par courrier le" in text and "2 mars 2026" in text
    assert "2026-ARR-000007" in text


def test_the_back_office_says_the_case_came_by_mail(territory, procedure, caseworker):
    case = file(caseworker, territory)
    client = Client()
    sign_in(client, caseworker)
    page = client.get(reverse("portal:agent_case", args=[case.number])).content.decode()
    assert "Déposé par courrier" in page and "2026-ARR-000007" in page
    assert "déposé par courrier" in page


def test_invalid_answers_are_refused_field_by_field_and_nothing_is_filed(territory, procedure,
                                                                         caseworker):
    with pytest.raises(CaseInvalid) as refused:
        file(caseworker, territory, data={"nom": ""})
    assert set(refused.value.errors) == {"nom", "motif"}
    assert not Case.objects.exists()


def test_an_agent_who_may_not_process_cases_there_is_refused(territory, procedure,
                                                             other_caseworker, make_user):
    for agent in (other_caseworker, make_user(roles=[(territory["compiegne"], "mail.clerk")])):
        with pytest.raises(ServiceError) as refused:
            file(agent, territory)
        assert refused.value.code == "forbidden"
    assert not Case.objects.exists()


def test_a_case_landing_where_the_agent_may_not_process_it_is_refused(territory, publish,
                                                                      caseworker):
    # The intercommunality's own procedure is offered in Compiègne, but its cases go to the ARC.
    publish(territory["arc"], "bac-ordures", title="Bac à ordures", routing="owner")
    fileable = selectors.procedures_fileable(actor=caseworker, organisation=territory["compiegne"])
    assert "bac-ordures" not in [o.slug for o in fileable]
    with pytest.raises(ServiceError) as refused:
        file(caseworker, territory, slug="bac-ordures")
    assert refused.value.code == "forbidden"
    assert not Case.objects.exists()


def test_an_invalid_sender_address_is_refused(territory, procedure, caseworker):
    with pytest.raises(ServiceError) as refused:
        file(caseworker, territory, email="pas-une-adresse")
    assert refused.value.code == "invalid_email"
    assert not Case.objects.exists()


worker_test = pytest.mark.django_db(transaction=True)


@worker_test
def test_a_sender_with_an_address_gets_the_acknowledgement_and_a_follow_up_link(
        smtp_server, territory, procedure, caseworker):  # noqa: F811
    case = file(caseworker, territory, email="Jeanne.Dupont@exemple.fr")
    assert case.email == "jeanne.dupont@exemple.fr" and not case.email_confirmed
    call_command("worker", batch=True)
    [message] = smtp_server.to("jeanne.dupont@exemple.fr")
    assert message.subject == f"Demande n° {case.number} enregistrée : Carte de stationnement résident"
    body = " ".join(message.body.split())
    assert "reçu le 2 mars 2026" in body
    prefix = reverse("portal:case_access", args=["jeton"]).split("jeton")[0]
    link = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", message.body)
    assert link is not None, message.body
    visitor = Client()
    opened = visitor.get(link.group(1))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("portal:case_detail", args=[case.number])
    assert case.number in visitor.get(opened["Location"]).content.decode()
    case.refresh_from_db()
    assert case.email_confirmed


@worker_test
def test_a_sender_without_an_address_is_sent_nothing(smtp_server, territory, procedure,  # noqa: F811
                                                     caseworker):
    file(caseworker, territory)
    call_command("worker", batch=True)
    assert smtp_server.messages == []
