import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socle.core.journal import audit_record, audit_verify
from socle.core.models import AuditEvent


@pytest.fixture
def chain(db):
    return [audit_record(actor=None, action="territory.load", data={"i": i}) for i in range(5)]


def test_events_are_chained_from_genesis(chain):
    assert chain[0].prev_hash == "0" * 64
    for previous, event in itertools.pairwise(chain):
        assert event.prev_hash == previous.hash
    report = audit_verify()
    assert report.ok and report.checked == 5


def test_an_event_cannot_be_updated_or_deleted_through_the_orm(chain):
    event = chain[2]
    event.action = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_verify_names_an_altered_event(chain):
    _sql("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["forged", 3])
    report = audit_verify()
    assert not report.ok
    assert report.first_break.seq == 3
    assert "modifié" in report.first_break.reason
    with pytest.raises(CommandError, match="n° 3"):
        call_command("audit", "verify")


def test_verify_detects_a_deleted_event(chain):
    _sql("DELETE FROM core_auditevent WHERE seq = %s", [2])
    report = audit_verify()
    assert not report.ok and report.first_break.seq == 3


def test_verify_detects_a_deleted_last_event(chain):
    _sql("DELETE FROM core_auditevent WHERE seq = %s", [5])
    assert not audit_verify().ok


def test_verify_detects_an_event_inserted_out_of_band(chain):
    # Shift the tail to make room, then insert a forged event with a plausible hash.
    _sql("UPDATE core_auditevent SET seq = seq + 100 WHERE seq >= %s", [4])
    forged = AuditEvent(seq=4, at=chain[3].at, action="forged", prev_hash=chain[2].hash,
                        hash="f" * 64, data={})
    forged.save(force_insert=True)
    report = audit_verify()
    assert not report.ok and report.first_break.seq == 4


def test_verify_command_succeeds_on_an_intact_chain(chain, capsys):
    call_command("audit", "verify")
    assert '"ok": true' in capsys.readouterr().out


def test_a_dump_and_reload_keeps_the_chain_valid(chain, tmp_path):
    """Moving the journal between databases with dumpdata/loaddata keeps every hash."""
    dump = tmp_path / "journal.json"
    call_command("dumpdata", "core.auditevent", "core.auditchainhead", output=str(dump))
    _sql("DELETE FROM core_auditevent", [])
    call_command("loaddata", str(dump))
    assert audit_verify().ok


def test_a_nul_quoted_from_a_request_is_kept_visible_not_a_database_error(db):
    # PostgreSQL's JSON cannot hold U+0000: the journal records it as U+FFFD, keys included.
    event = audit_record(actor=None, action="territory.load",
                         data={"path": "/api/v1/cases/2026\x00x", "list": ["a\x00"], "k\x00": 1})
    event.refresh_from_db()
    assert event.data == {"path": "/api/v1/cases/2026\ufffdx", "list": ["a\ufffd"], "k\ufffd": 1}
    assert audit_verify().ok


def test_a_batch_of_events_is_chained_like_single_ones(chain):
    from socle.core.journal import AuditEntry, audit_record_many

    batch = audit_record_many([AuditEntry(actor=None, action="territory.load", data={"b": i})
                               for i in range(3)])
    after = audit_record(actor=None, action="territory.load", data={"after": True})
    assert [e.seq for e in batch] == [6, 7, 8] and after.seq == 9
    assert batch[0].prev_hash == chain[-1].hash and after.prev_hash == batch[-1].hash
    assert audit_verify().ok and audit_verify().checked == 9
    assert audit_record_many([]) == []
