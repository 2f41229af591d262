"""STATE_BACKEND=s3: state in a versioned S3 bucket, locks in DynamoDB, against a real moto server."""

import boto3
import pytest

from portal.environments.backends import s3_lock_release, s3_state_key
from portal.runs.models import RunKind, RunStatus
from portal.runs.services import run_enqueue
from tests.portal.runs.conftest import log_tail, wait_for_run

pytestmark = pytest.mark.integration
BUCKET, TABLE = "portal-state", "portal-locks"


@pytest.fixture
def s3_state(aws_env, moto_server, settings):
    s3 = boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_server.url, region_name="us-east-1")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        )
    config = {
        "STATE_BACKEND": "s3",
        "STATE_S3_BUCKET": BUCKET,
        "STATE_S3_LOCK_TABLE": TABLE,
        "STATE_S3_REGION": "us-east-1",
        "STATE_S3_ENDPOINT": moto_server.url,
    }
    for key, value in config.items():
        setattr(settings, key, value)
    return {"s3": s3, "dynamodb": dynamodb, "env": {**aws_env, **config}}


def test_runs_keep_state_in_versioned_s3_and_release_the_dynamodb_lock(
    s3_state, make_worker, make_environment, requester
):
    make_worker(name="s3", **s3_state["env"])
    environment = make_environment(name="s3-env")
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    assert plan.status == RunStatus.SUCCEEDED, log_tail(plan)
    apply = wait_for_run(
        run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    )
    assert apply.status == RunStatus.SUCCEEDED, log_tail(apply)

    key = s3_state_key(environment)
    versions = s3_state["s3"].list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    assert len(versions) >= 1
    body = s3_state["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert b"null_resource" in body
    assert not environment.state_versions.exists()  # nothing kept in the portal's own backend
    items = s3_state["dynamodb"].scan(TableName=TABLE)["Items"]
    assert all(item["LockID"]["S"].endswith("-md5") for item in items), items  # only Terraform's digest

    # A lock left by a killed run is released (the digest item stays).
    s3_state["dynamodb"].put_item(
        TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{key}"}, "Info": {"S": "{}"}}
    )
    assert s3_lock_release(environment) is True
    assert all(
        item["LockID"]["S"].endswith("-md5") for item in s3_state["dynamodb"].scan(TableName=TABLE)["Items"]
    )
