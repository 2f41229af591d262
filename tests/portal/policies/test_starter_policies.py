"""The starter set in policies/: its Rego unit tests, the five AWS blueprints' intended
configurations (pass), and one failing plan per policy."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from portal.policies.engine import (
    PolicyContext,
    check_policy,
    load_policy_dir,
    policies_evaluate_plan,
    run_policy_tests,
)
from tests.portal.policies import plans
from tests.portal.policies.plans import AWS_BLUEPRINTS, TIERS, context_for, load_fixture, with_change

ROOT = Path(__file__).resolve().parents[3]
STARTER = load_policy_dir(ROOT / "policies")
STARTER_NAMES = [p.name for p in STARTER]


def test_the_starter_set_is_the_documented_one():
    assert STARTER_NAMES == [
        "cost_tags",
        "instance_size_limit",
        "prod_deletion_protection",
        "prod_multi_az",
        "s3_public_access",
        "sg_open_ingress",
        "stateful_destroy",
        "storage_encryption",
    ]


@pytest.mark.parametrize("policy", STARTER, ids=STARTER_NAMES)
def test_rego_unit_tests_of_each_starter_policy(policy):
    assert check_policy(policy) == []
    results = run_policy_tests(policy)
    assert len(results) >= 3, "every starter policy carries Rego unit tests"
    failures = [f"{r.name}: {r.error}" for r in results if not r.passed]
    assert failures == []


def every_rego_test_folder():
    folders = [ROOT / "policies", Path(__file__).parent / "fixtures"]
    return [p for folder in folders for p in load_policy_dir(folder) if p.tests]


def test_every_test_rule_in_the_repository_passes():
    """Discovers every `test_` rule in every policy folder of the repository and runs it."""
    policies = every_rego_test_folder() + load_policy_dir(
        Path(__file__).parent / "fixtures" / "sandbox_replicas"
    )
    results = [r for p in policies for r in run_policy_tests(p)]
    assert len(results) >= 50
    assert [f"{r.policy}.{r.name}: {r.error}" for r in results if not r.passed] == []


def evaluate(plan_json, blueprint, tier):
    return policies_evaluate_plan(
        plan_json=plan_json, context=PolicyContext.from_dict(context_for(blueprint, tier)), policies=STARTER
    )


# django-lambda's prod tier uses a single-AZ db.t3.small (its seed): a warning, by design.
EXPECTED_WARNINGS = {("django-lambda", "prod"): {"prod_multi_az"}}


@pytest.mark.parametrize("blueprint", AWS_BLUEPRINTS)
@pytest.mark.parametrize("tier", TIERS)
def test_intended_configurations_pass(blueprint, tier):
    report = evaluate(load_fixture(blueprint, tier), blueprint, tier)
    problems = [
        (r.policy, r.outcome, r.error, [m.msg for m in r.messages]) for r in report.results if r.failed
    ]
    assert problems == []
    assert {r.policy for r in report.warnings} == EXPECTED_WARNINGS.get((blueprint, tier), set())
    expected_in_scope = {p.name for p in STARTER if not p.tiers or tier in p.tiers}
    assert {r.policy for r in report.results} == expected_in_scope


def test_fixtures_are_what_the_builder_writes():
    for blueprint in AWS_BLUEPRINTS:
        for tier in TIERS:
            assert load_fixture(blueprint, tier) == json.loads(
                json.dumps(plans.aws_intended_plan(blueprint, tier))
            ), f"{blueprint}-{tier}: run python -m tests.portal.policies.plans"


def test_fixture_resource_types_exist_in_the_blueprints_terraform():
    declared: dict[str, set[str]] = {}
    modules = set(re.findall(r'resource "([a-z0-9_]+)"', _terraform_text(ROOT / "terraform" / "modules")))
    for blueprint in AWS_BLUEPRINTS:
        text = _terraform_text(ROOT / "terraform" / "blueprints" / blueprint)
        declared[blueprint] = set(re.findall(r'resource "([a-z0-9_]+)"', text)) | modules
    for blueprint in AWS_BLUEPRINTS:
        for tier in TIERS:
            plan = load_fixture(blueprint, tier)
            assert plan["format_version"] == "0.2" and plan["terraform_version"] == "1.0.3"
            types = {rc["type"] for rc in plan["resource_changes"]}
            assert types - declared[blueprint] == set(), blueprint
            for rc in plan["resource_changes"]:
                assert set(rc["change"]) >= {"actions", "before", "after", "after_unknown"}
                if "tags_all" in rc["change"]["after"]:
                    assert rc["change"]["after"]["tags_all"]["CostCentre"] == "cc-4711"


def _terraform_text(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.rglob("*.tf")))


def only(report, policy):
    (result,) = [r for r in report.results if r.policy == policy]
    return result


def addresses(result):
    return {a for m in result.messages for a in m.resources}


def test_public_bucket_is_denied():
    address = "module.data_bucket.aws_s3_bucket_public_access_block.this"
    plan = with_change(load_fixture("eks-platform", "prod"), address, block_public_policy=False)
    result = only(evaluate(plan, "eks-platform", "prod"), "s3_public_access")
    assert result.outcome == "deny" and addresses(result) == {address}

    plan = copy.deepcopy(load_fixture("serverless-api", "dev"))
    plan["resource_changes"].append(
        plans.resource_change("aws_s3_bucket_acl.public", {"acl": "public-read"}, default_tags={})
    )
    result = only(evaluate(plan, "serverless-api", "dev"), "s3_public_access")
    assert result.outcome == "deny" and addresses(result) == {"aws_s3_bucket_acl.public"}


def test_ssh_open_to_the_world_is_denied():
    plan = copy.deepcopy(load_fixture("cloudfront-ec2", "dev"))
    address = 'aws_vpc_security_group_ingress_rule.ssh["0.0.0.0/0"]'
    plan["resource_changes"].append(
        plans.resource_change(
            address, {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}
        )
    )
    result = only(evaluate(plan, "cloudfront-ec2", "dev"), "sg_open_ingress")
    assert result.outcome == "deny" and addresses(result) == {address}
    assert "port 22" in result.messages[0].msg


@pytest.mark.parametrize(
    ("blueprint", "address", "change"),
    [
        ("cloudfront-ec2", "aws_ebs_volume.data", {"encrypted": False}),
        ("eks-platform", "module.database.aws_db_instance.this", {"storage_encrypted": False}),
        ("lambda-aurora", "aws_rds_cluster.aurora", {"storage_encrypted": False}),
        ("cloudfront-ec2", "aws_instance.server", {"root_block_device": [{"encrypted": False}]}),
    ],
)
def test_unencrypted_storage_is_denied(blueprint, address, change):
    plan = with_change(load_fixture(blueprint, "staging"), address, **change)
    result = only(evaluate(plan, blueprint, "staging"), "storage_encryption")
    assert result.outcome == "deny" and addresses(result) == {address}


def test_missing_cost_tags_are_denied():
    plan = copy.deepcopy(load_fixture("lambda-aurora", "dev"))
    target = next(rc for rc in plan["resource_changes"] if rc["address"] == "aws_rds_cluster.aurora")
    del target["change"]["after"]["tags_all"]["CostCentre"]
    result = only(evaluate(plan, "lambda-aurora", "dev"), "cost_tags")
    assert result.outcome == "deny" and addresses(result) == {"aws_rds_cluster.aurora"}
    assert result.messages[0].msg == "aws_rds_cluster.aurora: missing cost tags CostCentre"


def test_prod_without_deletion_protection_is_denied_but_dev_is_not_checked():
    plan = with_change(
        load_fixture("lambda-aurora", "prod"), "aws_rds_cluster.aurora", deletion_protection=False
    )
    result = only(evaluate(plan, "lambda-aurora", "prod"), "prod_deletion_protection")
    assert result.outcome == "deny" and addresses(result) == {"aws_rds_cluster.aurora"}
    dev = evaluate(load_fixture("lambda-aurora", "dev"), "lambda-aurora", "dev")
    assert "prod_deletion_protection" not in {r.policy for r in dev.results}


def test_single_az_prod_database_is_a_warning():
    address = "module.database.aws_db_instance.this"
    plan = with_change(load_fixture("eks-platform", "prod"), address, multi_az=False)
    report = evaluate(plan, "eks-platform", "prod")
    result = only(report, "prod_multi_az")
    assert result.outcome == "warn" and addresses(result) == {address}
    assert report.passed and report.needs_acknowledgement


def test_instance_above_the_tier_limit_is_denied():
    plan = with_change(
        load_fixture("cloudfront-ec2", "dev"), "aws_instance.server", instance_type="m7g.xlarge"
    )
    result = only(evaluate(plan, "cloudfront-ec2", "dev"), "instance_size_limit")
    assert result.outcome == "deny" and addresses(result) == {"aws_instance.server"}
    staging = with_change(
        load_fixture("cloudfront-ec2", "staging"), "aws_instance.server", instance_type="m7g.xlarge"
    )
    assert only(evaluate(staging, "cloudfront-ec2", "staging"), "instance_size_limit").outcome == "pass"


def destroy_plan(blueprint, tier):
    """The intended configuration, destroyed: every resource's after becomes its before."""
    plan = copy.deepcopy(load_fixture(blueprint, tier))
    for rc in plan["resource_changes"]:
        change = rc["change"]
        change.update(
            actions=["delete"], before=change["after"], after=None, after_unknown={}, after_sensitive=False
        )
    return plan


def test_destroying_stateful_prod_resources_is_denied_unless_snapshotted():
    report = evaluate(destroy_plan("serverless-api", "prod"), "serverless-api", "prod")
    result = only(report, "stateful_destroy")
    assert result.outcome == "deny" and result.break_glass
    assert "module.table.aws_dynamodb_table.this" in addresses(result)
    assert "module.exports[0].aws_s3_bucket.this" in addresses(result)
    assert report.blocks_approval() and not report.blocks_approval(break_glass=True)

    # lambda-aurora prod keeps a final snapshot of its cluster: that deletion is allowed.
    aurora = only(
        evaluate(destroy_plan("lambda-aurora", "prod"), "lambda-aurora", "prod"), "stateful_destroy"
    )
    assert "aws_rds_cluster.aurora" not in addresses(aurora)
