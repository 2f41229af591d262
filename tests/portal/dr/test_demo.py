"""The demo's AWS environment in the local emulator: loaded idempotently, and its drill passes."""

from __future__ import annotations

from io import StringIO

import boto3
from django.core.management import call_command
from django.urls import reverse

from portal.dr.demo import DEMO_BUCKET, DEMO_TABLE
from portal.dr.models import DrillStatus
from portal.dr.services import drill_start
from portal.environments.models import Environment
from tests.factories import published_blueprints
from tests.portal.dr.conftest import execute_here


def test_demo_environment_lives_in_the_emulator_and_its_drill_passes(
    transactional_db, aws_env, client, settings
):
    settings.DRILL_POLL_INTERVAL_S, settings.DRILL_CANARY_WAIT_S = 0.05, 0.2
    published_blueprints()
    out = StringIO()
    call_command("dr", "demo", stdout=out)
    assert "skipped" in out.getvalue()  # no demo users yet
    call_command("seed_demo", stdout=StringIO())
    call_command("dr", "demo", stdout=StringIO())  # again: no duplicates
    environment = Environment.objects.get(name="emulator-api")
    assert Environment.objects.filter(name="emulator-api").count() == 1
    ddb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"])
    pitr = ddb.describe_continuous_backups(TableName=DEMO_TABLE)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"])
    assert s3.get_bucket_versioning(Bucket=DEMO_BUCKET)["Status"] == "Enabled"

    client.login(username="erin", password="demo-pass-123")
    html = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert 'data-testid="dr-emulator"' in html and 'data-testid="run-drill"' in html
    drill = execute_here(drill_start(environment=environment))
    assert drill.status == DrillStatus.PASSED, drill.reason
    assert drill.cleanup_ok and drill.rto_achieved_s is not None
