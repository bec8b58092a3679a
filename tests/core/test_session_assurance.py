"""A session carries how it was opened: a role granted later does not upgrade it."""

from __future__ import annotations

import pyotp
from django.utils import timezone

from socle.core.access import granted_paths
from socle.core.assurance import SESSION_KEY
from socle.core.models import User
from socle.core.services import membership_grant
from tests.conftest import PASSWORD
from tests.support.clients import signed_in

QUEUE = "/agent/taches-de-fond/"  # core.manage_jobs, held by core.admin at the root


def _sign_in(client, email, *, totp_secret=None):
    answer = client.post("/connexion/", {"email": email, "password": PASSWORD})
    assert answer.status_code == 302
    if totp_secret:
        assert answer["Location"] == "/connexion/second-facteur/"
        answer = client.post("/connexion/second-facteur/", {"code": pyotp.TOTP(totp_secret).now()})
        assert answer.status_code == 302
    return client


def test_a_citizen_session_granted_a_role_later_gets_no_agent_page(client, territory, make_user):
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    _sign_in(client, "habitant@exemple.fr")
    assert client.session[SESSION_KEY]["method"] == "password"
    membership_grant(actor=None, user=citizen, organisation=territory["arc"], role="core.admin")
    refused = client.get(QUEUE)
    assert refused.status_code == 403
    assert "ouverte sans second facteur" in refused.text
    assert client.post("/agent/taches-de-fond/executer/", {"job": "core.prune_tasks"}).status_code == 403


def test_signing_in_again_with_the_second_factor_opens_the_agent_pages(client, territory, make_user):
    citizen = make_user("habitant@exemple.fr", commune=territory["compiegne"])
    membership_grant(actor=None, user=citizen, organisation=territory["arc"], role="core.admin")
    secret = pyotp.random_base32()
    User.objects.filter(pk=citizen.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    _sign_in(client, "habitant@exemple.fr", totp_secret=secret)
    assert client.session[SESSION_KEY] == {**client.session[SESSION_KEY],
                                           "method": "password+totp", "second_factor": True}
    assert client.get(QUEUE).status_code == 200


def test_a_session_that_does_not_say_how_it_was_opened_is_treated_as_weakest(territory, make_user):
    dcsi = make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])
    client = signed_in(dcsi)
    assert client.get(QUEUE).status_code == 200
    session = client.session
    del session[SESSION_KEY]  # a session opened before sessions recorded it
    session.save()
    assert client.get(QUEUE).status_code == 403
    franceconnect = signed_in(dcsi, method="franceconnect")
    assert franceconnect.get(QUEUE).status_code == 403


def test_people_read_outside_a_session_keep_their_roles(territory, make_user):
    """The worker and operators' commands act with the roles as granted."""
    dcsi = make_user("dcsi@exemple.fr", roles=[(territory["arc"], "core.admin")])
    assert granted_paths(User.objects.get(pk=dcsi.pk), "core.manage_jobs") == [territory["arc"].path]
