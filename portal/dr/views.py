from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.audit.services import client_ip
from portal.core.lists import list_page
from portal.core.permissions import can_change_drill_schedule, can_start_drill, can_view_estate_dr
from portal.dr.filtersets import EstateDrFilterSet
from portal.dr.models import Frequency
from portal.dr.selectors import drill_list, estate_dr_list
from portal.dr.services import DrillConflict, DrillNotPossible, drill_schedule_set, drill_start
from portal.environments.selectors import environment_list

LOG_PAGE = 500


@require_GET
def drill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    drill = get_object_or_404(drill_list(user=request.user).select_related("run__created_by"), pk=pk)
    run = drill.run
    lines = list(run.log_lines.all()[:LOG_PAGE])
    return render(
        request,
        "dr/drill_detail.html",
        {
            "drill": drill,
            "run": run,
            "resources": list(drill.resources.all()),
            "lines": lines,
            "last_seq": lines[-1].seq if lines else 0,
            "truncated": run.log_lines_count > LOG_PAGE,
        },
    )


@require_POST
def drill_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    environment = get_object_or_404(environment_list(user=request.user), pk=pk)
    if not can_start_drill(request.user, environment):
        raise PermissionDenied("Only the team's approvers and platform admins start drills.")
    try:
        drill = drill_start(environment=environment, actor=request.user, ip=client_ip(request))
    except DrillConflict as exc:
        messages.info(request, str(exc))
        if exc.drill is not None:  # show the drill that is already running
            return redirect("dr:drill", pk=exc.drill.pk)
        return redirect("environments:detail", pk=pk)
    except DrillNotPossible as exc:
        messages.error(request, str(exc))
        return redirect("environments:detail", pk=pk)
    return redirect("dr:drill", pk=drill.pk)


@require_POST
def drill_schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    environment = get_object_or_404(environment_list(user=request.user), pk=pk)
    if not can_change_drill_schedule(request.user, environment):
        raise PermissionDenied("Only the team's approvers and platform admins change the drill schedule.")
    frequency = request.POST.get("frequency", "")
    if frequency not in Frequency.values:
        messages.error(request, f"Unknown drill frequency {frequency!r}.")
        return redirect("environments:detail", pk=pk)
    drill_schedule_set(
        environment=environment, frequency=frequency, actor=request.user, ip=client_ip(request)
    )
    messages.success(request, f"{environment} now drills: {Frequency(frequency).label.lower()}.")
    return redirect("environments:detail", pk=pk)


def _estate_allowed(request: HttpRequest) -> None:
    if not can_view_estate_dr(request.user):
        raise PermissionDenied("The estate DR page is for approvers and platform admins.")


@require_GET
def estate(request: HttpRequest) -> HttpResponse:
    _estate_allowed(request)
    return list_page(
        request,
        queryset=estate_dr_list(user=request.user),
        filterset_class=EstateDrFilterSet,
        template="dr/estate.html",
        context={"now": timezone.now()},
    )


CSV_COLUMNS = [
    "team",
    "environment",
    "blueprint",
    "tier",
    "frequency",
    "overdue",
    "next_due_at",
    "last_drill",
    "last_status",
    "last_finished_at",
    "rto_achieved_s",
    "rto_target_s",
    "rpo_api_s",
    "rpo_target_s",
    "cleanup_ok",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def estate_csv(request: HttpRequest) -> StreamingHttpResponse:
    _estate_allowed(request)
    filterset = EstateDrFilterSet(
        request.GET or None, queryset=estate_dr_list(user=request.user), request=request
    )
    writer = csv.writer(_Echo())
    now = timezone.now()

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(CSV_COLUMNS)
        for env in filterset.qs.iterator(chunk_size=2000):
            schedule = getattr(env, "drill_schedule", None)
            last = schedule.last_drill if schedule else None
            yield writer.writerow(
                [
                    env.team.slug,
                    env.name,
                    env.blueprint_version.blueprint.slug,
                    env.tier,
                    schedule.frequency if schedule else "",
                    "yes" if schedule and schedule.overdue_at and schedule.overdue_at < now else "no",
                    schedule.next_due_at.isoformat() if schedule and schedule.next_due_at else "",
                    last.pk if last else "",
                    last.status if last else "",
                    last.finished_at.isoformat() if last and last.finished_at else "",
                    _num(last.rto_achieved_s if last else None),
                    _num(last.rto_target_s if last else None),
                    _num(last.rpo_api_s if last else None),
                    _num(last.rpo_target_s if last else None),
                    "" if not last or last.cleanup_ok is None else str(last.cleanup_ok).lower(),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dr-estate.csv"'
    return response


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
