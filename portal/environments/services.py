"""Writes for environments: creation from a request, the Terraform HTTP state backend (state
versions and locks), drift results, and expiry."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.audit.services import audit_record
from portal.catalog.models import MachineImage
from portal.core.crypto import decrypt_json, encrypt_json
from portal.environments.models import (
    DriftStatus,
    Environment,
    EnvironmentEstimate,
    EnvironmentStatus,
    StateLock,
    StateVersion,
)


class StateLocked(Exception):
    def __init__(self, lock: StateLock) -> None:
        super().__init__(f"state locked by {lock.info.get('Who', '?')} since {lock.created_at:%H:%M:%S}")
        self.lock = lock


class StateConflict(Exception):
    """A write that does not hold the current lock."""


@transaction.atomic
def environment_create(*, request: Any, actor: Any) -> Environment:
    """Creates the environment a create-request asks for (status pending until applied)."""
    ttl_days = request.blueprint_version.tiers[request.tier].get("ttl_days")
    environment = Environment.objects.create(
        team=request.team,
        owner=request.requester,
        name=request.environment_name,
        blueprint_version=request.blueprint_version,
        tier=request.tier,
        region=request.region,
        inputs=request.inputs,
        secret_inputs=request.secret_inputs,
        state_password=encrypt_json(secrets.token_urlsafe(32)),
        expires_at=timezone.now() + timedelta(days=ttl_days) if ttl_days else None,
    )
    image_field = request.blueprint_version.metadata.get("image_field")
    if image_field and request.inputs.get(image_field):
        environment.image = machine_image_find(
            blueprint=request.blueprint_version.blueprint, image_id=str(request.inputs[image_field])
        )
        environment.save(update_fields=["image"])
    audit_record(
        actor=actor,
        action="environment.created",
        target=environment,
        summary=f"Created {environment} from {request.blueprint_version} ({request.tier}).",
    )
    return environment


def machine_image_find(*, blueprint: Any, image_id: str) -> MachineImage | None:
    """The inventory image (of any version of the blueprint) that produced this image id."""
    for image in MachineImage.objects.filter(blueprint_version__blueprint=blueprint).order_by("-created_at"):
        if any(artifact["image_id"] == image_id for artifact in image.artifacts):
            return image
    return None


def environment_state_password(environment: Environment) -> str:
    return str(decrypt_json(environment.state_password))


def state_credentials_valid(environment: Environment, username: str, password: str) -> bool:
    expected = environment_state_password(environment)
    return username == environment.state_username and secrets.compare_digest(password, expected)


def state_latest(environment: Environment) -> bytes | None:
    version = environment.state_versions.order_by("-created_at", "-id").first()
    if version is None:
        return None
    return str(decrypt_json(version.state)).encode()


# The runs app sits above this one; it registers how to find an environment's active run (its
# AppConfig.ready), so a state lock or version is tagged with the run that wrote it.
_active_run_lookup: Callable[[Environment], Any] = lambda environment: None  # noqa: E731


def active_run_lookup_register(lookup: Callable[[Environment], Any]) -> None:
    global _active_run_lookup
    _active_run_lookup = lookup


def _active_run(environment: Environment) -> Any:
    return _active_run_lookup(environment)


@transaction.atomic
def state_lock(*, environment: Environment, info: dict[str, Any]) -> StateLock:
    environment = Environment.objects.select_for_update().get(pk=environment.pk)
    existing = StateLock.objects.filter(environment=environment).first()
    if existing is not None:
        raise StateLocked(existing)
    return StateLock.objects.create(
        environment=environment, lock_id=str(info.get("ID", ""))[:64], info=info, run=_active_run(environment)
    )


@transaction.atomic
def state_unlock(*, environment: Environment, lock_id: str) -> None:
    environment = Environment.objects.select_for_update().get(pk=environment.pk)
    lock = StateLock.objects.filter(environment=environment).first()
    if lock is None:
        return
    if lock_id and lock.lock_id != lock_id:
        raise StateLocked(lock)
    lock.delete()


@transaction.atomic
def state_write(*, environment: Environment, body: bytes, lock_id: str) -> StateVersion:
    """Stores a new state version (encrypted). A locked state only accepts its lock holder."""
    environment = Environment.objects.select_for_update().get(pk=environment.pk)
    lock = StateLock.objects.filter(environment=environment).first()
    if lock is not None and lock_id != lock.lock_id:
        raise StateLocked(lock)
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("state must be a JSON object")
    return StateVersion.objects.create(
        environment=environment,
        serial=int(document.get("serial", 0)),
        lineage=str(document.get("lineage", "")),
        state=encrypt_json(body.decode()),
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        run=_active_run(environment),
    )


@transaction.atomic
def state_force_unlock(*, environment: Environment, actor: Any, ip: str | None = None) -> bool:
    """A platform admin removes a stuck lock; audited with who held it."""
    lock = StateLock.objects.select_for_update().filter(environment=environment).first()
    if lock is None:
        return False
    audit_record(
        actor=actor,
        action="state.force_unlocked",
        target=environment,
        ip=ip,
        summary=f"{actor} force-unlocked the state of {environment} (held by {lock.info.get('Who', '?')} "
        f"for {lock.info.get('Operation', '?')} since {lock.created_at:%Y-%m-%d %H:%M:%S} UTC).",
        data={"lock": lock.info},
    )
    lock.delete()
    return True


def state_locks_release(*, environment_id: int, run_id: int, untagged_too: bool) -> None:
    """Removes the state lock a finished run held; with `untagged_too`, also a lock taken by its
    Terraform before the LOCK handler could tag it (a failed or killed run must not leave one)."""
    StateLock.objects.filter(environment_id=environment_id, run_id=run_id).delete()
    if untagged_too:
        StateLock.objects.filter(environment_id=environment_id, run__isnull=True).delete()


def environment_applied(
    *, environment_id: int, destroyed: bool, outputs: dict[str, Any], run_id: int | None = None
) -> None:
    """An apply succeeded: the environment is active with these outputs, or destroyed.

    A destroyed environment records when and by which run; its outputs and expiry are cleared
    (nothing is left to expire) and its state versions, the final one included, are kept."""
    environment = Environment.objects.get(pk=environment_id)
    fields = ["status", "outputs", "updated_at"]
    if destroyed:
        environment.status, environment.outputs = EnvironmentStatus.DESTROYED, {}
        environment.destroyed_at, environment.destroyed_by_run_id = timezone.now(), run_id
        environment.expires_at = None
        fields += ["destroyed_at", "destroyed_by_run", "expires_at"]
    else:
        environment.status, environment.outputs = EnvironmentStatus.ACTIVE, outputs
    environment.save(update_fields=fields)


def environment_drift_record(*, environment_id: int, drifted: bool | None, changes: list[Any]) -> None:
    """Stores a drift check's result; `drifted=None` means the check itself failed."""
    fields: dict[str, Any] = {"drift_checked_at": timezone.now()}
    if drifted is None:
        fields["drift_status"] = DriftStatus.ERROR
    else:
        fields.update(
            drift_status=DriftStatus.DRIFTED if drifted else DriftStatus.IN_SYNC, drift_changes=changes
        )
    Environment.objects.filter(pk=environment_id).update(**fields)


def environment_cost_record(
    *,
    environment: Environment,
    monthly_cost_usd: Decimal | None,
    cost_estimate: dict[str, Any],
    blueprint_version: Any = None,
    inputs: dict[str, Any] | None = None,
    secret_inputs: str | None = None,
) -> None:
    """After a request's apply: the environment's cost is that of the applied plan; an update
    also leaves it running the blueprint version and inputs the update planned."""
    environment.monthly_cost_usd = monthly_cost_usd
    if blueprint_version is not None:
        environment.blueprint_version = blueprint_version
        environment.inputs, environment.secret_inputs = inputs or {}, secret_inputs or ""
    environment.save()
    EnvironmentEstimate.objects.update_or_create(
        environment=environment, defaults={"cost_estimate": cost_estimate}
    )
