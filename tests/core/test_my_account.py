"""« Mon compte »: address and commune, email confirmed at the new address, password,
deleting the account while filed cases stay."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from socle.core.models import AuditEvent, CitizenProfile, EmailChallenge, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "Un-tout-autre-secret-9"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://services.agglo.example"


@pytest.fixture
def habitant(client, territory, make_user):
    user = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    client.force_login(user)
    return user


def _mails(capture, action):
    with capture(execute=True):
        response = action()
    call_command("worker", "--batch")
    return response


def _last_link(prefix: str) -> str:
    found = re.findall(r"https://services\.agglo\.example(/\S+)", mail.outbox[-1].body)
    assert found and found[-1].startswith(prefix), mail.outbox[-1].body
    return found[-1]


def test_the_home_commune_changes_the_catalogue_and_says_so(client, habitant, territory):
    page = client.get(reverse("core:account")).content.decode()
    assert "changer de commune change donc les démarches du catalogue" in page
    response = client.post(reverse("core:profile_update"), {
        "profil-address": "3 rue des Lilas", "profil-home_commune": "venette"}, follow=True)
    assert "Le catalogue vous propose désormais les démarches de Venette." in response.text
    profile = CitizenProfile.objects.get(user=habitant)
    assert (profile.address, profile.home_commune.slug) == ("3 rue des Lilas", "venette")
    assert profile.identity_assurance == "email"
    catalogue = client.get(reverse("portal:catalogue")).content.decode()
    assert "pour les habitants de Venette" in catalogue


def test_an_unknown_commune_is_refused_next_to_its_field(client, habitant):
    response = client.post(reverse("core:profile_update"), {"profil-home_commune": "paris"})
    assert response.status_code == 400
    assert 'id="id_profil-home_commune_error"' in response.text
    assert CitizenProfile.objects.get(user=habitant).home_commune.slug == "compiegne"


def test_a_new_email_is_taken_only_when_its_link_is_opened_once(
        client, habitant, django_capture_on_commit_callbacks):
    response = _mails(django_capture_on_commit_callbacks, lambda: client.post(
        reverse("core:email_change"),
        {"courriel-email": "Nouvelle@Exemple.fr", "courriel-current_password": PASSWORD}))
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["nouvelle@exemple.fr"]
    link = _last_link("/compte/adresse-electronique/")
    habitant.refresh_from_db()
    assert habitant.email == "habitant@exemple.fr"  # nothing changes before the link
    assert client.get(link).status_code == 200  # a GET only shows the button
    habitant.refresh_from_db()
    assert habitant.email == "habitant@exemple.fr"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link).status_code == 302
    call_command("worker", "--batch")
    habitant.refresh_from_db()
    assert habitant.email == "nouvelle@exemple.fr"
    assert mail.outbox[-1].to == ["habitant@exemple.fr"]  # the former address is told
    assert AuditEvent.objects.filter(action="user.email_changed", actor=habitant).exists()
    replay = client.post(link)
    assert replay.status_code == 400 and "déjà servi" in replay.text


def test_an_email_change_link_expires(client, habitant, django_capture_on_commit_callbacks):
    _mails(django_capture_on_commit_callbacks, lambda: client.post(
        reverse("core:email_change"),
        {"courriel-email": "nouvelle@exemple.fr", "courriel-current_password": PASSWORD}))
    link = _last_link("/compte/adresse-electronique/")
    EmailChallenge.objects.filter(purpose="email").update(
        expires_at=timezone.now() - timedelta(seconds=1))
    refused = client.post(link)
    assert refused.status_code == 400 and "expiré" in refused.text
    habitant.refresh_from_db()
    assert habitant.email == "habitant@exemple.fr"


def test_an_email_change_needs_the_current_password(client, habitant):
    response = client.post(reverse("core:email_change"), {
        "courriel-email": "nouvelle@exemple.fr", "courriel-current_password": "faux"})
    assert response.status_code == 400
    assert "Le mot de passe actuel est incorrect." in response.text
    assert not EmailChallenge.objects.filter(purpose="email").exists()


def test_an_address_taken_meanwhile_is_refused_at_the_link(
        client, habitant, make_user, django_capture_on_commit_callbacks):
    _mails(django_capture_on_commit_callbacks, lambda: client.post(
        reverse("core:email_change"),
        {"courriel-email": "prise@exemple.fr", "courriel-current_password": PASSWORD}))
    link = _last_link("/compte/adresse-electronique/")
    make_user("prise@exemple.fr")
    refused = client.post(link)
    assert refused.status_code == 400 and "autre compte" in refused.text


def test_the_password_changes_after_checking_the_current_one(client, habitant):
    wrong = client.post(reverse("core:password_change"), {
        "mdp-current_password": "faux", "mdp-new_password": NEW_PASSWORD})
    assert wrong.status_code == 400 and 'id="id_mdp-current_password_error"' in wrong.text
    weak = client.post(reverse("core:password_change"), {
        "mdp-current_password": PASSWORD, "mdp-new_password": "court"})
    assert weak.status_code == 400 and 'id="id_mdp-new_password_error"' in weak.text
    ok = client.post(reverse("core:password_change"), {
        "mdp-current_password": PASSWORD, "mdp-new_password": NEW_PASSWORD})
    assert ok.status_code == 302
    assert client.get(reverse("core:account")).status_code == 200  # this session stays open
    assert User.objects.get(pk=habitant.pk).check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_changed", actor=habitant).exists()


def test_deleting_the_account_says_what_is_kept_and_erases_the_person(client, habitant):
    page = client.get(reverse("core:account_delete")).content.decode()
    assert "la loi oblige à conserver" in page
    unconfirmed = client.post(reverse("core:account_delete"), {"current_password": PASSWORD})
    assert unconfirmed.status_code == 400
    assert User.objects.get(pk=habitant.pk).is_active
    done = client.post(reverse("core:account_delete"),
                       {"current_password": PASSWORD, "confirm": "on"})
    assert done.status_code == 200 and "Votre compte est supprimé" in done.text
    gone = User.objects.get(pk=habitant.pk)
    assert not gone.is_active and not gone.has_usable_password()
    assert gone.email != "habitant@exemple.fr" and gone.first_name == ""
    assert not CitizenProfile.objects.filter(user=gone).exists()
    assert AuditEvent.objects.filter(action="user.delete", target_id=str(gone.pk)).exists()
    assert client.get(reverse("core:account")).status_code == 302  # signed out
    # The address is free again for a new account.
    assert client.post("/connexion/", {"email": "habitant@exemple.fr",
                                       "password": PASSWORD}).status_code == 400


def test_an_agent_account_is_not_deleted_from_the_account_page(client, territory, make_user):
    agent = make_user("agent@exemple.fr", roles=[(territory["compiegne"], "portal.caseworker")])
    client.force_login(agent)
    page = client.get(reverse("core:account_delete")).content.decode()
    assert "ne se supprime pas ici" in page
    refused = client.post(reverse("core:account_delete"),
                          {"current_password": PASSWORD, "confirm": "on"})
    assert refused.status_code == 400
    assert User.objects.get(pk=agent.pk).is_active


def test_the_sign_up_page_offers_franceconnect_when_it_is_configured(client, db, settings):
    assert "S&#x27;identifier avec FranceConnect" not in client.get(reverse("core:signup")).text
    assert "S'identifier avec FranceConnect" not in client.get(reverse("core:signup")).text
    settings.FRANCECONNECT_ENABLED = True
    assert "S'identifier avec FranceConnect" in client.get(reverse("core:signup")).text
