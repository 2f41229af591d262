"""One runbook per AWS blueprint. Each names its ordered steps (the blueprint's DR profile pins
the same list), the Terraform outputs and inputs it reads, and the IAM actions it needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from drills import parts
from drills.aws import Aws, error_code, tag_spec
from drills.core import Drill, DrillFailure, PreconditionFailed, Runbook, iso

PRECONDITIONS = "check preconditions"

DYNAMODB_PERMISSIONS = (
    "dynamodb:DescribeTable",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteTable",
)
RDS_INSTANCE_PERMISSIONS = (
    "rds:DescribeDBInstances",
    "rds:RestoreDBInstanceToPointInTime",
    "rds:AddTagsToResource",
    "rds:DeleteDBInstance",
)


class AwsRunbook(Runbook):
    """A runbook that talks to AWS through ``self.aws``."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws


class ServerlessApiRunbook(AwsRunbook):
    """000 serverless-api: DynamoDB point-in-time restore with a canary; S3 object-version restore."""

    name: ClassVar[str] = "serverless-api"
    description: ClassVar[str] = (
        "Restores the DynamoDB table to its latest restorable time into a new table, checks the item "
        "count and a canary item written just before, deletes the copy; restores a previous version "
        "of a site object to a scratch key and checks it."
    )
    steps: ClassVar[tuple[str, ...]] = (
        PRECONDITIONS,
        "write canary item",
        "restore table to point in time",
        "verify restored table",
        "restore object version",
        "verify restored object",
    )
    outputs: ClassVar[tuple[str, ...]] = ("dynamodb_table_name", "web_bucket_name")
    permissions: ClassVar[tuple[str, ...]] = (
        *DYNAMODB_PERMISSIONS,
        "s3:GetBucketVersioning",
        "s3:ListBucketVersions",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:GetObject",
        "s3:DeleteObjectVersion",
    )

    def run(self, drill: Drill) -> None:
        with drill.step(PRECONDITIONS) as step:
            table, bucket = drill.output("dynamodb_table_name"), drill.output("web_bucket_name")
            table_facts = parts.dynamodb_preconditions(drill, self.aws, table)
            step.evidence.update(table=table_facts, bucket=parts.s3_preconditions(bucket, self.aws))
        canary = dynamodb_canary_step(drill, self.aws, table, table_facts["key_schema"])
        with drill.step("restore table to point in time") as step:
            restored = parts.dynamodb_restore(drill, self.aws, table)
            step.evidence.update(restored)
        with drill.step("verify restored table") as step:
            step.evidence.update(
                parts.dynamodb_verify(drill, self.aws, table, restored["restored_table"], canary)
            )
        with drill.step("restore object version") as step:
            version = parts.s3_restore_version(drill, self.aws, bucket)
            step.evidence.update(version)
        with drill.step("verify restored object") as step:
            step.evidence.update(parts.s3_verify_version(self.aws, version))
            drill.verified()


def dynamodb_canary_step(drill: Drill, aws: Aws, table: str, keys: dict[str, str]) -> dict[str, Any] | None:
    with drill.step("write canary item") as step:
        canary = parts.dynamodb_write_canary(drill, aws, table, keys)
        if canary is None:
            step.outcome = "skipped"
            step.message = "the table's key is not a string, so no canary marker can be written"
            drill.warn(f"no canary in {table}: RPO (measured) is not available")
        else:
            step.evidence.update(
                key=canary["key"],
                written_at=iso(canary["written_at"]),
                restorable=canary["covered"],
                waited_s=canary["waited_s"],
            )
    return canary


class DjangoLambdaRunbook(AwsRunbook):
    """001 django-lambda: RDS PostgreSQL point-in-time restore; the DynamoDB rate-limit table."""

    name: ClassVar[str] = "django-lambda"
    description: ClassVar[str] = (
        "Restores the RDS PostgreSQL instance to its latest restorable time as a new private "
        "instance, waits until it is available, checks engine and endpoint, deletes it; restores "
        "the DynamoDB rate-limit table as in serverless-api."
    )
    steps: ClassVar[tuple[str, ...]] = (
        PRECONDITIONS,
        "write canary item",
        "restore database to point in time",
        "restore rate-limit table to point in time",
        "wait for database available",
        "verify restored database",
        "verify restored table",
    )
    outputs: ClassVar[tuple[str, ...]] = ("database_endpoint", "rate_limit_table_name")
    permissions: ClassVar[tuple[str, ...]] = (*RDS_INSTANCE_PERMISSIONS, *DYNAMODB_PERMISSIONS)

    def run(self, drill: Drill) -> None:
        shared = (
            "database_endpoint is empty: the environment uses the shared database "
            "(database_mode=shared), whose own drill covers it"
        )
        with drill.step(PRECONDITIONS) as step:
            table = drill.output("rate_limit_table_name")
            endpoint = drill.optional_output("database_endpoint")
            db = drill.input("database_identifier") or (
                parts.identifier_from_endpoint(endpoint) if endpoint else None
            )
            if db:
                step.evidence["database"] = parts.rds_preconditions(drill, self.aws, db)
            table_facts = parts.dynamodb_preconditions(drill, self.aws, table)
            step.evidence["table"] = table_facts
        canary = dynamodb_canary_step(drill, self.aws, table, table_facts["key_schema"])
        restored_db: dict[str, Any] = {}
        if db:
            with drill.step("restore database to point in time") as step:
                restored_db = parts.rds_restore(drill, self.aws, db)
                step.evidence.update(restored_db)
        else:
            drill.skip("restore database to point in time", shared)
        with drill.step("restore rate-limit table to point in time") as step:
            restored = parts.dynamodb_restore(drill, self.aws, table)
            step.evidence.update(restored)
        if db:
            with drill.step("wait for database available") as step:
                step.evidence.update(
                    parts.rds_wait_available(drill, self.aws, restored_db["restored_instance"])
                )
            with drill.step("verify restored database") as step:
                step.evidence.update(parts.rds_verify(self.aws, db, restored_db["restored_instance"]))
        else:
            drill.skip("wait for database available", shared)
            drill.skip("verify restored database", shared)
        with drill.step("verify restored table") as step:
            step.evidence.update(
                parts.dynamodb_verify(drill, self.aws, table, restored["restored_table"], canary)
            )
            drill.verified()


class LambdaAuroraRunbook(AwsRunbook):
    """002 lambda-aurora: Aurora point-in-time restore to a new cluster with a db.serverless instance."""

    name: ClassVar[str] = "lambda-aurora"
    description: ClassVar[str] = (
        "Restores the Aurora cluster to its latest restorable time as a new cluster (full copy), adds "
        "a db.serverless instance, waits until it is available, checks engine and endpoint, deletes "
        "the instance and then the cluster."
    )
    steps: ClassVar[tuple[str, ...]] = (
        PRECONDITIONS,
        "restore cluster to point in time",
        "add serverless instance",
        "wait for instance available",
        "verify restored cluster",
    )
    outputs: ClassVar[tuple[str, ...]] = ("aurora_cluster_identifier",)
    permissions: ClassVar[tuple[str, ...]] = (
        "rds:DescribeDBClusters",
        "rds:DescribeDBInstances",
        "rds:RestoreDBClusterToPointInTime",
        "rds:CreateDBInstance",
        "rds:AddTagsToResource",
        "rds:DeleteDBInstance",
        "rds:DeleteDBCluster",
    )

    def _cluster(self, identifier: str) -> dict[str, Any]:
        try:
            return dict(
                self.aws.client("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
            )
        except ClientError as exc:
            if error_code(exc) == "DBClusterNotFoundFault":
                raise PreconditionFailed(
                    f"Aurora cluster {identifier} does not exist in {self.aws.region}"
                ) from exc
            raise

    def run(self, drill: Drill) -> None:
        rds = self.aws.client("rds")
        with drill.step(PRECONDITIONS) as step:
            cluster_id = drill.output("aurora_cluster_identifier")
            source = self._cluster(cluster_id)
            latest = source.get("LatestRestorableTime")
            if latest is None:
                raise PreconditionFailed(
                    f"Aurora cluster {cluster_id} reports no latest restorable time; wait for its first "
                    "backup (backup_retention_period >= 1), then run the drill again"
                )
            step.evidence.update(
                cluster=cluster_id,
                engine=source.get("Engine"),
                engine_version=source.get("EngineVersion"),
                backup_retention_days=source.get("BackupRetentionPeriod"),
                **parts._age_note(drill, f"aurora:{cluster_id}", latest),
            )
        with drill.step("restore cluster to point in time") as step:
            target = drill.scratch_name(cluster_id)
            parts.track(drill, self.aws, "rds-cluster", target, f"delete restored cluster {target}")
            kwargs: dict[str, Any] = {
                "SourceDBClusterIdentifier": cluster_id,
                "DBClusterIdentifier": target,
                "UseLatestRestorableTime": True,
                "RestoreType": "full-copy",
                "DeletionProtection": False,
                "Tags": [{"Key": "portal:drill", "Value": drill.drill_id}],
                "ServerlessV2ScalingConfiguration": source.get("ServerlessV2ScalingConfiguration")
                or {"MinCapacity": 0.5, "MaxCapacity": 2.0},
            }
            if source.get("DBSubnetGroup"):
                kwargs["DBSubnetGroupName"] = source["DBSubnetGroup"]
            groups = [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups", [])]
            if groups:
                kwargs["VpcSecurityGroupIds"] = groups
            t0 = drill.restore_started()
            rds.restore_db_cluster_to_point_in_time(**kwargs)
            age = drill.recovery_point(f"aurora:{cluster_id}", latest, at=t0)
            step.evidence.update(
                source=cluster_id, restored_cluster=target, restored_to=iso(latest), rpo_api_s=age
            )
        with drill.step("add serverless instance") as step:
            instance = drill.scratch_name(f"{cluster_id}-1")
            parts.track(drill, self.aws, "rds-instance", instance, f"delete restored instance {instance}")
            rds.create_db_instance(
                DBInstanceIdentifier=instance,
                DBInstanceClass="db.serverless",
                Engine=source["Engine"],
                DBClusterIdentifier=target,
                Tags=[{"Key": "portal:drill", "Value": drill.drill_id}],
            )
            step.evidence.update(instance=instance, instance_class="db.serverless")
        with drill.step("wait for instance available") as step:
            step.evidence.update(parts.rds_wait_available(drill, self.aws, instance))
        with drill.step("verify restored cluster") as step:
            restored = self._cluster(target)
            problems = []
            if restored.get("Status") != "available":
                problems.append(f"status is {restored.get('Status')}")
            if restored.get("EngineVersion") != source.get("EngineVersion"):
                problems.append(
                    f"engine version {restored.get('EngineVersion')} differs from "
                    f"{source.get('EngineVersion')}"
                )
            members = [m["DBInstanceIdentifier"] for m in restored.get("DBClusterMembers", [])]
            if instance not in members:
                problems.append(f"instance {instance} is not a member")
            if not restored.get("Endpoint"):
                problems.append("no endpoint")
            if problems:
                raise DrillFailure(f"restored cluster {target}: " + "; ".join(problems))
            step.evidence.update(
                cluster=target,
                status=restored.get("Status"),
                engine_version=restored.get("EngineVersion"),
                members=members,
                endpoint=restored.get("Endpoint"),
            )
            drill.verified()


class CloudfrontEc2Runbook(AwsRunbook):
    """003 cloudfront-ec2: an instance from the latest AMI with the newest data-volume snapshot."""

    name: ClassVar[str] = "cloudfront-ec2"
    description: ClassVar[str] = (
        "Launches an instance from the environment's AMI (from the image inventory) with a volume "
        "restored from the newest snapshot of the data volume, waits until it runs and passes its "
        "status checks, checks the volume came from that snapshot and the snapshot's age against "
        "the RPO, terminates it."
    )
    steps: ClassVar[tuple[str, ...]] = (
        PRECONDITIONS,
        "launch instance from image and snapshot",
        "wait for instance running",
        "verify instance and data volume",
    )
    outputs: ClassVar[tuple[str, ...]] = ("data_volume_id", "instance_id")
    inputs: ClassVar[tuple[str, ...]] = ("ami_id",)
    permissions: ClassVar[tuple[str, ...]] = (
        "ec2:DescribeImages",
        "ec2:DescribeSnapshots",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeVolumes",
        "ec2:RunInstances",
        "ec2:CreateTags",
        "ec2:TerminateInstances",
        "ec2:DeleteVolume",
    )
    DEVICE = "/dev/sdf"

    def run(self, drill: Drill) -> None:
        ec2 = self.aws.client("ec2")
        with drill.step(PRECONDITIONS) as step:
            ami = drill.input("ami_id")
            if not ami:
                raise PreconditionFailed(
                    "the environment has no AMI: build the image (Packer) and record it in the image "
                    "inventory, so the drill knows which image to launch"
                )
            images = ec2.describe_images(Filters=[{"Name": "image-id", "Values": [ami]}])["Images"]
            if not images or images[0].get("State") != "available":
                state = images[0].get("State") if images else "missing"
                raise PreconditionFailed(
                    f"AMI {ami} is {state} in {self.aws.region}: rebuild the image (Packer) or copy it to "
                    "this region, and record it in the image inventory"
                )
            volume = drill.output("data_volume_id")
            snapshots = ec2.describe_snapshots(
                OwnerIds=["self"],
                Filters=[
                    {"Name": "volume-id", "Values": [volume]},
                    {"Name": "status", "Values": ["completed"]},
                ],
            )["Snapshots"]
            if not snapshots:
                raise PreconditionFailed(
                    f"no completed snapshot of data volume {volume}: enable the Data Lifecycle Manager "
                    "policy (aws_dlm_lifecycle_policy.data) or take a snapshot"
                )
            snapshot = max(snapshots, key=lambda s: s["StartTime"])
            live = self._live_instance(drill.optional_output("instance_id"))
            step.evidence.update(
                ami=ami,
                ami_name=images[0].get("Name"),
                data_volume=volume,
                snapshot=snapshot["SnapshotId"],
                snapshot_started=iso(snapshot["StartTime"]),
                live_instance=live.get("InstanceId"),
                **parts._age_note(drill, f"snapshot:{volume}", snapshot["StartTime"]),
            )
        with drill.step("launch instance from image and snapshot") as step:
            kwargs: dict[str, Any] = {
                "ImageId": ami,
                "MinCount": 1,
                "MaxCount": 1,
                "InstanceType": live.get("InstanceType") or drill.input("instance_type", "t4g.small"),
                "BlockDeviceMappings": [
                    {
                        "DeviceName": self.DEVICE,
                        "Ebs": {"SnapshotId": snapshot["SnapshotId"], "DeleteOnTermination": True},
                    }
                ],
                "TagSpecifications": [
                    tag_spec("instance", drill.drill_id),
                    tag_spec("volume", drill.drill_id),
                ],
                # Idempotent: a retried call after a lost answer returns the same instance.
                "ClientToken": f"portal-drill-{drill.drill_id}"[:64],
            }
            if live.get("SubnetId"):
                kwargs["SubnetId"] = live["SubnetId"]
                kwargs["SecurityGroupIds"] = [g["GroupId"] for g in live.get("SecurityGroups", [])]
            t0 = drill.restore_started()
            instance = ec2.run_instances(**kwargs)["Instances"][0]
            instance_rid = parts.track(
                drill,
                self.aws,
                "ec2-instance",
                instance["InstanceId"],
                f"terminate instance {instance['InstanceId']}",
            )
            age = drill.recovery_point(f"snapshot:{volume}", snapshot["StartTime"], at=t0)
            step.evidence.update(
                instance=instance["InstanceId"], instance_type=kwargs["InstanceType"], rpo_api_s=age
            )
        with drill.step("wait for instance running") as step:
            instance_id = instance["InstanceId"]

            def running() -> bool:
                described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][
                    0
                ]
                state = described["State"]["Name"]
                if state in ("terminated", "shutting-down", "stopped"):
                    raise DrillFailure(f"instance {instance_id} is {state} instead of running")
                if state != "running":
                    return False
                statuses = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
                return bool(statuses) and all(
                    statuses[0][check]["Status"] == "ok" for check in ("InstanceStatus", "SystemStatus")
                )

            drill.wait_until(f"instance {instance_id} to run and pass its status checks", running)
            step.evidence.update(instance=instance_id, state="running", status_checks="ok")
        with drill.step("verify instance and data volume") as step:
            described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
            mapping = {
                b["DeviceName"]: b["Ebs"]["VolumeId"] for b in described.get("BlockDeviceMappings", [])
            }
            for volume_id in mapping.values():
                parts.track(
                    drill,
                    self.aws,
                    "ec2-volume",
                    volume_id,
                    f"delete volume {volume_id}",
                    before=instance_rid,
                )
            restored_volume = mapping.get(self.DEVICE)
            if restored_volume is None:
                raise DrillFailure(f"instance {instance_id} has no volume at {self.DEVICE}")
            volume_info = ec2.describe_volumes(VolumeIds=[restored_volume])["Volumes"][0]
            if volume_info.get("SnapshotId") != snapshot["SnapshotId"]:
                raise DrillFailure(
                    f"volume {restored_volume} came from {volume_info.get('SnapshotId')}, "
                    f"not {snapshot['SnapshotId']}"
                )
            step.evidence.update(
                instance=instance_id,
                image=described.get("ImageId"),
                data_volume=restored_volume,
                from_snapshot=volume_info.get("SnapshotId"),
            )
            drill.verified()

    def _live_instance(self, instance_id: str | None) -> dict[str, Any]:
        """The environment's server, whose type, subnet and security groups the copy reuses; empty
        when it is gone (which is the disaster this drill rehearses)."""
        if not instance_id:
            return {}
        try:
            reservations = self.aws.client("ec2").describe_instances(InstanceIds=[instance_id])[
                "Reservations"
            ]
        except ClientError as exc:
            if error_code(exc) == "InvalidInstanceID.NotFound":
                return {}
            raise
        return dict(reservations[0]["Instances"][0]) if reservations else {}


class EksPlatformRunbook(AwsRunbook):
    """004 eks-platform: RDS point-in-time restore, S3 replica and cross-region backup age, DLQ."""

    name: ClassVar[str] = "eks-platform"
    description: ClassVar[str] = (
        "Restores the RDS PostgreSQL instance as in django-lambda; measures how long a canary object "
        "takes to reach the S3 replica and how old the cross-region copy of the database backups "
        "is, against the 15-minute RPO; counts the messages in the SQS dead-letter queue."
    )
    steps: ClassVar[tuple[str, ...]] = (
        PRECONDITIONS,
        "restore database to point in time",
        "wait for database available",
        "verify restored database",
        "check S3 replica age",
        "check cross-region backup age",
        "count dead-letter messages",
    )
    outputs: ClassVar[tuple[str, ...]] = (
        "database_arn",
        "data_bucket_name",
        "replica_bucket_arn",
        "dead_letter_queue_url",
    )
    inputs: ClassVar[tuple[str, ...]] = ("replica_region",)
    permissions: ClassVar[tuple[str, ...]] = (
        *RDS_INSTANCE_PERMISSIONS,
        "rds:DescribeDBInstanceAutomatedBackups",
        "s3:GetReplicationConfiguration",
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucketVersions",
        "s3:DeleteObjectVersion",
        "sqs:GetQueueAttributes",
    )

    def run(self, drill: Drill) -> None:
        s3 = self.aws.client("s3")
        with drill.step(PRECONDITIONS) as step:
            db_arn = drill.output("database_arn")
            db = parts.identifier_from_arn(db_arn)
            step.evidence["database"] = parts.rds_preconditions(drill, self.aws, db)
            bucket = drill.output("data_bucket_name")
            replica_arn = drill.optional_output("replica_bucket_arn")
            replica = parts.identifier_from_arn(replica_arn) if replica_arn else None
            replica_region = drill.input("replica_region")
            if replica:
                try:
                    rules = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]
                except ClientError as exc:
                    if error_code(exc) != "ReplicationConfigurationNotFoundError":
                        raise
                    raise PreconditionFailed(
                        f"bucket {bucket} has a replica ({replica}) but no replication rule: enable "
                        "replication (enable_s3_replication = true applies "
                        "aws_s3_bucket_replication_configuration)"
                    ) from exc
                step.evidence["replication_rules"] = len(rules)
            step.evidence.update(bucket=bucket, replica=replica, replica_region=replica_region)
            queue = drill.output("dead_letter_queue_url")
        with drill.step("restore database to point in time") as step:
            restored = parts.rds_restore(drill, self.aws, db)
            step.evidence.update(restored)
        with drill.step("wait for database available") as step:
            step.evidence.update(parts.rds_wait_available(drill, self.aws, restored["restored_instance"]))
        with drill.step("verify restored database") as step:
            step.evidence.update(parts.rds_verify(self.aws, db, restored["restored_instance"]))
            drill.verified()
        if replica:
            with drill.step("check S3 replica age") as step:
                step.evidence.update(self._replica_lag(drill, bucket, replica, replica_region))
        else:
            drill.skip(
                "check S3 replica age",
                "replication is off (enable_s3_replication = false), so there is no replica",
            )
        self._cross_region_backup(drill, db_arn, replica_region)
        with drill.step("count dead-letter messages") as step:
            attributes = self.aws.client("sqs").get_queue_attributes(
                QueueUrl=queue,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            count = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
                attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
            )
            step.evidence.update(queue=queue, messages=count)
            if count:
                drill.warn(f"{count} message(s) in the dead-letter queue: work failed and waits for redrive")

    def _replica_lag(
        self, drill: Drill, bucket: str, replica: str, replica_region: str | None
    ) -> dict[str, Any]:
        """Writes a canary object and times its arrival in the replica, up to the RPO target."""
        key = f"{parts.SCRATCH_PREFIX}/{drill.drill_id}/replication-canary"
        parts.track(
            drill,
            self.aws,
            "s3-object",
            f"{replica}/{key}",
            f"delete replicated canary in {replica}",
            region=replica_region,
        )
        parts.track(drill, self.aws, "s3-object", f"{bucket}/{key}", f"delete canary in {bucket}")
        written_at = drill.clock.now()
        self.aws.client("s3").put_object(Bucket=bucket, Key=key, Body=(iso(written_at) or "").encode())
        replica_s3 = self.aws.client("s3", replica_region)
        arrived: list[datetime] = []

        def replicated() -> bool:
            try:
                replica_s3.head_object(Bucket=replica, Key=key)
            except ClientError as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            arrived.append(drill.clock.now())
            return True

        try:
            drill.wait_until(f"the canary to reach {replica}", replicated, timeout_s=drill.canary_wait_s)
        except DrillFailure as exc:
            raise DrillFailure(
                f"the canary object written to {bucket} did not reach the replica {replica} within "
                f"{drill.canary_wait_s:.0f} s (RPO target {drill.targets.rpo_s:.0f} s): check the "
                "replication rule, its IAM role and the replica's KMS key"
            ) from exc
        age = drill.recovery_point(f"s3-replica:{replica}", written_at, at=arrived[0])
        return {
            "bucket": bucket,
            "replica": replica,
            "written_at": iso(written_at),
            "arrived_at": iso(arrived[0]),
            "replication_lag_s": age,
        }

    def _cross_region_backup(self, drill: Drill, db_arn: str, replica_region: str | None) -> None:
        name = "check cross-region backup age"
        if not replica_region or replica_region == self.aws.region:
            drill.skip(
                name,
                "no replica region is set for this environment, so there is no cross-region backup to check",
            )
            return
        with drill.step(name) as step:
            backups = self.aws.client("rds", replica_region).describe_db_instance_automated_backups()[
                "DBInstanceAutomatedBackups"
            ]
            copies = [
                b for b in backups if b.get("DBInstanceArn") == db_arn and b.get("Region") != self.aws.region
            ]
            copies = copies or [b for b in backups if b.get("DBInstanceArn") == db_arn]
            if not copies:
                step.outcome = "skipped"
                step.message = (
                    f"no cross-region copy of {db_arn}'s automated backups in {replica_region}: enable it "
                    "(aws rds start-db-instance-automated-backups-replication "
                    f"--source-db-instance-arn {db_arn} "
                    f"--region {replica_region}); the blueprint does not configure it yet"
                )
                drill.warn(step.message)
                return
            latest = copies[0].get("RestoreWindow", {}).get("LatestTime")
            if latest is None:
                raise DrillFailure(
                    f"the cross-region backup copy in {replica_region} has no restore window yet"
                )
            age = drill.recovery_point(f"rds-cross-region:{replica_region}", latest, at=drill.clock.now())
            step.evidence.update(
                region=replica_region, latest_time=iso(latest), age_s=age, checked_at=iso(datetime.now(UTC))
            )
