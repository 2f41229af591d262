"""Environments to drill: the sandbox (state-restore, real Terraform) and a serverless-api
environment whose DynamoDB table and S3 bucket live in a real moto server."""

from __future__ import annotations

import copy
import uuid

import boto3
import pytest

from portal.dr.models import Drill
from portal.runs.execution import run_execute
from tests.drills.conftest import make_site_bucket, make_table
from tests.factories import EnvironmentFactory, published_blueprints


def execute_here(drill: Drill) -> Drill:
    """Executes the drill's run in this process, as a worker would (claim, log, heartbeat)."""
    run_execute(run_id=drill.run_id, worker_host="test-process", task_id=f"t-{drill.run_id}")
    drill.refresh_from_db()
    return drill


@pytest.fixture
def serverless(transactional_db):
    return published_blueprints()["serverless-api"].latest_version


@pytest.fixture
def make_aws_environment(aws_env, serverless, team, requester, settings):
    """An active serverless-api environment with its table (PITR on) and bucket in moto.
    `rpo_minutes` overrides the profile's RPO target (to inject an RPO breach)."""
    settings.DRILL_POLL_INTERVAL_S = 0.05
    settings.DRILL_CANARY_WAIT_S = 0.2
    settings.DRILL_WAIT_TIMEOUT_S = 30

    def make(rpo_minutes: float | None = None, name: str | None = None):
        suffix = uuid.uuid4().hex[:8]
        session = boto3.session.Session(region_name="us-east-1")

        def client(service, region="us-east-1"):
            return session.client(service, region_name=region, endpoint_url=aws_env["AWS_ENDPOINT_URL"])

        table, bucket = f"demo-{suffix}", f"demo-site-{suffix}"
        make_table(client, table)
        make_site_bucket(client, bucket)
        version = serverless
        if rpo_minutes is not None:
            metadata = copy.deepcopy(serverless.metadata)
            metadata["dr"]["rpo_minutes"] = rpo_minutes
            version = type(serverless).objects.create(
                blueprint=serverless.blueprint,
                version=f"{serverless.version}-rpo{suffix}",
                metadata=metadata,
                source_files=serverless.source_files,
                source_sha256=serverless.source_sha256,
            )
        return EnvironmentFactory(
            team=team,
            owner=requester,
            blueprint_version=version,
            name=name or f"api-{suffix}",
            tier="prod",
            region="us-east-1",
            outputs={
                "dynamodb_table_name": {"value": table, "sensitive": False},
                "web_bucket_name": {"value": bucket, "sensitive": False},
            },
        )

    return make
