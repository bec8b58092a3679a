"""In Chromium, without JavaScript: a citizen books an appointment and gets the .ics; a resident
joins a full workshop's waiting list, is promoted by email when someone cancels; a mediator
takes attendance. Every page passes axe-core."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from socle.agendas import services
from socle.agendas.models import ActivityRecord, Booking
from tests.conftest import PASSWORD
from tests.e2e.conftest import _chromium_missing, _orm_beside_playwright, audit, browser  # noqa: F401
from tests.e2e.test_ged_journey import agent_with_second_factor, signed_in_agent
from tests.e2e.test_spine_journeys import sign_in
from tests.support.smtp_server import smtp_server  # noqa: F401

from .conftest import at

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(_chromium_missing()), reason=_chromium_missing() or "-"),
]


def test_a_citizen_books_an_appointment_and_downloads_the_ics(audit, counter, citizen, monday):  # noqa: F811
    page = audit.open(javascript=False)
    page.goto(f"/agendas/{counter.pk}/")
    audit.check(page, title="Titres d'identité", h1="Titres d'identité")
    page.get_by_label("Passeport (30 min)").check()
    page.get_by_role("button", name="Voir les créneaux libres").click()
    audit.check(page, title="Titres d'identité", h1="Titres d'identité")
    page.goto(f"/agendas/{counter.pk}/?type=passeport&du={monday}")
    audit.check(page, title="Titres d'identité", h1="Titres d'identité")
    page.get_by_role("link", name="Connectez-vous").click()
    audit.check(page, title="Se connecter", h1="Se connecter")
    sign_in(page, citizen.email, PASSWORD)
    audit.check(page, title="Titres d'identité", h1="Titres d'identité")
    page.get_by_role("link", name=f"Réserver le {_day_label(monday)} à 09:30").click()
    audit.check(page, title="Confirmer le rendez-vous", h1="Confirmer le rendez-vous")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("status")).to_contain_text("Rendez-vous confirmé")
    with page.expect_download() as download:
        page.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        content = handle.read()
    assert "BEGIN:VEVENT" in content and "SUMMARY:Passeport" in content


def _day_label(day) -> str:
    from django.utils.dateformat import format as date_format

    return date_format(day, "l j F")


@pytest.mark.django_db(transaction=True)
def test_a_resident_waits_is_promoted_by_email_and_the_mediator_takes_attendance(
    audit,  # noqa: F811
    smtp_server,  # noqa: F811
    workshop,
    make_user,
    territory,
):
    first, second = make_user("un@exemple.fr"), make_user("deux@exemple.fr")
    taken = [services.registration_create(actor=p, event=workshop) for p in (first, second)]
    resident = make_user("louis@exemple.fr")
    page = audit.open(javascript=False)
    page.goto("/agendas/ateliers/")
    audit.check(page, title="Ateliers numériques", h1="Ateliers numériques à venir")
    page.get_by_role("link", name=workshop.title).click()
    audit.check(page, title=workshop.title, h1=workshop.title)
    page.get_by_role("link", name="Connectez-vous pour vous inscrire").click()
    audit.check(page, title="Se connecter", h1="Se connecter")
    sign_in(page, resident.email, PASSWORD)
    audit.check(page, title=workshop.title, h1=workshop.title)
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("table").first).to_contain_text("En liste d'attente (n° 1)")
    call_command("worker", batch=True)
    smtp_server.messages.clear()
    services.booking_cancel(actor=first, booking=taken[0], reason="Empêchement")
    call_command("worker", batch=True)
    [message] = smtp_server.to(resident.email)
    assert "Une place s'est libérée" in message.subject
    page.reload()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("table").first).to_contain_text("Confirmée")

    mediator, totp = agent_with_second_factor(
        make_user, "mediateur@agglo.fr", roles=[(territory["arc"], "agendas.mediator")]
    )
    phone = signed_in_agent(audit, mediator, totp)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"/agent/mediation/seances/{workshop.pk}/")
    audit.check(phone, title=f"Présences : {workshop.title}", h1=f"Présences : {workshop.title}")
    phone.get_by_label(resident.email, exact=True).check()
    phone.get_by_label("Messagerie électronique").check()
    phone.get_by_role("button", name="Enregistrer les présences").click()
    audit.check(phone, title=f"Présences : {workshop.title}", h1=f"Présences : {workshop.title}")
    expect(phone.get_by_role("status")).to_contain_text("compte rendu d'activité est écrit")
    assert ActivityRecord.objects.get(event=workshop).participants == 1


def test_an_agent_manages_agendas_and_rooms_on_accessible_pages(audit, counter, make_user, compiegne, monday):  # noqa: F811
    services.booking_create(
        actor=make_user(), agenda=counter, meeting_type=counter.meeting_types.get(), start=at(monday, 9)
    )
    agent, totp = agent_with_second_factor(
        make_user, "accueil@compiegne.fr", roles=[(compiegne, "agendas.manager")]
    )
    page = signed_in_agent(audit, agent, totp)
    page.goto("/agent/agendas/")
    audit.check(page, title="Agendas et salles", h1="Agendas et salles")
    page.get_by_role("link", name="Titres d'identité").click()
    audit.check(page, title="Titres d'identité — gestion", h1="Titres d'identité")
    page.goto(f"/agent/agendas/{counter.pk}/?vue=jour&date={monday}")
    audit.check(page, title="Titres d'identité — gestion", h1="Titres d'identité")
    expect(page.get_by_role("table").first).to_contain_text("Passeport")
    page.get_by_label("Heures d'ouverture").fill("lundi 09:00-12:00\nmardi 09:00-12:00")
    page.get_by_role("button", name="Enregistrer les heures").click()
    audit.check(page, title="Titres d'identité — gestion", h1="Titres d'identité")
    expect(page.get_by_role("status")).to_contain_text("Heures d'ouverture enregistrées")


def test_a_citizen_files_the_procedure_books_its_appointment_moves_it_and_the_agent_sees_it(
    audit,  # noqa: F811
    counter,
    citizen,
    make_user,
    territory,
):
    from socle.portal.models import Case
    from socle.portal.services import procedure_create, procedure_publish

    compiegne = territory["compiegne"]
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    procedure = procedure_create(
        actor=editor,
        organisation=compiegne,
        slug="attestation-accueil",
        title="Attestation d'accueil",
        fields=[{"name": "nom", "label": "Nom de la personne accueillie", "type": "text", "required": True}],
    )
    procedure_publish(actor=editor, procedure=procedure)
    services.meeting_type_create(
        actor=None,
        agenda=counter,
        slug="signature",
        name="Signature de l'attestation",
        duration_minutes=30,
        portal_procedure="attestation-accueil",
    )
    page = audit.open(javascript=False)
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, citizen.email, PASSWORD)
    audit.check(page, title="Mes demandes")
    page.goto("/demarches/attestation-accueil/")
    audit.check(page, title="Attestation d'accueil")
    page.get_by_label("Nom de la personne accueillie").fill("Amina Diallo")
    page.get_by_role("button", name="Envoyer ma demande").click()
    case = Case.objects.get()
    audit.check(page, title=f"Demande n° {case.number}")
    # The portal's citizen page shows no panel yet: the step waits in « Mes réservations ».
    page.goto("/agendas/mes-reservations/")
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    page.get_by_role("link", name=f"Prendre rendez-vous pour le dossier n° {case.number}").click()
    audit.check(page, title="Titres d'identité", h1="Titres d'identité")
    expect(
        page.get_by_role("heading", level=2, name="Créneaux libres : Signature de l'attestation")
    ).to_be_visible()
    page.get_by_role("link", name=re.compile("^Réserver le ")).first.click()
    audit.check(page, title="Confirmer le rendez-vous", h1="Confirmer le rendez-vous")
    expect(page.get_by_text("Ce rendez-vous sera lié à votre dossier.")).to_be_visible()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("status")).to_contain_text("Rendez-vous confirmé")
    expect(page.get_by_text("Dossiers qui attendent un rendez-vous")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        content = handle.read()
    assert "BEGIN:VEVENT" in content and "SUMMARY:Signature de l'attestation" in content
    booked = Booking.objects.get(status="booked")
    assert booked.portal_case_id == case.pk
    page.get_by_role("link", name=re.compile("^Déplacer")).click()
    audit.check(page, title="Déplacer un rendez-vous", h1="Déplacer un rendez-vous")
    page.get_by_role("link", name=re.compile("^Déplacer au ")).nth(1).click()
    audit.check(page, title="Déplacer un rendez-vous", h1="Déplacer un rendez-vous")
    page.get_by_role("button", name="Confirmer le déplacement").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("status")).to_contain_text("Rendez-vous déplacé")
    moved = Booking.objects.get(status="booked")
    assert moved.portal_case_id == case.pk and moved.start != booked.start

    agent, totp = agent_with_second_factor(
        make_user,
        "etat-civil@compiegne.fr",
        roles=[(compiegne, "portal.caseworker"), (compiegne, "agendas.manager")],
    )
    desk = signed_in_agent(audit, agent, totp)
    desk.goto(f"/agent/dossiers/{case.number}/")
    audit.check(desk, title=f"Dossier n° {case.number}")
    panel = desk.get_by_role("region", name="Rendez-vous")
    expect(panel).to_contain_text("Signature de l'attestation, le ")
    expect(panel).to_contain_text("Confirmée")


def test_a_maker_pays_a_fab_lab_slot_and_a_company_member_books_a_room_seen_by_a_colleague(
    audit,  # noqa: F811
    make_user,
    territory,
    monday,
    settings,
):
    from decimal import Decimal

    settings.AGENDAS_PAYMENT_BACKEND = "socle.agendas.payment_backend:TestPayments"
    arc = territory["arc"]
    cutter = services.resource_create(actor=None, organisation=arc, name="Découpeuse laser", kind="machine")
    lab = services.agenda_create(
        actor=None, organisation=arc, title="Fab lab", kind="meetings", resources=[cutter]
    )
    room = services.resource_create(actor=None, organisation=arc, name="Salle Oise")
    rooms = services.agenda_create(
        actor=None, organisation=arc, title="Salles du parc", kind="meetings", public=False, resources=[room]
    )
    for agenda, slug, minutes, price in (
        (lab, "machine", 120, Decimal("15.00")),
        (rooms, "h", 60, Decimal("0")),
    ):
        services.opening_hours_set(
            actor=None, agenda=agenda, hours=[(d, time(9), time(17)) for d in range(5)]
        )
        services.meeting_type_create(
            actor=None,
            agenda=agenda,
            slug=slug,
            name=f"Créneau {slug}",
            duration_minutes=minutes,
            price=price,
        )
    ines, theo = make_user("ines@exemple.fr"), make_user("theo@exemple.fr")
    company = services.company_create(
        actor=None, organisation=arc, name="Rives Numériques", agendas=[rooms], manager=ines
    )
    services.company_member_add(actor=ines, company=company, email=theo.email)

    page = audit.open(javascript=False)
    page.goto("/connexion/")
    audit.check(page, title="Se connecter")
    sign_in(page, theo.email, PASSWORD)
    audit.check(page, title="Mes demandes")
    page.goto(f"/agendas/{lab.pk}/?type=machine&du={monday}")
    audit.check(page, title="Fab lab", h1="Fab lab")
    page.get_by_role("link", name=f"Réserver le {_day_label(monday)} à 09:00").click()
    audit.check(page, title="Confirmer le rendez-vous", h1="Confirmer le rendez-vous")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    audit.check(page, title="Payer la réservation", h1="Payer la réservation")
    expect(page.locator(".facts")).to_contain_text("15,00\u00a0€")
    page.get_by_role("button", name="Payer en ligne").click()
    audit.check(page, title="Banque de test", h1="Banque de test")
    page.get_by_role("button", name="Simuler un paiement accepté").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    expect(page.get_by_role("status")).to_contain_text("Paiement accepté")
    assert Booking.objects.get(agenda=lab).status == "booked"

    page.goto(f"/agendas/{rooms.pk}/?type=h&du={monday}")
    audit.check(page, title="Salles du parc", h1="Salles du parc")
    page.get_by_role("link", name=f"Réserver le {_day_label(monday)} à 10:00").click()
    audit.check(page, title="Confirmer le rendez-vous", h1="Confirmer le rendez-vous")
    page.get_by_label("Réserver au nom de").select_option(label="Rives Numériques")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    audit.check(page, title="Mes réservations", h1="Mes réservations")
    assert Booking.objects.get(agenda=rooms).company == company

    colleague = audit.open(javascript=False)
    colleague.goto("/connexion/")
    audit.check(colleague, title="Se connecter")
    sign_in(colleague, ines.email, PASSWORD)
    audit.check(colleague, title="Mes demandes")
    colleague.goto("/agendas/mes-reservations/")
    audit.check(colleague, title="Mes réservations", h1="Mes réservations")
    colleague.get_by_role("link", name="Rives Numériques").click()
    audit.check(colleague, title="Rives Numériques", h1="Rives Numériques")
    expect(colleague.get_by_role("table").first).to_contain_text("Salles du parc — Salle Oise")
    expect(colleague.get_by_role("table").first).to_contain_text(theo.display_name)
