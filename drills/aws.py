"""boto3 plumbing shared by the AWS runbooks: clients, the drill role, and deleting what a drill
created (also used to clean up the leftovers of a drill whose worker died)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from drills.core import DrillFailure, describe_error

_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)

Waiter = Callable[[str, Callable[[], bool]], None]


@dataclass
class Aws:
    """Where a drill's AWS calls go: a boto3 session (credentials, maybe an assumed role), the
    default region, and an endpoint URL for an emulator (moto) or None for real AWS."""

    session: Any = None
    region: str | None = None
    endpoint_url: str | None = None
    _clients: dict[tuple[str, str | None], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = boto3.session.Session(region_name=self.region)
        if self.region is None:
            self.region = self.session.region_name or "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service, region_name=key[1], endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
            )
        return self._clients[key]


def assume_role_session(
    role_arn: str,
    *,
    region: str,
    session_name: str = "portal-drill",
    external_id: str | None = None,
    endpoint_url: str | None = None,
    base_session: Any = None,
    duration_s: int = 3600,
) -> Any:
    """A boto3 session with the temporary credentials of ``role_arn`` (the drill role configured
    per team or environment)."""
    base = base_session or boto3.session.Session(region_name=region)
    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
    kwargs: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration_s,
    }
    if external_id:
        kwargs["ExternalId"] = external_id
    creds = sts.assume_role(**kwargs)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def error_code(exc: BaseException) -> str:
    return (
        str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if isinstance(exc, ClientError)
        else ""
    )


# --------------------------------------------------------------------------------------------------
# Resource IDs and deleting them
#
# A drill names every resource it creates as "<kind>:<region>:<identifier>" so a later process
# (the portal's reaper, after a worker was killed) can delete it with nothing but the ID.


def resource_id(kind: str, region: str, identifier: str) -> str:
    if kind not in DELETERS:
        raise ValueError(f"unknown resource kind {kind!r}")
    return f"{kind}:{region}:{identifier}"


def parse_resource_id(value: str) -> tuple[str, str, str]:
    kind, region, identifier = value.split(":", 2)
    if kind not in DELETERS:
        raise ValueError(f"unknown resource kind {kind!r} in {value!r}")
    return kind, region, identifier


def _gone(call: Callable[[], Any], *missing_codes: str) -> bool:
    try:
        call()
    except ClientError as exc:
        if error_code(exc) in missing_codes:
            return True
        raise
    return False


def delete_dynamodb_table(aws: Aws, region: str, name: str, wait: Waiter) -> None:
    ddb = aws.client("dynamodb", region)
    if _gone(lambda: ddb.delete_table(TableName=name), "ResourceNotFoundException"):
        return
    wait(
        f"table {name} to be deleted",
        lambda: _gone(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException"),
    )


def delete_dynamodb_item(aws: Aws, region: str, identifier: str, wait: Waiter) -> None:
    table, key = identifier.split("/", 1)
    aws.client("dynamodb", region).delete_item(TableName=table, Key=json.loads(key))


def delete_rds_instance(aws: Aws, region: str, identifier: str, wait: Waiter) -> None:
    rds = aws.client("rds", region)

    def describe() -> Any:
        return rds.describe_db_instances(DBInstanceIdentifier=identifier)

    try:
        rds.delete_db_instance(
            DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
    except ClientError as exc:
        if error_code(exc) == "DBInstanceNotFound":
            return
        if error_code(exc) != "InvalidDBInstanceState":  # already being deleted: wait for it
            raise
    wait(f"DB instance {identifier} to be deleted", lambda: _gone(describe, "DBInstanceNotFound"))


def delete_rds_cluster(aws: Aws, region: str, identifier: str, wait: Waiter) -> None:
    rds = aws.client("rds", region)

    def describe() -> Any:
        return rds.describe_db_clusters(DBClusterIdentifier=identifier)

    def no_members() -> bool:
        try:
            clusters = describe()["DBClusters"]
        except ClientError as exc:
            if error_code(exc) == "DBClusterNotFoundFault":
                return True
            raise
        return not clusters or not clusters[0].get("DBClusterMembers")

    # A cluster can only be deleted once its instances are gone.
    wait(f"cluster {identifier} to have no instances", no_members)
    try:
        rds.delete_db_cluster(DBClusterIdentifier=identifier, SkipFinalSnapshot=True)
    except ClientError as exc:
        if error_code(exc) == "DBClusterNotFoundFault":
            return
        if error_code(exc) != "InvalidDBClusterStateFault":
            raise
    wait(f"cluster {identifier} to be deleted", lambda: _gone(describe, "DBClusterNotFoundFault"))


def delete_ec2_instance(aws: Aws, region: str, instance_id: str, wait: Waiter) -> None:
    ec2 = aws.client("ec2", region)
    if _gone(lambda: ec2.terminate_instances(InstanceIds=[instance_id]), "InvalidInstanceID.NotFound"):
        return

    def terminated() -> bool:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        states = [i["State"]["Name"] for r in reservations for i in r["Instances"]]
        return all(state == "terminated" for state in states)

    wait(f"instance {instance_id} to terminate", terminated)


def delete_ec2_volume(aws: Aws, region: str, volume_id: str, wait: Waiter) -> None:
    ec2 = aws.client("ec2", region)

    def state() -> str | None:
        try:
            volumes = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
        except ClientError as exc:
            if error_code(exc) == "InvalidVolume.NotFound":
                return None
            raise
        return str(volumes[0]["State"]) if volumes else None

    # DeleteOnTermination usually removes it with the instance; wait until it is detached or gone.
    wait(f"volume {volume_id} to detach", lambda: state() in (None, "available", "deleted"))
    if state() == "available":
        _gone(lambda: ec2.delete_volume(VolumeId=volume_id), "InvalidVolume.NotFound")


def delete_s3_object_versions(aws: Aws, region: str, identifier: str, wait: Waiter) -> None:
    """Deletes every version and delete marker of one key, so a versioned bucket keeps no trace."""
    bucket, key = identifier.split("/", 1)
    s3 = aws.client("s3", region)
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    for entry in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
        if entry["Key"] == key:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])


def delete_directory(aws: Aws, region: str, path: str, wait: Waiter) -> None:
    """A scratch workspace on the worker's disk (the state-restore drill)."""
    if os.path.exists(path):
        shutil.rmtree(path)


DELETERS: dict[str, Callable[[Aws, str, str, Waiter], None]] = {
    "directory": delete_directory,
    "dynamodb-table": delete_dynamodb_table,
    "dynamodb-item": delete_dynamodb_item,
    "rds-instance": delete_rds_instance,
    "rds-cluster": delete_rds_cluster,
    "ec2-instance": delete_ec2_instance,
    "ec2-volume": delete_ec2_volume,
    "s3-object": delete_s3_object_versions,
}


def delete_resource(aws: Aws, value: str, wait: Waiter) -> None:
    kind, region, identifier = parse_resource_id(value)
    DELETERS[kind](aws, region, identifier, wait)


def cleanup_resources(
    resource_ids: Sequence[str],
    *,
    aws: Aws,
    on_log: Callable[[str], None] | None = None,
    poll_interval_s: float = 10.0,
    timeout_s: float = 3600.0,
) -> list[str]:
    """Deletes resources a drill left behind (e.g. its worker was killed), newest first.
    Returns the IDs that are still there."""
    import time

    log = on_log or (lambda line: None)

    def wait(what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if time.monotonic() >= deadline:
                raise DrillFailure(f"timed out waiting for {what}")
            time.sleep(poll_interval_s)

    remaining = []
    for value in reversed(list(resource_ids)):
        try:
            delete_resource(aws, value, wait)
        except Exception as exc:
            remaining.append(value)
            log(f"LEFTOVER: {value} could not be deleted: {describe_error(exc)}")
        else:
            log(f"deleted {value}")
    return remaining


def tags(drill_id: str, kind: str = "Key") -> list[dict[str, str]]:
    """Tags on every scratch resource, so a person can find a drill's resources in the console."""
    return [
        {kind: "portal:drill", "Value": drill_id},
        {kind: "Name", "Value": f"portal-drill-{drill_id[:8]}"},
    ]


def tag_spec(resource_type: str, drill_id: str) -> dict[str, Any]:
    return {"ResourceType": resource_type, "Tags": tags(drill_id)}


def first(items: Sequence[Mapping[str, Any]], what: str) -> Mapping[str, Any]:
    if not items:
        raise DrillFailure(f"{what} not found")
    return items[0]
