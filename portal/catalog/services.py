"""Writes to the catalog: publishing blueprint versions from terraform/blueprints."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from blueprints.spec import BLUEPRINTS_DIR, BlueprintSpec, load_all
from portal.audit.services import audit_record
from portal.catalog.models import Blueprint, BlueprintVersion, MachineImage


class VersionFrozen(Exception):
    """A version pinned by requests or environments cannot be changed or deleted."""


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _changes_for(spec: BlueprintSpec) -> str:
    for entry in spec.metadata["changelog"]:
        if entry["version"] == spec.version:
            return str(entry["changes"])
    return ""


@transaction.atomic
def blueprint_publish(*, spec: BlueprintSpec, actor: Any = None) -> tuple[BlueprintVersion, str]:
    """Publishes one blueprint version from its files. Returns (version, "created"|"updated"|"unchanged").

    A version whose content changed is updated only while nothing pins it; otherwise publishing
    refuses and asks for a new version number, so pinned environments never change under anyone.
    """
    blueprint, _ = Blueprint.objects.select_for_update().get_or_create(
        slug=spec.slug,
        defaults={
            "title": spec.title,
            "summary": spec.metadata["summary"],
            "seed": spec.seed or "",
            "runtime": spec.runtime,
        },
    )
    blueprint.title, blueprint.summary = spec.title, spec.metadata["summary"]
    blueprint.seed, blueprint.runtime = spec.seed or "", spec.runtime
    snapshot = {
        "metadata": spec.metadata,
        "source_files": spec.files,
        "source_sha256": spec.source_sha256,
        "changes": _changes_for(spec),
    }
    existing = BlueprintVersion.objects.filter(blueprint=blueprint, version=spec.version).first()
    if existing is not None and existing.source_sha256 == spec.source_sha256:
        outcome, version = "unchanged", existing
    elif existing is not None:
        users = existing.in_use_by()
        if users:
            raise VersionFrozen(
                f"{spec.slug} {spec.version} is pinned by {', '.join(users)} and its files changed: "
                "publish the change as a new version (bump `version` and add a changelog entry)."
            )
        for key, value in snapshot.items():
            setattr(existing, key, value)
        existing.published_by = actor if getattr(actor, "is_authenticated", False) else None
        existing.save()
        outcome, version = "updated", existing
        audit_record(
            actor=actor,
            action="blueprint_version.updated",
            target=version,
            summary=f"Updated unpinned {version} from terraform/blueprints/{spec.slug}.",
            data={"source_sha256": spec.source_sha256},
        )
    else:
        version = BlueprintVersion.objects.create(
            blueprint=blueprint,
            version=spec.version,
            published_by=actor if getattr(actor, "is_authenticated", False) else None,
            **snapshot,
        )
        outcome = "created"
        audit_record(
            actor=actor,
            action="blueprint_version.published",
            target=version,
            summary=f"Published {version}: {version.changes}",
            data={"source_sha256": spec.source_sha256},
        )
    versions = list(blueprint.versions.all())
    blueprint.latest_version = max(versions, key=lambda v: _semver(v.version))
    blueprint.save()
    return version, outcome


def blueprints_sync(*, actor: Any = None, root=BLUEPRINTS_DIR) -> list[tuple[BlueprintVersion, str]]:
    """Publishes every blueprint folder. Each blueprint is its own transaction."""
    return [blueprint_publish(spec=spec, actor=actor) for spec in load_all(root)]


@transaction.atomic
def blueprint_version_delete(*, version: BlueprintVersion, actor: Any) -> None:
    """Deletes an unpinned version; a pinned one raises VersionFrozen."""
    version = BlueprintVersion.objects.select_for_update().get(pk=version.pk)
    users = version.in_use_by()
    if users:
        raise VersionFrozen(f"{version} is pinned by {', '.join(users)} and cannot be deleted.")
    blueprint = version.blueprint
    audit_record(
        actor=actor, action="blueprint_version.deleted", target=version, summary=f"Deleted {version}."
    )
    if blueprint.latest_version_id == version.pk:
        blueprint.latest_version = None
        blueprint.save(update_fields=["latest_version"])
    version.delete()
    remaining = list(blueprint.versions.all())
    if remaining:
        blueprint.latest_version = max(remaining, key=lambda v: _semver(v.version))
        blueprint.save(update_fields=["latest_version"])


def machine_image_record(
    *, blueprint_version: BlueprintVersion, run: Any, artifacts: list[dict[str, str]]
) -> MachineImage:
    """Adds an image an image-build run produced to the inventory."""
    return MachineImage.objects.create(blueprint_version=blueprint_version, run=run, artifacts=artifacts)
