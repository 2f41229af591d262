"""The state-restore drill with the real Terraform binary and the offline null provider."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from blueprints.spec import BLUEPRINTS_DIR, load_blueprint
from drills import ControlledClock, Targets, TerraformSettings, run_state_restore_drill
from drills.terraform import Redactor, Terraform, minimal_env
from tests.drills.conftest import controlled_clock
from workers.runner import prepare_workdir

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which(
    "terraform", path=str(Path(sys.executable).parent)
)
API_TOKEN = "tok-drill-5e4d3c2b1a"
SANDBOX = load_blueprint(BLUEPRINTS_DIR / "local-sandbox")


def variables(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "drill-sandbox",
        "tier": "dev",
        "team": "platform",
        "cost_centre": "cc-1",
        "blueprint": "local-sandbox",
        "blueprint_version": SANDBOX.version,
        "app_replicas": 2,
        "api_token": API_TOKEN,
    }
    values.update(overrides)
    return values


@pytest.fixture(scope="module")
def applied_state(tmp_path_factory, terraform_cli_config) -> bytes:
    """A sandbox environment applied for real; its state is what the portal would have stored."""
    assert TERRAFORM is not None, "terraform is not installed: run `make test`, which installs it"
    base = tmp_path_factory.mktemp("applied")
    workdir = prepare_workdir(
        module_dir=SANDBOX.directory, workdir=base / "run", variables=variables(), backend=None
    )
    (base / "home").mkdir()
    lines: list[str] = []
    tf = Terraform(
        binary=TERRAFORM,
        workdir=workdir,
        env=minimal_env(home=base / "home", cli_config=terraform_cli_config),
        redactor=Redactor([API_TOKEN]),
        on_line=lambda line: lines.append(line.message),
        timeout_s=120,
    )
    assert tf.init().ok, lines
    assert tf.plan().ok, lines
    assert tf.apply("plan.tfplan").ok, lines
    return (workdir / "terraform.tfstate").read_bytes()


def drill(
    tmp_path,
    terraform_cli_config,
    state: bytes,
    *,
    clock: ControlledClock | None = None,
    on_log=None,
    **overrides: object,
):
    log: list[str] = []

    def record(line: str) -> None:
        log.append(line)
        if on_log is not None:
            on_log(line)

    result = run_state_restore_drill(
        drill_id=uuid.uuid4().hex,
        targets=Targets.from_profile(SANDBOX.metadata["dr"]),
        state=state,
        state_saved_at=None,
        files=SANDBOX.files,
        entry_dir=SANDBOX.entry_dir,
        variables=variables(**overrides),
        terraform=TerraformSettings(
            binary=str(TERRAFORM),
            scratch_root=tmp_path / "scratch",
            cli_config=terraform_cli_config,
            secrets=[API_TOKEN],
        ),
        pinned_steps=SANDBOX.dr.runbook("state-restore").steps,
        clock=clock,
        on_log=record,
    )
    return result, log


def test_restored_state_matches_the_configuration(tmp_path, terraform_cli_config, applied_state):
    result, log = drill(tmp_path, terraform_cli_config, applied_state)

    assert result.status == "passed", (result.reason, log)
    assert [s.name for s in result.steps] == [
        "check preconditions",
        "restore state into scratch workspace",
        "terraform init",
        "plan against restored state",
        "cleanup: delete scratch workspace",
    ]
    plan = result.steps[3].evidence
    assert plan == {"exit_code": 0, "duration_s": plan["duration_s"], "matches": True}
    facts = result.steps[0].evidence
    assert facts["resources"] == 2 and facts["lineage"] == json.loads(applied_state)["lineage"]
    assert result.rto_achieved_s is not None and result.rto_achieved_s < 60
    assert result.rpo_api_s == 0.0
    assert result.cleanup_ok and not any((tmp_path / "scratch").iterdir())
    assert not any(API_TOKEN in line for line in log)


def test_a_state_that_does_not_match_fails_with_the_plan_summary(
    tmp_path, terraform_cli_config, applied_state
):
    result, _ = drill(tmp_path, terraform_cli_config, applied_state, app_replicas=3)

    assert result.status == "failed"
    assert result.reason == (
        # one more instance, and the health check (which names every instance) replaced
        "the restored state does not match the configuration: the plan would add 2, change 0 and destroy 1 "
        "resource(s)"
    )
    assert result.steps[3].evidence["exit_code"] == 2
    assert result.cleanup_ok and not any((tmp_path / "scratch").iterdir())


def test_a_corrupt_state_version_fails_its_precondition(tmp_path, terraform_cli_config):
    result, _ = drill(tmp_path, terraform_cli_config, b"{not json")

    assert result.status == "failed"
    assert result.reason.startswith("precondition failed: the newest state version is not valid JSON")
    assert [s.outcome for s in result.steps] == ["failed"]


def test_restore_time_is_measured_with_the_controlled_clock(tmp_path, terraform_cli_config, applied_state):
    clock = controlled_clock()

    def slow_init(line: str) -> None:
        if line == "step terraform init: started":
            clock.advance(400)

    result, _ = drill(tmp_path, terraform_cli_config, applied_state, clock=clock, on_log=slow_init)

    assert result.rto_achieved_s == 400.0
    assert result.status == "failed"
    assert result.reason == "RTO 400 s exceeds the target 300 s"
    assert result.cleanup_ok
