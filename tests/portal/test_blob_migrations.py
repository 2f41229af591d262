"""The migrations that move estimates, plan files and plan JSON off the hot rows carry every
stored value over to the new one-to-one tables (and back, when reversed)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("runs", "0001_initial"),
    ("requests", "0005_approval_policy_acknowledgements"),
    ("environments", "0003_environment_destroyed"),
]
AFTER = [
    ("runs", "0002_run_plan_data_table"),
    ("requests", "0006_request_estimates_table"),
    ("environments", "0004_environment_estimate_table"),
]
ESTIMATE = {"total_monthly_usd": 12.5, "line_items": [{"resource_address": "aws_instance.web"}]}
PLAN = {"resource_changes": [{"address": "null_resource.app[0]"}]}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_blobs_move_to_their_tables_and_back():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="migrated")
    team = old.get_model("accounts", "Team").objects.create(slug="migrated", name="Migrated")
    blueprint = old.get_model("catalog", "Blueprint").objects.create(
        slug="m", title="M", summary="", runtime="local"
    )
    version = old.get_model("catalog", "BlueprintVersion").objects.create(
        blueprint=blueprint, version="1.0.0", changes="", metadata={}, source_files={}, source_sha256="0" * 64
    )
    environment = old.get_model("environments", "Environment").objects.create(
        team=team, owner=user, name="m", blueprint_version=version, tier="dev", cost_estimate=ESTIMATE
    )
    request = old.get_model("requests", "EnvironmentRequest").objects.create(
        team=team,
        requester=user,
        blueprint_version=version,
        environment_name="m",
        tier="dev",
        estimate=ESTIMATE,
        plan_estimate={"total_monthly_usd": 3},
    )
    Run = old.get_model("runs", "Run")
    plan = Run.objects.create(
        kind="plan", status="succeeded", environment=environment, plan_file="token", plan_json=PLAN
    )
    drift = Run.objects.create(kind="drift", status="succeeded", environment=environment)

    new = _migrate(AFTER)
    assert (
        new.get_model("environments", "EnvironmentEstimate").objects.get(pk=environment.pk).cost_estimate
        == ESTIMATE
    )
    estimates = new.get_model("requests", "RequestEstimates").objects.get(pk=request.pk)
    assert (estimates.estimate, estimates.plan_estimate) == (ESTIMATE, {"total_monthly_usd": 3})
    data = new.get_model("runs", "RunPlanData").objects.get(pk=plan.pk)
    assert (data.plan_file, data.plan_json) == ("token", PLAN)
    assert not new.get_model("runs", "RunPlanData").objects.filter(pk=drift.pk).exists()  # no plan, no row

    back = _migrate(BEFORE)
    assert (
        back.get_model("environments", "Environment").objects.get(pk=environment.pk).cost_estimate == ESTIMATE
    )
    assert back.get_model("requests", "EnvironmentRequest").objects.get(pk=request.pk).estimate == ESTIMATE
    run = back.get_model("runs", "Run").objects.get(pk=plan.pk)
    assert (run.plan_file, run.plan_json) == ("token", PLAN)
    _migrate(executor_leaves())


def executor_leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
