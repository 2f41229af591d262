"""The drill engine's arithmetic and bookkeeping, with controlled values (no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from blueprints.spec import load_all, metadata_schema
from drills import ALL_RUNBOOKS, STATE_RESTORE, ControlledClock, Targets, judge, measure, runbook_info
from drills.core import Drill, DrillFailure, Runbook, describe_error, execute

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_measure_takes_rto_from_t0_to_verified_and_the_worst_recovery_point():
    figures = measure(
        t0=T0,
        verified_at=T0 + timedelta(minutes=42),
        recovery_point_ages={"dynamodb:t": 120.0, "rds:db": 290.0},
        canary_written_at=T0 - timedelta(seconds=75),
    )

    assert (figures.rto_achieved_s, figures.rpo_api_s, figures.rpo_measured_s) == (2520.0, 290.0, 75.0)


def test_measure_leaves_out_what_was_not_reached():
    figures = measure(t0=T0, verified_at=None, recovery_point_ages={}, canary_written_at=None)

    assert (figures.rto_achieved_s, figures.rpo_api_s, figures.rpo_measured_s) == (None, None, None)


@pytest.mark.parametrize(
    ("rto", "rpo_api", "rpo_measured", "reasons"),
    [
        (3600, 300, 300, []),
        (3601, 0, None, ["RTO 3601 s exceeds the target 3600 s"]),
        (10, 301, None, ["RPO (API) 301 s exceeds the target 300 s"]),
        (10, 10, 900, ["RPO (measured) 900 s exceeds the target 300 s"]),
    ],
)
def test_judge_against_targets(rto, rpo_api, rpo_measured, reasons):
    from drills.core import Measurements

    figures = Measurements(rto_achieved_s=rto, rpo_api_s=rpo_api, rpo_measured_s=rpo_measured)

    assert judge(Targets(rto_s=3600, rpo_s=300), figures) == reasons


def test_controlled_clock_moves_only_when_told():
    clock = ControlledClock(T0, restorable={"rds:db": timedelta(minutes=10), "*": T0 - timedelta(hours=1)})

    assert clock.now() == T0 == clock.now()
    clock.advance(30)
    assert clock.now() == T0 + timedelta(seconds=30)
    assert clock.latest_restorable("rds:db", None) == T0 + timedelta(seconds=30) - timedelta(minutes=10)
    assert clock.latest_restorable("other", T0) == T0 - timedelta(hours=1)


def test_targets_from_a_profile():
    assert Targets.from_profile({"rto_minutes": 60, "rpo_minutes": 1440}) == Targets(rto_s=3600, rpo_s=86400)


class TwoSteps(Runbook):
    """A runbook for the engine alone: creates two things, then fails or not in step two."""

    name = "two-steps"
    steps = ("create", "verify")

    def __init__(self, fail: Exception | None) -> None:
        self.fail = fail
        self.deleted: list[str] = []

    def run(self, drill: Drill) -> None:
        with drill.step("create"):
            for rid in ("thing:a", "thing:b"):
                drill.track(rid, f"delete {rid}", lambda rid=rid: self.deleted.append(rid))
            drill.restore_started()
        with drill.step("verify"):
            if self.fail:
                raise self.fail
            drill.verified()


@pytest.mark.parametrize(
    ("fail", "status", "reason"),
    [
        (None, "passed", "restored and verified within targets (RTO 0 s of 60 s)"),
        (DrillFailure("item count differs"), "failed", "item count differs"),
        (KeyError("bug"), "error", "KeyError: 'bug' in step 'verify'"),
    ],
)
def test_cleanup_runs_newest_first_whatever_happens(fail, status, reason):
    runbook = TwoSteps(fail)

    result = execute(runbook, targets=Targets(rto_s=60, rpo_s=60), outputs={}, inputs={}, drill_id="d1")

    assert (result.status, result.reason) == (status, reason)
    assert runbook.deleted == ["thing:b", "thing:a"]
    assert result.cleanup_ok and result.leftovers == []
    assert "Traceback" not in result.to_json()
    json.loads(result.to_json())


def test_describe_error_names_the_permission_to_grant():
    from botocore.exceptions import ClientError

    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "RestoreTableToPointInTime"
    )

    assert describe_error(denied).startswith(
        "access denied on RestoreTableToPointInTime: grant the drill role"
    )


# --------------------------------------------------------------------------------------------------
# DR profiles in blueprint.yaml pin the runbooks in drills/


@pytest.mark.parametrize("spec", load_all(), ids=lambda spec: spec.slug)
def test_every_profile_pins_a_runbook_with_exactly_its_steps(spec):
    profile = spec.dr
    names = [runbook.name for runbook in profile.runbooks]
    assert STATE_RESTORE in names
    for pinned in profile.runbooks:
        info = runbook_info(pinned.name)
        assert list(pinned.steps) == info["steps"], pinned.name
        assert set(info["outputs"]) <= set(pinned.outputs), pinned.name
        assert set(info["inputs"]) <= set(pinned.inputs), pinned.name
    if spec.runtime == "aws":
        assert names[0] == spec.slug and names[0] in ALL_RUNBOOKS
    assert profile.schedule["prod"] != "none"


def test_targets_the_seeds_state_are_not_marked_assumed():
    profiles = {spec.slug: spec.dr for spec in load_all()}

    assert (profiles["cloudfront-ec2"].rto_minutes, profiles["cloudfront-ec2"].rpo_minutes) == (60, 1440)
    assert (profiles["eks-platform"].rto_minutes, profiles["eks-platform"].rpo_minutes) == (240, 15)
    assert not profiles["cloudfront-ec2"].assumed and not profiles["eks-platform"].assumed
    for slug in ("serverless-api", "django-lambda", "lambda-aurora", "local-sandbox"):
        assert profiles[slug].assumed and profiles[slug].assumption


def test_schema_requires_a_reason_for_assumed_targets_and_the_state_restore_drill():
    spec = next(spec for spec in load_all() if spec.slug == "serverless-api")
    validator = jsonschema.Draft202012Validator(metadata_schema())
    without_reason = json.loads(json.dumps(spec.metadata))
    del without_reason["dr"]["assumption"]
    without_state_restore = json.loads(json.dumps(spec.metadata))
    without_state_restore["dr"]["runbooks"] = without_state_restore["dr"]["runbooks"][:1]

    assert not list(validator.iter_errors(spec.metadata))
    assert any("assumption" in e.message for e in validator.iter_errors(without_reason))
    assert list(validator.iter_errors(without_state_restore))
