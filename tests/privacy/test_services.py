"""The register's writes: activities, processors, requests and their delay, breaches and the
decision to notify; each journaled, each refused to the wrong structure's referent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.privacy import selectors, services
from socle.privacy.models import Activity, Breach, Decision, SubjectRequest

ART30 = {"purpose": "Inscrire les enfants à la cantine et facturer les repas.",
         "legal_basis": "public_task", "data_categories": "Identité, régime alimentaire",
         "data_subjects": "Enfants et responsables légaux", "recipients": "Service scolaire",
         "transfers": "Aucun", "retention": "Année scolaire et un an",
         "security_measures": "Accès par rôle"}


def test_a_referent_enters_a_complete_activity_and_it_is_journaled(referent, margny):
    activity = services.activity_create(actor=referent, organisation=margny,
                                        name="Restauration scolaire", **ART30)
    assert selectors.activity_missing(activity=activity) == []
    event = AuditEvent.objects.get(action="privacy.activity_create")
    assert event.organisation_slug == "margny-les-compiegne" and event.actor == referent


def test_what_art_30_still_lacks_is_listed(referent, margny):
    activity = services.activity_create(actor=referent, organisation=margny, name="Vidéoprotection",
                                        purpose="Sécurité des bâtiments", legal_basis="public_task")
    assert selectors.activity_missing(activity=activity) == [
        "catégories de données", "catégories de personnes", "destinataires",
        "transferts hors de l'Union", "durées de conservation", "mesures de sécurité"]


def test_a_referent_cannot_write_in_another_communes_register(other_referent, margny):
    with pytest.raises(Forbidden):
        services.activity_create(actor=other_referent, organisation=margny, name="X", **ART30)
    assert not Activity.objects.exists()


def test_the_mutualised_dpo_writes_in_every_register(dpo, margny, venette):
    for organisation in (margny, venette):
        services.activity_create(actor=dpo, organisation=organisation, name="Cantine", **ART30)
    assert Activity.objects.count() == 2


def test_hostile_activity_input_is_refused_whole(referent, margny):
    with pytest.raises(ServiceError) as refused:
        services.activity_create(actor=referent, organisation=margny, name="A" * 201, **ART30)
    assert "200" in refused.value.message
    with pytest.raises(ServiceError):
        services.activity_create(actor=referent, organisation=margny, name="X",
                                 **{**ART30, "legal_basis": "because"})
    with pytest.raises(ServiceError):
        services.activity_create(actor=referent, organisation=margny, name="X", owner="me", **ART30)
    activity = services.activity_create(actor=referent, organisation=margny, name="Nul\x00 byte",
                                        **ART30)
    assert activity.name == "Nul byte"


def test_a_processor_of_another_structure_cannot_be_linked(dpo, margny, venette):
    foreign = services.processor_create(actor=dpo, organisation=venette, name="Hébergeur",
                                        service="Hébergement")
    with pytest.raises(ServiceError):
        services.activity_create(actor=dpo, organisation=margny, name="X", processors=[foreign],
                                 **ART30)
    assert not Activity.objects.exists()


def test_a_request_is_due_one_month_after_receipt(new_request):
    today = timezone.localdate()
    request = new_request(received_on=today - timedelta(days=3))
    assert request.due_on >= request.received_on + timedelta(days=28)
    assert AuditEvent.objects.filter(action="privacy.request_create").count() == 1


def test_a_request_in_the_future_is_refused(new_request):
    with pytest.raises(ServiceError):
        new_request(received_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ServiceError):
        new_request(requester_email="pas-une-adresse")
    assert not SubjectRequest.objects.exists()


def test_an_extension_within_the_first_month_gives_two_more_months(referent, new_request):
    request = new_request(received_on=timezone.localdate() - timedelta(days=10))
    services.request_extend(actor=referent, request=request, reason="Demande complexe")
    assert request.extended_due_on is not None and request.extended_due_on > request.due_on
    assert (request.extended_due_on - request.received_on).days >= 89
    with pytest.raises(Conflict):
        services.request_extend(actor=referent, request=request, reason="Encore")


def test_an_extension_after_the_first_month_is_too_late(referent, new_request):
    request = new_request(received_on=timezone.localdate() - timedelta(days=40))
    with pytest.raises(Conflict) as refused:
        services.request_extend(actor=referent, request=request, reason="Trop tard")
    assert refused.value.code == "too_late"


def test_overdue_requests_are_listed_and_counted(referent, dpo, other_referent, new_request):
    late = new_request(received_on=timezone.localdate() - timedelta(days=50))
    new_request(received_on=timezone.localdate())
    overdue = selectors.requests_for(actor=dpo, filters=selectors.RequestFilters(overdue=True))
    assert list(overdue) == [late]
    today = timezone.localdate()
    assert selectors.indicator_requests_overdue(actor=dpo, start=date(2020, 1, 1), end=today) == 1
    assert selectors.indicator_requests_overdue(actor=other_referent, start=date(2020, 1, 1),
                                                end=today) == 0
    services.request_close(actor=referent, request=late, status="answered", answer="Envoyé.")
    assert selectors.indicator_requests_overdue(actor=dpo, start=date(2020, 1, 1), end=today) == 0


def test_a_handler_must_hold_the_role_on_the_structure(referent, other_referent, new_request):
    request = new_request()
    with pytest.raises(ServiceError):
        services.request_assign(actor=referent, request=request, handler=other_referent)
    services.request_assign(actor=referent, request=request, handler=referent)
    assert request.status == "in_progress"


def test_a_breach_starts_its_72_hours_at_awareness(new_breach):
    breach = new_breach()
    clock = selectors.breach_clock_of(breach=breach)
    assert clock.state == "running"
    assert clock.deadline == breach.aware_at + timedelta(hours=72)
    assert AuditEvent.objects.filter(action="privacy.breach_create").count() == 1


def test_a_breach_needs_a_nature_and_a_plausible_moment(new_breach):
    with pytest.raises(ServiceError):
        new_breach(confidentiality=False)
    with pytest.raises(ServiceError):
        new_breach(aware_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ServiceError):
        new_breach(occurred_at=timezone.now())  # after awareness
    assert not Breach.objects.exists()


def test_a_risky_breach_cannot_be_left_unnotified(referent, new_breach):
    breach = new_breach(risk="risk")
    with pytest.raises(ServiceError) as refused:
        services.breach_decide(actor=referent, breach=breach, cnil="not_required",
                               cnil_reason="Pas grave")
    assert refused.value.code == "notification_required"
    unlikely = new_breach(risk="unlikely")
    with pytest.raises(ServiceError):
        services.breach_decide(actor=referent, breach=unlikely, cnil="not_required")
    services.breach_decide(actor=referent, breach=unlikely, cnil="not_required",
                           cnil_reason="Fichier chiffré, clé non compromise")
    assert selectors.breach_clock_of(breach=unlikely).state == "not_required"


def test_a_late_notification_must_say_why(referent, new_breach):
    breach = new_breach(aware_at=timezone.now() - timedelta(hours=80))
    with pytest.raises(ServiceError) as refused:
        services.breach_notify(actor=referent, breach=breach, to="cnil")
    assert refused.value.code == "delay_reason_required"
    services.breach_notify(actor=referent, breach=breach, to="cnil", reference="ABC-123",
                           delay_reason="Découverte un vendredi soir, prestataire injoignable")
    assert breach.cnil_decision == Decision.NOTIFY
    assert selectors.breach_clock_of(breach=breach).state == "notified_late"
    with pytest.raises(Conflict):
        services.breach_notify(actor=referent, breach=breach, to="cnil")


def test_breaches_to_notify_are_work_for_the_dpo_only_in_scope(dpo, referent, other_referent,
                                                               new_breach):
    breach = new_breach()
    titles = [item.title for item in selectors.work_breaches_to_notify(actor=dpo, limit=10)]
    assert titles == [f"{breach.title} (Margny-lès-Compiègne)"]
    assert selectors.work_breaches_to_notify(actor=other_referent, limit=10) == []
    services.breach_notify(actor=referent, breach=breach, to="cnil")
    assert selectors.work_breaches_to_notify(actor=dpo, limit=10) == []


def test_requests_due_are_work_for_their_handler(dpo, referent, other_referent, new_request):
    request = new_request()
    assert [i.url for i in selectors.work_requests_due(actor=referent, limit=5)] == [
        f"/rgpd/demandes/{request.pk}/"]
    assert selectors.work_requests_due(actor=other_referent, limit=5) == []
    services.request_assign(actor=dpo, request=request, handler=dpo)
    assert selectors.work_requests_due(actor=referent, limit=5) == []
    assert len(selectors.work_requests_due(actor=dpo, limit=5)) == 1
