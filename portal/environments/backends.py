"""Where an environment's Terraform state lives: the portal's own HTTP backend (default), or an
S3 bucket with a DynamoDB lock table (seed 002's setup), chosen by STATE_BACKEND."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from portal.environments.models import Environment
from portal.environments.services import environment_state_password

log = logging.getLogger(__name__)


def s3_state_key(environment: Environment) -> str:
    return f"{settings.STATE_S3_KEY_PREFIX}/env-{environment.pk}/terraform.tfstate"


def backend_config(environment: Environment) -> tuple[str, dict[str, str]]:
    """(backend type, settings) for a run's `-backend-config` file."""
    if settings.STATE_BACKEND == "s3":
        config = {
            "bucket": settings.STATE_S3_BUCKET,
            "key": s3_state_key(environment),
            "region": settings.STATE_S3_REGION,
            "dynamodb_table": settings.STATE_S3_LOCK_TABLE,
            "encrypt": "true",
        }
        if settings.STATE_S3_ENDPOINT:  # a private endpoint, or moto in tests
            config.update(
                {
                    "endpoint": settings.STATE_S3_ENDPOINT,
                    "dynamodb_endpoint": settings.STATE_S3_ENDPOINT,
                    "force_path_style": "true",
                    "skip_credentials_validation": "true",
                    "skip_metadata_api_check": "true",
                    "skip_region_validation": "true",
                }
            )
        return "s3", config
    address = f"{settings.PORTAL_INTERNAL_URL}/state/{environment.pk}"
    return "http", {
        "address": address,
        "lock_address": address,
        "unlock_address": address,
        "lock_method": "LOCK",
        "unlock_method": "UNLOCK",
        "username": environment.state_username,
        "password": environment_state_password(environment),
        # Retried across a portal or database outage (the state view answers 503), so state
        # writes and unlocks of a running apply are not lost.
        "retry_max": str(settings.STATE_HTTP_RETRY_MAX),
        "retry_wait_min": str(settings.STATE_HTTP_RETRY_WAIT_MIN_S),
        "retry_wait_max": str(settings.STATE_HTTP_RETRY_WAIT_MAX_S),
    }


def s3_client(service: str) -> Any:
    import boto3

    return boto3.client(
        service, region_name=settings.STATE_S3_REGION, endpoint_url=settings.STATE_S3_ENDPOINT or None
    )


def s3_lock_release(environment: Environment) -> bool:
    """Deletes a leftover DynamoDB lock of a run that died. Leaves the `-md5` digest item alone."""
    lock_id = f"{settings.STATE_S3_BUCKET}/{s3_state_key(environment)}"
    try:
        response = s3_client("dynamodb").delete_item(
            TableName=settings.STATE_S3_LOCK_TABLE, Key={"LockID": {"S": lock_id}}, ReturnValues="ALL_OLD"
        )
    except Exception as exc:  # the reaper must go on; the lock shows on the next check
        log.warning("could not release the S3 state lock %s: %s", lock_id, exc)
        return False
    return "Attributes" in response
