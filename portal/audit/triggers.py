"""Database triggers that make the audit table append-only below the ORM.

`QuerySet.update()`, `QuerySet.delete()` and raw SQL all bypass `AuditEvent.save`/`delete`; these
triggers refuse UPDATE and DELETE on every row. The only exception is `manage.py flush` (which
empties every table, and which the test runner uses between transactional tests): it sets a flag on
its own connection first (see portal/audit/management/commands/flush.py).

- PostgreSQL: a row trigger refuses UPDATE and DELETE always; a statement trigger refuses TRUNCATE
  unless the session setting `portal.audit_flush` is `on`.
- SQLite: BEFORE UPDATE always aborts; BEFORE DELETE aborts unless the connection's
  `portal_audit_flush_allowed()` function answers 1. That function exists only on the portal's own
  connections (registered in AuditConfig.ready), so a DELETE from any other client fails too.

An owner of the database can still drop the triggers; the hash chain (`manage.py audit verify`)
is what detects an edit made that way.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
FLUSH_SETTING = "portal.audit_flush"
SQLITE_FLUSH_FUNCTION = "portal_audit_flush_allowed"

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_refuse_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'audit events are append-only: % refused on {TABLE}', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse_change()
    """,
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_refuse_truncate() RETURNS trigger AS $$
    BEGIN
      IF current_setting('{FLUSH_SETTING}', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit events are append-only: TRUNCATE refused on {TABLE}';
      END IF;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse_truncate()
    """,
]
POSTGRES_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_refuse_change()",
    f"DROP FUNCTION IF EXISTS {TABLE}_refuse_truncate()",
]
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused on {TABLE}'); END
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    WHEN NOT {SQLITE_FLUSH_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused on {TABLE}'); END
    """,
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]
TRIGGER_NAMES = {
    "postgresql": {f"{TABLE}_append_only", f"{TABLE}_no_truncate"},
    "sqlite": {f"{TABLE}_no_update", f"{TABLE}_no_delete"},
}


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_UNINSTALL
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    raise NotImplementedError(f"No append-only triggers for the {vendor} database")


def triggers_install(*, connection: Any) -> None:
    """Creates the triggers. Called by a migration; call it again after any migration that makes
    SQLite rebuild the audit table (a rebuilt table loses its triggers)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=False) + _statements(connection.vendor, True):
            cursor.execute(sql)


def triggers_uninstall(*, connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=False):
            cursor.execute(sql)


def triggers_missing(*, connection: Any) -> set[str]:
    """Names of the expected triggers that the database does not have."""
    expected = TRIGGER_NAMES.get(connection.vendor, set())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        present = {row[0] for row in cursor.fetchall()}
    return expected - present


def sqlite_register_flush_function(connection: Any) -> None:
    """Gives a new SQLite connection the function the DELETE trigger asks (0 unless flushing)."""
    connection.connection.create_function(
        SQLITE_FLUSH_FUNCTION, 0, lambda: 1 if getattr(connection, "portal_audit_flush", False) else 0
    )
