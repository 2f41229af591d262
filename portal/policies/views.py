from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from portal.core.lists import list_page
from portal.core.permissions import platform_admin_required
from portal.policies.engine import Policy, PolicyContext
from portal.policies.filtersets import PolicySetFilterSet
from portal.policies.forms import PolicyTestForm
from portal.policies.selectors import plan_run_get, plan_runs_with_plan, policy_set_list
from portal.policies.services import policy_context_build, policy_context_for_request, policy_report_for_plan


@require_GET
@platform_admin_required
def policy_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=policy_set_list().defer("source", "tests"),
        filterset_class=PolicySetFilterSet,
        template="policies/policy_list.html",
    )


def _context_for_run(run, *, tier: str, blueprint: str) -> PolicyContext:
    if run.request_id:
        context = policy_context_for_request(run.request)
    elif run.environment_id:
        environment = run.environment
        context = policy_context_build(
            team=environment.team.slug,
            tier=environment.tier,
            blueprint=environment.blueprint_version.blueprint.slug,
            blueprint_version=environment.blueprint_version.version,
        )
    else:
        context = PolicyContext()
    if tier or blueprint:
        context = replace(context, tier=tier or context.tier, blueprint=blueprint or context.blueprint)
    return context


@require_http_methods(["GET", "POST"])
@platform_admin_required
def policy_test(request: HttpRequest) -> HttpResponse:
    """Runs stored policy sets and/or a draft policy against any stored plan, before publishing.
    Scope is ignored here: every chosen policy runs, whatever the run's blueprint and tier."""
    form = PolicyTestForm(request.POST or None, initial={"run": request.GET.get("run")})
    report = run = context = None
    if request.method == "POST" and form.is_valid():
        run = plan_run_get(pk=form.cleaned_data["run"])
        if run is None:
            form.add_error("run", "No plan run with a stored plan has this id.")
        else:
            policies = {s.name: s.as_policy() for s in form.cleaned_data["policy_sets"]}
            if (form.cleaned_data.get("draft_source") or "").strip():
                name = form.cleaned_data["draft_name"]
                policies[name] = Policy(
                    name=name,
                    source=form.cleaned_data["draft_source"],
                    severity=form.cleaned_data["draft_severity"],
                )
            context = _context_for_run(
                run, tier=form.cleaned_data["tier"], blueprint=form.cleaned_data["blueprint"]
            )
            report = policy_report_for_plan(
                plan_json=run.plan_json, context=context, policies=list(policies.values()), ignore_scope=True
            )
    return render(
        request,
        "policies/policy_test.html",
        {"form": form, "report": report, "run": run, "context": context, "plan_runs": plan_runs_with_plan()},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )
