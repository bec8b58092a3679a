"""SLA clocks on the business calendar, with exact deadlines: weekends, French public
holidays, closures, the clock paused while pending the requester, an SLA changed
mid-ticket, a change of hour, and escalation."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from socle.core.models import AuditEvent
from socle.helpdesk.business_time import Calendar, NoOpening, hours_parse
from socle.helpdesk.models import Status
from socle.helpdesk.services import (
    calendar_save,
    followup_add,
    remaining_minutes,
    ticket_assign,
    ticket_pending,
    ticket_sla_change,
    ticket_solve,
    tickets_escalate,
)
from tests.helpdesk.conftest import HOURS, paris, queued_emails

pytestmark = pytest.mark.django_db


def test_a_ticket_opened_friday_evening_is_due_tuesday_over_the_weekend(open_ticket):
    # Friday 4 December 2026, 17:00: one business hour left that day.
    ticket = open_ticket(at=paris(2026, 12, 4, 17))
    assert ticket.priority == 3 and ticket.sla.name == "Standard"
    assert ticket.due_own_at == paris(2026, 12, 4, 18)
    # 600 min = 60 Friday + 420 Monday + 120 Tuesday morning.
    assert ticket.due_resolve_at == paris(2026, 12, 8, 11)


def test_owning_one_minute_into_the_weekend_closure_is_still_due_monday(open_ticket):
    ticket = open_ticket(at=paris(2026, 12, 5, 10))  # a Saturday
    assert ticket.due_own_at == paris(2026, 12, 7, 10)
    assert ticket.due_resolve_at == paris(2026, 12, 8, 12)


def test_christmas_and_the_weekend_are_not_counted(open_ticket):
    # Thursday 24 December 16:00; Friday 25 is Christmas Day, then the weekend.
    ticket = open_ticket(at=paris(2026, 12, 24, 16))
    assert ticket.due_own_at == paris(2026, 12, 24, 17)
    assert ticket.due_resolve_at == paris(2026, 12, 29, 10)


def test_easter_monday_and_ascension_are_holidays(open_ticket):
    # Friday 3 April 2026, 17:30: Easter Monday is 6 April.
    ticket = open_ticket(at=paris(2026, 4, 3, 17, 30))
    assert ticket.due_own_at == paris(2026, 4, 7, 9, 30)
    # Wednesday 13 May 17:00; Thursday 14 May is Ascension Day.
    ticket = open_ticket(at=paris(2026, 5, 13, 17))
    assert ticket.due_own_at == paris(2026, 5, 13, 18)
    assert ticket.due_resolve_at == paris(2026, 5, 18, 11)


def test_a_closure_of_the_service_is_skipped(open_ticket, calendar, territory):
    calendar_save(actor=None, organisation=territory["arc"], name="DCSI", hours=HOURS,
                  closures=[(date(2026, 12, 28), date(2026, 12, 31), "Fermeture de fin d'année")])
    ticket = open_ticket(at=paris(2026, 12, 24, 16))
    # 120 min on the 24th; closed 28-31 December; 1 January is a holiday; weekend.
    assert ticket.due_resolve_at == paris(2027, 1, 5, 10)


def test_the_change_of_hour_keeps_wall_clock_opening_hours(open_ticket):
    # Sunday 29 March 2026 the clocks go forward; opening hours stay 9:00-12:00, 14:00-18:00.
    ticket = open_ticket(at=paris(2026, 3, 27, 17))
    assert ticket.due_resolve_at == paris(2026, 3, 31, 11)
    # 11:00 in summer time is 9:00 UTC (it was 16:00 UTC when opened at 17:00 in winter time).
    assert ticket.due_resolve_at.astimezone(UTC).hour == 9
    assert ticket.opened_at.astimezone(UTC).hour == 16


def test_the_clock_stops_while_pending_the_requester(open_ticket, technician, agent):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))  # Monday
    assert ticket.due_resolve_at == paris(2026, 12, 8, 12)
    ticket = ticket_pending(actor=technician, ticket=ticket, question="Quel est le modèle ?",
                            at=paris(2026, 12, 7, 10))
    assert ticket.status == Status.PENDING and ticket.due_resolve_at is None
    assert ticket.owned_at == paris(2026, 12, 7, 10)
    # The agent answers on Wednesday 10:00: 840 business minutes stood still.
    followup_add(actor=agent, ticket=ticket, text="Une Brother HL-L2350.",
                 at=paris(2026, 12, 9, 10))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # nobody was assigned
    assert ticket.paused_minutes == 840
    assert ticket.due_resolve_at == paris(2026, 12, 10, 12)
    assert ticket.pauses.get().end == paris(2026, 12, 9, 10)


def test_a_pause_over_a_weekend_counts_only_business_minutes(open_ticket, technician, agent):
    ticket = open_ticket(at=paris(2026, 12, 4, 9))  # Friday
    ticket = ticket_pending(actor=technician, ticket=ticket, question="Pouvez-vous redémarrer ?",
                            at=paris(2026, 12, 4, 17))
    followup_add(actor=agent, ticket=ticket, text="C'est fait.", at=paris(2026, 12, 7, 10))
    ticket.refresh_from_db()
    assert ticket.paused_minutes == 120
    # 600 + 120 = 720 min from Friday 9:00: 420 Friday, then 300 on Monday.
    assert ticket.due_resolve_at == paris(2026, 12, 7, 16)


def test_a_requester_answering_after_the_deadline_would_have_passed_is_not_late(
        open_ticket, technician, agent):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    ticket_assign(actor=technician, ticket=ticket, assignee=technician, at=paris(2026, 12, 7, 9, 20))
    ticket = ticket_pending(actor=technician, ticket=ticket, question="Depuis quand ?",
                            at=paris(2026, 12, 7, 9, 30))
    followup_add(actor=agent, ticket=ticket, text="Depuis lundi.", at=paris(2026, 12, 14, 9))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # Half an hour used before the question: 570 minutes left from Monday 14 December 9:00.
    assert ticket.due_resolve_at == paris(2026, 12, 15, 11, 30)
    ticket = ticket_solve(actor=technician, ticket=ticket, solution="Pilote réinstallé.",
                          at=paris(2026, 12, 15, 11))
    assert ticket.own_met is True and ticket.resolve_met is True


def test_an_sla_changed_mid_ticket_recomputes_both_deadlines_from_the_opening(
        open_ticket, technician, slas):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    assert (ticket.due_own_at, ticket.due_resolve_at) == (paris(2026, 12, 7, 10),
                                                          paris(2026, 12, 8, 12))
    ticket = ticket_sla_change(actor=technician, ticket=ticket, sla=slas[5],
                               at=paris(2026, 12, 7, 11))
    assert ticket.due_own_at == paris(2026, 12, 7, 9, 30)
    assert ticket.due_resolve_at == paris(2026, 12, 7, 15)
    assert AuditEvent.objects.filter(action="helpdesk.ticket_sla").count() == 1


def test_an_sla_changed_while_pending_keeps_the_pause_off(open_ticket, technician, agent, slas,
                                                          territory, calendar):
    from socle.helpdesk.services import sla_save

    longer = sla_save(actor=None, organisation=territory["arc"], name="Projet",
                      calendar=calendar, own_minutes=60, resolve_minutes=900)
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    ticket = ticket_pending(actor=technician, ticket=ticket, question="Quel poste ?",
                            at=paris(2026, 12, 7, 10))
    ticket = ticket_sla_change(actor=technician, ticket=ticket, sla=longer,
                               at=paris(2026, 12, 7, 16))
    assert ticket.due_resolve_at is None  # still pending
    followup_add(actor=agent, ticket=ticket, text="Le poste 12.", at=paris(2026, 12, 8, 10))
    ticket.refresh_from_db()
    # Paused Monday 10:00 → Tuesday 10:00: 420 business minutes; 900 + 420 = 1320 from
    # Monday 9:00 is Thursday 10:00.
    assert ticket.paused_minutes == 420
    assert ticket.due_resolve_at == paris(2026, 12, 10, 10)


def test_solving_late_is_recorded_as_missed(open_ticket, technician):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    ticket = ticket_solve(actor=technician, ticket=ticket, solution="Remplacée.",
                          at=paris(2026, 12, 9, 9))
    assert ticket.owned_at == paris(2026, 12, 9, 9)
    assert ticket.own_met is False and ticket.resolve_met is False


def test_remaining_minutes_are_business_minutes(open_ticket):
    ticket = open_ticket(at=paris(2026, 12, 4, 17))
    assert remaining_minutes(ticket, paris(2026, 12, 5, 12)) == 540
    assert remaining_minutes(ticket, paris(2026, 12, 8, 14, 30)) == -90


def test_escalation_flags_each_deadline_once(open_ticket, technician,
                                             django_capture_on_commit_callbacks):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    assert tickets_escalate(at=paris(2026, 12, 7, 9, 59)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert [t.pk for t in tickets_escalate(at=paris(2026, 12, 7, 10, 1))] == [ticket.pk]
    assert tickets_escalate(at=paris(2026, 12, 7, 10, 2)) == []
    # Nobody has the ticket yet: every technician hears of it.
    [alert] = queued_emails()
    assert alert["to"] == [technician.email] and "prise en compte" in alert["subject"]
    ticket.refresh_from_db()
    assert ticket.escalated_own_at == paris(2026, 12, 7, 10, 1)
    assert [t.pk for t in tickets_escalate(at=paris(2026, 12, 8, 12, 1))] == [ticket.pk]
    events = AuditEvent.objects.filter(action="helpdesk.escalate")
    assert [e.data["deadline"] for e in events.order_by("seq")] == ["own", "resolve"]


def test_a_pending_ticket_is_never_escalated_for_resolution(open_ticket, technician):
    ticket = open_ticket(at=paris(2026, 12, 7, 9))
    ticket_pending(actor=technician, ticket=ticket, question="?", at=paris(2026, 12, 7, 9, 10))
    assert tickets_escalate(at=paris(2026, 12, 20, 9)) == []


def test_a_calendar_without_opening_hours_is_refused(territory):
    from socle.core.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        calendar_save(actor=None, organisation=territory["arc"], name="Vide", hours={})
    assert refused.value.code == "invalid_hours"
    with pytest.raises(ValueError):
        hours_parse({"0": [["12:00", "09:00"]]})
    with pytest.raises(NoOpening):
        Calendar(hours={}).add(paris(2026, 1, 5, 9), 10)
