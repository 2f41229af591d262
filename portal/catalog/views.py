from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from blueprints.inputs import ValidatedInputs, field_visible, validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS
from portal.accounts.models import Membership
from portal.audit.services import client_ip
from portal.catalog.models import BlueprintVersion
from portal.catalog.selectors import blueprint_list, blueprint_outputs, blueprint_version_get
from portal.requests.services import environment_request_create


@require_GET
def catalog_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/catalog_list.html", {"blueprints": blueprint_list()})


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


def _form_context(
    version: BlueprintVersion,
    data: dict[str, Any],
    result: ValidatedInputs | None,
    teams: list[Any],
    show_errors: bool,
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
    return {
        "version": version,
        "blueprint": version.blueprint,
        "rows": rows,
        "teams": teams,
        "tiers": TIERS,
        "regions": AWS_REGIONS if version.blueprint.runtime == "aws" else (),
        "data": {**data, "tier": tier},
        "errors": (result.errors if result and show_errors else {}),
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


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, slug: str) -> HttpResponse:
    version = blueprint_version_get(
        slug=slug, version=request.GET.get("version") or request.POST.get("version")
    )
    teams = _request_teams(request.user)
    if not teams:
        raise PermissionDenied("You are not in a team, so you cannot request environments.")
    if request.method == "GET":
        tier = request.GET.get("tier", "dev")
        context = _form_context(version, {"tier": tier, "region": AWS_REGIONS[0]}, None, teams, False)
        return render(request, "catalog/request_form.html", context)

    data = _form_data(request, version)
    display = {"team": request.POST.get("team", ""), "reason": request.POST.get("reason", "")}
    result = validate_inputs(version.as_spec(), data)
    team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
    if team is None:
        result.errors["team"] = "Choose one of your teams."
    if request.htmx:
        # Validation as you type: re-render the form region only; nothing is stored.
        changed_tier = data.get("tier") != request.POST.get("rendered_tier")
        if changed_tier:
            data = {k: v for k, v in data.items() if k in {"name", "tier", "region"}}
            result = validate_inputs(version.as_spec(), data)
        context = _form_context(version, {**data, **display}, result, teams, show_errors=not changed_tier)
        return render(request, "catalog/request_form.html#form", context)
    if not result.ok:
        context = _form_context(version, {**data, **display}, result, teams, show_errors=True)
        return render(request, "catalog/request_form.html", context, status=400)
    env_request = environment_request_create(
        requester=request.user,
        team=team,
        blueprint_version=version,
        inputs=result,
        reason=request.POST.get("reason", ""),
        ip=client_ip(request),
    )
    messages.success(request, f"Request #{env_request.pk} saved as a draft.")
    return redirect("requests:detail", pk=env_request.pk)
