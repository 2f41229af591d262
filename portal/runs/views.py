from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from portal.accounts.selectors import user_teams
from portal.audit.services import client_ip
from portal.catalog.models import BlueprintVersion, MachineImage
from portal.catalog.toolchain import run_failure_cause
from portal.core.csv_export import csv_export
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS, RUN_BLOBS, list_page
from portal.core.permissions import can_build_image, can_cancel_run
from portal.environments.selectors import environment_list
from portal.runs.filtersets import ImageFilterSet, RunFilterSet
from portal.runs.models import RunKind
from portal.runs.selectors import run_list as run_list_query
from portal.runs.services import RunConflict, run_cancel, run_enqueue

LOG_PAGE = 500
CAUSE_SCAN_LINES = 5000


def _cause(run) -> str:
    """One human sentence of why a failed run failed, derived from its log ("" otherwise)."""
    if run.status not in ("failed", "timed_out"):
        return ""
    lines = list(run.log_lines.values_list("message", flat=True)[:CAUSE_SCAN_LINES])
    return run_failure_cause(run, [*lines, run.error or ""])


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=run_list_query(user=request.user).defer(
            *RUN_BLOBS, *(f"environment__{name}" for name in ENVIRONMENT_BLOBS)
        ),
        filterset_class=RunFilterSet,
        template="runs/run_list.html",
        keyset=("-created_at", "-id"),
    )


RUN_COLUMNS = [
    ("id", lambda r: r.pk),
    ("kind", lambda r: r.kind),
    ("status", lambda r: r.status),
    ("environment", lambda r: str(r.environment) if r.environment_id else ""),
    ("created_by", lambda r: r.created_by.username if r.created_by_id else "portal"),
    ("reason", lambda r: r.reason),
    ("created_at", lambda r: r.created_at),
    ("started_at", lambda r: r.started_at),
    ("finished_at", lambda r: r.finished_at),
    ("error", lambda r: r.error.splitlines()[0] if r.error else ""),
]


@require_GET
def run_export(request: HttpRequest) -> HttpResponse:
    """The run list as CSV, with the list page's filters, streamed."""
    return csv_export(
        request,
        queryset=run_list_query(user=request.user).defer(
            *RUN_BLOBS, *(f"environment__{name}" for name in ENVIRONMENT_BLOBS)
        ),
        filterset_class=RunFilterSet,
        columns=RUN_COLUMNS,
        filename="runs.csv",
    )


@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(run_list_query(user=request.user).select_related("plan_run", "request"), pk=pk)
    lines = list(run.log_lines.all()[:LOG_PAGE])
    return render(
        request,
        "runs/run_detail.html",
        {
            "run": run,
            "lines": lines,
            "last_seq": lines[-1].seq if lines else 0,
            "truncated": run.log_lines_count > LOG_PAGE,
            "cause": _cause(run),
        },
    )


@require_GET
def run_log(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx poller: the lines after `after`; 204 when none are new; 286 (stop polling) once the
    run has ended and every line was sent."""
    run = get_object_or_404(run_list_query(user=request.user), pk=pk)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    lines = list(run.log_lines.filter(seq__gt=after)[:LOG_PAGE])
    finished = run.is_finished and (not lines or lines[-1].seq >= run.log_lines_count)
    if not lines and not finished:
        return HttpResponse(status=204)
    response = render(
        request,
        "runs/run_detail.html#log_update",
        {
            "run": run,
            "lines": lines,
            "last_seq": lines[-1].seq if lines else after,
            "finished": finished,
            "cause": _cause(run) if finished else "",
        },
    )
    if finished:
        return HttpResponseStopPolling(response.content)
    return response


@require_GET
def run_log_download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    run = get_object_or_404(run_list_query(user=request.user), pk=pk)

    def lines():
        for line in run.log_lines.order_by("seq").iterator(chunk_size=2000):
            stamp = line.created_at.strftime("%Y-%m-%dT%H:%M:%S")
            yield f"{stamp} {line.level:5} {line.stream:6} {line.message}\n"

    response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.log"'
    return response


@require_POST
def run_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(run_list_query(user=request.user), pk=pk)
    if not can_cancel_run(request.user, run):
        raise PermissionDenied("Only the owning team or a platform admin can cancel this run.")
    run_cancel(run=run, actor=request.user, ip=client_ip(request))
    messages.info(request, f"Cancel requested for run #{run.pk}.")
    return redirect("runs:detail", pk=pk)


@require_GET
def image_list(request: HttpRequest) -> HttpResponse:
    images = MachineImage.objects.select_related("blueprint_version__blueprint", "run").defer(
        *BLUEPRINT_VERSION_BLOBS, *(f"run__{name}" for name in RUN_BLOBS)
    )
    templates = (
        BlueprintVersion.objects.filter(metadata__has_key="packer_template")
        .select_related("blueprint")
        .defer("source_files")
    )
    return list_page(
        request,
        queryset=images,
        filterset_class=ImageFilterSet,
        template="runs/image_list.html",
        context={"templates": templates},
    )


@require_GET
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(
        MachineImage.objects.select_related("blueprint_version__blueprint", "run"), pk=pk
    )
    environments = image.environments.filter(team__in=user_teams(request.user)).select_related("team")
    return render(request, "runs/image_detail.html", {"image": image, "environments": environments})


@require_POST
def image_build(request: HttpRequest, version_pk: int) -> HttpResponse:
    if not can_build_image(request.user):
        raise PermissionDenied("Only platform admins build machine images.")
    version = get_object_or_404(BlueprintVersion, pk=version_pk, metadata__has_key="packer_template")
    run = run_enqueue(
        kind=RunKind.IMAGE_BUILD,
        actor=request.user,
        image_source=version,
        reason=f"Image build of {version}",
        ip=client_ip(request),
    )
    return redirect("runs:detail", pk=run.pk)


@require_POST
def environment_drift_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Queues a drift check of an environment (served at /environments/<pk>/drift-check/)."""
    environment = get_object_or_404(environment_list(user=request.user), pk=pk)
    try:
        run = run_enqueue(
            kind=RunKind.DRIFT,
            actor=request.user,
            environment=environment,
            reason="Drift check requested",
            ip=client_ip(request),
        )
    except RunConflict as exc:
        messages.error(request, str(exc))
        return redirect("environments:detail", pk=pk)
    return redirect("runs:detail", pk=run.pk)
