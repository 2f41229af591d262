"""`manage.py drill run ENV [--wait] [--format json]` and `manage.py drill list [--overdue]`."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.dr.models import ACTIVE_DRILL_STATUSES, Drill, DrillSchedule, DrillTrigger
from portal.dr.services import DrillConflict, DrillNotPossible, drill_start, drills_reconcile
from portal.environments.models import Environment, EnvironmentStatus


def drill_record(drill: Drill) -> dict[str, Any]:
    """The JSON the CLI prints for a drill."""
    result = drill.result or {}
    return {
        "id": drill.pk,
        "run": drill.run_id,
        "environment": str(drill.environment) if drill.environment else None,
        "runbook": drill.runbook,
        "status": drill.status,
        "reason": drill.reason,
        "rto_achieved_s": drill.rto_achieved_s,
        "rpo_api_s": drill.rpo_api_s,
        "rpo_measured_s": drill.rpo_measured_s,
        "targets": result.get("targets") or {"rto_s": drill.rto_target_s, "rpo_s": drill.rpo_target_s},
        "steps": result.get("steps", []),
        "cleanup_ok": drill.cleanup_ok,
        "leftovers": drill.leftovers,
        "created_at": drill.created_at.isoformat(),
        "finished_at": drill.finished_at.isoformat() if drill.finished_at else None,
    }


def find_environment(ref: str) -> Environment:
    """An environment by id, `team/name` or a unique name (live environments only)."""
    live = Environment.objects.exclude(status=EnvironmentStatus.DESTROYED).select_related("team")
    if ref.isdigit():
        found = live.filter(pk=int(ref))
    elif "/" in ref:
        team, name = ref.split("/", 1)
        found = live.filter(team__slug=team, name=name)
    else:
        found = live.filter(name=ref)
    matches = list(found[:2])
    if len(matches) != 1:
        raise CommandError(f"{ref!r} matches {len(matches) or 'no'} environments; use TEAM/NAME or the id")
    return matches[0]


class Command(BaseCommand):
    help = "Run DR drills and list their state."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Queue a drill of an environment (a worker executes it).")
        run.add_argument("environment", help="id, TEAM/NAME or a unique name")
        run.add_argument("--runbook", help="another runbook the blueprint offers, e.g. state-restore")
        run.add_argument("--wait", action="store_true", help="wait for the drill to end")
        run.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")
        run.add_argument("--format", choices=["text", "json"], default="text")
        listing = sub.add_parser("list", help="Each environment's newest drill and schedule.")
        listing.add_argument("--overdue", action="store_true", help="only overdue environments")
        listing.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self.run(options)
        else:
            self.list(options)

    def run(self, options: dict[str, Any]) -> None:
        environment = find_environment(options["environment"])
        try:
            drill = drill_start(environment=environment, trigger=DrillTrigger.CLI, runbook=options["runbook"])
        except (DrillConflict, DrillNotPossible) as exc:
            raise CommandError(str(exc)) from exc
        if options["wait"]:
            deadline = time.monotonic() + options["timeout"]
            while True:
                drill.refresh_from_db()
                drill.run.refresh_from_db()
                if not drill.is_active and drill.run.is_finished:  # the result, and the run's end
                    break
                drills_reconcile(environment_id=environment.pk)  # the run may have died
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"drill #{drill.pk} still {drill.status} after {options['timeout']:.0f} s"
                    )
                time.sleep(0.5)
        record = drill_record(drill)
        if options["format"] == "json":
            self.stdout.write(json.dumps(record, indent=2, default=str))
        else:
            self.stdout.write(
                f"drill #{drill.pk} of {environment} ({drill.runbook}): {drill.status}"
                + (f" — {drill.reason}" if drill.reason else "")
            )
        if options["wait"] and drill.status != "passed":
            raise CommandError(f"drill #{drill.pk} {drill.status}: {drill.reason}")

    def list(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        schedules = DrillSchedule.objects.select_related("environment__team", "last_drill").order_by(
            "environment__team__slug", "environment__name"
        )
        if options["overdue"]:
            schedules = schedules.filter(overdue_at__lt=now)
        active = {
            drill.environment_id: drill.pk
            for drill in Drill.objects.filter(status__in=ACTIVE_DRILL_STATUSES, environment__isnull=False)
        }
        rows = [
            {
                "environment": str(s.environment),
                "active_drill": active.get(s.environment_id),
                "frequency": s.frequency,
                "next_due_at": s.next_due_at.isoformat() if s.next_due_at else None,
                "overdue": bool(s.overdue_at and s.overdue_at < now),
                "last_drill": drill_record(s.last_drill) if s.last_drill else None,
            }
            for s in schedules
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            last = row["last_drill"]
            self.stdout.write(
                f"{row['environment']:40} {row['frequency']:10} {'OVERDUE' if row['overdue'] else '':8}"
                f" {last['status'] if last else 'never'}"
            )
