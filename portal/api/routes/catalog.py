"""Catalog endpoints: blueprints, their versions, each version's form as JSON Schema, estimates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from blueprints.inputs import validate_inputs
from blueprints.json_schema import inputs_json_schema
from portal.api.errors import ApiError
from portal.api.schemas import (
    ERRORS,
    BlueprintDetailOut,
    BlueprintPage,
    EstimateIn,
    EstimateOut,
    PageParams,
    VersionOut,
    page,
)
from portal.catalog.display import free_tier_applies
from portal.catalog.models import Blueprint, BlueprintVersion
from portal.catalog.selectors import blueprint_list, blueprint_version_get
from portal.costs.services import form_estimate

router = Router(tags=["catalog"])


def blueprint_out(blueprint: Blueprint) -> dict[str, Any]:
    latest = blueprint.latest_version
    return {
        "slug": blueprint.slug,
        "title": blueprint.title,
        "summary": blueprint.summary,
        "runtime": blueprint.runtime,
        "latest_version": latest.version if latest else None,
        "url": f"/api/v1/blueprints/{blueprint.slug}",
    }


def version_out(version: BlueprintVersion) -> dict[str, Any]:
    slug = version.blueprint.slug
    return {
        "blueprint": slug,
        "version": version.version,
        "changes": version.changes,
        "published_at": version.published_at,
        "services": version.services,
        "tiers": list(version.tiers),
        "schema_url": f"/api/v1/blueprints/{slug}/versions/{version.version}/schema",
    }


@router.get("/blueprints", response={200: BlueprintPage, **ERRORS}, url_name="blueprint-list")
def blueprints(request: HttpRequest, params: Query[PageParams]) -> Any:
    """The active blueprints of the catalog, each with its latest version."""
    return page(blueprint_list().defer("latest_version__source_files"), params, blueprint_out)


@router.get("/blueprints/{slug}", response={200: BlueprintDetailOut, **ERRORS}, url_name="blueprint-detail")
def blueprint_detail(request: HttpRequest, slug: str) -> Any:
    blueprint = get_object_or_404(blueprint_list(), slug=slug)
    versions = blueprint.versions.select_related("blueprint").defer("source_files").order_by("-published_at")
    return {**blueprint_out(blueprint), "versions": [version_out(v) for v in versions]}


@router.get(
    "/blueprints/{slug}/versions/{version}", response={200: VersionOut, **ERRORS}, url_name="version-detail"
)
def version_detail(request: HttpRequest, slug: str, version: str) -> Any:
    return version_out(blueprint_version_get(slug=slug, version=version))


@router.get(
    "/blueprints/{slug}/versions/{version}/schema",
    response={200: dict[str, Any], **ERRORS},
    url_name="version-schema",
)
def version_schema(request: HttpRequest, slug: str, version: str) -> Any:
    """The version's request form as JSON Schema (draft 2020-12): what `inputs` may hold."""
    return inputs_json_schema(blueprint_version_get(slug=slug, version=version).as_spec())


@router.post(
    "/blueprints/{slug}/estimate", response={200: EstimateOut, **ERRORS}, url_name="blueprint-estimate"
)
def blueprint_estimate(request: HttpRequest, slug: str, payload: EstimateIn) -> Any:
    """The monthly estimate for these inputs, before any plan (nothing is stored). Read-only
    tokens may call it."""
    version = blueprint_version_get(slug=slug, version=payload.version)
    inputs = {"name": "estimate", **payload.inputs}
    result = validate_inputs(version.as_spec(), inputs)
    if not result.ok:
        raise ApiError(400, "invalid", "The inputs have errors.", result.errors)
    try:
        estimate = form_estimate(
            version=version,
            inputs=result,
            profile=payload.usage_profile,
            free_tier=payload.free_tier and free_tier_applies(version),
        ).to_dict()
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, "invalid", f"The estimator cannot use these inputs ({exc}).") from exc
    return {
        "blueprint": slug,
        "version": version.version,
        "tier": result.tier,
        "monthly_usd": estimate.get("total_monthly_usd"),
        "estimate": estimate,
        "errors": {},
    }
