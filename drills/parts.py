"""Pieces several AWS runbooks share: DynamoDB PITR, RDS instance PITR, S3 object versions.

Each function does the work of one step and returns its evidence; the runbook names the step.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from drills.aws import Aws, delete_resource, error_code, resource_id, tags
from drills.core import Drill, DrillFailure, PreconditionFailed, iso

CANARY_PREFIX = "__portal_drill_canary__"
SCRATCH_PREFIX = "__portal_drill__"


def track(
    drill: Drill,
    aws: Aws,
    kind: str,
    identifier: str,
    description: str,
    *,
    region: str | None = None,
    before: str | None = None,
) -> str:
    """Registers a resource for cleanup through the shared deleters; returns its resource ID."""
    rid = resource_id(kind, region or str(aws.region), identifier)
    drill.track(rid, description, lambda: delete_resource(aws, rid, drill.wait_until), before=before)
    return rid


def _age_note(drill: Drill, label: str, latest: datetime | None) -> dict[str, Any]:
    """Evidence on how old a recovery point is now; a warning when it is already beyond the RPO
    (the drill still runs, so its RTO is measured, and fails on RPO at the end)."""
    if latest is None:
        return {}
    effective = drill.clock.latest_restorable(label, latest) or latest
    age = (drill.clock.now() - effective.astimezone(UTC)).total_seconds()
    within = age <= drill.targets.rpo_s
    if not within:
        drill.warn(
            f"{label}: the newest recovery point is {age:.0f} s old, beyond the RPO target "
            f"{drill.targets.rpo_s:.0f} s; the drill will fail on RPO"
        )
    return {"latest_restorable": iso(effective), "age_s": round(age, 3), "within_rpo": within}


# --------------------------------------------------------------------------------------------------
# DynamoDB


def dynamodb_preconditions(drill: Drill, aws: Aws, table: str) -> dict[str, Any]:
    ddb = aws.client("dynamodb")
    try:
        description = ddb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise PreconditionFailed(f"DynamoDB table {table} does not exist in {aws.region}") from exc
        raise
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise PreconditionFailed(
            f"point-in-time recovery is off on DynamoDB table {table}: enable it (Terraform: "
            "point_in_time_recovery { enabled = true } on the aws_dynamodb_table; or "
            f"aws dynamodb update-continuous-backups --table-name {table} "
            "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true)"
        )
    latest = pitr.get("LatestRestorableDateTime")
    if latest is None:
        raise PreconditionFailed(
            f"DynamoDB table {table} reports no latest restorable time yet; point-in-time recovery was "
            "just enabled - run the drill again in a few minutes"
        )
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    keys = {k["AttributeName"]: types.get(k["AttributeName"], "?") for k in description["KeySchema"]}
    return {
        "table": table,
        "pitr": "ENABLED",
        "key_schema": keys,
        "item_count_estimate": description.get("ItemCount"),
        **_age_note(drill, f"dynamodb:{table}", latest),
    }


def dynamodb_write_canary(drill: Drill, aws: Aws, table: str, keys: dict[str, str]) -> dict[str, Any] | None:
    """Writes a canary item into the source table (deleted again by cleanup), then waits until
    point-in-time recovery covers it, at most ``drill.canary_wait_s``. Returns the canary, or None
    when the key types do not allow a marker value (numbers or binary keys)."""
    if any(kind != "S" for kind in keys.values()):
        return None
    ddb = aws.client("dynamodb")
    marker = f"{CANARY_PREFIX}#{drill.drill_id}"
    key = {name: {"S": marker} for name in keys}
    written_at = drill.clock.now()
    wall = datetime.now(UTC)
    track(
        drill,
        aws,
        "dynamodb-item",
        f"{table}/{json.dumps(key, sort_keys=True)}",
        f"delete canary item from {table}",
    )
    ddb.put_item(TableName=table, Item={**key, "portal_drill_written_at": {"S": iso(written_at) or ""}})

    def covered() -> bool:
        pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        latest = pitr.get("PointInTimeRecoveryDescription", {}).get("LatestRestorableDateTime")
        return latest is not None and latest.astimezone(UTC) >= wall

    waited_from = time.monotonic()
    try:
        drill.wait_until(
            f"point-in-time recovery of {table} to cover the canary", covered, timeout_s=drill.canary_wait_s
        )
        covered_ok = True
    except DrillFailure:
        covered_ok = False
        drill.warn(
            f"the canary in {table} was not restorable after {drill.canary_wait_s:.0f} s; "
            "the restore will not contain it"
        )
    return {
        "key": key,
        "written_at": written_at,
        "covered": covered_ok,
        "waited_s": round(time.monotonic() - waited_from, 3),
    }


def dynamodb_restore(drill: Drill, aws: Aws, table: str) -> dict[str, Any]:
    """Restores ``table`` to its latest restorable time into a new table and waits until it is
    ACTIVE. Marks t0 and records the recovery point."""
    ddb = aws.client("dynamodb")
    target = drill.scratch_name(table, max_length=255)
    track(drill, aws, "dynamodb-table", target, f"delete restored table {target}")
    latest = (
        ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        .get("PointInTimeRecoveryDescription", {})
        .get("LatestRestorableDateTime")
    )
    t0 = drill.restore_started()
    response = ddb.restore_table_to_point_in_time(
        SourceTableName=table,
        TargetTableName=target,
        UseLatestRestorableTime=True,
        BillingModeOverride="PAY_PER_REQUEST",
    )
    restored_to = response["TableDescription"].get("RestoreSummary", {}).get("RestoreDateTime") or latest
    age = drill.recovery_point(f"dynamodb:{table}", restored_to, at=t0)
    drill.wait_until(
        f"table {target} to become ACTIVE",
        lambda: ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE",
    )
    return {"source": table, "restored_table": target, "restored_to": iso(restored_to), "rpo_api_s": age}


def _count(ddb: Any, table: str) -> int:
    total = 0
    for page in ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += int(page["Count"])
    return total


def dynamodb_verify(
    drill: Drill, aws: Aws, source: str, restored: str, canary: dict[str, Any] | None
) -> dict[str, Any]:
    """Counts items in both tables and looks for the canary in the copy."""
    ddb = aws.client("dynamodb")
    source_count, restored_count = _count(ddb, source), _count(ddb, restored)
    evidence: dict[str, Any] = {"source_items": source_count, "restored_items": restored_count}
    if source_count > 0 and restored_count == 0:
        raise DrillFailure(f"the restored table {restored} is empty while {source} has {source_count} items")
    if canary is None:
        evidence["canary"] = "not written (the table's key is not a string)"
        return evidence
    found = ddb.get_item(TableName=restored, Key=canary["key"], ConsistentRead=True).get("Item")
    evidence["canary_found"] = found is not None
    if found is None:
        raise DrillFailure(
            f"the canary item written to {source} at {iso(canary['written_at'])} is missing from the "
            f"restored table {restored}: the restore point is older than that write"
        )
    drill.canary_survived(canary["written_at"])
    evidence["canary_written_at"] = iso(canary["written_at"])
    return evidence


# --------------------------------------------------------------------------------------------------
# S3 object versions


def s3_preconditions(bucket: str, aws: Aws) -> dict[str, Any]:
    s3 = aws.client("s3")
    try:
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucket":
            raise PreconditionFailed(f"S3 bucket {bucket} does not exist") from exc
        raise
    if status != "Enabled":
        raise PreconditionFailed(
            f"versioning is off on S3 bucket {bucket}: enable it (Terraform: aws_s3_bucket_versioning "
            f'with status = "Enabled"; or aws s3api put-bucket-versioning --bucket {bucket} '
            "--versioning-configuration Status=Enabled)"
        )
    versions = s3.list_object_versions(Bucket=bucket, MaxKeys=1000).get("Versions", [])
    versions = [v for v in versions if not v["Key"].startswith(SCRATCH_PREFIX)]
    if not versions:
        raise PreconditionFailed(
            f"S3 bucket {bucket} holds no object versions to restore; deploy the site first"
        )
    return {"bucket": bucket, "versioning": status, "versions_seen": len(versions)}


def s3_restore_version(drill: Drill, aws: Aws, bucket: str) -> dict[str, Any]:
    """Copies the newest previous version of an object (or the newest object when nothing has a
    previous version) to a scratch key, the way a bad deploy is rolled back object by object."""
    s3 = aws.client("s3")
    versions = [
        v
        for v in s3.list_object_versions(Bucket=bucket, MaxKeys=1000).get("Versions", [])
        if not v["Key"].startswith(SCRATCH_PREFIX)
    ]
    previous = [v for v in versions if not v.get("IsLatest")]
    chosen = max(previous or versions, key=lambda v: v["LastModified"])
    target = f"{SCRATCH_PREFIX}/{drill.drill_id}/{chosen['Key']}"
    track(drill, aws, "s3-object", f"{bucket}/{target}", f"delete restored object s3://{bucket}/{target}")
    drill.restore_started()
    s3.copy_object(
        Bucket=bucket,
        Key=target,
        CopySource={"Bucket": bucket, "Key": chosen["Key"], "VersionId": chosen["VersionId"]},
    )
    return {
        "bucket": bucket,
        "key": chosen["Key"],
        "version_id": chosen["VersionId"],
        "previous_version": bool(previous),
        "restored_key": target,
        "size": chosen.get("Size"),
        "etag": chosen.get("ETag"),
    }


def s3_verify_version(aws: Aws, restored: dict[str, Any]) -> dict[str, Any]:
    head = aws.client("s3").head_object(Bucket=restored["bucket"], Key=restored["restored_key"])
    size, etag = head.get("ContentLength"), head.get("ETag")
    if restored["size"] is not None and size != restored["size"]:
        raise DrillFailure(f"restored object has {size} bytes, the version had {restored['size']}")
    etag_comparable = restored["etag"] and "-" not in str(restored["etag"])  # multipart ETags differ on copy
    if etag_comparable and etag != restored["etag"]:
        raise DrillFailure(f"restored object's ETag {etag} differs from the version's {restored['etag']}")
    return {"restored_size": size, "restored_etag": etag, "etag_compared": bool(etag_comparable)}


# --------------------------------------------------------------------------------------------------
# RDS DB instance point-in-time restore


def rds_instance(aws: Aws, identifier: str) -> dict[str, Any]:
    try:
        instances = aws.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except ClientError as exc:
        if error_code(exc) == "DBInstanceNotFound":
            raise PreconditionFailed(f"RDS instance {identifier} does not exist in {aws.region}") from exc
        raise
    return dict(instances[0])


def rds_preconditions(drill: Drill, aws: Aws, identifier: str) -> dict[str, Any]:
    source = rds_instance(aws, identifier)
    if int(source.get("BackupRetentionPeriod", 0)) < 1:
        raise PreconditionFailed(
            f"automated backups are off on RDS instance {identifier}, so there is no point-in-time "
            "recovery: enable them (Terraform: backup_retention_period >= 1 on the aws_db_instance)"
        )
    latest = source.get("LatestRestorableTime")
    if latest is None:
        raise PreconditionFailed(
            f"RDS instance {identifier} reports no latest restorable time yet; wait for its first "
            "automated backup, then run the drill again"
        )
    return {
        "instance": identifier,
        "engine": source.get("Engine"),
        "engine_version": source.get("EngineVersion"),
        "backup_retention_days": source.get("BackupRetentionPeriod"),
        **_age_note(drill, f"rds:{identifier}", latest),
    }


def rds_restore(drill: Drill, aws: Aws, identifier: str) -> dict[str, Any]:
    """restore_db_instance_to_point_in_time into a private, single-AZ scratch instance in the
    source's subnet group and security groups."""
    rds = aws.client("rds")
    source = rds_instance(aws, identifier)
    target = drill.scratch_name(identifier)
    track(drill, aws, "rds-instance", target, f"delete restored DB instance {target}")
    kwargs: dict[str, Any] = {
        "SourceDBInstanceIdentifier": identifier,
        "TargetDBInstanceIdentifier": target,
        "UseLatestRestorableTime": True,
        "DBInstanceClass": source.get("DBInstanceClass"),
        "PubliclyAccessible": False,
        "MultiAZ": False,
        "DeletionProtection": False,
        "Tags": tags(drill.drill_id),
    }
    subnet_group = (source.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    if subnet_group:
        kwargs["DBSubnetGroupName"] = subnet_group
    security_groups = [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups", [])]
    if security_groups:
        kwargs["VpcSecurityGroupIds"] = security_groups
    latest = source.get("LatestRestorableTime")
    t0 = drill.restore_started()
    rds.restore_db_instance_to_point_in_time(**{k: v for k, v in kwargs.items() if v is not None})
    age = drill.recovery_point(f"rds:{identifier}", latest, at=t0)
    return {"source": identifier, "restored_instance": target, "restored_to": iso(latest), "rpo_api_s": age}


def rds_wait_available(drill: Drill, aws: Aws, identifier: str) -> dict[str, Any]:
    rds = aws.client("rds")

    def available() -> bool:
        status = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"
        ]
        if status in ("failed", "incompatible-restore", "incompatible-parameters", "storage-full"):
            raise DrillFailure(f"the restored DB instance {identifier} is in state {status}")
        return bool(status == "available")

    drill.wait_until(f"DB instance {identifier} to become available", available)
    return {"instance": identifier, "status": "available"}


def rds_verify(aws: Aws, source_id: str, restored_id: str) -> dict[str, Any]:
    source, restored = rds_instance(aws, source_id), rds_instance(aws, restored_id)
    problems = [
        f"{name} {restored.get(name)!r} differs from the source's {source.get(name)!r}"
        for name in ("Engine", "EngineVersion")
        if restored.get(name) != source.get(name)
    ]
    endpoint = (restored.get("Endpoint") or {}).get("Address")
    if not endpoint:
        problems.append("the restored instance has no endpoint")
    if problems:
        raise DrillFailure(f"restored DB instance {restored_id}: " + "; ".join(problems))
    return {
        "instance": restored_id,
        "status": restored.get("DBInstanceStatus"),
        "engine": restored.get("Engine"),
        "engine_version": restored.get("EngineVersion"),
        "endpoint": endpoint,
        "allocated_storage_gb": restored.get("AllocatedStorage"),
        "data_check": "not run: the drill has no database credentials; check the schema by hand or "
        "with the application's smoke test against the endpoint",
    }


def identifier_from_endpoint(address: str) -> str:
    """An RDS endpoint address starts with the instance identifier."""
    return address.split(".", 1)[0]


def identifier_from_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]
