"""Request endpoints: create, submit, re-plan, cancel, decide; the approval queue; destroy.

Each step is the service the request page calls (portal.requests.services); the service asks
portal.core.permissions, so a refusal here is the same refusal, with the same words, as there.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.responses import Status

from blueprints.inputs import validate_inputs
from portal.accounts.selectors import user_memberships
from portal.api.errors import ApiError
from portal.api.schemas import (
    ERRORS,
    DecideIn,
    DestroyIn,
    PageParams,
    RequestCreateIn,
    RequestDetailOut,
    RequestPage,
    StepOut,
    UpgradeIn,
    page,
)
from portal.audit.services import client_ip
from portal.catalog.selectors import blueprint_version_get, upgrade_target
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, REQUEST_BLOBS
from portal.costs.services import cost_panel
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import environment_list
from portal.requests.filtersets import ApprovalFilterSet, RequestFilterSet
from portal.requests.models import EnvironmentRequest
from portal.requests.selectors import approval_queue, request_list
from portal.requests.services import (
    AcknowledgementRequired,
    approval_grant,
    approval_reject,
    environment_destroy_request,
    environment_request_create,
    environment_request_submit,
    request_cancel,
    request_decision,
    request_replan,
)
from portal.requests.states import moves_from
from portal.requests.upgrades import upgrade_inputs

router = Router(tags=["requests"])


def filtered(filterset_class: Any, request: HttpRequest, queryset: Any) -> Any:
    """The list pages' FilterSet over the query string; a bad value is a 400 naming the filter."""
    filterset = filterset_class(request.GET, queryset=queryset)
    if not filterset.is_valid():
        fields = {name: " ".join(errors) for name, errors in filterset.errors.items()}
        raise ApiError(400, "invalid", "Invalid filter.", fields)
    return filterset.qs


def plan_out(run: Any) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run": run.pk,
        "status": run.status,
        "plan_sha256": run.plan_sha256,
        "changes_sha256": run.changes_sha256,
        "add": run.plan_add,
        "change": run.plan_change,
        "destroy": run.plan_destroy,
        "resources": run.plan_resources or [],
    }


def request_out(req: EnvironmentRequest) -> dict[str, Any]:
    return {
        "id": req.pk,
        "kind": req.kind,
        "state": req.state,
        "state_label": req.get_state_display(),
        "team": req.team.name,
        "requester": req.requester.get_username(),
        "blueprint": req.blueprint_version.blueprint.slug,
        "version": req.blueprint_version.version,
        "environment_name": req.environment_name,
        "environment": req.environment_id,
        "tier": req.tier,
        "region": req.region,
        "reason": req.reason,
        "monthly_cost_usd": req.monthly_cost_usd,
        "cost_delta_usd": req.cost_delta_usd,
        "over_budget": req.over_budget,
        "created_at": req.created_at,
        "updated_at": req.updated_at,
        "url": f"/api/v1/requests/{req.pk}",
    }


def request_detail_out(req: EnvironmentRequest, user: Any) -> dict[str, Any]:
    decision = request_decision(req) if req.plan_run_id else None
    return {
        **request_out(req),
        "inputs": req.inputs,
        "secret_inputs": list(req.secret_input_names),
        "plan": plan_out(req.plan_run),
        "decision": dataclasses.asdict(decision) if decision is not None else None,
        "approvals": [
            {
                "approver": approval.approver.get_username(),
                "decision": approval.decision,
                "comment": approval.comment,
                "plan_sha256": approval.plan_sha256,
                "break_glass": approval.break_glass,
                "voided": approval.voided_at is not None,
                "created_at": approval.created_at.isoformat(),
            }
            for approval in req.approvals.select_related("approver")
        ],
        "events": [
            {
                "state": event.state,
                "actor": event.actor.get_username() if event.actor else None,
                "note": event.note,
                "created_at": event.created_at.isoformat(),
            }
            for event in req.events.select_related("actor")
        ],
        "moves": sorted(moves_from(req.state)),
        "can_decide": approval_queue(user=user).filter(pk=req.pk).exists(),
    }


def _get(request: HttpRequest, pk: int) -> EnvironmentRequest:
    # Not visible is not found, as on the pages: a user of another team learns nothing.
    return get_object_or_404(request_list(user=request.user).select_related("plan_run"), pk=pk)


def _team(request: HttpRequest, wanted: str | None, environment: Any) -> Any:
    if environment is not None:
        return environment.team
    teams = [m.team for m in user_memberships(request.user)]
    if not teams:
        raise ApiError(403, "forbidden", "You are not in a team, so you cannot request environments.")
    if wanted is None:
        if len(teams) == 1:
            return teams[0]
        names = ", ".join(sorted(team.name for team in teams))
        raise ApiError(400, "invalid", "Say which team.", {"team": f"Choose one of: {names}."})
    for team in teams:
        if wanted in (team.name, str(team.pk)):
            return team
    raise ApiError(
        400, "invalid", "Not one of your teams.", {"team": "You can request only for your own teams."}
    )


@router.get("/requests", response={200: RequestPage, **ERRORS}, url_name="requests")
def requests_(
    request: HttpRequest, params: Query[PageParams], state: str = "", kind: str = "", tier: str = ""
) -> Any:
    """Requests of the caller's teams (all of them for platform admins), newest first."""
    queryset = (
        request_list(user=request.user)
        .defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS)
        .order_by("-created_at", "-pk")
    )
    return page(filtered(RequestFilterSet, request, queryset), params, request_out)


@router.post("/requests", response={201: RequestDetailOut, **ERRORS}, url_name="requests")
def request_create(request: HttpRequest, payload: RequestCreateIn) -> Any:
    """Drafts a request (as the request form does); submit it to plan."""
    environment = None
    if payload.environment is not None:
        environment = get_object_or_404(
            environment_list(user=request.user).filter(status=EnvironmentStatus.ACTIVE),
            pk=payload.environment,
        )
    version = blueprint_version_get(
        slug=payload.blueprint,
        version=payload.version or (environment.blueprint_version.version if environment else None),
    )
    team = _team(request, payload.team, environment)
    inputs = dict(payload.inputs)
    if environment is not None:  # an update starts from the environment's current values
        # inputs the (new) version no longer has are dropped; new ones take their defaults
        names = {field.name for field in version.fields}
        kept = {key: value for key, value in environment.inputs.items() if key in names}
        inputs = {"name": environment.name, "tier": environment.tier, **kept, **inputs}
        if version.blueprint.runtime == "aws":
            inputs.setdefault("region", environment.region)
    result = validate_inputs(version.as_spec(), inputs)
    if not result.ok:
        raise ApiError(400, "invalid", "The inputs have errors.", result.errors)
    cost = cost_panel(version, result, {"profile": payload.usage_profile, "free_tier": False})
    created = environment_request_create(
        requester=request.user,
        team=team,
        blueprint_version=version,
        inputs=result,
        reason=payload.reason,
        environment=environment,
        estimate={k: v for k, v in cost.items() if k != "chart"},
        ip=client_ip(request),
    )
    return Status(201, request_detail_out(_get(request, created.pk), request.user))


@router.get("/requests/{pk}", response={200: RequestDetailOut, **ERRORS}, url_name="request-detail")
def request_detail(request: HttpRequest, pk: int) -> Any:
    return request_detail_out(_get(request, pk), request.user)


def _step_result(request: HttpRequest, pk: int, run: Any) -> Any:
    return Status(
        202 if run is not None else 200,
        {
            "request": request_detail_out(_get(request, pk), request.user),
            "run": getattr(run, "pk", None),
        },
    )


@router.post("/requests/{pk}/submit", response={202: StepOut, **ERRORS}, url_name="request-submit")
def request_submit(request: HttpRequest, pk: int) -> Any:
    """Draft → planning: queues the plan run (answered with its id)."""
    run = environment_request_submit(request=_get(request, pk), actor=request.user, ip=client_ip(request))
    return _step_result(request, pk, run)


@router.post("/requests/{pk}/replan", response={202: StepOut, **ERRORS}, url_name="request-replan")
def request_replan_(request: HttpRequest, pk: int) -> Any:
    run = request_replan(request=_get(request, pk), actor=request.user, ip=client_ip(request))
    return _step_result(request, pk, run)


@router.post("/requests/{pk}/cancel", response={200: StepOut, **ERRORS}, url_name="request-cancel")
def request_cancel_(request: HttpRequest, pk: int) -> Any:
    request_cancel(request=_get(request, pk), actor=request.user, ip=client_ip(request))
    return _step_result(request, pk, None)


def _grant(request: HttpRequest, env_request: EnvironmentRequest, payload: DecideIn) -> None:
    def grant(acknowledged: list[str]) -> None:
        approval_grant(
            request=env_request,
            approver=request.user,
            comment=payload.comment,
            break_glass_reason=payload.break_glass_reason if payload.decision == "break_glass" else "",
            plan_sha256=payload.plan_sha256,
            acknowledged=acknowledged,
            ip=client_ip(request),
        )

    try:
        grant(payload.acknowledged)
    except AcknowledgementRequired as exc:
        # `acknowledge_warnings` acknowledges the warnings the decision service names (and no
        # others): it is asked once more with exactly those policies acknowledged.
        if not payload.acknowledge_warnings:
            raise
        grant([*payload.acknowledged, *exc.policies])


@router.post("/requests/{pk}/decide", response={200: StepOut, **ERRORS}, url_name="request-decide")
def request_decide(request: HttpRequest, pk: int, payload: DecideIn) -> Any:
    """Approve, reject or (platform admins) break-glass approve the current plan. With
    `plan_sha256` the decision is bound to that plan: if the request was re-planned since, the
    answer is 409 `stale_plan` and nothing is recorded. A plan the policies deny is a 409
    `policy_blocks_approval`; unacknowledged warnings are a 400 `acknowledgement_required`."""
    env_request = _get(request, pk)
    if payload.decision == "reject":
        approval_reject(
            request=env_request,
            approver=request.user,
            comment=payload.comment,
            plan_sha256=payload.plan_sha256,
            ip=client_ip(request),
        )
    else:
        _grant(request, env_request, payload)
    env_request = _get(request, pk)
    apply_run = env_request.runs.exclude(kind="plan").order_by("-pk").first()
    return {"request": request_detail_out(env_request, request.user), "run": getattr(apply_run, "pk", None)}


@router.get("/approvals", response={200: RequestPage, **ERRORS}, url_name="approval-queue")
def approvals(
    request: HttpRequest, params: Query[PageParams], kind: str = "", tier: str = "", over_budget: str = ""
) -> Any:
    """What waits for the caller's decision, oldest first."""
    queue = approval_queue(user=request.user).defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS)
    return page(filtered(ApprovalFilterSet, request, queue), params, request_out)


@router.post("/environments/{pk}/destroy", response={201: StepOut, **ERRORS}, url_name="environment-destroy")
def environment_destroy(request: HttpRequest, pk: int, payload: DestroyIn) -> Any:
    """Drafts a destroy request for the environment and (unless `submit` is false) submits it,
    which plans the destroy; it is applied once approved."""
    environment = get_object_or_404(environment_list(user=request.user), pk=pk)
    with transaction.atomic():  # a destroy that cannot be submitted leaves no draft behind
        destroy = environment_destroy_request(
            requester=request.user,
            environment=environment,
            confirm_name=payload.confirm_name,
            reason=payload.reason,
            ip=client_ip(request),
        )
        run = None
        if payload.submit:
            run = environment_request_submit(request=destroy, actor=request.user, ip=client_ip(request))
    return Status(
        201,
        {
            "request": request_detail_out(_get(request, destroy.pk), request.user),
            "run": getattr(run, "pk", None),
        },
    )


@router.post("/environments/{pk}/upgrade", response={201: StepOut, **ERRORS}, url_name="environment-upgrade")
def environment_upgrade(request: HttpRequest, pk: int, payload: UpgradeIn) -> Any:
    """Drafts an update request moving the environment to `version` (the blueprint's latest by
    default) with its current inputs (new inputs take their defaults, removed ones are dropped)
    and, unless `submit` is false, submits it; it goes through the normal approvals."""
    environment = get_object_or_404(
        environment_list(user=request.user).filter(status=EnvironmentStatus.ACTIVE), pk=pk
    )
    target = (
        blueprint_version_get(slug=environment.blueprint_version.blueprint.slug, version=payload.version)
        if payload.version
        else upgrade_target(environment.blueprint_version)
    )
    if target is None or target.pk == environment.blueprint_version_id:
        raise ApiError(409, "up_to_date", f"{environment} already runs the latest version.")
    result = validate_inputs(target.as_spec(), upgrade_inputs(environment=environment, target=target))
    if not result.ok:
        raise ApiError(400, "invalid", "The current inputs do not fit the new version.", result.errors)
    current = environment.blueprint_version.version
    with transaction.atomic():  # an update that cannot be submitted leaves no draft behind
        update = environment_request_create(
            requester=request.user,
            team=environment.team,
            blueprint_version=target,
            inputs=result,
            reason=payload.reason or f"Upgrade {current} → {target.version}.",
            environment=environment,
            ip=client_ip(request),
        )
        run = None
        if payload.submit:
            run = environment_request_submit(request=update, actor=request.user, ip=client_ip(request))
    return Status(
        201,
        {
            "request": request_detail_out(_get(request, update.pk), request.user),
            "run": getattr(run, "pk", None),
        },
    )
