"""A letter filed as a portal case (case_from_mail): the service, the mail's pages, the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from socle.core.models import AuditEvent
from socle.core.services import ServiceError
from socle.mail.models import Mail
from socle.mail.selectors import mail_for_case
from socle.mail.services import case_from_mail, contact_create
from socle.portal.models import Case, CaseChannel
from socle.portal.services import CaseInvalid, procedure_create, procedure_publish
from tests.support.clients import signed_in

FIELDS = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True},
    {"name": "motif", "label": "Motif", "type": "choice", "required": True,
     "choices": [{"value": "bruit", "label": "Bruit"}, {"value": "voirie", "label": "Voirie"}]},
]
GOOD = {"nom": "Jeanne Dupont", "motif": "bruit"}


@pytest.fixture
def procedure(territory, make_user):
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    created = procedure_create(actor=editor, organisation=territory["compiegne"],
                               slug="signalement", title="Signalement", fields=FIELDS,
                               implicit_decision_days=30)
    procedure_publish(actor=editor, procedure=created)
    # A procedure of another commune, never offered by Compiègne's register.
    other = procedure_create(actor=editor, organisation=territory["venette"],
                             slug="signalement-venette", title="Signalement (Venette)",
                             fields=FIELDS)
    procedure_publish(actor=editor, procedure=other)
    return created


@pytest.fixture
def agent(territory, make_user):
    """Compiègne's clerk who also processes Compiègne's portal cases."""
    return make_user("accueil.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "mail.clerk"),
                            (territory["compiegne"], "portal.caseworker")])


@pytest.fixture
def letter(register, agent, procedure):
    return register(actor=agent, subject="Bruit la nuit rue de Paris")


def nothing_written(mail: Mail) -> bool:
    mail.refresh_from_db()
    return (not Case.objects.exists() and mail.portal_case_id is None
            and not AuditEvent.objects.filter(action__in=["case.file_for_mail",
                                                          "mail.case_create"]).exists())


# ---------------------------------------------------------------------------------- service


def test_a_letter_becomes_a_case_linked_both_ways(letter, agent, sender):
    case = case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)
    letter.refresh_from_db()
    assert letter.portal_case_id == case.pk
    assert (case.channel, case.mail_reference) == (CaseChannel.PAPER_MAIL, letter.chrono)
    assert case.citizen is None and case.status == "submitted"
    assert (case.applicant_name, case.email) == (sender.name, sender.email)
    assert case.organisation.slug == "compiegne" and case.data == GOOD
    # The delay of the implicit decision runs from the letter's receipt.
    assert case.decision_due_on == letter.received_on + timedelta(days=30)
    assert mail_for_case(actor=agent, case_id=case.pk) == letter
    assert AuditEvent.objects.filter(action="mail.case_create", target_id=str(letter.pk)).exists()
    assert AuditEvent.objects.filter(action="case.file_for_mail", target_id=str(case.pk)).exists()


def test_a_letter_is_filed_once(letter, agent):
    case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)
    with pytest.raises(ServiceError) as refused:
        case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)
    assert refused.value.code == "duplicate"
    assert Case.objects.count() == 1


def test_invalid_answers_give_field_errors_and_write_nothing(letter, agent):
    with pytest.raises(CaseInvalid) as refused:
        case_from_mail(actor=agent, mail=letter, procedure_slug="signalement",
                       data={"motif": "inconnu"})
    assert set(refused.value.errors) == {"nom", "motif"}
    assert nothing_written(letter)


def test_a_clerk_who_does_not_process_cases_is_refused(letter, clerk):
    with pytest.raises(ServiceError) as refused:
        case_from_mail(actor=clerk, mail=letter, procedure_slug="signalement", data=GOOD)
    assert refused.value.code == "forbidden"
    assert nothing_written(letter)


def test_a_caseworker_without_the_clerks_role_is_refused(letter, territory, make_user):
    caseworker = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    with pytest.raises(ServiceError) as refused:
        case_from_mail(actor=caseworker, mail=letter, procedure_slug="signalement", data=GOOD)
    assert refused.value.code == "forbidden"
    assert nothing_written(letter)


def test_a_procedure_another_commune_offers_is_refused(letter, agent):
    with pytest.raises(ServiceError) as refused:
        case_from_mail(actor=agent, mail=letter, procedure_slug="signalement-venette", data=GOOD)
    assert refused.value.code == "unknown_procedure"
    assert nothing_written(letter)


def test_an_outgoing_letter_does_not_become_a_case(register, agent, procedure):
    sent = register(actor=agent, direction="out", mail_type=None)
    with pytest.raises(ServiceError):
        case_from_mail(actor=agent, mail=sent, procedure_slug="signalement", data=GOOD)
    assert nothing_written(sent)


def test_a_sender_without_email_gets_a_case_without_notifications(register, agent, compiegne,
                                                                  procedure):
    writer = contact_create(actor=agent, organisation=compiegne, kind="person",
                            name="Paul Martin", address="3 rue des Lombards, 60200 Compiègne")
    case = case_from_mail(actor=agent, mail=register(actor=agent, contact=writer),
                          procedure_slug="signalement", data=GOOD)
    assert (case.applicant_name, case.email, case.citizen) == ("Paul Martin", "", None)


# ------------------------------------------------------------------------------------ pages


def test_the_mail_page_leads_to_the_procedures_form_and_files_the_case(letter, agent):
    client = signed_in(agent)
    page = client.get(reverse("mail:detail", args=[letter.pk])).content.decode()
    assert "Créer un dossier du portail" in page and 'value="signalement"' in page
    assert "signalement-venette" not in page
    url = reverse("mail:case_create", args=[letter.pk])
    form = client.get(url, {"demarche": "signalement"})
    assert form.status_code == 200
    assert 'name="f-nom"' in form.content.decode()
    response = client.post(url, {"demarche": "signalement", "f-nom": "Jeanne Dupont",
                                 "f-motif": "bruit"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mail:detail", args=[letter.pk])
    case = Case.objects.get()
    mail_page = client.get(response["Location"]).content.decode()
    assert reverse("portal:agent_case", args=[case.number]) in mail_page
    assert "Créer un dossier du portail" not in mail_page
    case_page = client.get(reverse("portal:agent_case", args=[case.number])).content.decode()
    assert reverse("mail:detail", args=[letter.pk]) in case_page
    assert "Déposé par courrier" in case_page and letter.chrono in case_page


def test_the_form_page_shows_the_errors_and_files_nothing(letter, agent):
    response = signed_in(agent).post(reverse("mail:case_create", args=[letter.pk]),
                                     {"demarche": "signalement", "f-motif": "bruit"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Le formulaire contient des erreurs" in page and 'href="#id-f-nom"' in page
    assert nothing_written(letter)


def test_an_unknown_procedure_asks_again(letter, agent):
    response = signed_in(agent).get(reverse("mail:case_create", args=[letter.pk]),
                                    {"demarche": "signalement-venette"})
    assert response.status_code == 400
    assert "Choisissez une démarche" in response.content.decode()


def test_another_communes_clerk_gets_a_404(letter, make_user, territory):
    other = make_user(roles=[(territory["venette"], "mail.clerk"),
                             (territory["venette"], "portal.caseworker")])
    url = reverse("mail:case_create", args=[letter.pk])
    client = signed_in(other)
    assert client.get(url, {"demarche": "signalement"}).status_code == 404
    assert client.post(url, {"demarche": "signalement", **{f"f-{k}": v for k, v in GOOD.items()}
                             }).status_code == 404
    assert nothing_written(letter)


def test_a_clerk_who_does_not_process_cases_is_not_offered_the_form(letter, clerk):
    client = signed_in(clerk)
    assert "Créer un dossier du portail" not in client.get(
        reverse("mail:detail", args=[letter.pk])).content.decode()
    url = reverse("mail:case_create", args=[letter.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"demarche": "signalement", "f-nom": "X",
                             "f-motif": "bruit"}).status_code == 403
    assert nothing_written(letter)


# -------------------------------------------------------------------------------------- API


def post_case(client, mail: Mail, body) -> tuple[int, dict]:
    response = client.post(f"/api/v1/mail/{mail.pk}/case", data=json.dumps(body),
                           content_type="application/json")
    return response.status_code, response.json()


def test_the_api_files_a_case_from_a_letter(api_client, letter, agent):
    status, body = post_case(api_client(agent), letter, {"procedure": "signalement",
                                                         "data": GOOD})
    assert status == 201, body
    case = Case.objects.get()
    assert body == {"number": case.number, "status": "submitted"}
    detail = api_client(agent).get(f"/api/v1/mail/{letter.pk}").json()
    assert detail["portal_case"] == case.number


def test_the_api_lists_refused_answers_and_writes_nothing(api_client, letter, agent):
    status, body = post_case(api_client(agent), letter, {"procedure": "signalement",
                                                         "data": {"nom": "", "motif": "x"}})
    assert status == 400 and body["code"] == "invalid"
    assert {e["field"] for e in body["errors"]} == {"nom", "motif"}
    assert all(e["message"] for e in body["errors"])
    assert nothing_written(letter)


def test_the_api_refuses_a_procedure_not_offered_there(api_client, letter, agent):
    status, body = post_case(api_client(agent), letter, {"procedure": "signalement-venette",
                                                         "data": GOOD})
    assert (status, body["code"]) == (400, "unknown_procedure")
    assert nothing_written(letter)


def test_the_api_refuses_the_wrong_roles(api_client, letter, clerk, territory, make_user):
    status, body = post_case(api_client(clerk), letter, {"procedure": "signalement",
                                                         "data": GOOD})
    assert (status, body["code"]) == (403, "forbidden")
    caseworker = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    status, body = post_case(api_client(caseworker), letter, {"procedure": "signalement",
                                                              "data": GOOD})
    assert (status, body["code"]) == (403, "forbidden")
    assert nothing_written(letter)


def test_another_communes_letter_is_a_404_in_the_api(api_client, letter, make_user, territory):
    other = make_user(roles=[(territory["venette"], "mail.clerk"),
                             (territory["venette"], "portal.caseworker")])
    status, body = post_case(api_client(other), letter, {"procedure": "signalement",
                                                         "data": GOOD})
    assert (status, body["code"]) == (404, "not_found")
    assert nothing_written(letter)


def test_the_api_refuses_unexpected_keys(api_client, letter, agent):
    status, body = post_case(api_client(agent), letter, {"procedure": "signalement",
                                                         "data": GOOD, "citizen": 1})
    assert status == 400 and body["errors"][0]["field"] == "citizen"
    assert nothing_written(letter)


def test_a_case_registered_as_mail_links_back_from_the_case_page(territory, agent, procedure,
                                                                 make_user):
    """The other way round (mail_from_case): the case page links to the mail too."""
    from socle.mail.services import mail_from_case
    from socle.portal.selectors import procedure_offered_get
    from socle.portal.services import case_submit

    citizen = make_user("camille@exemple.fr", commune=territory["compiegne"])
    case = case_submit(actor=citizen, data=GOOD,
                       offered=procedure_offered_get(slug="signalement", commune=territory["compiegne"]))
    mail = mail_from_case(actor=agent, organisation=territory["compiegne"], case=case)
    page = signed_in(agent).get(reverse("portal:agent_case", args=[case.number])).content.decode()
    assert reverse("mail:detail", args=[mail.pk]) in page and "enregistré au courrier" in page
