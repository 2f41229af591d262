from __future__ import annotations

from collections.abc import Callable
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
from portal.core.csv_export import csv_export
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, REQUEST_BLOBS, RUN_BLOBS, list_page
from portal.core.permissions import can_request_destroy
from portal.environments.selectors import environment_list, team_committed_spend
from portal.policies.selectors import policy_report_stored
from portal.policies.services import policy_context_for_request, policy_report_for_run
from portal.requests.filtersets import ApprovalFilterSet, RequestFilterSet
from portal.requests.forms import DestroyConfirmForm
from portal.requests.models import EnvironmentRequest
from portal.requests.selectors import approval_queue as approval_queue_query
from portal.requests.selectors import approval_queue_counts
from portal.requests.selectors import request_list as request_list_query
from portal.requests.services import (
    InvalidInputs,
    PlanChanged,
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


REQUEST_COLUMNS = [
    ("id", lambda r: r.pk),
    ("kind", lambda r: r.kind),
    ("environment", lambda r: r.environment_name),
    ("blueprint", lambda r: r.blueprint_version.blueprint.slug),
    ("version", lambda r: r.blueprint_version.version),
    ("tier", lambda r: r.tier),
    ("team", lambda r: r.team.slug),
    ("requester", lambda r: r.requester.username),
    ("state", lambda r: r.state),
    ("routed_to_admins", lambda r: "yes" if r.routed_to_admins else "no"),
    ("monthly_cost_usd", lambda r: r.monthly_cost_usd),
    ("reason", lambda r: r.reason),
    ("created_at", lambda r: r.created_at),
]


@require_GET
def request_export(request: HttpRequest) -> HttpResponse:
    """The request list as CSV, with the list page's filters, streamed."""
    return csv_export(
        request,
        queryset=request_list_query(user=request.user).defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS),
        filterset_class=RequestFilterSet,
        columns=REQUEST_COLUMNS,
        filename="requests.csv",
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
    report = None
    if plan is not None:
        # Stored when the plan finished; a plan from before policies ran here is checked for display.
        report = policy_report_stored(run=plan) or policy_report_for_run(
            run=plan, context=policy_context_for_request(env_request), store=False
        )
    return {
        "policy_report": report,
        "policy_blocked": report is not None and report.blocks_approval(),
        "policy_blocked_even_break_glass": report is not None and report.blocks_approval(break_glass=True),
        "req": env_request,
        "plan": plan,
        "groups": groups,
        "diff": diff,
        "approvals": env_request.approvals.select_related("approver", "apply_run"),
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
    return _detail_response(request, pk)


def _detail_response(request: HttpRequest, pk: int, *, status: int = 200) -> HttpResponse:
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
    return render(request, "requests/request_detail.html", context, status=status)


@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    """The first page of what waits for the user's decision, with counts of the whole queue."""
    queue = approval_queue_query(user=request.user)
    plan_blobs = [f"plan_run__{name}" for name in RUN_BLOBS]
    counts = approval_queue_counts(queue)
    return list_page(
        request,
        queryset=queue.defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS, *plan_blobs),
        filterset_class=ApprovalFilterSet,
        template="requests/approval_queue.html",
        context={"counts": counts},
        keyset=("awaiting_since", "id"),  # every waiting request has awaiting_since
        count=counts["total"],  # the pager's count too, unless a filter narrows the queue
    )


# Said after a submit that routed the request to the admins (services.request_route_approvers).
ROUTED_NOTE = "Nobody else in the team may approve it, so it goes to the platform admins."


def _submitted(message: str, env_request: EnvironmentRequest) -> str:
    """`message` after a submit, plus ROUTED_NOTE when the submit routed the request. The submit
    moved a locked copy of `env_request`, so the flag is read again."""
    env_request.refresh_from_db(fields=["routed_to_admins"])
    return f"{message} {ROUTED_NOTE}" if env_request.routed_to_admins else message


def _step(
    request: HttpRequest,
    pk: int,
    action: Any,
    success: str | Callable[[EnvironmentRequest], str],
    reraise: tuple[type[Exception], ...] = (),
    **kwargs: Any,
) -> HttpResponse:
    """Runs `action` on the request and reports how it went; `success` is the message, or makes
    it from the request once the action is done."""
    env_request = get_object_or_404(request_list_query(user=request.user), pk=pk)
    try:
        result = action(request=env_request, ip=client_ip(request), **kwargs)
    except reraise:
        raise
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
    if callable(success):
        success = success(env_request)
    apply_run = getattr(result, "apply_run", None)
    if apply_run is not None:
        success = f"{success} {apply_run.get_kind_display()} run #{apply_run.pk} started."
    messages.success(request, success)
    if getattr(result, "kind", None) == "plan":
        return redirect("runs:detail", pk=result.pk)
    return redirect("requests:detail", pk=pk)


@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        environment_request_submit,
        lambda env_request: _submitted("Submitted: the plan run is queued.", env_request),
        actor=request.user,
    )


@require_POST
def request_replan_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, request_replan, "Re-plan queued.", actor=request.user)


@require_POST
def request_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, request_cancel, "Request cancelled.", actor=request.user)


@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The sign-off form. It carries the SHA-256 of the plan the approver saw; when the plan
    changed meanwhile, the page comes back (409) with the new plan and nothing is recorded."""
    comment = request.POST.get("comment", "")
    # A form without the field names no plan: it never matches, so it cannot bind to a new one.
    plan_sha256 = request.POST.get("plan_sha256", "")
    try:
        if request.POST.get("decision") == "reject":
            return _step(
                request,
                pk,
                approval_reject,
                "Rejected.",
                approver=request.user,
                comment=comment,
                plan_sha256=plan_sha256,
                reraise=(PlanChanged,),
            )
        return _step(
            request,
            pk,
            approval_grant,
            "Approved.",
            approver=request.user,
            comment=comment,
            plan_sha256=plan_sha256,
            acknowledged=request.POST.getlist("acknowledge"),
            break_glass_reason=request.POST.get("break_glass_reason", "")
            if request.POST.get("decision") == "break_glass"
            else "",
            reraise=(PlanChanged,),
        )
    except PlanChanged as exc:
        messages.error(request, str(exc))
        return _detail_response(request, pk, status=409)


@require_http_methods(["GET", "POST"])
def environment_destroy(request: HttpRequest, env_pk: int) -> HttpResponse:
    """The destroy confirmation: GET shows it; a valid POST drafts the destroy request and submits
    it (its destroy plan is queued), then shows the request."""
    environment = get_object_or_404(environment_list(user=request.user), pk=env_pk)
    if not can_request_destroy(request.user, environment):
        raise PermissionDenied("Only the owning team can ask to destroy this environment.")
    form = DestroyConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            env_request = environment_destroy_request(
                requester=request.user,
                environment=environment,
                confirm_name=form.cleaned_data["confirm_name"],
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except InvalidInputs as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            try:
                environment_request_submit(request=env_request, actor=request.user, ip=client_ip(request))
            except STEP_ERRORS as exc:
                messages.error(request, f"Destroy request #{env_request.pk} drafted but not submitted: {exc}")
            else:
                messages.success(
                    request,
                    _submitted(
                        f"Destroy request #{env_request.pk} submitted; its destroy plan is queued.",
                        env_request,
                    ),
                )
            return redirect("requests:detail", pk=env_request.pk)
    return render(
        request,
        "requests/destroy_confirm.html",
        {"environment": environment, "form": form},
        status=400 if request.method == "POST" else 200,
    )
