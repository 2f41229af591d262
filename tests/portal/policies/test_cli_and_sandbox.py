"""`manage.py policy ...` exit codes, and the starter set plus the issue's replica policy against
a real sandbox plan from Terraform 1.0.3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portal.policies.engine import PolicyContext, load_policy_dir, policies_evaluate_plan
from tests.portal.policies.plans import FIXTURES, context_for, load_fixture, with_change
from workers.runner import Redactor, Terraform, minimal_env, prepare_workdir

ROOT = Path(__file__).resolve().parents[3]
SANDBOX = ROOT / "terraform" / "blueprints" / "local-sandbox"
TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which(
    "terraform", path=str(Path(sys.executable).parent)
)
REPLICAS = FIXTURES / "sandbox_replicas"


def manage(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "policy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def write_json(path: Path, data: dict) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_policy_test_exits_0_on_pass_and_warnings_and_prints_json(tmp_path):
    plan = str(FIXTURES / "django-lambda-prod.json")
    context = write_json(tmp_path / "ctx.json", context_for("django-lambda", "prod"))
    done = manage("test", "policies", "--plan", plan, "--context", context, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is True
    assert report["counts"] == {"pass": 7, "deny": 0, "warn": 1, "info": 0, "error": 0}


def test_policy_test_exits_1_on_a_denial(tmp_path):
    plan = write_json(
        tmp_path / "plan.json",
        with_change(load_fixture("cloudfront-ec2", "dev"), "aws_ebs_volume.data", encrypted=False),
    )
    context = write_json(tmp_path / "ctx.json", context_for("cloudfront-ec2", "dev"))
    done = manage("test", "policies", "--plan", plan, "--context", context)
    assert done.returncode == 1
    assert "DENY  storage_encryption (deny)" in done.stdout
    assert "aws_ebs_volume.data: encrypted is not true" in done.stdout
    assert "1 denied, 0 errors" in done.stderr


def test_policy_test_exits_1_on_a_broken_policy_and_2_on_a_bad_plan(tmp_path):
    broken = tmp_path / "policies" / "broken"
    broken.mkdir(parents=True)
    (broken / "policy.yaml").write_text("name: broken\nseverity: info\n")
    (broken / "policy.rego").write_text("package portal.broken\n\nviolations(inp) := {x | x := }\n")
    plan = str(FIXTURES / "serverless-api-dev.json")
    done = manage("test", str(tmp_path / "policies"), "--plan", plan)
    assert done.returncode == 1
    assert "ERROR broken (info)" in done.stdout and "Compile error" in done.stdout

    (tmp_path / "not-a-plan.json").write_text("[1, 2]")
    done = manage("test", "policies", "--plan", str(tmp_path / "not-a-plan.json"))
    assert done.returncode == 2 and "must hold a JSON object" in done.stderr
    assert manage("test", str(tmp_path / "missing"), "--plan", plan).returncode == 2


def test_policy_unittest_and_check_exit_codes(tmp_path):
    done = manage("unittest", "policies")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout
    assert manage("check", "policies").returncode == 0

    failing = tmp_path / "big"
    failing.mkdir()
    (failing / "policy.yaml").write_text("name: big\n")
    (failing / "policy.rego").write_text("package portal.big\n\nimport rego.v1\n\nviolations(inp) := set()\n")
    (failing / "policy_test.rego").write_text(
        "package portal.big\n\nimport rego.v1\n\ntest_finds_something if {\n\tcount(violations({})) == 1\n}\n"
    )
    done = manage("unittest", str(failing))
    assert done.returncode == 1 and "FAIL big.test_finds_something" in done.stdout


# ---------------------------------------------------------------- the sandbox, planned for real


def sandbox_plan(tmp_path: Path, cli_config: str, replicas: int) -> dict:
    assert TERRAFORM is not None, "terraform is not installed: run `make test`, which installs it"
    variables = {
        "name": "policy-test",
        "tier": "dev",
        "team": "platform",
        "cost_centre": "cc-1",
        "blueprint": "local-sandbox",
        "blueprint_version": "1.0.0",
        "app_replicas": replicas,
    }
    workdir = prepare_workdir(module_dir=SANDBOX, workdir=tmp_path / "run", variables=variables, backend=None)
    (tmp_path / "home").mkdir()
    tf = Terraform(
        binary=str(TERRAFORM),
        workdir=workdir,
        env=minimal_env(home=tmp_path / "home", cli_config=cli_config),
        redactor=Redactor([]),
        on_line=lambda line: None,
        timeout_s=120,
    )
    assert tf.init().exit_code == 0
    assert tf.plan().exit_code == 0
    return tf.show_json("plan.tfplan")


@pytest.mark.integration
@pytest.mark.parametrize(("replicas", "passed"), [(5, False), (2, True)])
def test_replica_policy_on_a_real_sandbox_plan(tmp_path, terraform_cli_config, replicas, passed):
    plan = sandbox_plan(tmp_path, terraform_cli_config, replicas)
    assert plan["terraform_version"] == "1.0.3"
    assert (
        len([rc for rc in plan["resource_changes"] if rc["address"].startswith("null_resource.app[")])
        == replicas
    )
    policies = load_policy_dir(ROOT / "policies") + load_policy_dir(REPLICAS)
    context = PolicyContext(blueprint="local-sandbox", tier="dev", team="platform", requester="alice")
    report = policies_evaluate_plan(plan_json=plan, context=context, policies=policies)
    outcomes = {r.policy: r.outcome for r in report.results}
    assert outcomes == {
        "cost_tags": "pass",
        "instance_size_limit": "pass",
        "s3_public_access": "pass",
        "sandbox_replicas": "pass" if passed else "deny",
        "sg_open_ingress": "pass",
        "storage_encryption": "pass",
    }
    assert report.passed is passed
    if not passed:
        (message,) = report.denials[0].messages
        assert message.msg == "app_replicas is 5; dev allows at most 3"
        assert message.resources == tuple(f"null_resource.app[{i}]" for i in range(5))
