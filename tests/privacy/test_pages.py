"""The DPO's and the referents' pages, without JavaScript: registers, breaches and their
clock, requests and their due dates; another commune's register is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from socle.core.models import AuditEvent
from socle.privacy import services
from socle.privacy.models import Activity, Breach, SubjectRequest
from tests.support.clients import signed_in


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:300]
    return response.content.decode()


def test_the_dpo_sees_every_register_and_a_referent_only_their_own(dpo, referent, margny, venette):
    services.platform_sync(organisations=[margny, venette])
    home = page(signed_in(dpo), reverse("privacy:home"))
    assert "Margny-lès-Compiègne" in home and "Venette" in home
    own = page(signed_in(referent), reverse("privacy:home"))
    assert "Margny-lès-Compiègne" in own and "Venette" not in own
    register = page(signed_in(referent), reverse("privacy:register", args=["margny-les-compiegne"]))
    assert "Déclaré par la plateforme" in register and "Registre du courrier" in register
    page(signed_in(referent), reverse("privacy:register", args=["venette"]), 404)
    page(signed_in(dpo), reverse("privacy:register", args=["venette"]))


def test_another_communes_objects_are_404_to_a_referent(referent, other_referent, new_breach,
                                                        new_request, margny):
    breach, request = new_breach(), new_request()
    activity = services.activity_create(actor=referent, organisation=margny, name="Cantine",
                                        purpose="Repas", legal_basis="public_task")
    client = signed_in(other_referent)
    for url in (reverse("privacy:breach", args=[breach.pk]),
                reverse("privacy:request", args=[request.pk]),
                reverse("privacy:activity", args=[activity.pk]),
                reverse("privacy:request_export", args=[request.pk])):
        page(client, url, 404)
    assert client.post(reverse("privacy:breach_notify", args=[breach.pk]),
                       {"to": "cnil"}).status_code == 404
    assert client.post(reverse("privacy:request_action", args=[request.pk, "prendre"])
                       ).status_code == 404
    assert breach.title not in page(client, reverse("privacy:breaches"))
    assert "Camille Martin" not in page(client, reverse("privacy:requests"))


def test_people_without_a_register_role_get_a_403_page(make_user, territory):
    clerk = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    assert "réservé" in page(signed_in(clerk), reverse("privacy:home"), 403)


def test_the_dpo_records_a_breach_and_sees_its_72_hour_clock(dpo):
    aware = timezone.localtime() - timedelta(hours=5, minutes=30)
    response = signed_in(dpo).post(reverse("privacy:breaches"), {
        "organisation": "venette", "title": "Ordinateur portable volé",
        "description": "Le portable du service scolaire volé dans un véhicule.",
        "aware_at": aware.strftime("%Y-%m-%dT%H:%M"), "confidentiality": "on",
        "data_categories": "Identité des enfants inscrits", "subjects_count": "120",
        "risk": "high"})
    assert response.status_code == 302
    breach = Breach.objects.get()
    text = page(signed_in(dpo), response["Location"])
    deadline = timezone.localtime(breach.aware_at + timedelta(hours=72))
    assert "Échéance (72 heures)" in text
    assert deadline.strftime("%H:%M") in text
    assert "Il reste 2 j 18 h" in text and "pour notifier la CNIL" in text
    assert AuditEvent.objects.filter(action="privacy.breach_create", actor=dpo).exists()


def test_an_overdue_breach_says_so_in_words(dpo, new_breach):
    breach = new_breach(aware_at=timezone.now() - timedelta(hours=74))
    text = page(signed_in(dpo), reverse("privacy:breach", args=[breach.pk]))
    assert "Délai de 72 heures dépassé de 2 h" in text
    listing = page(signed_in(dpo), reverse("privacy:breaches"))
    assert "dépassé de 2 h" in listing


def test_a_late_notification_without_reasons_is_refused_on_the_page(dpo, new_breach):
    breach = new_breach(aware_at=timezone.now() - timedelta(hours=80))
    client = signed_in(dpo)
    response = client.post(reverse("privacy:breach_notify", args=[breach.pk]), {"to": "cnil"})
    assert response.status_code == 400
    assert "motifs du retard" in response.content.decode()
    response = client.post(reverse("privacy:breach_notify", args=[breach.pk]), {
        "to": "cnil", "reference": "NOTIF-2026-42", "delay_reason": "Prestataire injoignable"})
    assert response.status_code == 302
    assert "avec 8 h" in page(client, reverse("privacy:breach", args=[breach.pk]))


def test_a_bad_moment_is_a_french_error_not_a_crash(dpo):
    response = signed_in(dpo).post(reverse("privacy:breaches"), {
        "organisation": "venette", "title": "X", "description": "Y", "aware_at": "hier soir",
        "confidentiality": "on", "risk": "risk"})
    assert response.status_code == 400
    assert "Saisissez une date et une heure valides" in response.content.decode()
    response = signed_in(dpo).post(reverse("privacy:breaches"), {
        "organisation": "venette", "title": "X", "description": "Y", "risk": "risk",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400 and "Dites si la violation touche" in response.content.decode()
    assert not Breach.objects.exists()


def test_a_referent_cannot_record_a_breach_for_another_commune(referent):
    response = signed_in(referent).post(reverse("privacy:breaches"), {
        "organisation": "venette", "title": "X", "description": "Y", "confidentiality": "on",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "risk": "risk"})
    assert response.status_code == 400  # not a choice offered to them
    assert not Breach.objects.exists()


def test_requests_show_their_due_dates_and_lateness(referent, new_request):
    late = new_request(received_on=timezone.localdate() - timedelta(days=45),
                       requester_name="Paul Durand")
    new_request(requester_name="Léa Petit")
    client = signed_in(referent)
    text = page(client, reverse("privacy:requests"))
    assert late.due_on.strftime("%d/%m/%Y") in text and "En retard de" in text
    overdue = page(client, reverse("privacy:requests") + "?retard=1")
    assert "Paul Durand" in overdue and "Léa Petit" not in overdue


def test_a_referent_records_extends_and_closes_a_request(referent):
    client = signed_in(referent)
    response = client.post(reverse("privacy:requests"), {
        "organisation": "margny-les-compiegne", "kind": "erasure", "requester_name": "Paul Durand",
        "requester_email": "paul@exemple.fr",
        "received_on": timezone.localdate().strftime("%Y-%m-%d")})
    assert response.status_code == 302
    request = SubjectRequest.objects.get()
    assert request.due_on.strftime("%d/%m/%Y") in page(client, response["Location"])
    actions = reverse("privacy:request_action", args=[request.pk, "prolonger"])
    assert client.post(actions, {"reason": ""}).status_code == 400
    assert client.post(actions, {"reason": "Données dispersées dans trois services"}
                       ).status_code == 302
    request.refresh_from_db()
    assert request.extended_due_on is not None
    close = reverse("privacy:request_action", args=[request.pk, "clore"])
    assert client.post(close, {"status": "answered", "answer": "Données effacées."}).status_code == 302
    request.refresh_from_db()
    assert request.status == "answered"


def test_a_referent_fills_their_register_from_the_page(referent, margny):
    client = signed_in(referent)
    url = reverse("privacy:processor_create", args=["margny-les-compiegne"])
    assert client.post(url, {"name": "Cantine SA", "service": "Logiciel de cantine",
                             "country": "France", "contract_clauses": "on"}).status_code == 302
    processor = services.selectors.processors_for(actor=referent, organisation=margny).get()
    response = client.post(reverse("privacy:activity_create", args=["margny-les-compiegne"]), {
        "name": "Restauration scolaire", "purpose": "Inscrire et facturer les repas.",
        "legal_basis": "public_task", "data_categories": "Identité", "data_subjects": "Enfants",
        "recipients": "Service scolaire", "transfers": "Aucun", "retention": "Un an",
        "security_measures": "Accès par rôle", "processors": [str(processor.pk)]})
    assert response.status_code == 302
    activity = Activity.objects.get(name="Restauration scolaire")
    assert list(activity.processors.all()) == [processor]
    assert "Cantine SA" in page(client, response["Location"])


@pytest.mark.parametrize("field", ["name", "purpose"])
def test_an_activity_missing_a_required_field_is_refused_on_the_page(referent, field):
    values = {"name": "X", "purpose": "Y", "legal_basis": "public_task", field: ""}
    response = signed_in(referent).post(
        reverse("privacy:activity_create", args=["margny-les-compiegne"]), values)
    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in response.content.decode() or \
        "obligatoire" in response.content.decode()
    assert not Activity.objects.exists()


def test_the_dpo_confides_a_request_to_the_communes_referent_only(dpo, referent, other_referent,
                                                                  new_request, venette):
    request = new_request(organisation=venette, actor=dpo)
    client = signed_in(dpo)
    url = reverse("privacy:request_action", args=[request.pk, "attribuer"])
    assert client.post(url, {"handler": str(referent.pk)}).status_code == 400
    assert client.post(url, {"handler": str(other_referent.pk)}).status_code == 302
    request.refresh_from_db()
    assert request.handler == other_referent and request.status == "in_progress"
    text = page(signed_in(other_referent), reverse("privacy:request", args=[request.pk]))
    assert "Préparer l'export" not in text  # no account linked yet


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_pages_cost_the_same_with_more_rows(dpo, margny, venette, new_breach, new_request):
    client = signed_in(dpo)
    urls = [reverse("privacy:home"), reverse("privacy:breaches"), reverse("privacy:requests"),
            reverse("privacy:register", args=["margny-les-compiegne"])]
    services.platform_sync(organisations=[margny])
    new_breach(actor=dpo)
    new_request(actor=dpo)
    _queries(client, urls[0])  # the first request of a session fills the caches
    before = [_queries(client, url) for url in urls]
    services.platform_sync(organisations=[venette])
    for n in range(5):
        new_breach(actor=dpo, organisation=venette, title=f"Violation {n}")
        new_request(actor=dpo, requester_name=f"Personne {n}")
        services.activity_create(actor=dpo, organisation=margny, name=f"Traitement {n}",
                                 purpose="P", legal_basis="public_task")
    after = [_queries(client, url) for url in urls]
    assert after == before


def test_the_register_switched_off_for_a_commune_is_closed_to_its_referent(referent, dpo, margny):
    from socle.core.module_activation import module_disable

    module_disable(actor=None, module="privacy", organisation=margny)
    assert page(signed_in(referent), reverse("privacy:home"), 403)
    page(signed_in(dpo), reverse("privacy:register", args=["margny-les-compiegne"]), 404)
    page(signed_in(dpo), reverse("privacy:register", args=["venette"]))


def test_what_people_type_is_shown_as_text_never_as_markup(referent, new_breach):
    breach = new_breach(title="<script>alert(1)</script>", description="<img src=x onerror=1>")
    text = page(signed_in(referent), reverse("privacy:breach", args=[breach.pk]))
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text


def test_an_unknown_account_is_said_beside_its_field(referent, new_request):
    request = new_request()
    response = signed_in(referent).post(
        reverse("privacy:request_action", args=[request.pk, "compte"]),
        {"email": "personne.inconnue@exemple.fr"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Aucun compte de la plateforme ne porte cette adresse." in text
    assert 'class="error-message"' in text and "Compte introuvable." in text


def test_the_register_downloads_as_csv_with_formulas_kept_as_text(referent, other_referent,
                                                                  margny):
    import csv
    import io

    services.activity_create(actor=referent, organisation=margny, name="=HYPERLINK(\"x\")",
                             purpose="+1 finalité", legal_basis="consent")
    response = signed_in(referent).get(reverse("privacy:register_csv",
                                               args=["margny-les-compiegne"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Traitement"
    assert rows[1][0] == "'=HYPERLINK(\"x\")" and rows[1][2] == "'+1 finalité"
    page(signed_in(other_referent), reverse("privacy:register_csv",
                                            args=["margny-les-compiegne"]), 404)
