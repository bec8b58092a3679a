"""Tenancy: a role applies on its node and below; nothing leaks across communes."""

import pytest
from django.http import Http404

from socle.core.access import can, get_or_404, organisations_for, scope
from socle.core.models import Membership, Organisation
from socle.core.services import membership_revoke


def test_a_commune_role_covers_only_that_commune(territory, make_user):
    agent = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    visible = set(organisations_for(agent, "portal.view_case").values_list("slug", flat=True))
    assert visible == {"compiegne"}
    assert can(agent, "portal.view_case", territory["compiegne"])
    assert not can(agent, "portal.view_case", territory["margny-les-compiegne"])


def test_a_role_on_the_agglomeration_covers_every_commune_and_service(territory, make_user):
    dcsi = make_user(roles=[(territory["arc"], "core.admin")])
    visible = set(organisations_for(dcsi, "core.view_audit").values_list("slug", flat=True))
    assert visible == set(territory)
    assert len([s for s in visible if territory[s].kind == "commune"]) == 22


def test_a_role_grants_only_its_own_permissions(territory, make_user):
    agent = make_user(roles=[(territory["compiegne"], "portal.editor")])
    assert not organisations_for(agent, "portal.process_case").exists()
    assert organisations_for(agent, "portal.edit_procedure").exists()


def test_citizens_and_visitors_have_no_tenant_permission(territory, make_user):
    citizen = make_user(commune=territory["compiegne"])
    assert not organisations_for(citizen, "portal.view_case").exists()
    assert not organisations_for(None, "portal.view_case").exists()


def test_a_revoked_role_no_longer_applies(territory, make_user):
    agent = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    membership_revoke(actor=None, membership=Membership.objects.get(user=agent))
    agent.refresh_from_db()
    assert not organisations_for(agent, "portal.view_case").exists()


def test_scope_and_get_or_404_hide_other_communes_objects(territory, make_user):
    agent = make_user(roles=[(territory["compiegne"], "core.admin")])
    # Membership rows carry an organisation: use them as tenant objects.
    other = make_user(roles=[(territory["venette"], "mail.clerk")])
    mine = make_user(roles=[(territory["compiegne"], "mail.clerk")])
    rows = scope(Membership.objects.all(), agent, "core.manage_members")
    assert set(rows.values_list("user__email", flat=True)) == {agent.email, mine.email}
    foreign = Membership.objects.get(user=other)
    with pytest.raises(Http404):
        get_or_404(rows, pk=foreign.pk)
    assert get_or_404(rows, pk=Membership.objects.get(user=mine).pk).user == mine


def test_a_service_role_does_not_reach_sibling_communes(territory, make_user):
    archivist = make_user(roles=[(territory["archives"], "archives.archivist")])
    visible = set(organisations_for(archivist, "archives.view").values_list("slug", flat=True))
    assert visible == {"archives"}
    assert isinstance(territory["archives"], Organisation)


def test_a_role_granted_or_revoked_is_seen_at_once_on_the_same_user(territory, make_user):
    from socle.core.access import can
    from socle.core.services import membership_grant, membership_revoke

    agent = make_user("agent.roles@exemple.fr")
    compiegne = territory["compiegne"]
    assert not can(agent, "portal.view_case", compiegne)
    membership = membership_grant(actor=None, user=agent, organisation=compiegne,
                                  role="portal.caseworker")
    assert can(agent, "portal.view_case", compiegne)
    membership_revoke(actor=None, membership=membership)
    assert not can(agent, "portal.view_case", compiegne)
