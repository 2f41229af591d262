"""Environment endpoints: list with the list page's filters, detail, outputs, drift check.
(Destroy is a request: portal/api/routes/env_requests.py.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.responses import Status

from portal.api.routes.env_requests import filtered
from portal.api.routes.runs import run_detail_out
from portal.api.schemas import (
    ERRORS,
    EnvironmentDetailOut,
    EnvironmentPage,
    OutputsOut,
    PageParams,
    RunDetailOut,
    page,
)
from portal.audit.services import client_ip
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS
from portal.environments.filtersets import EnvironmentFilterSet
from portal.environments.models import Environment, StateLock
from portal.environments.selectors import environment_list
from portal.runs.models import RunKind
from portal.runs.selectors import environment_active_run
from portal.runs.services import run_enqueue

router = Router(tags=["environments"])


def environment_out(environment: Environment) -> dict[str, Any]:
    return {
        "id": environment.pk,
        "name": environment.name,
        "team": environment.team.name,
        "owner": environment.owner.get_username(),
        "blueprint": environment.blueprint_version.blueprint.slug,
        "version": environment.blueprint_version.version,
        "tier": environment.tier,
        "region": environment.region,
        "status": environment.status,
        "drift_status": environment.drift_status,
        "monthly_cost_usd": environment.monthly_cost_usd,
        "expires_at": environment.expires_at,
        "created_at": environment.created_at,
        "url": f"/api/v1/environments/{environment.pk}",
    }


def _get(request: HttpRequest, pk: int) -> Environment:
    return get_object_or_404(
        environment_list(user=request.user).select_related("owner", "blueprint_version__blueprint"), pk=pk
    )


@router.get("/environments", response={200: EnvironmentPage, **ERRORS}, url_name="environment-list")
def environments(
    request: HttpRequest, params: Query[PageParams], status: str = "", tier: str = "", name: str = ""
) -> Any:
    """Environments of the caller's teams; filters as on the list page (status, tier, name contains)."""
    queryset = (
        environment_list(user=request.user)
        .select_related("owner", "blueprint_version__blueprint")
        .defer(*ENVIRONMENT_BLOBS, *BLUEPRINT_VERSION_BLOBS)
        .order_by("name", "pk")
    )
    return page(filtered(EnvironmentFilterSet, request, queryset), params, environment_out)


@router.get(
    "/environments/{pk}", response={200: EnvironmentDetailOut, **ERRORS}, url_name="environment-detail"
)
def environment_detail(request: HttpRequest, pk: int) -> Any:
    environment = _get(request, pk)
    active = environment_active_run(environment)
    return {
        **environment_out(environment),
        "inputs": environment.inputs,
        "drift_checked_at": environment.drift_checked_at,
        "drift_changes": environment.drift_changes or [],
        "active_run": getattr(active, "pk", None),
        "locked": StateLock.objects.filter(environment=environment).exists(),
    }


@router.get(
    "/environments/{pk}/outputs", response={200: OutputsOut, **ERRORS}, url_name="environment-outputs"
)
def environment_outputs(request: HttpRequest, pk: int) -> Any:
    """Terraform's outputs (sensitive ones are masked when stored)."""
    environment = _get(request, pk)
    return {"environment": environment.pk, "outputs": environment.outputs or {}}


@router.post(
    "/environments/{pk}/drift-check",
    response={202: RunDetailOut, **ERRORS},
    url_name="environment-drift-check",
)
def environment_drift_check(request: HttpRequest, pk: int) -> Any:
    """Queues a drift check; 409 `run_conflict` while another run of the environment is active."""
    run = run_enqueue(
        kind=RunKind.DRIFT,
        actor=request.user,
        environment=_get(request, pk),
        reason="Drift check requested",
        ip=client_ip(request),
    )
    return Status(202, run_detail_out(run))
