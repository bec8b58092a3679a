"""The register's pages: list and filters, registration with scans, a mail's page, PDF, stats."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from socle.core.letters import french_date
from socle.core.models import Consultation
from socle.mail.models import Mail, MailStatus
from socle.mail.services import mail_assign
from tests.mail.conftest import PDF, VALID_SIRET
from tests.support.clients import signed_in
from tests.support.downloads import served_name


def listed(client, **params) -> list[str]:
    response = client.get(reverse("mail:register"), params)
    assert response.status_code == 200
    return [mail.chrono for mail, _ in response.context["rows"]]


def test_the_register_lists_only_the_agents_communes(clerk, other_clerk, register):
    mail = register()
    assert listed(signed_in(clerk)) == [mail.chrono]
    assert listed(signed_in(other_clerk)) == []


def test_people_without_a_mail_role_get_a_403_page(make_user, territory):
    caseworker = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    response = signed_in(caseworker).get(reverse("mail:register"))
    assert response.status_code == 403
    assert "réservé" in response.content.decode()


def test_filters_overdue_and_assigned_to_me(clerk, make_user, territory, register):
    agent = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    late = register(received_on=timezone.localdate() - timedelta(days=45))
    recent = register(received_on=timezone.localdate())
    mail_assign(actor=clerk, mail=recent, service=None, assignee=agent)
    client = signed_in(agent)
    assert listed(client, overdue="1") == [late.chrono]
    assert listed(client, assigned="me") == [recent.chrono]
    assert listed(client, status="assigned") == [recent.chrono]


def test_a_clerk_registers_a_letter_with_its_scans(clerk, reclamation):
    response = signed_in(clerk).post(reverse("mail:create"), {
        "organisation": "compiegne", "direction": "in", "channel": "paper",
        "received_on": "2026-03-02", "subject": "Demande de permis", "priority": "normal",
        "mail_type": str(reclamation.pk), "contact_kind": "organisation",
        "contact_name": "Bâtiments de l'Oise", "contact_siret": VALID_SIRET,
        "pieces": [io.BytesIO(PDF), io.BytesIO(PDF + b" ")],
    })
    mail = Mail.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("mail:detail",
                                                                          args=[mail.pk])
    assert mail.pieces.count() == 2 and mail.contact.siret == VALID_SIRET


def test_a_wrong_siret_is_shown_in_french_and_registers_nothing(clerk, reclamation):
    response = signed_in(clerk).post(reverse("mail:create"), {
        "organisation": "compiegne", "direction": "in", "channel": "paper",
        "received_on": "2026-03-02", "subject": "Demande", "priority": "normal",
        "contact_kind": "organisation", "contact_name": "X", "contact_siret": "55201649600011"})
    assert response.status_code == 400
    assert "clé doit être valide" in response.content.decode()
    assert not Mail.objects.exists()


def test_an_oversized_scan_gets_the_french_page(clerk, reclamation, settings):
    settings.BLOB_MAX_SIZE = 20
    response = signed_in(clerk).post(reverse("mail:create"), {
        "organisation": "compiegne", "direction": "in", "channel": "paper",
        "received_on": "2026-03-02", "subject": "Demande", "priority": "normal",
        "contact_name": "Jeanne", "pieces": [io.BytesIO(PDF)]})
    assert response.status_code == 413
    assert "taille maximale" in response.content.decode()
    assert not Mail.objects.exists()


def test_another_communes_mail_is_a_404_on_every_page(other_clerk, register):
    from socle.mail.services import PieceUpload

    mail = register(pieces=[PieceUpload(name="scan.pdf", stream=io.BytesIO(PDF))])
    client = signed_in(other_clerk)
    for name in ("detail", "acknowledgement"):
        assert client.get(reverse(f"mail:{name}", args=[mail.pk])).status_code == 404
    assert client.get(reverse("mail:piece", args=[mail.pk, mail.pieces.get().pk])).status_code == 404
    assert not Consultation.objects.exists()
    for name in ("assign", "instruct", "reply", "close"):
        assert client.post(reverse(f"mail:{name}", args=[mail.pk]),
                           {"text": "x", "kind": "annotation"}).status_code == 404
    mail.refresh_from_db()
    assert mail.status == MailStatus.REGISTERED and not mail.instructions.exists()


def test_the_mail_page_shows_the_instruction_timeline(clerk, register):
    mail = register()
    client = signed_in(clerk)
    response = client.post(reverse("mail:instruct", args=[mail.pk]),
                           {"kind": "instruction", "text": "Voir avec l'urbanisme. — Le Maire"})
    assert response.status_code == 302
    page = client.get(reverse("mail:detail", args=[mail.pk])).content.decode()
    assert "Voir avec l&#x27;urbanisme. — Le Maire" in page and "Instruction" in page


def test_assignment_reply_and_close_from_the_page(clerk, make_user, territory, register):
    agent = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    mail = register()
    client = signed_in(clerk)
    assert client.post(reverse("mail:assign", args=[mail.pk]), {
        "service": str(territory["compiegne"].pk), "assignee": str(agent.pk),
        "copies": [str(clerk.pk)]}).status_code == 302
    response = client.post(reverse("mail:reply", args=[mail.pk]), {"channel": "paper"})
    reply = Mail.objects.get(direction="out")
    assert response["Location"] == reverse("mail:detail", args=[reply.pk])
    page = client.get(reverse("mail:detail", args=[reply.pk])).content.decode()
    assert mail.chrono in page
    assert client.post(reverse("mail:close", args=[mail.pk])).status_code == 302
    mail.refresh_from_db()
    assert (mail.assignee, mail.status) == (agent, MailStatus.CLOSED)


def test_the_acknowledgement_is_a_pdf_with_the_chrono(clerk, register):
    mail = register()
    response = signed_in(clerk).get(reverse("mail:acknowledgement", args=[mail.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert served_name(response) == f"accuse-{mail.chrono}.pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Accusé de réception" in text and mail.chrono in text
    assert "Jeanne Dupont" in text and french_date(mail.deadline) in text
    assert reader.metadata.title == "Accusé de réception"


def test_the_scans_download_for_the_clerk(clerk, register):
    from socle.mail.services import PieceUpload

    mail = register(pieces=[PieceUpload(name="scan.exe", stream=io.BytesIO(PDF))])
    piece = mail.pieces.get()
    response = signed_in(clerk).get(reverse("mail:piece", args=[mail.pk, piece.pk]))
    assert b"".join(response.streaming_content) == PDF
    assert served_name(response) == "scan.pdf"  # the extension of its content, not of its name
    [row] = Consultation.objects.exclude(action="token.use")
    assert (row.action, row.actor, row.organisation_slug, row.target_id, row.data) == (
        "mail.piece_consult", clerk, "compiegne", str(piece.pk), {"mail": mail.chrono})


def test_the_stats_page_shows_the_figures(clerk, register):
    register(received_on=timezone.localdate().replace(day=1))
    response = signed_in(clerk).get(reverse("mail:stats"))
    assert response.status_code == 200
    [figures] = response.context["figures"]
    assert figures.received == 1
    assert "Volumes et délais par service" in response.content.decode()


def test_the_stats_page_never_shows_another_commune(other_clerk, register):
    register()
    response = signed_in(other_clerk).get(reverse("mail:stats"), {"organisation": "compiegne"})
    assert response.context["organisation"].slug == "venette"
    assert response.context["figures"] == []


def test_the_agent_home_offers_the_register_to_clerks_only(clerk, make_user, territory):
    caseworker = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    home = reverse("core:agent_home")
    assert reverse("mail:register") in signed_in(clerk).get(home).content.decode()
    assert reverse("mail:register") not in signed_in(caseworker).get(home).content.decode()


@pytest.fixture
def case(territory, make_user):
    from socle.portal import selectors as portal_selectors
    from socle.portal.services import case_submit, procedure_create, procedure_publish

    editor = make_user(roles=[(territory["arc"], "portal.editor")])
    procedure = procedure_create(actor=editor, organisation=territory["compiegne"],
                                 slug="signalement", title="Signalement", fields=[
                                     {"name": "nom", "label": "Nom", "type": "text",
                                      "required": True}])
    procedure_publish(actor=editor, procedure=procedure)
    citizen = make_user("camille@exemple.fr", commune=territory["compiegne"])
    offered = portal_selectors.procedure_offered_get(slug="signalement", commune=territory["compiegne"])
    return case_submit(actor=citizen, offered=offered, data={"nom": "Camille"})


def test_a_portal_case_is_registered_as_incoming_mail_keeping_the_link(case, make_user,
                                                                       territory):
    agent = make_user(roles=[(territory["compiegne"], "mail.clerk"),
                             (territory["compiegne"], "portal.caseworker")])
    client = signed_in(agent)
    response = client.post(reverse("mail:from_case"), {"organisation": "compiegne",
                                                       "number": case.number})
    mail = Mail.objects.get()
    assert response["Location"] == reverse("mail:detail", args=[mail.pk])
    assert (mail.channel, mail.portal_case_id) == ("web_form", case.pk)
    page = client.get(reverse("mail:detail", args=[mail.pk])).content.decode()
    assert reverse("portal:agent_case", args=[case.number]) in page
    client.post(reverse("mail:from_case"), {"organisation": "compiegne", "number": case.number})
    assert Mail.objects.count() == 1


def test_a_case_the_clerk_may_not_see_is_not_registered(case, clerk):
    response = signed_in(clerk).post(reverse("mail:from_case"), {"organisation": "compiegne",
                                                                 "number": case.number})
    assert response.status_code == 302 and not Mail.objects.exists()


def test_the_demo_loads_compiegne_register_once(territory, make_user):
    from socle.mail.demo import demo_load

    assert "absent" in demo_load()[0]
    make_user("courrier@demo.socle.fr", roles=[(territory["compiegne"], "mail.clerk")])
    demo_load()
    assert Mail.objects.filter(direction="in").count() == 4
    assert Mail.objects.get(direction="out").reply_to.status == MailStatus.ANSWERED
    demo_load()
    assert Mail.objects.count() == 5


def test_each_mail_type_is_offered_once_under_the_organisation_that_defines_it(
        clerk, compiegne, reclamation, territory, make_user):
    from socle.core.models import Organisation
    from socle.mail.services import mail_type_create
    from tests.support.clients import signed_in

    for slug, name in (("compiegne-urbanisme", "Urbanisme"), ("compiegne-etat-civil", "État civil")):
        Organisation.objects.create(slug=slug, name=name, kind="service", parent=compiegne,
                                    path=f"{compiegne.path}{slug}/")
    arc_clerk = make_user("courrier.arc@exemple.fr", roles=[(territory["arc"], "mail.clerk")])
    mail_type_create(actor=arc_clerk, organisation=territory["arc"], name="Courrier d'élu",
                     processing_days=8)
    page = signed_in(clerk).get("/courrier/enregistrer").content.decode()
    assert page.count("Réclamation (30 jours)") == 1
    assert page.count("Courrier d&#x27;élu (8 jours)") == 1
    assert '<optgroup label="Types de Compiègne">' in page


def test_a_reply_is_written_from_the_template_drawn_as_a_letter_and_registered_outgoing(
        clerk, register):
    import io

    from pypdf import PdfReader

    from socle.core.blobs import blob_open
    from socle.mail.models import MailPiece
    from tests.support.clients import signed_in

    clerk.first_name, clerk.last_name, clerk.job_title = "Lucie", "Moreau", "Agent du courrier"
    clerk.save()
    mail = register()
    client = signed_in(clerk)
    page = client.get(reverse("mail:detail", args=[mail.pk])).content.decode()
    assert "Nous avons bien reçu votre courrier du" in page and "[Réponse du service]" in page
    # The placeholder must be replaced: nothing is registered until it is.
    untouched = client.post(reverse("mail:reply", args=[mail.pk]), {
        "channel": "paper", "letter": "Madame, Monsieur,\n\n[Réponse du service]"})
    assert untouched.status_code == 400 and not Mail.objects.filter(direction="out").exists()
    answer = client.post(reverse("mail:reply", args=[mail.pk]), {"channel": "paper", "letter": (
        "Madame, Monsieur,\n\nLes services municipaux interviendront rue de Paris lundi.\n\n"
        "Veuillez agréer nos salutations distinguées.")})
    assert answer.status_code == 302
    reply = Mail.objects.get(direction="out")
    [piece] = MailPiece.objects.filter(mail=reply)
    assert piece.name == f"reponse-{mail.chrono}.pdf"
    with blob_open(piece.blob) as handle:
        text = " ".join(PdfReader(io.BytesIO(handle.read())).pages[0].extract_text().split())
    for expected in ("Mairie de Compiègne", f"Votre courrier n° {mail.chrono}",
                     "interviendront rue de Paris", "Pour le maire et par délégation",
                     "Agent du courrier", "Lucie Moreau", mail.contact.name):
        assert expected in text, expected
    mail.refresh_from_db()
    assert mail.status == "answered"
