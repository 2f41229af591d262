"""Schedules and alerts: defaults from the DR profile per tier, a due drill starts once even with
two beat ticks, overdue environments are alerted once, schedule changes are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.dr.models import Drill, DrillSchedule, DrillStatus, DrillTrigger
from portal.dr.services import (
    drill_record_result,
    drill_schedule_set,
    drills_notify_overdue,
    drills_start_due,
    drills_tick,
)
from portal.runs.models import Run, RunKind
from tests.factories import EnvironmentFactory


@pytest.fixture
def env(sandbox, team, requester):
    return EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="sched", tier="dev")


def test_defaults_come_from_the_profile_per_tier(sandbox, team, requester, settings):
    from portal.dr.services import drill_schedules_fill

    prod = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="p", tier="prod")
    assert drill_schedules_fill() == 1
    schedule = DrillSchedule.objects.get(environment=prod)
    assert schedule.frequency == sandbox.dr["schedule"]["prod"] == "monthly"
    assert schedule.next_due_at is not None and not schedule.customized
    assert drill_schedules_fill() == 0


def test_a_due_drill_starts_once_with_two_beat_ticks(env, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks():
        first = drills_start_due(now=now)
        second = drills_start_due(now=now + timedelta(seconds=30))
    assert [d.environment_id for d in first] == [env.pk]
    assert second == []
    drill = Drill.objects.get(environment=env)
    assert drill.trigger == DrillTrigger.SCHEDULE and drill.run.kind == RunKind.DRILL
    assert Run.objects.filter(environment=env, kind=RunKind.DRILL).count() == 1
    schedule = DrillSchedule.objects.get(environment=env)
    assert schedule.next_due_at == now + timedelta(days=30)
    # Still due next month, while this one is still queued: refused by the one-active rule, and
    # the schedule moves on all the same.
    later = now + timedelta(days=31)
    assert drills_start_due(now=later) == []
    assert Drill.objects.filter(environment=env).count() == 1


def test_failed_drill_and_overdue_environment_notify_owner_and_approvers(
    env, approver, requester, outsider, django_capture_on_commit_callbacks, settings, notifications
):
    settings.DRILL_OVERDUE_GRACE_S = 3600
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        (drill,) = drills_start_due(now=now)
        drill_record_result(
            drill_id=drill.pk,
            result={
                "status": "failed",
                "reason": "RTO 400 s is over the target 300 s",
                "rto_achieved_s": 400.0,
            },
        )
    assert [m.subject for m in notifications()] == [f"[infra portal] DR drill of {env} failed"]
    assert set(mail.outbox[0].to) == {requester.email, approver.email}
    assert "RTO 400 s (target 300 s)" in mail.outbox[0].body
    mail.outbox.clear()

    # No passed drill for a month and the grace: overdue, alerted once.
    schedule = DrillSchedule.objects.get(environment=env)
    assert schedule.last_drill_id == drill.pk and schedule.overdue_at == now + timedelta(days=30, hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert drills_notify_overdue(now=now + timedelta(days=29)) == []
        assert len(drills_notify_overdue(now=now + timedelta(days=31))) == 1
        assert drills_notify_overdue(now=now + timedelta(days=32)) == []
    assert [m.subject for m in notifications()] == [f"[infra portal] DR drill of {env} is overdue"]
    assert outsider.email not in mail.outbox[0].to


def test_a_passed_drill_moves_the_overdue_date(
    env, django_capture_on_commit_callbacks, settings, notifications
):
    settings.DRILL_OVERDUE_GRACE_S = 0
    with django_capture_on_commit_callbacks(execute=True):
        (drill,) = drills_start_due()
        drill = drill_record_result(drill_id=drill.pk, result={"status": "passed", "cleanup_ok": True})
    schedule = DrillSchedule.objects.get(environment=env)
    assert drill.status == DrillStatus.PASSED
    assert schedule.overdue_at == drill.finished_at + timedelta(days=30)
    assert schedule.next_due_at == drill.finished_at + timedelta(days=30)
    assert notifications() == []


def test_schedule_change_is_audited_and_none_stops_drills(env, approver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        drill_schedule_set(environment=env, frequency="none", actor=approver)
    schedule = DrillSchedule.objects.get(environment=env)
    assert schedule.customized and schedule.next_due_at is None and schedule.overdue_at is None
    event = AuditEvent.objects.get(action="drill.schedule_changed")
    assert event.data == {"before": "monthly", "after": "none"}
    drills_tick(now=timezone.now() + timedelta(days=400))
    assert not Drill.objects.filter(environment=env).exists()


def test_cli_lists_overdue_environments_and_profiles(
    env, sandbox, team, requester, django_capture_on_commit_callbacks
):
    import json
    from io import StringIO

    from django.core.management import call_command

    other = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="fresh")
    with django_capture_on_commit_callbacks():
        drills_start_due()
    DrillSchedule.objects.filter(environment=env).update(overdue_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("drill", "list", "--overdue", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [(r["environment"], r["overdue"]) for r in rows] == [(str(env), True)]
    assert rows[0]["last_drill"] is None  # never finished one
    assert rows[0]["active_drill"] == Drill.objects.get(environment=env).pk
    out = StringIO()
    call_command("drill", "list", "--format", "json", stdout=out)
    assert {r["environment"] for r in json.loads(out.getvalue())} == {str(env), str(other)}

    out = StringIO()
    call_command("dr", "profiles", "--format", "json", stdout=out)
    profiles = {p["blueprint"]: p for p in json.loads(out.getvalue())}
    assert profiles["local-sandbox"]["rto_minutes"] == 5
    assert profiles["local-sandbox"]["runbooks"][0]["steps"][0] == "check preconditions"
    assert profiles["cloudfront-ec2"]["rpo_minutes"] == 24 * 60 and not profiles["cloudfront-ec2"]["assumed"]
