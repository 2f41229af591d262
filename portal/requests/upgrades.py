"""Blueprint upgrades: an environment's update request to a newer version of its blueprint,
one at a time (the request form with ?environment=<id>&version=<v>) or many at once (a batch).

A batch makes one ordinary update request per environment and submits it; each is planned,
priced and approved on its own through the normal flow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from blueprints.inputs import validate_inputs
from portal.audit.services import audit_record
from portal.catalog.models import BlueprintVersion
from portal.core.permissions import can_upgrade_in_bulk
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import UpgradeBatch
from portal.requests.services import environment_request_create, environment_request_submit


def upgrade_inputs(*, environment: Environment, target: BlueprintVersion) -> dict[str, Any]:
    """The environment's current inputs carried to `target`: inputs `target` no longer has are
    dropped, inputs new in it are left out so that they take their defaults."""
    names = {field.name for field in target.fields}
    data = {key: value for key, value in environment.inputs.items() if key in names}
    data.update({"name": environment.name, "tier": environment.tier})
    if target.blueprint.runtime == "aws":
        data["region"] = environment.region
    return data


def upgrade_candidates(*, target: BlueprintVersion) -> QuerySet[Environment]:
    """Active environments on an older version of `target`'s blueprint (every team)."""
    return (
        Environment.objects.filter(
            status=EnvironmentStatus.ACTIVE,
            blueprint_version__blueprint_id=target.blueprint_id,
            blueprint_version__published_at__lt=target.published_at,
        )
        .exclude(blueprint_version=target)
        .select_related("team", "owner", "blueprint_version__blueprint")
        .defer("blueprint_version__source_files", "blueprint_version__metadata")
    )


def _skip(batch: UpgradeBatch, environment: Environment, reason: str) -> None:
    batch.skipped.append({"environment": environment.pk, "name": str(environment), "reason": reason})


def upgrade_batch_create(
    *, actor: Any, target: BlueprintVersion, environments: Iterable[Environment], ip: str | None = None
) -> UpgradeBatch:
    """Makes and submits one update request to `target` per environment (each in its own
    transaction, so one refusal does not stop the rest); what could not be requested is listed
    in `batch.skipped` with the reason."""
    if not can_upgrade_in_bulk(actor):
        raise PermissionDenied("Only platform admins may upgrade environments in bulk.")
    with transaction.atomic():
        batch = UpgradeBatch.objects.create(target_version=target, created_by=actor)
        audit_record(
            actor=actor,
            action="upgrade_batch.created",
            target=batch,
            ip=ip,
            summary=f"{actor} started {batch}.",
        )
    spec = target.as_spec()
    candidates = {env.pk for env in upgrade_candidates(target=target)}
    for environment in environments:
        if environment.pk not in candidates:
            _skip(
                batch,
                environment,
                f"not an active environment on an older version of {target.blueprint.slug}",
            )
            continue
        inputs = validate_inputs(spec, upgrade_inputs(environment=environment, target=target))
        if not inputs.ok:
            _skip(batch, environment, "; ".join(f"{k}: {v}" for k, v in inputs.errors.items()))
            continue
        try:
            with transaction.atomic():
                request = environment_request_create(
                    requester=actor,
                    team=environment.team,
                    blueprint_version=target,
                    inputs=inputs,
                    reason=f"Bulk upgrade ({batch}): {environment.blueprint_version.version} "
                    f"→ {target.version}.",
                    environment=environment,
                    ip=ip,
                    upgrade_batch=batch,
                )
                environment_request_submit(request=request, actor=actor, ip=ip)
        except Exception as exc:
            _skip(batch, environment, str(exc) or type(exc).__name__)
    batch.save(update_fields=["skipped"])
    return batch
