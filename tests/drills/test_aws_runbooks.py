"""Every AWS runbook against a real moto server: its call sequence, its cleanup, its failures.

moto restores instantly and copies the current items, so a canary always survives here; the
clock adapter (ControlledClock) supplies restore times where a test needs them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import EndpointConnectionError

from drills import AWS_RUNBOOKS, Aws, cleanup_resources, run_aws_drill
from tests.drills.conftest import (
    controlled_clock,
    db_instances,
    make_db,
    make_site_bucket,
    make_table,
    tables,
    targets,
)
from tests.processes import wait_until

pytestmark = pytest.mark.integration


def step_names(result) -> list[str]:
    return [step.name for step in result.steps if not step.name.startswith("cleanup: ")]


def cleanup_steps(result) -> list[str]:
    return [step.name for step in result.steps if step.name.startswith("cleanup: ")]


def serverless_api(client, name, **kwargs):
    make_table(client, f"{name}-table", **{k: v for k, v in kwargs.items() if k == "pitr"})
    make_site_bucket(client, f"{name}-web", **{k: v for k, v in kwargs.items() if k == "versioning"})
    return {
        "dynamodb_table_name": {"value": f"{name}-table", "sensitive": False},
        "web_bucket_name": f"{name}-web",
    }


# --------------------------------------------------------------------------------------------------
# serverless-api (000)


def test_serverless_api_restores_verifies_and_cleans_up(client, name, drill_kwargs, recorder):
    outputs = serverless_api(client, name)

    result = run_aws_drill("serverless-api", targets=targets(), outputs=outputs, **drill_kwargs)

    assert result.status == "passed", result.reason
    assert step_names(result) == list(AWS_RUNBOOKS["serverless-api"].steps)
    assert all(step.outcome == "passed" for step in result.steps), [(s.name, s.outcome) for s in result.steps]
    evidence = {step.name: step.evidence for step in result.steps}
    assert evidence["verify restored table"]["restored_items"] == 4  # 3 items + the canary
    assert evidence["verify restored table"]["canary_found"] is True
    assert evidence["restore object version"]["previous_version"] is True
    assert evidence["verify restored object"]["restored_size"] == len(b"<h1>v1</h1>")
    # Cleanup: the canary item, the restored table and the restored object, newest first.
    assert [s.split(" ")[0] + " " + s.split(" ")[1] for s in cleanup_steps(result)] == [
        "cleanup: delete",
        "cleanup: delete",
        "cleanup: delete",
    ]
    assert result.cleanup_ok and result.leftovers == []
    assert sorted(recorder.created()) == sorted(recorder.deleted())
    assert tables(client) & {f"{name}-table-drill-{drill_kwargs['drill_id'][:8]}"} == set()
    assert client("dynamodb").scan(TableName=f"{name}-table", Select="COUNT")["Count"] == 3  # canary gone
    versions = client("s3").list_object_versions(Bucket=f"{name}-web")
    assert {v["Key"] for v in versions.get("Versions", [])} == {"index.html"}
    assert not versions.get("DeleteMarkers")
    assert result.rto_achieved_s is not None and result.rpo_api_s is not None
    assert result.rpo_measured_s is not None
    json.loads(result.to_json())  # the record is plain JSON


def test_pitr_off_fails_with_what_to_enable_and_creates_nothing(client, name, drill_kwargs, recorder):
    outputs = serverless_api(client, name, pitr=False)

    result = run_aws_drill("serverless-api", targets=targets(), outputs=outputs, **drill_kwargs)

    assert result.status == "failed"
    assert result.reason.startswith("precondition failed: point-in-time recovery is off on DynamoDB table")
    assert "enable it" in result.reason and "point_in_time_recovery" in result.reason
    assert "Traceback" not in result.to_json()
    assert [s.outcome for s in result.steps] == ["failed"]
    assert recorder.created() == [] and result.cleanup_ok


def test_versioning_off_fails_with_what_to_enable(client, name, drill_kwargs):
    outputs = serverless_api(client, name, versioning=False)

    result = run_aws_drill("serverless-api", targets=targets(), outputs=outputs, **drill_kwargs)

    assert result.status == "failed"
    assert "versioning is off on S3 bucket" in result.reason and "Status=Enabled" in result.reason


def test_missing_output_says_to_apply_the_blueprint(drill_kwargs):
    result = run_aws_drill("serverless-api", targets=targets(), outputs={}, **drill_kwargs)

    assert result.status == "failed"
    assert "no Terraform output 'dynamodb_table_name'" in result.reason


def test_pinned_steps_that_differ_stop_the_drill_before_any_call(drill_kwargs, recorder):
    result = run_aws_drill(
        "serverless-api", targets=targets(), outputs={}, pinned_steps=["an older step list"], **drill_kwargs
    )

    assert result.status == "failed" and "pins runbook serverless-api" in result.reason
    assert result.steps == [] and recorder.created() == []


def test_failure_injected_mid_runbook_still_cleans_up(client, name, session, drill_kwargs, recorder):
    outputs = serverless_api(client, name)

    def network_down(**_):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    # The fault sits at the network edge: the verify step's Scan never reaches AWS.
    session.events.register("before-call.dynamodb.Scan", network_down)
    try:
        result = run_aws_drill("serverless-api", targets=targets(), outputs=outputs, **drill_kwargs)
    finally:
        session.events.unregister("before-call.dynamodb.Scan", network_down)

    assert result.status == "failed"
    assert (
        "Could not connect to the endpoint URL" in result.reason and "verify restored table" in result.reason
    )
    outcomes = {s.name: s.outcome for s in result.steps}
    assert outcomes["restore table to point in time"] == "passed"
    assert outcomes["verify restored table"] == "failed"
    assert "restore object version" not in outcomes
    assert result.rto_achieved_s is None  # never verified
    assert result.cleanup_ok and len(cleanup_steps(result)) == 2  # canary item and restored table
    assert f"{name}-table-drill-{drill_kwargs['drill_id'][:8]}" not in tables(client)


def test_cleanup_that_fails_lists_leftovers_loudly(client, name, session, drill_kwargs, recorder):
    outputs = serverless_api(client, name)

    def refuse(**_):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    session.events.register("before-call.dynamodb.DeleteTable", refuse)
    try:
        result = run_aws_drill("serverless-api", targets=targets(), outputs=outputs, **drill_kwargs)
    finally:
        session.events.unregister("before-call.dynamodb.DeleteTable", refuse)

    restored = f"{name}-table-drill-{drill_kwargs['drill_id'][:8]}"
    assert result.status == "failed"
    assert result.cleanup_ok is False
    assert result.leftovers == [f"dynamodb-table:us-east-1:{restored}"]
    assert "LEFTOVER RESOURCES" in result.reason and restored in result.reason
    assert any(line.startswith("LEFTOVER") for line in recorder.lines)
    assert restored in tables(client)
    # What the portal's reaper does with the recorded IDs.
    remaining = cleanup_resources(
        result.leftovers,
        aws=Aws(session=session, endpoint_url=drill_kwargs["endpoint_url"]),
        poll_interval_s=0.02,
    )
    assert remaining == [] and restored not in tables(client)


def test_cancel_between_steps_stops_and_cleans_up(client, name, drill_kwargs, recorder):
    outputs = serverless_api(client, name)

    def cancelled() -> bool:
        return "step restore table to point in time: passed" in recorder.lines

    result = run_aws_drill(
        "serverless-api", targets=targets(), outputs=outputs, should_cancel=cancelled, **drill_kwargs
    )

    assert result.status == "cancelled"
    assert step_names(result)[-1] == "restore table to point in time"
    assert result.cleanup_ok and len(cleanup_steps(result)) == 2
    assert f"{name}-table-drill-{drill_kwargs['drill_id'][:8]}" not in tables(client)


# --------------------------------------------------------------------------------------------------
# Measurements with the controlled clock


def test_drill_fails_on_rpo_when_the_latest_restorable_time_is_old(client, name, drill_kwargs):
    outputs = serverless_api(client, name)
    clock = controlled_clock(restorable={"*": timedelta(hours=2)})

    result = run_aws_drill(
        "serverless-api", targets=targets(rpo_minutes=5), outputs=outputs, clock=clock, **drill_kwargs
    )

    assert result.status == "failed"
    assert result.rpo_api_s == 7200.0
    assert result.reason == "RPO (API) 7200 s exceeds the target 300 s"
    assert result.cleanup_ok  # it still restored, verified and cleaned up
    assert result.rto_achieved_s == 0.0
    assert any("beyond the RPO target" in w for w in result.warnings)


def test_rto_and_measured_rpo_come_from_the_clock(client, name, drill_kwargs, recorder):
    outputs = serverless_api(client, name)
    start = controlled_clock().current
    # t0 will be start + 60 s; the latest restorable time 90 s before that.
    clock = controlled_clock(restorable={"*": start + timedelta(seconds=60 - 90)})

    def on_log(line: str) -> None:
        recorder.log(line)
        if line == "step restore table to point in time: started":
            clock.advance(60)  # the canary was written a minute before the restore call
        if line.startswith("t0 (restore call)"):
            clock.advance(1800)  # the restore takes half an hour

    kwargs = {**drill_kwargs, "on_log": on_log}
    result = run_aws_drill(
        "serverless-api", targets=targets(rto_minutes=20), outputs=outputs, clock=clock, **kwargs
    )

    assert result.rpo_measured_s == 60.0
    assert result.rpo_api_s == 90.0
    assert result.rto_achieved_s == 1800.0
    assert result.status == "failed"
    assert result.reason == "RTO 1800 s exceeds the target 1200 s"


# --------------------------------------------------------------------------------------------------
# django-lambda (001)


def test_django_lambda_restores_database_and_rate_limit_table(client, name, drill_kwargs, recorder):
    make_db(client, f"{name}-db")
    make_table(client, f"{name}-rate-limits")
    outputs = {
        "database_endpoint": f"{name}-db.abc123.us-east-1.rds.amazonaws.com",
        "rate_limit_table_name": f"{name}-rate-limits",
    }

    result = run_aws_drill("django-lambda", targets=targets(rto_minutes=120), outputs=outputs, **drill_kwargs)

    assert result.status == "passed", result.reason
    assert step_names(result) == list(AWS_RUNBOOKS["django-lambda"].steps)
    restored_db = f"{name}-db-drill-{drill_kwargs['drill_id'][:8]}"
    evidence = {s.name: s.evidence for s in result.steps}
    assert evidence["verify restored database"]["engine"] == "postgres"
    assert evidence["restore database to point in time"]["restored_instance"] == restored_db
    assert set(result.recovery_points) == {f"rds:{name}-db", f"dynamodb:{name}-rate-limits"}
    assert result.cleanup_ok and f"rds-instance:us-east-1:{restored_db}" in recorder.deleted()
    assert restored_db not in db_instances(client)


def test_django_lambda_backups_off_says_what_to_enable(client, name, drill_kwargs):
    make_db(client, f"{name}-db", retention=0)
    make_table(client, f"{name}-rate-limits")
    outputs = {
        "database_endpoint": f"{name}-db.x.rds.amazonaws.com",
        "rate_limit_table_name": f"{name}-rate-limits",
    }

    result = run_aws_drill("django-lambda", targets=targets(), outputs=outputs, **drill_kwargs)

    assert result.status == "failed"
    assert "automated backups are off on RDS instance" in result.reason
    assert "backup_retention_period >= 1" in result.reason


def test_django_lambda_in_shared_database_mode_skips_the_database_with_a_reason(client, name, drill_kwargs):
    make_table(client, f"{name}-rate-limits")
    outputs = {"database_endpoint": None, "rate_limit_table_name": f"{name}-rate-limits"}

    result = run_aws_drill("django-lambda", targets=targets(), outputs=outputs, **drill_kwargs)

    assert result.status == "passed", result.reason
    skipped = [s.name for s in result.steps if s.outcome == "skipped"]
    assert skipped == [
        "restore database to point in time",
        "wait for database available",
        "verify restored database",
    ]
    assert sum("shared database" in w for w in result.warnings) == 3


# --------------------------------------------------------------------------------------------------
# lambda-aurora (002)


def test_lambda_aurora_restores_cluster_with_a_serverless_instance(client, name, drill_kwargs, recorder):
    client("rds").create_db_cluster(
        DBClusterIdentifier=f"{name}-aurora",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        BackupRetentionPeriod=7,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    outputs = {"aurora_cluster_identifier": f"{name}-aurora"}

    result = run_aws_drill("lambda-aurora", targets=targets(rto_minutes=120), outputs=outputs, **drill_kwargs)

    assert result.status == "passed", result.reason
    assert step_names(result) == list(AWS_RUNBOOKS["lambda-aurora"].steps)
    verify = next(s for s in result.steps if s.name == "verify restored cluster").evidence
    assert verify["status"] == "available" and len(verify["members"]) == 1
    # The instance goes first, then the cluster.
    assert [s.split(" ")[2] for s in cleanup_steps(result)] == ["restored", "restored"]
    assert "instance" in cleanup_steps(result)[0] and "cluster" in cleanup_steps(result)[1]
    assert result.cleanup_ok
    clusters = {c["DBClusterIdentifier"] for c in client("rds").describe_db_clusters()["DBClusters"]}
    assert clusters & {f"{name}-aurora-drill-{drill_kwargs['drill_id'][:8]}"} == set()


# --------------------------------------------------------------------------------------------------
# cloudfront-ec2 (003)


def ec2_environment(client, name):
    ec2 = client("ec2")
    base_image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    server = ec2.run_instances(ImageId=base_image, MinCount=1, MaxCount=1, InstanceType="t3.micro")[
        "Instances"
    ][0]
    ami = ec2.create_image(InstanceId=server["InstanceId"], Name=f"{name}-server")["ImageId"]
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=30)["VolumeId"]
    return ec2, server["InstanceId"], ami, volume


def test_cloudfront_ec2_launches_from_ami_and_newest_snapshot(client, name, drill_kwargs, recorder):
    ec2, server, ami, volume = ec2_environment(client, name)
    older = ec2.create_snapshot(VolumeId=volume)["StartTime"]
    # moto stamps snapshots to the second: let the next one be newer.
    wait_until(lambda: datetime.now(UTC).replace(microsecond=0) > older, 5, "the next second")
    newest = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    before = {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}

    result = run_aws_drill(
        "cloudfront-ec2",
        targets=targets(rto_minutes=60, rpo_minutes=1440),
        outputs={"data_volume_id": volume, "instance_id": server},
        inputs={"ami_id": ami},
        **drill_kwargs,
    )

    assert result.status == "passed", result.reason
    assert step_names(result) == list(AWS_RUNBOOKS["cloudfront-ec2"].steps)
    verify = next(s for s in result.steps if s.name == "verify instance and data volume").evidence
    assert verify["from_snapshot"] == newest and verify["image"] == ami
    launched = verify["instance"]
    assert launched not in before
    assert cleanup_steps(result)[0] == f"cleanup: terminate instance {launched}"
    assert result.cleanup_ok
    state = ec2.describe_instances(InstanceIds=[launched])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "terminated"
    assert f"snapshot:{volume}" in result.recovery_points


def test_cloudfront_ec2_without_snapshot_says_to_enable_dlm(client, name, drill_kwargs):
    _, server, ami, volume = ec2_environment(client, name)

    result = run_aws_drill(
        "cloudfront-ec2",
        targets=targets(rto_minutes=60, rpo_minutes=1440),
        outputs={"data_volume_id": volume, "instance_id": server},
        inputs={"ami_id": ami},
        **drill_kwargs,
    )

    assert result.status == "failed"
    assert f"no completed snapshot of data volume {volume}" in result.reason
    assert "aws_dlm_lifecycle_policy.data" in result.reason


def test_cloudfront_ec2_with_a_missing_ami_says_to_rebuild_it(client, name, drill_kwargs):
    _, server, _, volume = ec2_environment(client, name)

    result = run_aws_drill(
        "cloudfront-ec2",
        targets=targets(),
        outputs={"data_volume_id": volume, "instance_id": server},
        inputs={"ami_id": "ami-0123456789abcdef0"},
        **drill_kwargs,
    )

    assert result.status == "failed"
    assert "AMI ami-0123456789abcdef0 is missing" in result.reason and "Packer" in result.reason


def test_cloudfront_ec2_fails_on_rpo_with_a_stale_snapshot(client, name, drill_kwargs):
    ec2, server, ami, volume = ec2_environment(client, name)
    ec2.create_snapshot(VolumeId=volume)
    clock = controlled_clock(restorable={f"snapshot:{volume}": timedelta(hours=30)})

    result = run_aws_drill(
        "cloudfront-ec2",
        targets=targets(rto_minutes=60, rpo_minutes=1440),
        outputs={"data_volume_id": volume, "instance_id": server},
        inputs={"ami_id": ami},
        clock=clock,
        **drill_kwargs,
    )

    assert result.status == "failed"
    assert result.rpo_api_s == 30 * 3600
    assert result.reason == "RPO (API) 108000 s exceeds the target 86400 s"
    assert result.cleanup_ok


# --------------------------------------------------------------------------------------------------
# eks-platform (004)


def eks_environment(client, name):
    db = make_db(client, f"{name}-db")
    client("s3").create_bucket(Bucket=f"{name}-data")
    dlq = client("sqs").create_queue(QueueName=f"{name}-tasks-dlq")["QueueUrl"]
    client("sqs").send_message(QueueUrl=dlq, MessageBody="failed task")
    return {
        "database_arn": db["DBInstanceArn"],
        "data_bucket_name": f"{name}-data",
        "replica_bucket_arn": None,
        "dead_letter_queue_url": dlq,
    }


def test_eks_platform_without_replication_restores_database_and_counts_dlq(client, name, drill_kwargs):
    outputs = eks_environment(client, name)

    result = run_aws_drill("eks-platform", targets=targets(rpo_minutes=15), outputs=outputs, **drill_kwargs)

    assert result.status == "passed", result.reason
    assert step_names(result) == list(AWS_RUNBOOKS["eks-platform"].steps)
    outcomes = {s.name: s.outcome for s in result.steps}
    assert outcomes["check S3 replica age"] == "skipped"
    assert outcomes["check cross-region backup age"] == "skipped"
    dlq = next(s for s in result.steps if s.name == "count dead-letter messages").evidence
    assert dlq["messages"] == 1
    assert any("dead-letter queue" in w for w in result.warnings)
    assert result.cleanup_ok


def test_eks_platform_replica_check_fails_because_moto_has_no_cross_region_replication(
    client, name, drill_kwargs
):
    """moto stores the replication rule but never copies objects (no S3 CRR), so the canary never
    reaches the replica: the drill must fail on it, never pass by pretending."""
    outputs = eks_environment(client, name)
    s3, replica_s3 = client("s3"), client("s3", "us-west-2")
    for bucket in (f"{name}-data",):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    replica_s3.create_bucket(
        Bucket=f"{name}-data-replica", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    replica_s3.put_bucket_versioning(
        Bucket=f"{name}-data-replica", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_replication(
        Bucket=f"{name}-data",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/s3-replication",
            "Rules": [
                {
                    "ID": "all",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{name}-data-replica"},
                }
            ],
        },
    )
    outputs["replica_bucket_arn"] = f"arn:aws:s3:::{name}-data-replica"

    result = run_aws_drill(
        "eks-platform",
        targets=targets(rpo_minutes=15),
        outputs=outputs,
        inputs={"replica_region": "us-west-2"},
        **{**drill_kwargs, "canary_wait_s": 0.5},
    )

    assert result.status == "failed"
    assert "did not reach the replica" in result.reason
    assert result.rto_achieved_s is not None  # the database part was restored and verified
    assert result.cleanup_ok
    assert not s3.list_object_versions(Bucket=f"{name}-data").get("Versions")
