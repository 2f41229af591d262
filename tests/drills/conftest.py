"""AWS resources in a real moto server, shaped like what each blueprint's Terraform creates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from drills import ControlledClock, Targets

REGION = "us-east-1"


@pytest.fixture
def session() -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing-secret-key", region_name=REGION
    )


@pytest.fixture
def client(session, moto_server) -> Callable[..., Any]:
    def make(service: str, region: str = REGION) -> Any:
        return session.client(service, region_name=region, endpoint_url=moto_server.url)

    return make


@pytest.fixture
def name() -> str:
    """A unique name per test: the moto server lives for the whole session."""
    return f"env{uuid.uuid4().hex[:8]}"


class Recorder:
    """Collects log lines and resource events, as the portal's run log and drill record would."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.resources: list[tuple[str, str]] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def resource(self, resource_id: str, state: str) -> None:
        self.resources.append((resource_id, state))

    def created(self) -> list[str]:
        return [rid for rid, state in self.resources if state == "created"]

    def deleted(self) -> list[str]:
        return [rid for rid, state in self.resources if state == "deleted"]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def drill_kwargs(session, moto_server, recorder) -> dict[str, Any]:
    return {
        "drill_id": uuid.uuid4().hex,
        "session": session,
        "region": REGION,
        "endpoint_url": moto_server.url,
        "on_log": recorder.log,
        "on_resource": recorder.resource,
        "poll_interval_s": 0.02,
        "wait_timeout_s": 30,
        # moto's LatestRestorableDateTime stays at the time PITR was enabled, so the wait for the
        # canary to become restorable always times out here; moto copies it anyway.
        "canary_wait_s": 0.2,
    }


def targets(rto_minutes: float = 240, rpo_minutes: float = 5) -> Targets:
    return Targets(rto_s=rto_minutes * 60, rpo_s=rpo_minutes * 60)


def controlled_clock(**kwargs: Any) -> ControlledClock:
    return ControlledClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), **kwargs)


def make_table(client, table: str, *, pitr: bool = True, items: int = 3) -> None:
    ddb = client("dynamodb")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    if pitr:
        ddb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    for index in range(items):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"site#{index}"}, "sk": {"S": "meta"}})


def make_site_bucket(client, bucket: str, *, versioning: bool = True) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket)
    if versioning:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>v1</h1>")
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>v2, a bad deploy</h1>")


def make_db(client, identifier: str, *, retention: int = 7) -> dict[str, Any]:
    return client("rds").create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        BackupRetentionPeriod=retention,
    )["DBInstance"]


def tables(client) -> set[str]:
    return set(client("dynamodb").list_tables()["TableNames"])


def db_instances(client) -> set[str]:
    return {d["DBInstanceIdentifier"] for d in client("rds").describe_db_instances()["DBInstances"]}
