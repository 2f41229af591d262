"""The request form: generated from a blueprint version's metadata, it drafts a request (or,
with ?environment=<id>, an update of that environment). Its addresses stay under /catalog/ (the
root URLconf adds them to the catalog namespace); the code lives here, in the app that owns
requests, because the catalog app sits below this one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from portal.accounts.selectors import user_memberships
from portal.audit.services import client_ip
from portal.catalog.display import free_tier_applies
from portal.catalog.models import BlueprintVersion
from portal.catalog.selectors import blueprint_version_get
from portal.catalog.toolchain import version_readiness
from portal.costs.services import PROFILES, cost_panel, custom_usage, usage_profile
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import environment_list
from portal.requests.forms import RequestForm
from portal.requests.services import environment_request_create


def _request_teams(user: Any) -> list[Any]:
    """The teams the user may request for (portal.core.permissions.can_request): their own."""
    return [m.team for m in user_memberships(user)]


def _options(params: Any, version: BlueprintVersion) -> dict[str, Any]:
    """Estimate options: a seed usage profile, or "custom" numbers (usage__<quantity> fields,
    starting from the medium profile), and the free-tier toggle."""
    name = params.get("usage_profile", "medium")
    name = name if name in (*PROFILES, "custom") else "medium"
    options: dict[str, Any] = {
        "profile_name": name,
        "free_tier": params.get("free_tier") == "on" and free_tier_applies(version),
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


def _request_setup(request: HttpRequest, slug: str, params: Any) -> tuple[BlueprintVersion, Any, list[Any]]:
    """The version asked for, the environment to change (if any) and the teams the user may
    request for; a user in no team is refused."""
    environment = None
    if params.get("environment"):
        if not str(params["environment"]).isdigit():
            raise Http404("No such environment.")
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
    return version, environment, teams


def _form_page(
    request: HttpRequest, template: str, form: RequestForm, options: dict[str, Any], status: int = 200
) -> HttpResponse:
    version, environment = form.version, form.environment
    context = {
        "form": form,
        "version": version,
        "blueprint": version.blueprint,
        "versions": version.blueprint.versions.order_by("-published_at") if environment else (),
        "environment": environment,
        "profiles": PROFILES,
        "options": options,
        "cost": cost_panel(version, form.estimate_inputs(), options),
        "readiness": version_readiness(version),
        "free_tier_applies": free_tier_applies(version),
        "docs_url": settings.PORTAL_DOCS_URL,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, slug: str) -> HttpResponse:
    """The request form, generated from the blueprint's metadata; with ?environment=<id> it asks
    for an update of that environment, prefilled from its current inputs."""
    if request.method == "POST":
        return _request_save(request, slug)
    version, environment, teams = _request_setup(request, slug, request.GET)
    if environment:
        initial = {
            "name": environment.name,
            "tier": environment.tier,
            "region": environment.region,
            "team": str(environment.team_id),
            **environment.inputs,
        }
    else:
        initial = {"tier": request.GET.get("tier", "dev")}
    form = RequestForm(version=version, teams=teams, environment=environment, initial=initial)
    return _form_page(request, "catalog/request_form.html", form, _options(request.GET, version))


def _request_save(request: HttpRequest, slug: str) -> HttpResponse:
    """A real submit: the draft is stored, or the form comes back with every problem marked."""
    version, environment, teams = _request_setup(request, slug, request.POST)
    options = _options(request.POST, version)
    form = RequestForm(request.POST, version=version, teams=teams, environment=environment)
    if not form.is_valid():
        return _form_page(request, "catalog/request_form.html", form, options, status=400)
    assert form.result is not None
    cost = cost_panel(version, form.result, options)
    env_request = environment_request_create(
        requester=request.user,
        team=form.team_choice,
        blueprint_version=version,
        inputs=form.result,
        reason=form.cleaned_data["reason"],
        environment=environment,
        estimate={k: v for k, v in cost.items() if k != "chart"},
        ip=client_ip(request),
    )
    messages.success(request, f"Request #{env_request.pk} saved as a draft.")
    return redirect("requests:detail", pk=env_request.pk)


@require_POST
def request_validate(request: HttpRequest, slug: str) -> HttpResponse:
    """Validation and estimate as you type (htmx); nothing is stored. A tier, usage-profile or
    version change re-renders the whole form (a new tier brings its defaults); anything else
    answers with only the messages and the cost, swapped out of band, so typing is never lost."""
    version, environment, teams = _request_setup(request, slug, request.POST)
    options = _options(request.POST, version)
    tier_changed = request.POST.get("tier") != request.POST.get("rendered_tier")
    form = RequestForm(
        request.POST, version=version, teams=teams, environment=environment, live=True, reset=tier_changed
    )
    form.is_valid()
    structural = (
        tier_changed
        or options["profile_name"] != request.POST.get("rendered_profile")
        or (environment is not None and version.version != request.POST.get("rendered_version"))
    )
    if structural:
        response = _form_page(request, "catalog/request_form.html#form", form, options)
        return reswap(retarget(response, "#request-form"), "outerHTML")
    return _form_page(request, "catalog/request_form.html#live", form, options)
