"""The demo loads the ARC's rooms, two counters, a month of the roving Cyber-base, the park's
coworking and fab lab, and loads them once."""

from __future__ import annotations

from datetime import timedelta

from socle.agendas.demo import demo_load
from socle.agendas.models import Agenda, Booking, Event, MediationPlace


def test_the_demo_loads_every_agenda_once(territory, make_user):
    make_user("agendas@demo.socle.fr", roles=[(territory["arc"], "agendas.manager")])
    make_user("mediateur@demo.socle.fr", roles=[(territory["arc"], "agendas.mediator")])
    make_user("habitant.verberie@demo.socle.fr", commune=territory["verberie"])
    [line] = demo_load()
    assert "Cyber-base itinérante" in line
    titles = set(Agenda.objects.values_list("title", flat=True))
    assert {
        "Salles de réunion de l'ARC",
        "Cyber-base itinérante",
        "Coworking du parc technologique",
        "Fab lab du parc technologique",
        "Espace de création 14-25 ans",
    } <= titles
    counters = Agenda.objects.filter(
        kind="meetings", organisation__slug__in=["compiegne", "margny-les-compiegne"]
    )
    assert counters.count() == 2 and all(a.meeting_types.exists() for a in counters)
    cyberbase = Agenda.objects.get(title="Cyber-base itinérante")
    sessions = Event.objects.filter(agenda=cyberbase, registration_deadline__isnull=False).order_by("start")
    assert sessions.count() >= 10 and sessions.last().start - sessions.first().start > timedelta(days=20)
    assert len(set(sessions.values_list("host", flat=True))) >= 5
    assert Booking.objects.filter(event__agenda=cyberbase, status="waiting").exists()
    assert Booking.objects.filter(
        event__agenda=cyberbase, user__email="habitant.verberie@demo.socle.fr"
    ).exists()
    assert all(r.lent_to.filter(slug="arc").exists() for r in cyberbase.resources.all())
    assert MediationPlace.objects.count() == 3
    before = (Agenda.objects.count(), Booking.objects.count(), Event.objects.count())
    assert demo_load() == ["Agendas de démonstration : déjà présents."]
    assert (Agenda.objects.count(), Booking.objects.count(), Event.objects.count()) == before


def test_the_demo_has_a_company_account_priced_machines_and_an_appointment_step(territory, make_user):
    from decimal import Decimal

    from socle.agendas.models import Company, MeetingType
    from socle.portal import selectors as portal_selectors
    from socle.portal.demo import demo_load as portal_demo_load

    portal_demo_load()
    make_user("entreprise@demo.socle.fr")
    make_user("associe@demo.socle.fr")
    demo_load()
    company = Company.objects.get(name="Rives Numériques SAS")
    assert sorted(company.members.values_list("user__email", "manager")) == [
        ("associe@demo.socle.fr", False),
        ("entreprise@demo.socle.fr", True),
    ]
    assert Booking.objects.filter(company=company, status="booked").count() == 1
    assert MeetingType.objects.get(agenda__title="Fab lab du parc technologique").price == Decimal("15.00")
    procedures = {
        slug: portal_selectors.procedure_offered_get(slug=slug, commune=territory[commune]).procedure.pk
        for slug, commune in (
            ("attestation-accueil", "compiegne"),
            ("recensement-citoyen", "margny-les-compiegne"),
        )
    }
    step = MeetingType.objects.get(slug="attestation-accueil")
    assert step.portal_procedure_id == procedures["attestation-accueil"]
    assert step.agenda.organisation.slug == "compiegne"
    assert (
        MeetingType.objects.get(slug="recensement").portal_procedure_id == procedures["recensement-citoyen"]
    )
