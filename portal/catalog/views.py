from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blueprints.inputs import validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS
from portal.catalog.selectors import (
    blueprint_accepted_skips,
    blueprint_account_prerequisites,
    blueprint_list,
    blueprint_outputs,
    blueprint_version_get,
)
from portal.catalog.toolchain import toolchain_facts, toolchain_report, version_readiness
from portal.core.permissions import platform_admin_required
from portal.costs.selectors import blueprint_estimate_accuracy
from portal.costs.services import PROFILES, cost_panel, cost_range


@require_GET
def catalog_list(request: HttpRequest) -> HttpResponse:
    blueprints = list(blueprint_list())
    facts = toolchain_facts()
    for blueprint in blueprints:
        blueprint.cost_range = cost_range(blueprint.latest_version)
        blueprint.readiness = version_readiness(blueprint.latest_version, facts)
    return render(
        request, "catalog/catalog_list.html", {"blueprints": blueprints, "docs_url": settings.PORTAL_DOCS_URL}
    )


@require_GET
def blueprint_detail(request: HttpRequest, slug: str) -> HttpResponse:
    version = blueprint_version_get(slug=slug, version=request.GET.get("version"))
    versions = version.blueprint.versions.order_by("-published_at").only(
        "blueprint_id", "version", "changes", "published_at"
    )
    return render(
        request,
        "catalog/blueprint_detail.html",
        {
            "version": version,
            "blueprint": version.blueprint,
            "versions": versions,
            "outputs": blueprint_outputs(version),
            "readiness": version_readiness(version),
            "docs_url": settings.PORTAL_DOCS_URL,
            "accepted_skips": blueprint_accepted_skips(version),
            "prerequisites": blueprint_account_prerequisites(version),
            "accuracy": blueprint_estimate_accuracy(blueprint=version.blueprint, user=request.user),
        },
    )


@require_GET
def blueprint_diagram(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    """The diagram as an image. The CSP stops any script inside the SVG from running."""
    blueprint_version = blueprint_version_get(slug=slug, version=version)
    response = HttpResponse(blueprint_version.diagram_svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def blueprint_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Tier defaults × usage profiles side by side, each a full estimate."""
    version = blueprint_version_get(slug=slug, version=request.GET.get("version"))
    region = request.GET.get("region") if request.GET.get("region") in AWS_REGIONS else AWS_REGIONS[0]
    if version.blueprint.runtime != "aws":
        region = ""
    rows = []
    for tier in TIERS:
        result = validate_inputs(version.as_spec(), {"name": "compare", "tier": tier, "region": region})
        cells = []
        for profile in PROFILES:
            panel = cost_panel(version, result, {"profile": profile, "free_tier": False, "usage_error": ""})
            cells.append(panel)
        rows.append({"tier": tier, "cells": cells})
    return render(
        request,
        "catalog/blueprint_compare.html",
        {
            "version": version,
            "blueprint": version.blueprint,
            "rows": rows,
            "profiles": PROFILES,
            "region": region,
            "regions": AWS_REGIONS if version.blueprint.runtime == "aws" else (),
        },
    )


@require_GET
@platform_admin_required
def toolchain(request: HttpRequest) -> HttpResponse:
    """Platform admins: Terraform and Packer, the providers found, the AWS identity and each
    blueprint's readiness; `?refresh=1` checks again now."""
    report = toolchain_report(refresh=request.GET.get("refresh") == "1")
    context = {"report": report, "facts": report["facts"], "docs_url": settings.PORTAL_DOCS_URL}
    return render(request, "catalog/toolchain.html", context)


@require_GET
def toolchain_configure(request: HttpRequest) -> HttpResponse:
    """For everyone: what an operator configures so that a blueprint can run here."""
    return render(request, "catalog/toolchain_help.html", {"docs_url": settings.PORTAL_DOCS_URL})
