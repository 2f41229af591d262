"""The portal's own backup, restore and self-drill.

The database holds every environment's Terraform state versions and every plan file (both
encrypted), so one consistent database snapshot backs them all up together:
- SQLite (the default): the online backup API, which copies a consistent snapshot while the
  portal keeps running;
- PostgreSQL: `pg_dump --format=custom` of a snapshot exported from a REPEATABLE READ
  transaction, in which the row counts of the manifest are taken too.

Each backup is a file plus a manifest (`<file>.json`): when it was taken, its SHA-256, and the
row count of every table. The self-drill restores the newest backup into a scratch database and
checks the counts, every state version's checksum and every plan file's checksum.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from drills.core import Drill as Engine
from drills.core import DrillFailure, PreconditionFailed, Runbook, Targets, execute


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def backup_dir() -> Path:
    path = Path(settings.PORTAL_BACKUP_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _tables() -> list[str]:
    return sorted({model._meta.db_table for model in apps.get_models() if model._meta.managed})


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": str(db.get("HOST") or ""), "PGPORT": str(db.get("PORT") or "")}
    env.update({"PGUSER": str(db.get("USER") or ""), "PGPASSWORD": str(db.get("PASSWORD") or "")})
    return {k: v for k, v in env.items() if v}


def _sqlite_counts(path: Path, tables: list[str]) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {t: int(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables}  # noqa: S608


def portal_backup(*, directory: Path | None = None) -> Path:
    """Writes a consistent backup of the whole database and its manifest; returns the file."""
    directory = directory or backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    tables = _tables()
    if _engine() == "sqlite":
        target = directory / f"portal-{stamp}.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as dest:
            connection.connection.backup(dest)
        dest.close()
        counts = _sqlite_counts(target, tables)
    else:
        target = directory / f"portal-{stamp}.dump"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our own table names
                counts[table] = int(cursor.fetchone()[0])
            result = subprocess.run(
                [
                    shutil.which("pg_dump") or "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    str(connection.settings_dict["NAME"]),
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()[-500:]}")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest = {
        "created_at": now.isoformat(),
        "engine": _engine(),
        "file": target.name,
        "sha256": digest,
        "row_counts": counts,
    }
    Path(f"{target}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return target


def newest_backup(directory: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    directory = directory or backup_dir()
    manifests = sorted(directory.glob("portal-*.json"))
    if not manifests:
        return None
    manifest_path = manifests[-1]
    manifest = json.loads(manifest_path.read_text())
    return directory / manifest["file"], manifest


def portal_restore(*, backup: Path) -> None:
    """Replaces the portal's database with `backup` (stop the web and workers first)."""
    if not backup.exists():
        raise BackupError(f"{backup} does not exist")
    if _engine() == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(backup) as source:
            source.backup(connection.connection)
        return
    result = subprocess.run(
        [
            shutil.which("pg_restore") or "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={connection.settings_dict['NAME']}",
            str(backup),
        ],
        env=_pg_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[-500:]}")


class PortalRestoreRunbook(Runbook):
    """Restores the newest portal backup into a scratch database and verifies it."""

    name: ClassVar[str] = "portal-backup-restore"
    description: ClassVar[str] = (
        "Restores the newest portal backup into a scratch database, compares every table's row count "
        "with the backup's manifest, and checks every state version's and plan file's SHA-256."
    )
    steps: ClassVar[tuple[str, ...]] = (
        "check preconditions",
        "restore backup into scratch database",
        "verify row counts",
        "verify state and plan checksums",
    )

    def __init__(self, *, directory: Path, scratch: Path) -> None:
        self.directory, self.scratch = directory, scratch

    def run(self, drill: Engine) -> None:
        from portal.core.crypto import decrypt_json

        with drill.step("check preconditions") as step:
            found = newest_backup(self.directory)
            if found is None:
                raise PreconditionFailed(
                    "no portal backup exists: run `manage.py portal_backup` (or its beat job)"
                )
            backup, manifest = found
            if not backup.exists():
                raise PreconditionFailed(f"the newest manifest names {backup.name}, which is missing")
            digest = hashlib.sha256(backup.read_bytes()).hexdigest()
            if digest != manifest["sha256"]:
                raise PreconditionFailed(f"{backup.name} does not match the SHA-256 in its manifest")
            step.evidence.update(backup=backup.name, sha256=digest, created_at=manifest["created_at"])
        with drill.step("restore backup into scratch database") as step:
            query, cleanup_id, drop = self._restore(drill, backup, manifest)
            drill.recovery_point("portal-backup", datetime.fromisoformat(manifest["created_at"]))
            step.evidence.update(scratch=cleanup_id)
        try:
            with drill.step("verify row counts") as step:
                mismatches = {}
                for table, expected in manifest["row_counts"].items():
                    actual = int(query(f'SELECT COUNT(*) FROM "{table}"')[0][0])  # noqa: S608
                    if actual != expected:
                        mismatches[table] = {"expected": expected, "restored": actual}
                step.evidence.update(
                    tables=len(manifest["row_counts"]), rows=sum(manifest["row_counts"].values())
                )
                if mismatches:
                    step.evidence["mismatches"] = mismatches
                    raise DrillFailure(
                        f"row counts differ in {len(mismatches)} table(s): {sorted(mismatches)}"
                    )
            with drill.step("verify state and plan checksums") as step:
                state_table = apps.get_model("environments", "StateVersion")._meta.db_table
                run_table = apps.get_model("runs", "Run")._meta.db_table
                plan_table = apps.get_model("runs", "RunPlanData")._meta.db_table
                bad = []
                states = query(f'SELECT id, state, sha256 FROM "{state_table}"')  # noqa: S608
                for pk, token, sha in states:
                    if hashlib.sha256(str(decrypt_json(token)).encode()).hexdigest() != sha:
                        bad.append(f"state version {pk}")
                plans = query(
                    f'SELECT r.id, p.plan_file, r.plan_sha256 FROM "{run_table}" r '  # noqa: S608
                    f"JOIN \"{plan_table}\" p ON p.run_id = r.id WHERE p.plan_file <> ''"
                )
                for pk, token, sha in plans:
                    if hashlib.sha256(base64.b64decode(decrypt_json(token))).hexdigest() != sha:
                        bad.append(f"plan file of run {pk}")
                step.evidence.update(state_versions=len(states), plan_files=len(plans))
                if bad:
                    step.evidence["bad"] = bad
                    raise DrillFailure(f"{len(bad)} checksum(s) differ: {', '.join(bad[:10])}")
                drill.verified()
        finally:
            drop()  # close the scratch connection before cleanup deletes the database

    def _restore(
        self, drill: Engine, backup: Path, manifest: dict[str, Any]
    ) -> tuple[Callable[[str], list[tuple[Any, ...]]], str, Callable[[], None]]:
        if manifest["engine"] == "sqlite":
            folder = self.scratch / f"portal-restore-{drill.drill_id}"
            rid = f"directory:local:{folder}"
            drill.track(rid, "delete scratch database", lambda: shutil.rmtree(folder, ignore_errors=True))
            folder.mkdir(parents=True, exist_ok=True)
            drill.restore_started()
            scratch = sqlite3.connect(folder / "restored.sqlite3")
            with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as source:
                source.backup(scratch)

            def query(sql: str) -> list[tuple[Any, ...]]:
                return list(scratch.execute(sql).fetchall())

            return query, rid, scratch.close
        import psycopg

        name = f"portal_drill_{uuid.uuid4().hex[:12]}"
        rid = f"postgres-database:local:{name}"
        env = _pg_env()

        def dropdb() -> None:
            subprocess.run(["dropdb", "--if-exists", name], env=env, check=True, capture_output=True)

        drill.track(rid, "drop scratch database", dropdb)
        drill.restore_started()
        subprocess.run(["createdb", name], env=env, check=True, capture_output=True)
        result = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={name}", str(backup)],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise DrillFailure(f"pg_restore failed: {result.stderr.strip()[-300:]}")
        db = connection.settings_dict
        conn = psycopg.connect(
            dbname=name,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
        )

        def query(sql: str) -> list[tuple[Any, ...]]:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())

        return query, rid, conn.close


def run_portal_drill(*, drill: Any, scratch: Path, **common: Any) -> Any:
    """The self-drill as a DrillResult, judged against the portal's targets."""
    return execute(
        PortalRestoreRunbook(directory=backup_dir(), scratch=scratch),
        targets=Targets(rto_s=drill.rto_target_s, rpo_s=drill.rpo_target_s),
        outputs={},
        inputs={},
        poll_interval_s=0.1,
        **common,
    )
