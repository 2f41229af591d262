"""The portal drills itself: backup, restore, and the self-drill that restores the newest backup
into a scratch database and checks row counts and every state and plan checksum. On the default
SQLite, and on PostgreSQL when DATABASE_URL points there."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from portal.core.crypto import encrypt_json
from portal.dr.backup import newest_backup, portal_backup
from portal.dr.models import Drill, DrillStatus
from portal.dr.services import DrillConflict, drill_portal_start
from portal.environments.models import StateVersion
from portal.runs.models import Run, RunStatus
from tests.factories import STATE, EnvironmentFactory, PlanRunFactory, StateVersionFactory
from tests.portal.dr.conftest import execute_here


@pytest.fixture
def backups(tmp_path, settings):
    settings.PORTAL_BACKUP_DIR = tmp_path / "backups"
    return settings.PORTAL_BACKUP_DIR


@pytest.fixture
def estate(transactional_db, sandbox):
    environment = EnvironmentFactory(blueprint_version=sandbox)
    StateVersionFactory(environment=environment, body=STATE)
    StateVersionFactory(environment=environment, body=STATE.replace(b'"serial": 1', b'"serial": 2'))
    plan_bytes = b"PK\x03\x04 a plan file"
    PlanRunFactory(
        environment=environment,
        plan_file=encrypt_json(base64.b64encode(plan_bytes).decode()),
        plan_sha256=hashlib.sha256(plan_bytes).hexdigest(),
    )
    return environment


def test_self_drill_restores_the_newest_backup_and_passes(estate, backups, platform_admin):
    out = StringIO()
    call_command("portal_backup", stdout=out)
    backup, manifest = newest_backup()
    assert str(backup) == out.getvalue().strip()
    assert manifest["row_counts"]["environments_stateversion"] == 2
    assert manifest["row_counts"]["runs_run"] == Run.objects.count()

    drill = drill_portal_start(actor=platform_admin)
    with pytest.raises(DrillConflict):
        drill_portal_start(actor=platform_admin)
    drill = execute_here(drill)
    assert drill.status == DrillStatus.PASSED, (drill.reason, drill.result)
    assert drill.environment is None and drill.rto_achieved_s is not None
    assert drill.rpo_api_s is not None and drill.rpo_api_s < drill.rpo_target_s
    evidence = {s["name"]: s["evidence"] for s in drill.steps}
    assert evidence["verify state and plan checksums"] == {"state_versions": 2, "plan_files": 1}
    assert drill.cleanup_ok is True and not list(backups.parent.glob("**/portal-restore-*"))
    assert Run.objects.get(pk=drill.run_id).status == RunStatus.SUCCEEDED


@pytest.mark.skipif(connection.vendor != "sqlite", reason="tampers with an SQLite file")
def test_self_drill_fails_on_a_corrupted_state_version(estate, backups, platform_admin):
    path = portal_backup()
    # Corrupt one state version's checksum inside the backup, and re-seal the manifest, so only
    # the checksum verification can notice.
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE environments_stateversion SET sha256 = 'x' "
            "WHERE id = (SELECT MIN(id) FROM environments_stateversion)"
        )
    db.close()
    manifest_path = path.with_name(path.name + ".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    drill = execute_here(drill_portal_start(actor=platform_admin))
    assert drill.status == DrillStatus.FAILED
    assert "checksum" in drill.reason and "state version" in drill.reason


def test_portal_restore_brings_back_deleted_rows(estate, backups):
    call_command("portal_backup", stdout=StringIO())
    StateVersion.objects.filter(environment=estate).delete()
    assert StateVersion.objects.count() == 0
    call_command("portal_restore", "--yes", stdout=StringIO())
    assert StateVersion.objects.count() == 2
    assert Drill.objects.count() == 0
