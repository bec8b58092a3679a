"""An agent reading a case, its files or an export of cases leaves a trace; its citizen does not."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from socle.core.consultations import consultations_fold
from socle.core.models import AuditEvent, Consultation
from socle.portal.models import CaseDocument, DocumentKind
from tests.portal.test_backoffice import PDF, file_case
from tests.support.clients import signed_in


@pytest.fixture
def case(territory, publish, citizen):
    return file_case(publish(territory["compiegne"], "carte-stationnement",
                             title="Carte de stationnement"), citizen)


@pytest.fixture
def document(case, caseworker):
    upload = io.BytesIO(PDF)
    upload.name = "arrete.pdf"
    signed_in(caseworker).post(reverse("portal:agent_case_document", args=[case.number]),
                               {"file": upload, "visible_to_citizen": "on"})
    return CaseDocument.objects.get(case=case, kind=DocumentKind.AGENT)


def recorded() -> list[tuple]:
    """The readings of personal data recorded (API token uses, recorded too, left aside)."""
    return list(Consultation.objects.exclude(action="token.use").order_by("pk").values_list(
        "action", "actor__email", "organisation_slug", "target_type", "target_id",
        "data__number"))


def test_an_agent_opening_a_case_is_recorded(case, caseworker) -> None:
    assert signed_in(caseworker).get(reverse("portal:agent_case", args=[case.number])
                                     ).status_code == 200
    assert recorded() == [("case.consult", caseworker.email, "compiegne", "portal.case",
                           str(case.pk), case.number)]


def test_an_agent_reading_a_case_through_the_api_is_recorded(case, caseworker, api_client) -> None:
    assert api_client(caseworker).get(f"/api/v1/cases/{case.number}").status_code == 200
    [row] = Consultation.objects.exclude(action="token.use")
    assert (row.action, row.actor, row.organisation_slug, row.data["via"]) == (
        "case.consult", caseworker, "compiegne", "api")


def test_an_agent_downloading_a_file_of_a_case_is_recorded(case, document, caseworker) -> None:
    url = reverse("portal:document_download", args=[case.number, document.pk])
    assert signed_in(caseworker).get(url).status_code == 200
    assert recorded() == [("case.document_consult", caseworker.email, "compiegne",
                           "portal.casedocument", str(document.pk), case.number)]


def test_the_citizen_reading_their_own_case_and_files_leaves_no_record(case, document,
                                                                       citizen, api_client) -> None:
    client = signed_in(citizen)
    assert client.get(reverse("portal:case_detail", args=[case.number])).status_code == 200
    assert client.get(reverse("portal:document_download", args=[case.number, document.pk])
                      ).status_code == 200
    assert api_client(citizen).get(f"/api/v1/cases/{case.number}").status_code == 200
    assert recorded() == []


def test_an_agent_of_another_commune_still_gets_404_and_leaves_no_record(
        case, document, other_caseworker, api_client) -> None:
    client = signed_in(other_caseworker)
    assert client.get(reverse("portal:agent_case", args=[case.number])).status_code == 404
    assert client.get(reverse("portal:document_download", args=[case.number, document.pk])
                      ).status_code == 404
    assert api_client(other_caseworker).get(f"/api/v1/cases/{case.number}").status_code == 404
    assert recorded() == []


def test_folded_case_consultations_are_in_the_communes_journal(case, caseworker,
                                                               other_caseworker) -> None:
    signed_in(caseworker).get(reverse("portal:agent_case", args=[case.number]))
    consultations_fold()
    event = AuditEvent.objects.get(action="case.consult")
    assert (event.actor, event.organisation_slug, event.target_id) == (
        caseworker, "compiegne", str(case.pk))


def test_an_export_of_cases_is_chained_at_once_in_each_organisations_journal(
        case, caseworker) -> None:
    response = signed_in(caseworker).get(reverse("portal:queue_export"), {"status": "submitted"})
    assert response.status_code == 200
    events = list(AuditEvent.objects.filter(action="case.export"))
    assert events and {event.actor for event in events} == {caseworker}
    assert "compiegne" in {event.organisation_slug for event in events}
    assert all(event.target_type == "portal.case" for event in events)
    assert all(event.data["filters"] == {"status": "submitted"} for event in events)
    filtered = signed_in(caseworker).get(reverse("portal:queue_export"),
                                         {"organisation": "compiegne"})
    assert filtered.status_code == 200
    last = AuditEvent.objects.filter(action="case.export").order_by("-seq").first()
    assert (last.organisation_slug, last.data["organisations"]) == ("compiegne", ["compiegne"])
