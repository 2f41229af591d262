"""The demo's AWS environment: an "imported" serverless-api environment whose DynamoDB table
(point-in-time recovery on) and S3 bucket live in the local AWS emulator (moto) that `make run`
starts when no AWS credentials are configured. Loading it again changes nothing."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from portal.accounts.models import Team
from portal.catalog.models import Blueprint
from portal.environments.models import Environment, EnvironmentStatus

DEMO_NAME = "emulator-api"
DEMO_TABLE = "emulator-api-orders"
DEMO_BUCKET = "emulator-api-site"


def emulator_url() -> str | None:
    """The local AWS emulator's URL, when drills are pointed at one (never in production)."""
    url = os.environ.get("AWS_ENDPOINT_URL") or None
    return None if settings.PRODUCTION else url


def demo_aws_environment_load() -> Environment | None:
    """Creates the demo environment and its table and bucket in the emulator. Does nothing
    unless the emulator is configured, or when the catalog or the demo team is missing."""
    url = emulator_url()
    blueprint = Blueprint.objects.filter(slug="serverless-api").select_related("latest_version").first()
    team = Team.objects.filter(slug="payments").first()
    owner = get_user_model().objects.filter(username="alice").first()
    if not url or blueprint is None or blueprint.latest_version is None or team is None or owner is None:
        return None
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    ddb = session.client("dynamodb", endpoint_url=url)
    s3 = session.client("s3", endpoint_url=url)
    if DEMO_TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(
            TableName=DEMO_TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for index in range(5):
            ddb.put_item(TableName=DEMO_TABLE, Item={"pk": {"S": f"order#{index}"}, "sk": {"S": "meta"}})
    ddb.update_continuous_backups(
        TableName=DEMO_TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    if DEMO_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=DEMO_BUCKET)
        s3.put_bucket_versioning(Bucket=DEMO_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=DEMO_BUCKET, Key="index.html", Body=b"<h1>Orders v1</h1>")
        s3.put_object(Bucket=DEMO_BUCKET, Key="index.html", Body=b"<h1>Orders v2</h1>")
    with transaction.atomic():
        environment, _ = Environment.objects.update_or_create(
            team=team,
            name=DEMO_NAME,
            status=EnvironmentStatus.ACTIVE,
            defaults={
                "owner": owner,
                "blueprint_version": blueprint.latest_version,
                "tier": "prod",
                "region": "us-east-1",
                "outputs": {
                    "dynamodb_table_name": {"value": DEMO_TABLE, "sensitive": False},
                    "web_bucket_name": {"value": DEMO_BUCKET, "sensitive": False},
                    "imported": {
                        "value": "lives in the local AWS emulator (moto), not in AWS",
                        "sensitive": False,
                    },
                },
            },
        )
    return environment
