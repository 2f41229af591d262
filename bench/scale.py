"""The data builder for the page benchmarks at scale: teams, users, blueprint versions with
realistic blobs, environments, requests (5,000 waiting for approval), runs, log lines, state
versions, machine images and audit events, written with bulk_create in batches.

`scale_build` fills an empty, migrated database and leaves a marker row (an audit event
`bench.scale_built`); with the marker present it does nothing, so building is idempotent. The
page benchmark (bench/scale_pages.py) keeps one scratch database per scale: a SQLite file under
the data folder, or a database of its own on the PostgreSQL server of DATABASE_URL.

`python -m bench.scale --scale full|small|FACTOR` migrates and builds the scratch database of
that scale in the current DATABASE_URL (a scratch file or database, never the portal's own).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MARKER_ACTION = "bench.scale_built"
BATCH = 2000


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind; `runs` counts every run (plans, applies, drift checks, image
    builds), `requests_waiting` are awaiting approval, on top of one done request per environment."""

    name: str
    teams: int
    environments: int
    runs: int
    log_lines: int
    requests_waiting: int
    audit_events: int
    images: int

    def scaled(self, factor: float) -> Scale:
        def n(value: int, least: int = 1) -> int:
            return max(least, round(value * factor))

        return Scale(
            name=f"x{factor:g}",
            teams=n(self.teams, 2),
            environments=n(self.environments, 10),
            runs=n(self.runs, 40),
            log_lines=n(self.log_lines, 100),
            requests_waiting=n(self.requests_waiting, 5),
            audit_events=n(self.audit_events, 20),
            images=n(self.images, 2),
        )


# What the issue measures at, and the 10-environment baseline whose query counts must match.
FULL = Scale("full", 20, 10_000, 100_000, 200_000, 5_000, 100_000, 500)
SMALL = Scale("small", 2, 10, 40, 100, 5, 20, 2)


def scale_named(name: str) -> Scale:
    """`full`, `small`, or a factor of the full scale such as `0.1`."""
    if name in ("", "full"):
        return FULL
    if name == "small":
        return SMALL
    try:
        factor = float(name)
    except ValueError:
        raise ValueError(f"unknown scale {name!r}: use full, small or a factor such as 0.1") from None
    if not 0 < factor <= 10:
        raise ValueError(f"scale factor {factor} is out of range (0, 10]")
    return FULL if factor == 1 else FULL.scaled(factor)


# Who the page benchmark logs in as. The requester is in the biggest team.
ADMIN = "scale-admin"
REQUESTER = "scale-requester"
BIG_TEAM_SHARE = 0.3  # the first team owns this share of everything; the others share the rest

# Blob sizes as measured on real rows (issue 13).
SOURCE_FILES_BYTES = 100_000
METADATA_BYTES = 15_000
ESTIMATE_BYTES = 24_000
PLAN_JSON_BYTES = 20_000
PLAN_FILE_BYTES = 6_000


def _pad_text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    words = ["resource", "variable", "module", "output", "locals", "aws", "tags", "count", "name", "="]
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(words)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)


def _estimate(seed: int, size: int = ESTIMATE_BYTES) -> dict[str, Any]:
    """An itemized estimate shaped like Estimate.to_dict(), about `size` bytes of JSON."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    total = Decimal("0")
    while len(json.dumps(items)) < size - 400:
        n = len(items)
        monthly = Decimal(rng.randint(1, 50_000)) / 100
        total += monthly
        items.append(
            {
                "resource_address": f"module.app.aws_instance.web[{n}]",
                "resource_type": "aws_instance",
                "component": "Compute (on-demand, Linux)",
                "usage_based": n % 3 == 0,
                "assumption": "730 hours a month at the tier's instance size; no reserved capacity.",
                "quantity": 730,
                "unit": "hours",
                "unit_price_usd": float(monthly / 730),
                "price_source": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/",
                "monthly_usd": float(monthly),
                "status": "priced",
            }
        )
    return {
        "total_monthly_usd": float(total),
        "price_catalog_version": "2026-11-01",
        "coverage": {"summary": f"{len(items)} of {len(items)} resources priced", "complete": True},
        "line_items": items,
    }


def _plan_json(seed: int, size: int = PLAN_JSON_BYTES) -> dict[str, Any]:
    changes: list[dict[str, Any]] = []
    while len(json.dumps(changes)) < size - 200:
        n = len(changes)
        changes.append(
            {
                "address": f"module.app.aws_instance.web[{n}]",
                "mode": "managed",
                "type": "aws_instance",
                "name": "web",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": {"ami": f"ami-{seed:08x}", "instance_type": "t3.micro", "tags": {"n": str(n)}},
                    "after_unknown": {"id": True, "arn": True, "private_ip": True},
                },
            }
        )
    return {"format_version": "0.2", "terraform_version": "1.0.3", "resource_changes": changes}


@contextlib.contextmanager
def _explicit_timestamps(*models: Any) -> Iterator[None]:
    """Lets bulk_create keep the created_at values given (auto_now_add would overwrite them)."""
    fields = [f for model in models for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _bulk(model: Any, objects: Iterable[Any]) -> list[Any]:
    created: list[Any] = []
    chunk: list[Any] = []
    for obj in objects:
        chunk.append(obj)
        if len(chunk) >= BATCH:
            created += model.objects.bulk_create(chunk)
            chunk = []
    if chunk:
        created += model.objects.bulk_create(chunk)
    return created


def scale_built(scale: Scale) -> bool:
    from portal.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=MARKER_ACTION, data__name=scale.name).exists()


def scale_build(scale: Scale, progress: Callable[[str], None] = lambda message: None) -> bool:
    """Fills the database with `scale`'s rows unless its marker is there. Returns whether it built."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from portal.accounts.models import Membership, Role, Team
    from portal.audit.chain import event_hash
    from portal.audit.models import AuditChainHead, AuditEvent
    from portal.audit.services import audit_record
    from portal.catalog.models import Blueprint, BlueprintVersion, MachineImage
    from portal.catalog.services import blueprints_sync
    from portal.core.crypto import encrypt_json
    from portal.environments.models import Environment, EnvironmentEstimate, EnvironmentStatus, StateVersion
    from portal.requests.models import EnvironmentRequest, RequestEstimates, RequestKind, RequestState
    from portal.runs.models import Run, RunKind, RunLogLine, RunPlanData, RunStatus

    if scale_built(scale):
        return False
    if Environment.objects.exists():
        raise RuntimeError(
            "the database has environments but no complete build of this scale: use an empty one"
        )
    started = time.monotonic()
    rng = random.Random(13)
    now = datetime.now(UTC).replace(microsecond=0)
    year = timedelta(days=365)

    def at(fraction: float) -> datetime:
        """A time in the last year; fraction 0 is a year ago, 1 is now."""
        return now - year + timedelta(seconds=int(year.total_seconds() * fraction))

    def team_of(i: int, count: int) -> int:
        """Item i of count belongs to team 0 for the first BIG_TEAM_SHARE, then round robin."""
        if i < count * BIG_TEAM_SHARE or scale.teams == 1:
            return 0
        return 1 + i % (scale.teams - 1)

    progress("catalog")
    blueprints_sync()
    User = get_user_model()
    with (
        transaction.atomic(),
        _explicit_timestamps(Run, RunLogLine, EnvironmentRequest, Environment, AuditEvent),
    ):
        teams = _bulk(
            Team,
            (
                Team(
                    slug=f"scale-{t:02d}",
                    name=f"Scale team {t:02d}",
                    cost_centre=f"CC-S{t:02d}",
                    monthly_budget_usd=Decimal(50_000),
                    created_at=at(0),
                )
                for t in range(scale.teams)
            ),
        )
        password = "!"  # noqa: S105 - unusable; the benchmark logs in with force_login
        admin = User.objects.create(username=ADMIN, password=password)
        requester = User.objects.create(username=REQUESTER, password=password)
        others = _bulk(
            User, (User(username=f"scale-user-{t:02d}", password=password) for t in range(scale.teams))
        )
        approvers = _bulk(
            User, (User(username=f"scale-approver-{t:02d}", password=password) for t in range(scale.teams))
        )
        owners = [requester, *others[1:]]
        memberships = [Membership(user=admin, team=teams[0], role=Role.PLATFORM_ADMIN)]
        memberships += [
            Membership(user=owners[t], team=teams[t], role=Role.REQUESTER) for t in range(scale.teams)
        ]
        memberships += [
            Membership(user=approvers[t], team=teams[t], role=Role.APPROVER) for t in range(scale.teams)
        ]
        _bulk(Membership, memberships)

        # Pinned versions with blobs of the measured size, as older releases of each blueprint.
        progress("blueprint versions")
        versions = []
        for b, blueprint in enumerate(Blueprint.objects.select_related("latest_version").order_by("slug")):
            latest = blueprint.latest_version
            assert latest is not None
            for v in range(3):
                files = dict(latest.source_files)
                files[f"{latest.entry_dir}/NOTES.md"] = _pad_text(
                    SOURCE_FILES_BYTES - len(json.dumps(files)), b * 10 + v
                )
                metadata = dict(latest.metadata)
                metadata["notes"] = _pad_text(max(0, METADATA_BYTES - len(json.dumps(metadata))), b * 10 + v)
                versions.append(
                    BlueprintVersion.objects.create(
                        blueprint=blueprint,
                        version=f"0.9.{v}",
                        changes="Older release (bench data).",
                        metadata=metadata,
                        source_files=files,
                        source_sha256=f"{b:02d}{v:02d}".ljust(64, "0"),
                    )
                )

        progress(f"{scale.environments} environments")
        estimates = [_estimate(seed) for seed in range(8)]
        plan_jsons = [_plan_json(seed) for seed in range(4)]
        plan_resources = [
            {"address": c["address"], "type": c["type"], "actions": c["change"]["actions"]}
            for c in plan_jsons[0]["resource_changes"][:20]
        ]
        plan_file = encrypt_json("x" * PLAN_FILE_BYTES)
        state_password = encrypt_json("state-password")
        inputs = {
            "app_replicas": 2,
            "instance_type": "t3.micro",
            "tags": {"owner": "bench"},
            "notes": "n" * 600,
        }
        statuses = [EnvironmentStatus.ACTIVE] * 17 + [
            EnvironmentStatus.FAILED,
            EnvironmentStatus.PENDING,
            EnvironmentStatus.DESTROYED,
        ]
        env_team = [team_of(i, scale.environments) for i in range(scale.environments)]
        env_created = [at(0.9 * i / scale.environments) for i in range(scale.environments)]
        environments = _bulk(
            Environment,
            (
                Environment(
                    team=teams[env_team[i]],
                    owner=owners[env_team[i]],
                    name=f"env-{i:05d}",
                    blueprint_version=versions[i % len(versions)],
                    tier=("dev", "staging", "prod")[i % 3],
                    region="us-east-1",
                    inputs=inputs,
                    status=statuses[i % len(statuses)],
                    outputs={"url": f"https://env-{i:05d}.example.com", "bucket": f"bucket-{i:05d}"},
                    state_password=state_password,
                    monthly_cost_usd=Decimal(rng.randint(100, 200_000)) / 100,
                    drift_status=("in_sync", "unknown", "drifted")[i % 3],
                    expires_at=now + timedelta(days=30) if i % 4 == 0 else None,
                    created_at=env_created[i],
                )
                for i in range(scale.environments)
            ),
        )

        _bulk(
            EnvironmentEstimate,
            (
                EnvironmentEstimate(environment=env, cost_estimate=estimates[i % len(estimates)])
                for i, env in enumerate(environments)
            ),
        )

        # Runs: per environment a plan and its apply, waiting requests' plans, image builds, and
        # drift checks for the rest. Every third drift check shares its timestamp with the next
        # two, as runs queued in one transaction do.
        progress(f"{scale.runs} runs")
        plan_fields = {
            "plan_sha256": "a" * 64,
            "changes_sha256": "b" * 64,
            "plan_add": len(plan_jsons[0]["resource_changes"]),
            "plan_change": 0,
            "plan_destroy": 0,
            "plan_resources": plan_resources,
        }

        def finished(created: datetime, **fields: Any) -> dict[str, Any]:
            return {
                "status": RunStatus.SUCCEEDED if rng.random() > 0.05 else RunStatus.FAILED,
                "created_at": created,
                "enqueued_at": created,
                "started_at": created + timedelta(seconds=1),
                "finished_at": created + timedelta(seconds=40),
                "worker_host": f"worker-{rng.randint(1, 4)}",
                "exit_code": 0,
                **fields,
            }

        plans = _bulk(
            Run,
            (
                Run(
                    kind=RunKind.PLAN,
                    environment=env,
                    created_by=env.owner,
                    reason="Create request",
                    **plan_fields,
                    **finished(env.created_at, status=RunStatus.SUCCEEDED),
                )
                for i, env in enumerate(environments)
            ),
        )
        _bulk(
            Run,
            (
                Run(
                    kind=RunKind.APPLY,
                    environment=env,
                    created_by=env.owner,
                    plan_run=plan,
                    reason="Approved",
                    **finished(env.created_at + timedelta(minutes=5)),
                )
                for env, plan in zip(environments, plans, strict=True)
            ),
        )
        waiting_team = [team_of(i, scale.requests_waiting) for i in range(scale.requests_waiting)]
        # Plans of waiting create-requests have no environment yet (as in the portal).
        waiting_plans = _bulk(
            Run,
            (
                Run(
                    kind=RunKind.PLAN,
                    environment=None,
                    created_by=owners[waiting_team[i]],
                    reason="Create request",
                    **plan_fields,
                    **finished(at(0.9 + 0.1 * i / scale.requests_waiting), status=RunStatus.SUCCEEDED),
                )
                for i in range(scale.requests_waiting)
            ),
        )
        _bulk(
            RunPlanData,
            (
                RunPlanData(run=plan, plan_file=plan_file, plan_json=plan_jsons[i % len(plan_jsons)])
                for i, plan in enumerate([*plans, *waiting_plans])
            ),
        )
        image_runs = _bulk(
            Run,
            (
                Run(
                    kind=RunKind.IMAGE_BUILD,
                    image_source=versions[i % len(versions)],
                    created_by=admin,
                    reason="Image build",
                    **finished(at(i / scale.images), status=RunStatus.SUCCEEDED),
                )
                for i in range(scale.images)
            ),
        )
        _bulk(
            MachineImage,
            (
                MachineImage(
                    blueprint_version=run.image_source,
                    run=run,
                    artifacts=[{"region": "us-east-1", "image_id": f"ami-{i:08x}"}],
                )
                for i, run in enumerate(image_runs)
            ),
        )
        drifts = scale.runs - 2 * scale.environments - scale.requests_waiting - scale.images
        _bulk(
            Run,
            (
                Run(
                    kind=RunKind.DRIFT,
                    environment=environments[(i * 7919) % len(environments)],
                    created_by=None,
                    reason="Scheduled drift check",
                    drift_detected=i % 10 == 0,
                    **finished(at(0.9 + 0.1 * (i - i % 3) / max(drifts, 1))),
                )
                for i in range(max(drifts, 0))
            ),
        )

        progress(f"{scale.log_lines} log lines")
        run_ids = list(Run.objects.order_by("pk").values_list("pk", flat=True))
        detail_lines = min(1000, scale.log_lines // 2)
        rest = scale.log_lines - detail_lines

        def lines() -> Iterator[RunLogLine]:
            detail = plans[0].pk
            for seq in range(1, detail_lines + 1):
                yield RunLogLine(
                    run_id=detail,
                    seq=seq,
                    stream="stdout",
                    level="info",
                    message=f"module.app.aws_instance.web[{seq}]: Creation complete after 2s",
                    created_at=plans[0].created_at,
                )
            others = [pk for pk in run_ids if pk != detail]
            for n in range(rest):
                run_id = others[(n // 2) % len(others)]
                yield RunLogLine(
                    run_id=run_id,
                    seq=1 + n % 2 if n // 2 < len(others) else 3 + n,
                    stream="stdout",
                    level="info",
                    message=f"line {n}: Terraform has been applied",
                    created_at=now,
                )

        _bulk(RunLogLine, lines())
        Run.objects.filter(pk=plans[0].pk).update(log_lines_count=detail_lines)

        progress(f"{scale.environments + scale.requests_waiting} requests")
        _bulk(
            EnvironmentRequest,
            (
                EnvironmentRequest(
                    kind=RequestKind.CREATE,
                    state=RequestState.DONE,
                    team=env.team,
                    requester=env.owner,
                    blueprint_version=env.blueprint_version,
                    environment_name=env.name,
                    tier=env.tier,
                    region=env.region,
                    inputs=inputs,
                    environment=env,
                    plan_run=plan,
                    policy_decision={"policy": "dev", "why": "auto-approved under the threshold"},
                    monthly_cost_usd=env.monthly_cost_usd,
                    created_at=env.created_at,
                )
                for i, (env, plan) in enumerate(zip(environments, plans, strict=True))
            ),
        )
        _bulk(
            EnvironmentRequest,
            (
                EnvironmentRequest(
                    kind=RequestKind.CREATE,
                    state=RequestState.AWAITING_APPROVAL,
                    team=teams[waiting_team[i]],
                    requester=owners[waiting_team[i]],
                    blueprint_version=versions[i % len(versions)],
                    environment_name=f"new-{i:05d}",
                    tier=("dev", "staging", "prod")[i % 3],
                    region="us-east-1",
                    inputs=inputs,
                    plan_run=plan,
                    policy_decision={"policy": "prod", "why": "needs one approval"},
                    monthly_cost_usd=Decimal(rng.randint(100, 200_000)) / 100,
                    over_budget=i % 10 == 0,
                    awaiting_since=plan.finished_at,
                    created_at=plan.created_at,
                )
                for i, plan in enumerate(waiting_plans)
            ),
        )

        _bulk(
            RequestEstimates,
            (
                RequestEstimates(
                    request=request, estimate=estimates[i % 8], plan_estimate=estimates[(i + 1) % 8]
                )
                for i, request in enumerate(EnvironmentRequest.objects.only("pk").order_by("pk"))
            ),
        )

        progress("state versions")
        state = encrypt_json({"version": 4, "serial": 1, "resources": [{"type": "aws_instance"}] * 40})
        _bulk(
            StateVersion,
            (
                StateVersion(
                    environment=env,
                    serial=1,
                    lineage="bench",
                    state=state,
                    sha256="c" * 64,
                    size=len(state),
                    run=plan,
                )
                for env, plan in zip(environments, plans, strict=True)
            ),
        )

        progress(f"{scale.audit_events} audit events")
        actions = [
            "run.queued",
            "run.finished",
            "request.submitted",
            "request.approved",
            "environment.created",
        ]
        # Appended to the audit chain as audit_record does, one hash after the other.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        chain = {"prev": head.last_hash}

        def events() -> Iterator[AuditEvent]:
            for i in range(scale.audit_events):
                event = AuditEvent(
                    actor=None,
                    actor_name=f"scale-user-{i % scale.teams:02d}",
                    action=actions[i % len(actions)],
                    target_type="runs.run",
                    target_id=str(i),
                    target_repr=f"run #{i}",
                    summary=f"Event {i} of the scale data",
                    ip_address="10.0.0.1",
                    data={"i": i},
                    created_at=at((i - i % 4) / scale.audit_events),
                    prev_hash=chain["prev"],
                )
                event.hash = chain["prev"] = event_hash(event.chain_fields(), event.prev_hash)
                yield event

        last = _bulk(AuditEvent, events())[-1]
        head.last_event_id, head.last_hash = last.pk, last.hash
        head.save(update_fields=["last_event_id", "last_hash"])
        audit_record(
            actor=None,
            action=MARKER_ACTION,
            summary=f"Scale data {scale.name} built in {time.monotonic() - started:.0f} s",
            data=asdict(scale),
        )
    progress(f"built in {time.monotonic() - started:.0f} s")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "full"))
    args = parser.parse_args(argv)
    from bench import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    scale_build(scale_named(args.scale), progress=lambda message: print(message, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
