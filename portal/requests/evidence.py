"""The evidence pack: one zip per environment for an auditor, built from what the portal holds.

It holds the requests with their inputs (secrets masked), every plan's hash and summary, the
approvals (who, when, which plan SHA-256 they saw, the warnings they acknowledged), the policy
results, the redacted run logs, the state version list (serials and checksums, never the state),
the drift checks, the DR drills and the matching audit events; `manifest.json` lists the SHA-256
of every other file and `index.html` summarises it. The zip is written to a temporary file, and
run logs line by line, so a big log never sits in memory whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
import zipfile
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.dr.models import Drill
from portal.environments.models import Environment
from portal.policies.selectors import policy_evidence_for_runs
from portal.requests.models import Approval, EnvironmentRequest, RequestEvent
from portal.runs.models import Run, RunKind, RunLogLine

MASK = "********"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


class _Pack:
    """A zip being written, with the SHA-256 of every file it holds."""

    def __init__(self, file: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED)
        self.hashes: dict[str, str] = {}
        self.sizes: dict[str, int] = {}

    def write_lines(self, name: str, lines: Any) -> None:
        digest, size = hashlib.sha256(), 0
        with self.zip.open(name, "w") as entry:
            for line in lines:
                data = line.encode()
                digest.update(data)
                size += len(data)
                entry.write(data)
        self.hashes[name], self.sizes[name] = digest.hexdigest(), size

    def write_json(self, name: str, value: Any) -> None:
        self.write_lines(name, [json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"])


def _requests(requests: list[EnvironmentRequest]) -> list[dict[str, Any]]:
    events: dict[int, list[dict[str, Any]]] = {}
    for event in (
        RequestEvent.objects.filter(request__in=requests).select_related("actor").order_by("created_at")
    ):
        events.setdefault(event.request_id, []).append(
            {
                "at": _iso(event.created_at),
                "state": event.state,
                "actor": str(event.actor) if event.actor_id else None,
                "note": event.note,
            }
        )
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "state": r.state,
            "requester": r.requester.username,
            "created_at": _iso(r.created_at),
            "blueprint_version": str(r.blueprint_version),
            "tier": r.tier,
            "region": r.region,
            "inputs": {**r.inputs, **{name: MASK for name in r.secret_input_names}},
            "reason": r.reason,
            "plan_run": r.plan_run_id,
            "policy_decision": r.policy_decision,
            "monthly_cost_usd": _money(r.monthly_cost_usd),
            "cost_delta_usd": _money(r.cost_delta_usd),
            "over_budget": r.over_budget,
            "break_glass": r.break_glass,
            "routed_to_admins": r.routed_to_admins,
            "upgrade_batch": r.upgrade_batch_id,
            "events": events.get(r.pk, []),
        }
        for r in requests
    ]


def _run_row(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "request": run.request_id,
        "created_by": run.created_by.username if run.created_by_id else None,
        "reason": run.reason,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "exit_code": run.exit_code,
        "error": run.error,
        "log_file": f"logs/run-{run.pk}.log",
    }


def _plan_row(run: Run) -> dict[str, Any]:
    return {
        "run": run.pk,
        "request": run.request_id,
        "status": run.status,
        "finished_at": _iso(run.finished_at),
        "destroy_plan": run.destroy_plan,
        "plan_sha256": run.plan_sha256,
        "changes_sha256": run.changes_sha256,
        "add": run.plan_add,
        "change": run.plan_change,
        "destroy": run.plan_destroy,
        "resources": run.plan_resources,
    }


def _approval_row(approval: Approval) -> dict[str, Any]:
    return {
        "request": approval.request_id,
        "approver": approval.approver.username,
        "decision": approval.decision,
        "at": _iso(approval.created_at),
        "comment": approval.comment,
        "plan_run": approval.plan_run_id,
        "plan_sha256_seen": approval.plan_sha256,
        "changes_sha256_seen": approval.changes_sha256,
        "monthly_cost_usd_seen": _money(approval.monthly_cost_usd),
        "acknowledged_warnings": approval.acknowledged_warnings,
        "policies_passed": approval.policies_passed,
        "break_glass": approval.break_glass,
        "break_glass_reason": approval.break_glass_reason,
        "voided_at": _iso(approval.voided_at),
        "void_reason": approval.void_reason,
        "apply_run": approval.apply_run_id,
    }


def _drill_row(drill: Drill) -> dict[str, Any]:
    return {
        "id": drill.pk,
        "run": drill.run_id,
        "runbook": drill.runbook,
        "trigger": drill.trigger,
        "status": drill.status,
        "reason": drill.reason,
        "rto_target_s": drill.rto_target_s,
        "rpo_target_s": drill.rpo_target_s,
        "rto_achieved_s": drill.rto_achieved_s,
        "rpo_api_s": drill.rpo_api_s,
        "rpo_measured_s": drill.rpo_measured_s,
        "cleanup_ok": drill.cleanup_ok,
        "leftovers": drill.leftovers,
        "result": drill.result,
        "created_at": _iso(drill.created_at),
        "finished_at": _iso(drill.finished_at),
    }


def _log_lines(run: Run) -> Any:
    lines = RunLogLine.objects.filter(run=run).order_by("seq").values_list("created_at", "stream", "message")
    for created_at, stream, message in lines.iterator(chunk_size=2000):
        yield f"{created_at.isoformat()} [{stream}] {message}\n"


def evidence_pack_build(*, environment: Environment, actor: Any, ip: str | None = None) -> IO[bytes]:
    """Writes the environment's evidence pack to a temporary file (rewound, deleted on close)
    and audits the download first, so the pack holds its own download event too."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="evidence.downloaded",
            target=environment,
            ip=ip,
            summary=f"{actor} downloaded the evidence pack of {environment}.",
        )
    requests = list(
        EnvironmentRequest.objects.filter(environment=environment)
        .select_related("requester", "blueprint_version__blueprint")
        .defer("blueprint_version__source_files", "blueprint_version__metadata")
        .order_by("created_at")
    )
    runs = list(
        Run.objects.filter(environment=environment).select_related("created_by").order_by("created_at", "id")
    )
    plans = [run for run in runs if run.kind == RunKind.PLAN]
    approvals = list(
        Approval.objects.filter(request__in=requests).select_related("approver").order_by("created_at", "id")
    )
    drills = list(Drill.objects.filter(environment=environment).order_by("created_at", "id"))
    states = list(environment.state_versions.order_by("created_at", "id").defer("state"))
    audit = AuditEvent.objects.filter(
        Q(target_type="environments.environment", target_id=str(environment.pk))
        | Q(target_type="requests.environmentrequest", target_id__in=[str(r.pk) for r in requests])
        | Q(target_type="runs.run", target_id__in=[str(r.pk) for r in runs])
        | Q(target_type="dr.drill", target_id__in=[str(d.pk) for d in drills])
    ).order_by("id")
    audit_rows = [
        {
            "id": e.pk,
            "at": _iso(e.created_at),
            "actor": e.actor_name,
            "action": e.action,
            "target": f"{e.target_type}:{e.target_id}",
            "target_repr": e.target_repr,
            "summary": e.summary,
            "ip_address": e.ip_address,
            "data": e.data,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in audit.iterator()
    ]
    generated_at = timezone.now()
    file = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    pack = _Pack(file)
    try:
        pack.write_json(
            "environment.json",
            {
                "id": environment.pk,
                "name": environment.name,
                "team": environment.team.slug,
                "owner": environment.owner.username,
                "blueprint_version": str(environment.blueprint_version),
                "tier": environment.tier,
                "region": environment.region,
                "status": environment.status,
                "inputs": environment.inputs,
                "outputs": environment.outputs,  # sensitive outputs are masked when stored
                "monthly_cost_usd": _money(environment.monthly_cost_usd),
                "created_at": _iso(environment.created_at),
                "destroyed_at": _iso(environment.destroyed_at),
            },
        )
        pack.write_json("requests.json", _requests(requests))
        pack.write_json("plans.json", [_plan_row(run) for run in plans])
        pack.write_json("approvals.json", [_approval_row(a) for a in approvals])
        pack.write_json("policy_results.json", policy_evidence_for_runs(runs=plans))
        pack.write_json("runs.json", [_run_row(run) for run in runs])
        for run in runs:
            pack.write_lines(f"logs/run-{run.pk}.log", _log_lines(run))
        pack.write_json(
            "state_versions.json",
            [
                {
                    "serial": s.serial,
                    "lineage": s.lineage,
                    "sha256": s.sha256,
                    "size": s.size,
                    "run": s.run_id,
                    "created_at": _iso(s.created_at),
                }
                for s in states
            ],
        )
        pack.write_json(
            "drift_checks.json",
            {
                "status": environment.drift_status,
                "checked_at": _iso(environment.drift_checked_at),
                "changes": environment.drift_changes,
                "checks": [
                    {**_run_row(run), "drift_detected": run.drift_detected, "resources": run.plan_resources}
                    for run in runs
                    if run.kind == RunKind.DRIFT
                ],
            },
        )
        pack.write_json("dr_drills.json", [_drill_row(d) for d in drills])
        pack.write_json("audit_events.json", audit_rows)
        summary = render_to_string(
            "requests/evidence_index.html",
            {
                "environment": environment,
                "generated_at": generated_at,
                "actor": actor,
                "requests": requests,
                "plans": plans,
                "approvals": approvals,
                "runs": runs,
                "states": states,
                "drills": drills,
                "audit_count": len(audit_rows),
                "files": sorted(pack.hashes.items()),
            },
        )
        pack.write_lines("index.html", [summary])
        manifest = {
            "environment": str(environment),
            "generated_at": generated_at.isoformat(),
            "generated_by": str(actor),
            "algorithm": "sha256",
            "files": {
                name: {"sha256": pack.hashes[name], "size": pack.sizes[name]} for name in sorted(pack.hashes)
            },
        }
        with pack.zip.open("manifest.json", "w") as entry:
            entry.write((json.dumps(manifest, indent=2) + "\n").encode())
        pack.zip.close()
    except BaseException:
        with contextlib.suppress(Exception):
            pack.zip.close()
        file.close()
        raise
    file.seek(0)
    return file
