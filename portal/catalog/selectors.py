"""Read-side queries for the catalog."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from blueprints import hcl
from blueprints.static_analysis import accepted_skips
from portal.catalog.models import Blueprint, BlueprintVersion


def blueprint_list() -> QuerySet[Blueprint]:
    return Blueprint.objects.filter(is_active=True, latest_version__isnull=False).select_related(
        "latest_version__blueprint"
    )


def blueprint_version_get(*, slug: str, version: str | None = None) -> BlueprintVersion:
    """The named version of an active blueprint, or its latest; 404 otherwise."""
    blueprint = get_object_or_404(Blueprint, slug=slug, is_active=True)
    if version:
        return get_object_or_404(
            BlueprintVersion.objects.select_related("blueprint"), blueprint=blueprint, version=version
        )
    if blueprint.latest_version_id is None:
        raise BlueprintVersion.DoesNotExist
    return BlueprintVersion.objects.select_related("blueprint").get(pk=blueprint.latest_version_id)


_OUTPUTS: dict[tuple[int, str], list[dict[str, Any]]] = {}


def blueprint_outputs(version: BlueprintVersion) -> list[dict[str, Any]]:
    """Outputs declared by the blueprint's root module: name, description, sensitive. Parsed
    once per process and version (versions are immutable; parsing takes most of a second)."""
    key = (version.pk, version.source_sha256)
    if key not in _OUTPUTS:
        _OUTPUTS[key] = _parse_outputs(version)
    return [dict(output) for output in _OUTPUTS[key]]


def _parse_outputs(version: BlueprintVersion) -> list[dict[str, Any]]:
    outputs = []
    for name, text in version.terraform_files.items():
        if not name.startswith(version.entry_dir + "/"):
            continue
        for label, body in hcl.blocks(hcl.parse_text(text), "output"):
            outputs.append(
                {
                    "name": label,
                    "description": hcl.unquote(body.get("description", "")),
                    "sensitive": body.get("sensitive") is True,
                }
            )
    return sorted(outputs, key=lambda o: o["name"])


def blueprint_accepted_skips(version: BlueprintVersion) -> list[dict[str, str]]:
    """checkov checks the version's Terraform skips on purpose (`# checkov:skip=ID: reason` in the
    blueprint or its modules): check id, resource, reason and file, for reviewers."""
    return [
        {"check_id": s.check_id, "resource": s.resource, "reason": s.reason, "file": s.file}
        for s in accepted_skips(version.terraform_files)
    ]


def blueprint_account_prerequisites(version: BlueprintVersion) -> dict[str, str]:
    """Account-level settings the version needs and does not manage (id -> how to set it)."""
    return version.as_spec().account_prerequisites
