from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from blueprints.inputs import REQUIRED_MESSAGE, ValidatedInputs, field_visible, validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS
from portal.accounts.models import Membership
from portal.audit.services import client_ip
from portal.catalog.models import BlueprintVersion
from portal.catalog.selectors import (
    blueprint_accepted_skips,
    blueprint_account_prerequisites,
    blueprint_list,
    blueprint_outputs,
    blueprint_version_get,
)
from portal.costs.services import PROFILES, cost_range, custom_usage, form_estimate, usage_profile
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import environment_list
from portal.requests.services import environment_request_create


@require_GET
def catalog_list(request: HttpRequest) -> HttpResponse:
    blueprints = list(blueprint_list())
    for blueprint in blueprints:
        blueprint.cost_range = cost_range(blueprint.latest_version)
    return render(request, "catalog/catalog_list.html", {"blueprints": blueprints})


@require_GET
def blueprint_detail(request: HttpRequest, slug: str) -> HttpResponse:
    version = blueprint_version_get(slug=slug, version=request.GET.get("version"))
    versions = version.blueprint.versions.order_by("-published_at")
    return render(
        request,
        "catalog/blueprint_detail.html",
        {
            "version": version,
            "blueprint": version.blueprint,
            "versions": versions,
            "outputs": blueprint_outputs(version),
            "accepted_skips": blueprint_accepted_skips(version),
            "prerequisites": blueprint_account_prerequisites(version),
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


def _request_teams(user: Any) -> list[Any]:
    return [m.team for m in Membership.objects.filter(user=user).select_related("team")]


def _cost_panel(
    version: BlueprintVersion, result: ValidatedInputs, options: dict[str, Any]
) -> dict[str, Any]:
    """The live estimate for the form; a value the estimator cannot use gives a message, not $0."""
    if options.get("usage_error"):
        return {"error": options["usage_error"]}
    try:
        estimate = form_estimate(
            version=version,
            inputs=result,
            profile=options["profile"],
            free_tier=options["free_tier"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": f"Fix the highlighted fields to see the estimate ({exc})."}
    data = estimate.to_dict()
    top = max(data["by_service"].values(), default=0) or 1
    data["chart"] = [
        {"service": name, "usd": usd, "pct": round(100 * usd / top, 1)}
        for name, usd in data["by_service"].items()
    ]
    return data


def _form_context(
    version: BlueprintVersion,
    data: dict[str, Any],
    result: ValidatedInputs | None,
    teams: list[Any],
    show_errors: bool,
    *,
    options: dict[str, Any],
    environment: Any = None,
) -> dict[str, Any]:
    tier = data.get("tier") if data.get("tier") in TIERS else "dev"
    values = {**version.as_spec().tier_defaults(tier), **(result.values if result else {})}
    for spec in version.fields:  # redisplay what the user typed, even when it was invalid
        if spec.name in data and not spec.sensitive:
            values[spec.name] = data[spec.name]
        if spec.sensitive:
            values[spec.name] = ""  # a secret is never sent back to the browser
        elif isinstance(values.get(spec.name), list):
            values[spec.name] = ", ".join(map(str, values[spec.name]))
    rows = [
        {
            "spec": spec,
            "value": values.get(spec.name),
            "visible": field_visible(spec, values),
            "error": (result.errors.get(spec.name) if result and show_errors else None),
        }
        for spec in version.fields
    ]
    result = result or validate_inputs(
        version.as_spec(),
        {k: v for k, v in data.items() if k in {"tier", "region"}} | {"name": data.get("name") or "estimate"},
    )
    return {
        "version": version,
        "blueprint": version.blueprint,
        "versions": version.blueprint.versions.order_by("-published_at") if environment else (),
        "environment": environment,
        "rows": rows,
        "teams": teams,
        "tiers": TIERS,
        "regions": AWS_REGIONS if version.blueprint.runtime == "aws" else (),
        "profiles": PROFILES,
        "options": options,
        "data": {**data, "tier": tier},
        "errors": (result.errors if show_errors else {}),
        "cost": _cost_panel(version, result, options),
    }


def _form_data(request: HttpRequest, version: BlueprintVersion) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("name", "tier", "region"):
        if key in request.POST:
            data[key] = request.POST[key]
    for spec in version.fields:
        if spec.type == "bool":
            data[spec.name] = spec.name in request.POST
        elif spec.name in request.POST:
            data[spec.name] = request.POST[spec.name]
    return data


def _options(params: Any, version: BlueprintVersion) -> dict[str, Any]:
    """Estimate options: a seed usage profile, or "custom" numbers (usage__<quantity> fields,
    starting from the medium profile), and the free-tier toggle."""
    name = params.get("usage_profile", "medium")
    name = name if name in (*PROFILES, "custom") else "medium"
    options: dict[str, Any] = {
        "profile_name": name,
        "free_tier": params.get("free_tier") == "on",
        "profile": name,
        "usage_error": "",
    }
    if name == "custom":
        overrides = {
            key[len("usage__") :]: value for key, value in params.items() if key.startswith("usage__")
        }
        try:
            options["profile"] = custom_usage(version, "medium", overrides)
        except ValueError as exc:
            options["profile"], options["usage_error"] = "medium", str(exc)
            options["quantities"] = {**usage_profile(version, "medium"), **overrides}
            return options
    options["quantities"] = usage_profile(version, options["profile"])
    return options


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, slug: str) -> HttpResponse:
    """The request form, generated from the blueprint's metadata; with ?environment=<id> it asks
    for an update of that environment, prefilled from its current inputs."""
    params = request.POST if request.method == "POST" else request.GET
    environment = None
    if params.get("environment"):
        environment = get_object_or_404(
            environment_list(user=request.user).filter(status=EnvironmentStatus.ACTIVE),
            pk=params["environment"],
        )
    default_version = (
        environment.blueprint_version.version if environment and not params.get("version") else None
    )
    version = blueprint_version_get(slug=slug, version=params.get("version") or default_version)
    teams = [environment.team] if environment else _request_teams(request.user)
    if not teams:
        raise PermissionDenied("You are not in a team, so you cannot request environments.")
    options = _options(params, version)
    if request.method == "GET":
        if environment:
            initial = {
                "name": environment.name,
                "tier": environment.tier,
                "region": environment.region,
                **environment.inputs,
            }
            result = validate_inputs(
                version.as_spec(),
                {
                    k: v
                    for k, v in initial.items()
                    if k in {f.name for f in version.fields} | {"name", "tier", "region"}
                },
            )
            data = {**initial, "team": str(environment.team_id)}
        else:
            data, result = {"tier": params.get("tier", "dev"), "region": AWS_REGIONS[0]}, None
        context = _form_context(version, data, result, teams, False, options=options, environment=environment)
        return render(request, "catalog/request_form.html", context)

    data = _form_data(request, version)
    if environment:
        data["name"] = environment.name  # an update keeps the environment's name
    display = {"team": request.POST.get("team", ""), "reason": request.POST.get("reason", "")}
    result = validate_inputs(version.as_spec(), data)
    team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
    if team is None:
        result.errors["team"] = "Choose one of your teams."
    if request.htmx:
        # Validation and estimate as you type; nothing is stored. A tier, usage-profile or version
        # change re-renders the whole form (new defaults); anything else only its messages and cost.
        structural = (
            data.get("tier") != request.POST.get("rendered_tier")
            or options["profile_name"] != request.POST.get("rendered_profile")
            or (environment is not None and version.version != request.POST.get("rendered_version"))
        )
        if data.get("tier") != request.POST.get("rendered_tier"):
            data = {k: v for k, v in data.items() if k in {"name", "tier", "region"}}
            result = validate_inputs(version.as_spec(), data)
        # While typing, flag wrong values only; missing ones are reported when the form is saved.
        result.errors = {
            field: message
            for field, message in result.errors.items()
            if message != REQUIRED_MESSAGE and not (field == "name" and not data.get("name"))
        }
        context = _form_context(
            version,
            {**data, **display},
            result,
            teams,
            show_errors=True,
            options=options,
            environment=environment,
        )
        if structural:
            response = render(request, "catalog/request_form.html#form", context)
            return reswap(retarget(response, "#request-form"), "outerHTML")
        context["common_fields"] = ["team", "name", "tier", "region"]
        return render(request, "catalog/request_form.html#live", context)
    if not result.ok:
        context = _form_context(
            version,
            {**data, **display},
            result,
            teams,
            show_errors=True,
            options=options,
            environment=environment,
        )
        return render(request, "catalog/request_form.html", context, status=400)
    cost = _cost_panel(version, result, options)
    env_request = environment_request_create(
        requester=request.user,
        team=team,
        blueprint_version=version,
        inputs=result,
        reason=request.POST.get("reason", ""),
        environment=environment,
        estimate={k: v for k, v in cost.items() if k != "chart"},
        ip=client_ip(request),
    )
    messages.success(request, f"Request #{env_request.pk} saved as a draft.")
    return redirect("requests:detail", pk=env_request.pk)


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
            panel = _cost_panel(version, result, {"profile": profile, "free_tier": False, "usage_error": ""})
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
