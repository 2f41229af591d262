"""The request form: generated from a blueprint version's metadata, it drafts a request (or,
with ?environment=<id>, an update of that environment). Its address stays under /catalog/ (the
root URLconf adds it to the catalog namespace); the code lives here, in the app that owns
requests, because the catalog app sits below this one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget

from blueprints.inputs import REQUIRED_MESSAGE, ValidatedInputs, field_visible, validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS
from portal.accounts.selectors import user_memberships
from portal.audit.services import client_ip
from portal.catalog.models import BlueprintVersion
from portal.catalog.selectors import blueprint_version_get
from portal.costs.services import PROFILES, cost_panel, custom_usage, usage_profile
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import environment_list
from portal.requests.services import environment_request_create


def _request_teams(user: Any) -> list[Any]:
    """The teams the user may request for (portal.core.permissions.can_request): their own."""
    return [m.team for m in user_memberships(user)]


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
        "cost": cost_panel(version, result, options),
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
    cost = cost_panel(version, result, options)
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
