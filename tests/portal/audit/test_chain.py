"""The tamper-evident audit log: the hash chain, `manage.py audit verify` and the append-only
triggers, on SQLite and on PostgreSQL (scripts/with-postgres.sh)."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.utils import timezone

from portal.audit.chain import GENESIS_HASH, Link, chain_walk, event_hash
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.selectors import audit_chain_verify
from portal.audit.services import audit_record
from portal.audit.triggers import triggers_install, triggers_missing, triggers_uninstall
from tests.factories import UserFactory


def record(n: int, actor=None, **kwargs) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(
                actor=actor, action="thing.done", summary=f"event {i}", data={"i": i, "x": [1.5]}, **kwargs
            )
            for i in range(n)
        ]


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_failure(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return str(failure.value)


@pytest.mark.django_db
def test_events_are_linked_and_verify_counts_them(requester, team):
    events = record(3, actor=requester, target=team, ip="::ffff:10.0.0.1")
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    stored = AuditEvent.objects.get(pk=events[1].pk)
    # The hash recomputed from the row as the database gives it back equals the one written.
    assert event_hash(stored.chain_fields(), stored.prev_hash) == events[1].hash
    assert AuditChainHead.objects.get(pk=1).last_event_id == events[-1].pk
    assert verify().strip() == (
        f"Audit chain intact: 3 events, last event id {events[-1].pk}, last hash {events[-1].hash}."
    )


@pytest.mark.django_db
def test_an_empty_log_verifies():
    assert "intact: 0 events" in verify()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "broken_index", "reason"),
    [
        ("UPDATE audit_auditevent SET summary = 'nothing happened' WHERE id = %(id1)s", 1, "row was edited"),
        ("UPDATE audit_auditevent SET actor_name = 'someone-else' WHERE id = %(id2)s", 2, "row was edited"),
        ("DELETE FROM audit_auditevent WHERE id = %(id1)s", 2, "deleted or inserted before it"),
        ("DELETE FROM audit_auditevent WHERE id = %(id3)s", 3, "deleted from the end"),
    ],
)
def test_raw_sql_tampering_is_found_with_the_event_id(tamper, broken_index, reason):
    events = record(4)
    # A database owner can drop the triggers; the chain is what still catches the edit. Dropping them
    # inside the test's transaction is rolled back with it.
    triggers_uninstall(connection=connection)
    with connection.cursor() as cursor:
        cursor.execute(tamper % {f"id{i}": event.pk for i, event in enumerate(events)})
    message = verify_failure()
    assert f"Audit chain broken at event id {events[broken_index].pk}" in message
    assert reason in message


@pytest.mark.django_db
def test_a_forged_row_inserted_with_raw_sql_is_found():
    events = record(2)
    forged = AuditEvent(
        actor_name="admin", action="approval.granted", summary="forged", created_at=events[-1].created_at
    )
    # The forger links it to the last event, but cannot move the chain head without it showing.
    forged_hash = event_hash(forged.chain_fields(), events[-1].hash)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (actor_name, action, target_type, target_id, target_repr,"
            " summary, data, created_at, prev_hash, hash)"
            " VALUES ('admin', 'approval.granted', '', '', '', 'forged', '{}', %s, %s, %s)",
            [forged.created_at, events[-1].hash, forged_hash],
        )
    assert "chain head names event" in verify_failure()
    # A forger who also moves the chain head, but cannot compute the hash the chain expects, is
    # caught at the forged row itself.
    triggers_uninstall(connection=connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE hash = %s", ["f" * 64, forged_hash])
    forged_id = AuditEvent.objects.get(hash="f" * 64).pk
    AuditChainHead.objects.filter(pk=1).update(last_event_id=forged_id, last_hash="f" * 64)
    message = verify_failure()
    assert f"broken at event id {forged_id}" in message and "does not match its stored hash" in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda pk: AuditEvent.objects.filter(pk=pk).update(summary="changed"),
        lambda pk: AuditEvent.objects.filter(pk=pk).delete(),
        lambda pk: connection.cursor().execute("UPDATE audit_auditevent SET hash = '' WHERE id = %s", [pk]),
        lambda pk: connection.cursor().execute("DELETE FROM audit_auditevent WHERE id = %s", [pk]),
    ],
    ids=["queryset-update", "queryset-delete", "sql-update", "sql-delete"],
)
def test_triggers_refuse_update_and_delete(change):
    (event,) = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(event.pk)
    assert AuditEvent.objects.get(pk=event.pk).summary == "event 0"
    assert not triggers_missing(connection=connection)


@pytest.mark.django_db(transaction=True)  # committed rows: no deferred checks pending
def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger is tested above")
    record(1)
    with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
        connection.cursor().execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_verify_reports_missing_triggers():
    record(1)
    triggers_uninstall(connection=connection)
    assert "triggers" in verify_failure() and "missing" in verify_failure()
    triggers_install(connection=connection)
    assert "intact: 1 events" in verify()


@pytest.mark.django_db
def test_a_user_in_the_log_cannot_be_deleted():
    user = UserFactory()
    record(1, actor=user)
    with pytest.raises(ProtectedError):
        user.delete()
    assert verify()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_but_an_ordinary_delete_stays_refused():
    record(2)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    record(1)
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_migration_backfills_hashes_of_existing_rows_in_id_order():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("audit")
    executor.migrate([("audit", "0001_initial")])
    try:
        old_apps = executor.loader.project_state([("audit", "0001_initial")]).apps
        OldEvent = old_apps.get_model("audit", "AuditEvent")
        for i in range(3):
            OldEvent.objects.create(
                actor_name="system", action="old.thing", summary=f"old {i}", data={"i": i}
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert "intact: 3 events" in verify()
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.summary for e in events] == ["old 0", "old 1", "old 2"]
    assert events[0].prev_hash == GENESIS_HASH and events[2].prev_hash == events[1].hash
    record(1)
    assert "intact: 4 events" in verify()
    assert not triggers_missing(connection=connection)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite runs one write transaction at a time (IMMEDIATE mode), so writers cannot race; "
            "the row lock on the chain head is what this tests, on PostgreSQL"
        )
    threads, per_thread = 8, 15
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(per_thread):
                with transaction.atomic():
                    audit_record(actor=None, action="race.write", summary=f"writer {n} event {i}")
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    report = audit_chain_verify()
    assert report.intact, report.broken
    assert report.count == threads * per_thread
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)  # no two events claim the same predecessor


@pytest.mark.django_db
def test_verify_against_a_hash_kept_outside_the_database():
    events = record(2)
    assert "intact: 2 events" in verify(f"--expect={events[1].pk}:{events[1].hash}")
    # Someone with the database rewrites the log from event 1 on and recomputes every hash and the
    # head: the chain is consistent again, but the hash kept elsewhere no longer matches.
    triggers_uninstall(connection=connection)
    rewritten = events[1]
    rewritten.summary = "nothing to see"
    new_hash = event_hash(rewritten.chain_fields(), rewritten.prev_hash)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET summary = %s, hash = %s WHERE id = %s",
            [rewritten.summary, new_hash, rewritten.pk],
        )
    AuditChainHead.objects.filter(pk=1).update(last_hash=new_hash)
    triggers_install(connection=connection)
    assert "intact: 2 events" in verify()
    message = verify_failure(f"--expect={events[1].pk}:{events[1].hash}")
    assert f"event id {events[1].pk} now has hash {new_hash}" in message and "rewritten" in message


@pytest.mark.django_db
def test_verify_passes_on_the_demo_data_and_fails_after_a_raw_sql_edit():
    call_command("seed_demo")
    count = AuditEvent.objects.count()
    assert count > 0 and f"intact: {count} events" in verify()
    first = AuditEvent.objects.order_by("id").first()
    triggers_uninstall(connection=connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET ip_address = '10.9.9.9' WHERE id = %s", [first.pk])
    assert f"broken at event id {first.pk}" in verify_failure()


def test_chain_walk_without_a_head_for_existing_events_is_broken():
    fields = {
        "created_at": timezone.now(),
        "actor_id": None,
        "actor_name": "system",
        "action": "a.b",
        "target_type": "",
        "target_id": "",
        "target_repr": "",
        "summary": "s",
        "ip_address": None,
        "data": {},
    }
    link = Link(event_id=7, fields=fields, prev_hash=GENESIS_HASH, hash=event_hash(fields, GENESIS_HASH))
    assert chain_walk([link], head_event_id=7, head_hash=link.hash).intact
    report = chain_walk([link], head_event_id=None, head_hash=GENESIS_HASH)
    assert report.broken.event_id == 7
    assert "names no event as the last one, but the log ends at event 7" in report.broken.reason
