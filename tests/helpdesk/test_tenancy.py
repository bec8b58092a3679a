"""Tenancy by construction: a commune's agent sees their commune's tickets only, never an
internal note, and the pickers offer nobody from elsewhere nor the list of technicians;
another commune's ticket is a 404 on every page and every API operation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from socle.helpdesk import selectors
from socle.helpdesk.services import followup_add, task_add, ticket_open
from tests.support.clients import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_communes(open_ticket, outsider, venette, technician):
    """A ticket of Margny with an internal note and a task, and one of Venette."""
    ours = open_ticket(title="Imprimante de l'accueil")
    followup_add(actor=technician, ticket=ours, text="NOTE-INTERNE mot de passe admin",
                 internal=True)
    followup_add(actor=technician, ticket=ours, text="Nous passons cet après-midi.")
    task_add(actor=technician, ticket=ours, text="TACHE-INTERNE", minutes=10)
    theirs = ticket_open(actor=outsider, organisation=venette, title="Imprimante de Venette",
                         description="Bourrage papier.", category="printing")
    return ours, theirs


def test_lists_and_search_keep_to_the_agents_commune(two_communes, agent, outsider, technician):
    ours, theirs = two_communes
    assert list(selectors.tickets_for(actor=agent)) == [ours]
    assert list(selectors.tickets_for(actor=outsider)) == [theirs]
    assert set(selectors.tickets_for(actor=technician)) == {ours, theirs}
    search = selectors.TicketFilters(q="Imprimante")
    assert list(selectors.tickets_for(actor=agent, filters=search)) == [ours]
    by_number = selectors.TicketFilters(q=theirs.number)
    assert list(selectors.tickets_for(actor=agent, filters=by_number)) == []
    by_commune = selectors.TicketFilters(organisation="venette")
    assert list(selectors.tickets_for(actor=agent, filters=by_commune)) == []
    assert selectors.ticket_by_number(actor=agent, number=theirs.number) is None


def test_someone_without_a_helpdesk_role_sees_nothing(two_communes, make_user, margny):
    clerk = make_user(roles=[(margny, "mail.clerk")])
    assert not selectors.tickets_for(actor=clerk).exists()
    assert not selectors.articles_for(actor=clerk).exists()
    assert not selectors.tickets_for(actor=None).exists()


def test_internal_notes_and_tasks_are_the_dcsis_only(two_communes, agent, technician):
    ours, _ = two_communes
    assert [f.text for f in selectors.followups_for(actor=agent, ticket=ours)] == [
        "Nous passons cet après-midi."]
    assert not selectors.tasks_for(actor=agent, ticket=ours).exists()
    assert selectors.followups_for(actor=technician, ticket=ours).count() == 2
    assert selectors.tasks_for(actor=technician, ticket=ours).count() == 1


def test_the_requester_and_observer_picker_offers_only_the_communes_agents(
        two_communes, agent, colleague, outsider, technician, margny, venette):
    assert set(selectors.agents_of(actor=agent, organisation=margny)) == {agent, colleague}
    # Never the technicians, whose role is held on the ARC above the commune.
    assert technician not in selectors.agents_of(actor=technician, organisation=margny)
    # Another commune's agents: nobody, even when asked by name.
    assert not selectors.agents_of(actor=agent, organisation=venette).exists()
    assert set(selectors.agents_of(actor=technician, organisation=venette)) == {outsider}


def test_the_assignee_picker_is_empty_for_a_communes_agent(two_communes, agent, technician,
                                                            territory):
    assert not selectors.technicians_for(actor=agent).exists()
    assert not selectors.groups_for(actor=agent).exists()
    assert list(selectors.technicians_for(actor=technician)) == [technician]
    assert territory["dcsi"] in selectors.groups_for(actor=technician)


def test_pages_of_another_communes_ticket_are_404(two_communes, agent):
    _, theirs = two_communes
    client = signed_in(agent)
    assert client.get(reverse("helpdesk:detail", args=[theirs.pk])).status_code == 404
    for name in ("comment", "observe", "answer"):
        response = client.post(reverse(f"helpdesk:{name}", args=[theirs.pk]),
                               {"text": "Intrusion", "user": "1", "decision": "accept"})
        assert response.status_code == 404, name
    assert theirs.followups.count() == 0
    assert client.get(reverse("helpdesk:detail", args=[999999])).status_code == 404


def test_the_agents_pages_never_show_internal_notes_or_another_commune(two_communes, agent,
                                                                       technician):
    ours, theirs = two_communes
    client = signed_in(agent)
    page = client.get(reverse("helpdesk:detail", args=[ours.pk])).content.decode()
    assert "Nous passons cet après-midi." in page
    assert "NOTE-INTERNE" not in page and "TACHE-INTERNE" not in page
    assert technician.email not in page  # no assignee picker
    listing = client.get(reverse("helpdesk:mine"), {"commune": "1"}).content.decode()
    assert ours.number in listing and theirs.number not in listing
    searched = client.get(reverse("helpdesk:mine"), {"commune": "1", "q": theirs.number})
    assert searched.context["tickets"] == []
    assert f'href="/assistance/tickets/{theirs.pk}/"' not in searched.content.decode()
    # The technician's page shows both.
    tech_page = signed_in(technician).get(reverse("helpdesk:detail", args=[ours.pk]))
    assert "NOTE-INTERNE" in tech_page.content.decode()


def test_the_opening_form_offers_only_the_communes_colleagues(two_communes, agent, colleague,
                                                              outsider, technician):
    page = signed_in(agent).get(reverse("helpdesk:create")).content.decode()
    assert colleague.email in page
    assert outsider.email not in page and technician.email not in page
    assert "venette" not in page


def test_technicians_pages_are_refused_to_agents(two_communes, agent):
    client = signed_in(agent)
    ours, _ = two_communes
    assert client.get(reverse("helpdesk:queue")).status_code == 403
    assert client.get(reverse("helpdesk:sla_report")).status_code == 403
    assert client.get(reverse("helpdesk:article_new")).status_code == 403
    for name in ("assign", "take", "pending", "task", "solve", "sla", "levels"):
        assert client.post(reverse(f"helpdesk:{name}", args=[ours.pk])).status_code == 403, name


def test_the_api_hides_another_communes_ticket(two_communes, agent, api_client):
    ours, theirs = two_communes
    client = api_client(agent)
    listed = client.get("/api/v1/tickets").json()
    assert [item["number"] for item in listed["items"]] == [ours.number]
    assert client.get(f"/api/v1/tickets/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/tickets/{theirs.pk}/comments").status_code == 404
    response = client.post(f"/api/v1/tickets/{theirs.pk}/comments", {"text": "x"},
                           content_type="application/json")
    assert response.status_code == 404
    assert client.get("/api/v1/tickets?organisation=venette").json()["items"] == []
    comments = client.get(f"/api/v1/tickets/{ours.pk}/comments").json()["items"]
    assert [c["text"] for c in comments] == ["Nous passons cet après-midi."]


def test_an_article_internal_to_the_dcsi_is_a_404_for_agents(agent, technician, territory):
    from socle.helpdesk.services import article_save

    internal = article_save(actor=technician, organisation=territory["arc"], title="Accès "
                            "au pare-feu", body="Procédure interne.", category="network",
                            visibility="internal")
    public = article_save(actor=technician, organisation=territory["arc"], title="Changer "
                          "son mot de passe", body="Ctrl+Alt+Suppr.", category="account")
    client = signed_in(agent)
    assert client.get(reverse("helpdesk:article", args=[internal.pk])).status_code == 404
    assert client.get(reverse("helpdesk:article", args=[public.pk])).status_code == 200
    listing = client.get(reverse("helpdesk:articles")).content.decode()
    assert "pare-feu" not in listing and "Changer son mot de passe" in listing
