"""What the pages people work in all day read, and what they may keep (decision 0030)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from socle.core.models import Membership
from socle.core.services import membership_revoke
from socle.portal import selectors
from socle.portal.models import ProcedureRevision
from socle.portal.services import case_submit, case_transition
from socle.portal.workflow_cache import workflows_of_revisions
from tests.support.clients import signed_in

GOOD = {"nom": "Martin", "motif": "perte"}


def _file(procedure, citizen, commune=None):
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=commune)
    return case_submit(actor=citizen, offered=offered, data=GOOD)


@pytest.fixture(autouse=True)
def _empty_query_log():
    # The log keeps the last 9,000 queries and a capture slices it by position: once full,
    # every capture would look empty. Emptied once, before the test's first capture.
    connection.queries_log.clear()


def _captured() -> CaptureQueriesContext:
    return CaptureQueriesContext(connection)


def _procedure_lists(queries: CaptureQueriesContext) -> int:
    # The procedures offered as a filter; the queue's rows read them only through a join.
    return sum(1 for query in queries.captured_queries
               if 'FROM "portal_procedure"' in query["sql"])


def _revision_reads(queries: CaptureQueriesContext) -> int:
    table = ProcedureRevision._meta.db_table
    return sum(1 for query in queries.captured_queries if f'FROM "{table}"' in query["sql"])


def test_my_cases_costs_the_same_queries_for_one_case_and_for_twelve(
        territory, publish, citizen, caseworker, django_assert_num_queries):
    parking = publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")
    first = _file(parking, citizen)
    client = signed_in(citizen, method="password")
    client.get(reverse("portal:my_cases"))
    with _captured() as one:
        assert len(client.get(reverse("portal:my_cases")).context["rows"]) == 1
    # Counted at once: each request empties the log the capture reads (request_started).
    one_case = len(one.captured_queries)
    other = publish(territory["compiegne"], "encombrants", title="Encombrants")
    for procedure in [parking] * 5 + [other] * 6:
        _file(procedure, citizen)
    case_transition(actor=caseworker, case=first, to="in_instruction")
    client.get(reverse("portal:my_cases"))  # the new procedure's workflow, read once
    with django_assert_num_queries(one_case):
        page = client.get(reverse("portal:my_cases"))
    assert len(page.context["rows"]) == 12
    body = page.content.decode()
    # The labels a citizen reads, from each case's own workflow, and French dates.
    assert "En cours d&#x27;instruction" in body
    assert timezone.localtime(first.submitted_at).strftime("%d/%m/%Y") in body


def test_a_published_workflow_is_read_once_and_a_draft_one_every_time(territory, publish):
    procedure = publish(territory["compiegne"], "carte-stationnement")
    revision = procedure.published_revision
    with _captured() as first:
        workflows_of_revisions({revision.pk: revision.published_at})
    with _captured() as again:
        found = workflows_of_revisions({revision.pk: revision.published_at})
    assert _revision_reads(first) == 1 and _revision_reads(again) == 0
    assert found[revision.pk].status("submitted").label
    with _captured() as draft:
        workflows_of_revisions({revision.pk: None})
        workflows_of_revisions({revision.pk: None})
    assert _revision_reads(draft) == 2


def test_the_queue_reads_its_filter_lists_once_then_keeps_them(territory, publish, caseworker):
    client = signed_in(caseworker)
    with _captured() as first:
        client.get(reverse("portal:queue"))
    first_page = _procedure_lists(first)
    with _captured() as second:
        page = client.get(reverse("portal:queue"))
    assert first_page >= 1 and _procedure_lists(second) == 0
    assert [o["slug"] for o in page.context["organisations"]] == ["compiegne"]
    assert 'id="filtre-organisation"' in page.content.decode()


def test_a_revoked_role_leaves_the_queue_filters_at_once(territory, publish, make_user):
    agent = make_user(roles=[(territory["compiegne"], "portal.caseworker"),
                             (territory["venette"], "portal.caseworker")])
    client = signed_in(agent)
    page = client.get(reverse("portal:queue"))
    assert {o["slug"] for o in page.context["organisations"]} == {"compiegne", "venette"}
    assert "Venette" in page.content.decode()
    membership_revoke(actor=None, membership=Membership.objects.get(
        user=agent, organisation=territory["venette"]))
    page = client.get(reverse("portal:queue"))
    assert [o["slug"] for o in page.context["organisations"]] == ["compiegne"]
    assert ">Venette</option>" not in page.content.decode()


def test_without_the_delay_a_new_procedure_is_offered_as_a_filter_at_once(
        territory, publish, caseworker, settings):
    settings.QUEUE_FILTERS_CACHE_SECONDS = 0
    client = signed_in(caseworker)
    client.get(reverse("portal:queue"))
    publish(territory["compiegne"], "encombrants", title="Encombrants")
    page = client.get(reverse("portal:queue"))
    assert "encombrants" in [p["slug"] for p in page.context["procedures"]]
    assert ">Encombrants</option>" in page.content.decode()


def test_my_work_lists_own_team_and_pool_cases_due_first_and_nothing_else(
        territory, publish, citizen, caseworker, make_user):
    from datetime import timedelta

    from socle.portal.models import Case, CaseworkerGroup
    from socle.portal.services import case_assign

    parking = publish(territory["compiegne"], "carte-stationnement")
    colleague = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    team = CaseworkerGroup.objects.create(organisation=territory["compiegne"], slug="etat-civil",
                                          name="État civil")
    team.members.add(caseworker)
    other_team = CaseworkerGroup.objects.create(organisation=territory["compiegne"],
                                                slug="scolaire", name="Scolaire")
    own, teams, pool, undated, colleagues, others_team, closed = (
        _file(parking, citizen) for _ in range(7))
    case_assign(actor=caseworker, case=own, agent=caseworker)
    case_assign(actor=caseworker, case=colleagues, agent=colleague)
    Case.objects.filter(pk=teams.pk).update(group=team)
    Case.objects.filter(pk=others_team.pk).update(group=other_team)
    Case.objects.filter(pk=closed.pk).update(closed_at=closed.submitted_at)
    today = timezone.localdate()
    for case, days in ((own, 9), (teams, 3), (pool, 6)):
        Case.objects.filter(pk=case.pk).update(decision_due_on=today + timedelta(days=days))
    Case.objects.filter(pk=undated.pk).update(decision_due_on=None)
    venette = publish(territory["venette"], "encombrants-venette")
    _file(venette, make_user(commune=territory["venette"]), territory["venette"])

    items = selectors.work_cases(actor=caseworker, limit=10)
    numbers = [item.url.rstrip("/").rsplit("/", 1)[1] for item in items]
    assert numbers == [teams.number, pool.number, own.number, undated.number]
    assert "attribué à vous" in items[2].detail and "non attribué" in items[0].detail
    assert [i.url for i in selectors.work_cases(actor=caseworker, limit=2)] == [
        i.url for i in items[:2]]
