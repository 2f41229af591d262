from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.audit.services import client_ip
from portal.catalog.display import input_rows, value_text
from portal.catalog.toolchain import BlueprintNotRunnable, version_readiness
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, REQUEST_BLOBS, RUN_BLOBS, list_page
from portal.environments.selectors import environment_list, team_committed_spend
from portal.requests.filtersets import ApprovalFilterSet, RequestFilterSet
from portal.requests.selectors import approval_queue as approval_queue_query
from portal.requests.selectors import approval_queue_counts
from portal.requests.selectors import request_list as request_list_query
from portal.requests.services import (
    InvalidInputs,
    RequestNotAwaiting,
    approval_grant,
    approval_reject,
    environment_destroy_request,
    environment_request_submit,
    request_cancel,
    request_decision,
    request_replan,
)
from portal.requests.states import IllegalTransition, moves_from
from portal.runs.services import RunConflict, RunNotAllowed

STEP_ERRORS = (
    PermissionDenied,
    RunConflict,
    RunNotAllowed,
    RequestNotAwaiting,
    IllegalTransition,
    BlueprintNotRunnable,
)


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=request_list_query(user=request.user).defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS),
        filterset_class=RequestFilterSet,
        template="requests/request_list.html",
        keyset=("-created_at", "-id"),
    )


def _review_context(env_request: Any) -> dict[str, Any]:
    plan = env_request.plan_run
    groups: dict[str, list[dict[str, Any]]] = {"add": [], "change": [], "destroy": []}
    for resource in plan.plan_resources if plan else []:
        actions = resource["actions"]
        if "delete" in actions:
            groups["destroy"].append(resource)
        if "create" in actions:
            groups["add"].append(resource)
        if "update" in actions:
            groups["change"].append(resource)
    diff = []
    environment = env_request.environment
    if env_request.kind == "update" and environment is not None:
        for name in sorted(set(environment.inputs) | set(env_request.inputs)):
            before, after = environment.inputs.get(name), env_request.inputs.get(name)
            if before != after:
                diff.append({"name": name, "before": before, "after": after})
    committed = team_committed_spend(env_request.team)
    return {
        "req": env_request,
        "plan": plan,
        "groups": groups,
        "diff": diff,
        "approvals": env_request.approvals.select_related("approver"),
        "events": env_request.events.select_related("actor"),
        "runs": env_request.runs.all(),
        "decision": request_decision(env_request) if env_request.plan_run_id else None,
        "committed": committed,
        "budget": env_request.team.monthly_budget_usd,
        "after_spend": committed + env_request.cost_delta_usd
        if env_request.cost_delta_usd is not None
        else None,
        "dr": env_request.blueprint_version.dr,
        "version_changed": environment is not None
        and environment.blueprint_version_id != env_request.blueprint_version_id,
    }


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request page; approvers see the sign-off form on it."""
    env_request = get_object_or_404(request_list_query(user=request.user), pk=pk)
    context = _review_context(env_request)
    context["can_decide"] = approval_queue_query(user=request.user).filter(pk=pk).exists()
    last_run = env_request.runs.order_by("-created_at", "-pk").first()
    context["state_label"] = (
        "Plan failed"
        if env_request.state == "failed" and last_run is not None and last_run.kind == "plan"
        else env_request.get_state_display()
    )
    version = env_request.blueprint_version
    if env_request.state == "draft":  # say before the click whether submitting can work here
        context["readiness"] = version_readiness(version)
    context["inputs"] = input_rows(version, env_request.inputs, env_request.secret_input_names)
    labels = {spec.name: spec.label for spec in version.fields}
    for row in context["diff"]:
        row["label"] = labels.get(row["name"], row["name"])
        row["before"], row["after"] = value_text(row["before"]), value_text(row["after"])
    context["moves"] = moves_from(env_request.state)
    return render(request, "requests/request_detail.html", context)


@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    """The first page of what waits for the user's decision, with counts of the whole queue."""
    queue = approval_queue_query(user=request.user)
    plan_blobs = [f"plan_run__{name}" for name in RUN_BLOBS]
    return list_page(
        request,
        queryset=queue.defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS, *plan_blobs),
        filterset_class=ApprovalFilterSet,
        template="requests/approval_queue.html",
        context={"counts": approval_queue_counts(queue)},
        keyset=("awaiting_since", "id"),  # every waiting request has awaiting_since
    )


def _step(request: HttpRequest, pk: int, action: Any, success: str, **kwargs: Any) -> HttpResponse:
    env_request = get_object_or_404(request_list_query(user=request.user), pk=pk)
    try:
        result = action(request=env_request, ip=client_ip(request), **kwargs)
    except STEP_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect("requests:detail", pk=pk)
    except InvalidInputs as exc:
        messages.error(request, " ".join(exc.errors.values()))
        return redirect("requests:detail", pk=pk)
    except IntegrityError:
        messages.error(
            request,
            f"{env_request.team} already has a live environment named "
            f"{env_request.environment_name}; draft it again with another name.",
        )
        return redirect("requests:detail", pk=pk)
    messages.success(request, success)
    if getattr(result, "kind", None) == "plan":
        return redirect("runs:detail", pk=result.pk)
    return redirect("requests:detail", pk=pk)


@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, environment_request_submit, "Submitted: the plan run is queued.", actor=request.user
    )


@require_POST
def request_replan_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, request_replan, "Re-plan queued.", actor=request.user)


@require_POST
def request_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, request_cancel, "Request cancelled.", actor=request.user)


@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    if request.POST.get("decision") == "reject":
        return _step(request, pk, approval_reject, "Rejected.", approver=request.user, comment=comment)
    return _step(
        request,
        pk,
        approval_grant,
        "Approved.",
        approver=request.user,
        comment=comment,
        break_glass_reason=request.POST.get("break_glass_reason", "")
        if request.POST.get("decision") == "break_glass"
        else "",
    )


@require_http_methods(["POST"])
def environment_destroy(request: HttpRequest, env_pk: int) -> HttpResponse:
    environment = get_object_or_404(environment_list(user=request.user), pk=env_pk)
    try:
        env_request = environment_destroy_request(
            requester=request.user,
            environment=environment,
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("environments:detail", pk=env_pk)
    messages.success(request, f"Destroy request #{env_request.pk} drafted; submit it to plan the destroy.")
    return redirect("requests:detail", pk=env_request.pk)
