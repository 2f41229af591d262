"""The drill engine: steps, measurements, cleanup and the result record. Pure Python (no Django).

A runbook is a class whose ``run`` method performs named steps through a ``Drill``. The engine
gives every step a start, an end, an outcome and evidence; it turns every expected problem
(a missing precondition, a failed verification, an AWS error, a cancel) into a result with a
reason instead of a stack trace; and it always runs the cleanup of every resource the runbook
created, in reverse order, also after a failure or a cancel. A resource whose cleanup failed is
listed in ``leftovers`` and makes ``cleanup_ok`` false.

Measurements (all in seconds):
- ``t0`` is the first restore call (``Drill.restore_started``);
- ``rto_achieved_s`` = verified (``Drill.verified``) - t0;
- ``rpo_api_s`` = the worst ``recovery point age`` recorded: t0 - latest restorable time for a
  point-in-time restore, or check time - time of the newest copy for replicas and snapshots;
- ``rpo_measured_s`` = age at t0 of the newest canary write that survived the restore.

The clock and the latest restorable time come from a ``Clock`` so the arithmetic is tested with
controlled values (the AWS emulator restores instantly and reports fake restorable times).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

# Step outcomes.
PASSED, FAILED, SKIPPED, CANCELLED, NOT_RUN = "passed", "failed", "skipped", "cancelled", "not_run"
# Drill statuses. "error" is a bug or an unexpected failure of the drill itself, never a DR verdict.
STATUS_PASSED, STATUS_FAILED, STATUS_CANCELLED, STATUS_ERROR = "passed", "failed", "cancelled", "error"

LogCallback = Callable[[str], None]
CancelCheck = Callable[[], bool]
ResourceCallback = Callable[[str, str], None]


# --------------------------------------------------------------------------------------------------
# Clock adapter


class Clock(Protocol):
    """Where a drill reads the time and the latest restorable time of a resource."""

    def now(self) -> datetime: ...

    def latest_restorable(self, resource: str, reported: datetime | None) -> datetime | None:
        """The latest restorable time of ``resource``; ``reported`` is what the AWS API said."""
        ...


class SystemClock:
    """The real clock; trusts the latest restorable time AWS reports."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def latest_restorable(self, resource: str, reported: datetime | None) -> datetime | None:
        return reported


class ControlledClock:
    """A clock for tests: time moves only when ``advance`` is called (or by ``tick`` per reading),
    and latest restorable times are set per resource (or for all with ``"*"``)."""

    def __init__(
        self,
        start: datetime,
        *,
        tick: timedelta = timedelta(0),
        restorable: Mapping[str, datetime | timedelta] | None = None,
    ) -> None:
        self.current = start
        self.tick = tick
        # A timedelta means "that long before the reading".
        self.restorable: dict[str, datetime | timedelta] = dict(restorable or {})

    def now(self) -> datetime:
        value = self.current
        self.current += self.tick
        return value

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    def latest_restorable(self, resource: str, reported: datetime | None) -> datetime | None:
        value = self.restorable.get(resource, self.restorable.get("*"))
        if value is None:
            return reported
        if isinstance(value, timedelta):
            return self.current - value
        return value


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --------------------------------------------------------------------------------------------------
# Targets, steps and the result


@dataclass(frozen=True)
class Targets:
    """The DR targets a drill is judged against, from the blueprint's ``dr`` profile."""

    rto_s: float
    rpo_s: float
    assumed: bool = False
    assumption: str = ""

    @classmethod
    def from_profile(cls, dr: Mapping[str, Any]) -> Targets:
        return cls(
            rto_s=float(dr["rto_minutes"]) * 60,
            rpo_s=float(dr["rpo_minutes"]) * 60,
            assumed=bool(dr.get("assumed", False)),
            assumption=str(dr.get("assumption", "")),
        )


@dataclass
class StepRecord:
    """One step of a drill as it happened."""

    name: str
    outcome: str = NOT_RUN
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class DrillResult:
    """The record of one drill; ``to_dict`` is JSON-serializable and is what the portal stores."""

    runbook: str
    status: str
    reason: str
    targets: Targets
    rto_achieved_s: float | None
    rpo_api_s: float | None
    rpo_measured_s: float | None
    steps: list[StepRecord]
    cleanup_ok: bool
    leftovers: list[str]
    warnings: list[str]
    started_at: str | None
    ended_at: str | None
    t0: str | None = None
    verified_at: str | None = None
    recovery_points: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == STATUS_PASSED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


@dataclass(frozen=True)
class Measurements:
    rto_achieved_s: float | None
    rpo_api_s: float | None
    rpo_measured_s: float | None


def measure(
    *,
    t0: datetime | None,
    verified_at: datetime | None,
    recovery_point_ages: Mapping[str, float],
    canary_written_at: datetime | None,
) -> Measurements:
    """The drill's figures. RPO(API) is the worst recovery-point age; RTO needs both ends."""
    rto = (verified_at - t0).total_seconds() if t0 is not None and verified_at is not None else None
    rpo_api = max(recovery_point_ages.values()) if recovery_point_ages else None
    rpo_measured = (t0 - canary_written_at).total_seconds() if t0 and canary_written_at else None
    return Measurements(rto_achieved_s=rto, rpo_api_s=rpo_api, rpo_measured_s=rpo_measured)


def judge(targets: Targets, figures: Measurements) -> list[str]:
    """Reasons the figures miss the targets (empty when they meet them)."""
    reasons = []
    if figures.rto_achieved_s is not None and figures.rto_achieved_s > targets.rto_s:
        reasons.append(f"RTO {figures.rto_achieved_s:.0f} s exceeds the target {targets.rto_s:.0f} s")
    for label, value in (("RPO (API)", figures.rpo_api_s), ("RPO (measured)", figures.rpo_measured_s)):
        if value is not None and value > targets.rpo_s:
            reasons.append(f"{label} {value:.0f} s exceeds the target {targets.rpo_s:.0f} s")
    return reasons


# --------------------------------------------------------------------------------------------------
# Failures a runbook raises


class DrillFailure(Exception):
    """An expected failure with a message for people (what failed and what to do)."""


class PreconditionFailed(DrillFailure):
    """Something the drill needs is not enabled or not there; the message says what to enable."""


class DrillCancelled(Exception):
    """The cancel flag was seen between steps."""


# --------------------------------------------------------------------------------------------------
# Cleanup registry


@dataclass
class TrackedResource:
    """A resource the drill created; ``delete`` removes it (and waits until it is gone)."""

    resource_id: str
    description: str
    delete: Callable[[], None]


# --------------------------------------------------------------------------------------------------
# The drill context


class Drill:
    """What a runbook works through: steps, clients, measurements and cleanup."""

    def __init__(
        self,
        *,
        runbook: str,
        targets: Targets,
        outputs: Mapping[str, Any],
        inputs: Mapping[str, Any],
        clock: Clock,
        on_log: LogCallback,
        should_cancel: CancelCheck,
        on_resource: ResourceCallback,
        drill_id: str,
        poll_interval_s: float,
        wait_timeout_s: float,
    ) -> None:
        self.runbook = runbook
        self.targets = targets
        self.outputs = dict(outputs)
        self.inputs = dict(inputs)
        self.clock = clock
        self._on_log = on_log
        self.should_cancel = should_cancel
        self.on_resource = on_resource
        self.drill_id = drill_id
        self.poll_interval_s = poll_interval_s
        self.wait_timeout_s = wait_timeout_s
        self.steps: list[StepRecord] = []
        self.tracked: list[TrackedResource] = []
        self.warnings: list[str] = []
        self.t0: datetime | None = None
        self.verified_at: datetime | None = None
        self.recovery_point_ages: dict[str, float] = {}
        self.canary_written_at: datetime | None = None
        self.cleaning = False
        # How long to wait for a canary write to become restorable or replicated.
        self.canary_wait_s = min(targets.rpo_s, 900.0)

    # -- logging and cancel

    def log(self, line: str) -> None:
        # A broken log sink must never break the drill or its cleanup.
        with contextlib.suppress(Exception):
            self._on_log(line)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"WARNING: {message}")

    def check_cancel(self) -> None:
        # Cleanup runs to the end even after a cancel: that is what a cancel asks for.
        if not self.cleaning and self.should_cancel():
            raise DrillCancelled("cancelled")

    # -- steps

    @contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        """Runs one named step: checks the cancel flag first, then times and records it."""
        self.check_cancel()
        record = StepRecord(name=name)
        self.steps.append(record)
        started = self.clock.now()
        wall = time.monotonic()
        record.started_at = iso(started)
        self.log(f"step {name}: started")
        try:
            yield record
        except DrillCancelled:
            record.outcome = CANCELLED
            record.message = record.message or "cancelled"
            raise
        except DrillFailure as exc:
            record.outcome = FAILED
            record.message = str(exc)
            raise
        except Exception as exc:
            record.outcome = FAILED
            record.message = describe_error(exc)
            raise
        else:
            if record.outcome == NOT_RUN:
                record.outcome = PASSED
        finally:
            ended = self.clock.now()
            record.ended_at = iso(ended)
            record.duration_s = round(time.monotonic() - wall, 3)
            suffix = f": {record.message}" if record.message else ""
            self.log(f"step {name}: {record.outcome}{suffix}")

    def skip(self, name: str, reason: str) -> None:
        """Records a step that does not apply here, with the reason (never silently)."""
        self.check_cancel()
        now = iso(self.clock.now())
        self.steps.append(
            StepRecord(
                name=name, outcome=SKIPPED, started_at=now, ended_at=now, duration_s=0.0, message=reason
            )
        )
        self.warn(f"step {name} skipped: {reason}")

    # -- resources the runbook reads

    def output(self, name: str) -> Any:
        """A Terraform output the runbook needs; missing is a precondition failure."""
        value = self.outputs.get(name)
        if isinstance(value, Mapping) and "value" in value:  # `terraform output -json` shape
            value = value["value"]
        if value in (None, ""):
            raise PreconditionFailed(
                f"the environment has no Terraform output {name!r}; apply the blueprint version "
                "whose DR profile this is, so the output exists"
            )
        return value

    def optional_output(self, name: str) -> Any:
        try:
            return self.output(name)
        except PreconditionFailed:
            return None

    def input(self, name: str, default: Any = None) -> Any:
        return self.inputs.get(name, default)

    # -- measurements

    def restore_started(self) -> datetime:
        """Marks t0 (the first restore call) and returns it."""
        if self.t0 is None:
            self.t0 = self.clock.now()
            self.log(f"t0 (restore call) = {iso(self.t0)}")
        return self.t0

    def recovery_point(
        self, label: str, latest: datetime | None, *, at: datetime | None = None
    ) -> float | None:
        """Records how old the newest recoverable copy of ``label`` is, at ``at`` (default t0).
        ``latest`` is what AWS reported; the clock adapter may replace it."""
        effective = self.clock.latest_restorable(label, latest)
        if effective is None:
            return None
        moment = at or self.t0 or self.clock.now()
        age = max(0.0, (moment - as_utc(effective)).total_seconds())
        self.recovery_point_ages[label] = age
        self.log(f"recovery point {label}: {iso(as_utc(effective))}, {age:.0f} s old")
        return age

    def canary_survived(self, written_at: datetime) -> None:
        if self.canary_written_at is None or written_at > self.canary_written_at:
            self.canary_written_at = written_at

    def verified(self) -> datetime:
        self.verified_at = self.clock.now()
        self.log(f"verified at {iso(self.verified_at)}")
        return self.verified_at

    # -- resources the runbook creates

    def track(
        self, resource_id: str, description: str, delete: Callable[[], None], *, before: str | None = None
    ) -> None:
        """Registers a resource for cleanup. Call it right before the create call where the ID is
        chosen by the drill, so a crash between the call and its answer still leaves the ID on
        record. Cleanup runs newest first; ``before`` puts this one's cleanup after that of the
        resource with that ID (a volume is deleted after the instance it is attached to)."""
        resource = TrackedResource(resource_id, description, delete)
        index = next((i for i, r in enumerate(self.tracked) if r.resource_id == before), None)
        if index is None:
            self.tracked.append(resource)
        else:
            self.tracked.insert(index, resource)
        self.on_resource(resource_id, "created")
        self.log(f"tracking {resource_id} for cleanup")

    def scratch_name(self, base: str, *, max_length: int = 63) -> str:
        """A name for a scratch copy: ``<base>-drill-<id>``, valid as an RDS identifier too."""
        suffix = f"-drill-{self.drill_id[:8]}"
        head = re.sub(r"[^a-zA-Z0-9-]", "-", base)[: max_length - len(suffix)]
        name = re.sub(r"-{2,}", "-", f"{head}{suffix}").strip("-")
        return name if name[:1].isalpha() else f"d{name}"[:max_length]

    def wait_until(self, what: str, ready: Callable[[], bool], *, timeout_s: float | None = None) -> None:
        """Polls ``ready`` until true, checking the cancel flag between polls."""
        deadline = time.monotonic() + (timeout_s if timeout_s is not None else self.wait_timeout_s)
        while True:
            self.check_cancel()
            if ready():
                return
            if time.monotonic() >= deadline:
                raise DrillFailure(f"timed out waiting for {what}")
            time.sleep(self.poll_interval_s)

    # -- cleanup

    def cleanup(self) -> list[str]:
        """Deletes every tracked resource, newest first; returns the IDs that could not be deleted."""
        leftovers = []
        self.cleaning = True
        for resource in reversed(self.tracked):
            record = StepRecord(name=f"cleanup: {resource.description}")
            self.steps.append(record)
            started = self.clock.now()
            wall = time.monotonic()
            record.started_at = iso(started)
            record.evidence["resource_id"] = resource.resource_id
            try:
                resource.delete()
            except Exception as exc:
                record.outcome = FAILED
                record.message = describe_error(exc)
                leftovers.append(resource.resource_id)
                self.on_resource(resource.resource_id, "leftover")
                self.log(f"LEFTOVER: {resource.resource_id} could not be deleted: {record.message}")
            else:
                record.outcome = PASSED
                self.on_resource(resource.resource_id, "deleted")
                self.log(f"deleted {resource.resource_id}")
            record.ended_at = iso(self.clock.now())
            record.duration_s = round(time.monotonic() - wall, 3)
        return leftovers


def describe_error(exc: BaseException) -> str:
    """A one-line description of an error for people, never a traceback. AWS errors say which
    call failed and, when access was denied, which permission to grant."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        error = response.get("Error") or {}
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip()
        operation = str(getattr(exc, "operation_name", "") or "")
        if code in ACCESS_DENIED_CODES:
            return (
                f"access denied on {operation}: grant the drill role this action "
                f"(see docs/drills.md for each runbook's permissions) - {message}"
            )
        return f"AWS {operation} failed: {code}: {message}"
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, DrillFailure) else text


ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


# --------------------------------------------------------------------------------------------------
# Runbooks and running one


class Runbook:
    """A DR runbook. Subclasses name their ordered steps and the permissions they need, and
    implement ``run`` (which must use ``drill.step`` with exactly these step names, in order,
    skipping with ``drill.skip`` where a step does not apply)."""

    name: ClassVar[str]
    steps: ClassVar[tuple[str, ...]]
    # The IAM actions the drill role needs (docs/drills.md lists them per runbook).
    permissions: ClassVar[tuple[str, ...]] = ()
    # Terraform outputs and environment inputs the runbook reads.
    outputs: ClassVar[tuple[str, ...]] = ()
    inputs: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def run(self, drill: Drill) -> None:
        raise NotImplementedError


def execute(
    runbook: Runbook,
    *,
    targets: Targets,
    outputs: Mapping[str, Any],
    inputs: Mapping[str, Any],
    clock: Clock | None = None,
    on_log: LogCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_resource: ResourceCallback | None = None,
    drill_id: str,
    pinned_steps: Sequence[str] | None = None,
    poll_interval_s: float = 10.0,
    wait_timeout_s: float = 3 * 3600.0,
    canary_wait_s: float | None = None,
) -> DrillResult:
    """Runs a runbook to a ``DrillResult``; never raises for a drill that fails or is cancelled."""
    drill = Drill(
        runbook=runbook.name,
        targets=targets,
        outputs=outputs,
        inputs=inputs,
        clock=clock or SystemClock(),
        on_log=on_log or (lambda line: None),
        should_cancel=should_cancel or (lambda: False),
        on_resource=on_resource or (lambda resource_id, state: None),
        drill_id=drill_id,
        poll_interval_s=poll_interval_s,
        wait_timeout_s=wait_timeout_s,
    )
    if canary_wait_s is not None:
        drill.canary_wait_s = canary_wait_s
    started_at = drill.clock.now()
    drill.log(
        f"drill {drill_id}: runbook {runbook.name}, "
        f"targets RTO {targets.rto_s:.0f} s, RPO {targets.rpo_s:.0f} s"
    )
    status, reason = STATUS_PASSED, ""
    try:
        if pinned_steps is not None and tuple(pinned_steps) != runbook.steps:
            raise PreconditionFailed(
                f"the blueprint version pins runbook {runbook.name} with steps {list(pinned_steps)}, "
                f"but this portal's runbook has {list(runbook.steps)}; upgrade the environment to a "
                "blueprint version whose DR profile matches"
            )
        runbook.run(drill)
        if drill.verified_at is None:
            raise DrillFailure(f"runbook {runbook.name} finished without verifying a restore")
    except DrillCancelled:
        status, reason = STATUS_CANCELLED, "cancelled by request; cleanup ran"
    except PreconditionFailed as exc:
        status, reason = STATUS_FAILED, f"precondition failed: {exc}"
    except DrillFailure as exc:
        status, reason = STATUS_FAILED, str(exc)
    except Exception as exc:
        failed = next((s.name for s in reversed(drill.steps) if s.outcome == FAILED), None)
        where = f" in step {failed!r}" if failed else ""
        # AWS answering with an error, or not answering, is a failed drill; anything else is a bug.
        aws = getattr(exc, "response", None) is not None or type(exc).__module__.startswith("botocore")
        status = STATUS_FAILED if aws else STATUS_ERROR
        reason = f"{describe_error(exc)}{where}"
    finally:
        leftovers = drill.cleanup()

    figures = measure(
        t0=drill.t0,
        verified_at=drill.verified_at,
        recovery_point_ages=drill.recovery_point_ages,
        canary_written_at=drill.canary_written_at,
    )
    if status == STATUS_PASSED:
        misses = judge(targets, figures)
        if misses:
            status, reason = STATUS_FAILED, "; ".join(misses)
        else:
            reason = (
                f"restored and verified within targets (RTO {figures.rto_achieved_s:.0f} s "
                f"of {targets.rto_s:.0f} s)"
            )
    elif figures.rpo_api_s is not None and figures.rpo_api_s > targets.rpo_s:
        reason += f"; also RPO (API) {figures.rpo_api_s:.0f} s exceeds the target {targets.rpo_s:.0f} s"
    if leftovers:
        loud = "LEFTOVER RESOURCES (delete them by hand): " + ", ".join(leftovers)
        drill.log(loud)
        reason = f"{reason}; {loud}"
        if status == STATUS_PASSED:
            status = STATUS_FAILED
    drill.log(f"drill {drill_id}: {status}: {reason}")
    return DrillResult(
        runbook=runbook.name,
        status=status,
        reason=reason,
        targets=targets,
        rto_achieved_s=_round(figures.rto_achieved_s),
        rpo_api_s=_round(figures.rpo_api_s),
        rpo_measured_s=_round(figures.rpo_measured_s),
        steps=drill.steps,
        cleanup_ok=not leftovers,
        leftovers=leftovers,
        warnings=drill.warnings,
        started_at=iso(started_at),
        ended_at=iso(drill.clock.now()),
        t0=iso(drill.t0),
        verified_at=iso(drill.verified_at),
        recovery_points={k: round(v, 3) for k, v in drill.recovery_point_ages.items()},
    )


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
