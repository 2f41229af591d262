"""Run endpoints: list, detail, the log after a cursor, cancel; machine images."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from portal.api.routes.env_requests import filtered, plan_out
from portal.api.schemas import (
    ERRORS,
    MAX_LIMIT,
    ImageOut,
    ImagePage,
    LogOut,
    PageParams,
    RunDetailOut,
    RunPage,
    page,
)
from portal.audit.services import client_ip
from portal.catalog.models import MachineImage
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS, RUN_BLOBS
from portal.core.permissions import can_cancel_run
from portal.runs.filtersets import ImageFilterSet, RunFilterSet
from portal.runs.models import Run
from portal.runs.selectors import run_list
from portal.runs.services import run_cancel

router = Router(tags=["runs"])
LOG_MAX_LINES = 1000


def run_out(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "environment": run.environment_id,
        "request": run.request_id,
        "created_by": run.created_by.get_username() if run.created_by else None,
        "reason": run.reason,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "exit_code": run.exit_code,
        "finished": run.is_finished,
        "url": f"/api/v1/runs/{run.pk}",
    }


def run_detail_out(run: Run) -> dict[str, Any]:
    return {
        **run_out(run),
        "error": run.error,
        "cancel_requested": run.cancel_requested,
        "log_lines": run.log_lines_count,
        "plan": plan_out(run) if run.kind == "plan" else None,
        "drift_detected": run.drift_detected,
    }


def _get(request: HttpRequest, pk: int) -> Run:
    return get_object_or_404(run_list(user=request.user), pk=pk)


@router.get("/runs", response={200: RunPage, **ERRORS}, url_name="run-list")
def runs(request: HttpRequest, params: Query[PageParams], kind: str = "", status: str = "") -> Any:
    """Runs of the caller's teams and every image build, newest first."""
    queryset = (
        run_list(user=request.user)
        .defer(*RUN_BLOBS, *(f"environment__{name}" for name in ENVIRONMENT_BLOBS))
        .order_by("-created_at", "-pk")
    )
    return page(filtered(RunFilterSet, request, queryset), params, run_out)


@router.get("/runs/{pk}", response={200: RunDetailOut, **ERRORS}, url_name="run-detail")
def run_detail(request: HttpRequest, pk: int) -> Any:
    return run_detail_out(_get(request, pk))


@router.get("/runs/{pk}/log", response={200: LogOut, **ERRORS}, url_name="run-log")
def run_log(
    request: HttpRequest,
    pk: int,
    after: int = Query(0, ge=0, description="The last `seq` already read (the cursor)."),
    limit: int = Query(MAX_LIMIT * 5, ge=1, le=LOG_MAX_LINES),
) -> Any:
    """The log lines after `after`, in order. Poll with `next_after` until `finished` is true."""
    run = _get(request, pk)
    lines = list(run.log_lines.filter(seq__gt=after).order_by("seq")[:limit])
    last = lines[-1].seq if lines else after
    return {
        "run": run.pk,
        "status": run.status,
        "finished": run.is_finished and last >= run.log_lines_count,
        "next_after": last,
        "lines": [
            {
                "seq": line.seq,
                "stream": line.stream,
                "level": line.level,
                "message": line.message,
                "created_at": line.created_at,
            }
            for line in lines
        ],
    }


@router.post("/runs/{pk}/cancel", response={200: RunDetailOut, **ERRORS}, url_name="run-cancel")
def run_cancel_(request: HttpRequest, pk: int) -> Any:
    run = _get(request, pk)
    if not can_cancel_run(request.user, run):
        raise PermissionDenied("Only the owning team or a platform admin can cancel this run.")
    return run_detail_out(run_cancel(run=run, actor=request.user, ip=client_ip(request)))


def image_out(image: MachineImage) -> dict[str, Any]:
    return {
        "id": image.pk,
        "blueprint": image.blueprint_version.blueprint.slug,
        "version": image.blueprint_version.version,
        "run": image.run_id,
        "artifacts": image.artifacts,
        "created_at": image.created_at,
    }


def _images() -> Any:
    return MachineImage.objects.select_related("blueprint_version__blueprint").defer(*BLUEPRINT_VERSION_BLOBS)


@router.get("/images", response={200: ImagePage, **ERRORS}, url_name="image-list", tags=["images"])
def images(request: HttpRequest, params: Query[PageParams], blueprint: str = "") -> Any:
    """Machine images built by Packer (they belong to no team: every signed-in user sees them)."""
    return page(filtered(ImageFilterSet, request, _images()), params, image_out)


@router.get("/images/{pk}", response={200: ImageOut, **ERRORS}, url_name="image-detail", tags=["images"])
def image_detail(request: HttpRequest, pk: int) -> Any:
    return image_out(get_object_or_404(_images(), pk=pk))
