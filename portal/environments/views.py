from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.audit.services import audit_record, client_ip
from portal.catalog.display import input_rows, output_rows
from portal.core.crypto import decrypt_json
from portal.core.csv_export import csv_export
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS, list_page
from portal.core.permissions import can_download_state, can_force_unlock, permission_required
from portal.costs.selectors import environment_spend
from portal.environments.filtersets import EnvironmentFilterSet
from portal.environments.models import Environment, EnvironmentStatus, StateLock
from portal.environments.progress import status_display, with_progress
from portal.environments.selectors import environment_list as environment_list_query
from portal.environments.selectors import with_upgrade_flag
from portal.environments.services import state_force_unlock


@require_GET
def environment_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=with_progress(
            environment_list_query(user=request.user).defer(*ENVIRONMENT_BLOBS, *BLUEPRINT_VERSION_BLOBS)
        ),
        filterset_class=EnvironmentFilterSet,
        template="environments/environment_list.html",
    )


ENVIRONMENT_COLUMNS = [
    ("id", lambda e: e.pk),
    ("team", lambda e: e.team.slug),
    ("name", lambda e: e.name),
    ("owner", lambda e: e.owner.username),
    ("blueprint", lambda e: e.blueprint_version.blueprint.slug),
    ("version", lambda e: e.blueprint_version.version),
    ("upgrade_available", lambda e: "yes" if e.upgrade_available else "no"),
    ("tier", lambda e: e.tier),
    ("region", lambda e: e.region),
    ("status", lambda e: e.status),
    ("drift", lambda e: e.drift_status),
    ("locked_since", lambda e: e.state_lock.created_at if hasattr(e, "state_lock") else None),
    ("monthly_cost_usd", lambda e: e.monthly_cost_usd),
    ("expires_at", lambda e: e.expires_at),
    ("destroyed_at", lambda e: e.destroyed_at),
    ("created_at", lambda e: e.created_at),
]


@require_GET
def environment_export(request: HttpRequest) -> HttpResponse:
    """The inventory as CSV, with the list page's filters, streamed."""
    return csv_export(
        request,
        queryset=with_upgrade_flag(
            environment_list_query(user=request.user).defer(*ENVIRONMENT_BLOBS, *BLUEPRINT_VERSION_BLOBS)
        ),
        filterset_class=EnvironmentFilterSet,
        columns=ENVIRONMENT_COLUMNS,
        filename="environments.csv",
    )


@require_GET
def environment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    environment = get_object_or_404(with_progress(environment_list_query(user=request.user)), pk=pk)
    status_class, status_label = status_display(environment)
    return render(
        request,
        "environments/environment_detail.html",
        {
            "environment": environment,
            "status_class": status_class,
            "status_label": status_label,
            "inputs": input_rows(
                environment.blueprint_version,
                environment.inputs,
                [
                    f.name
                    for f in environment.blueprint_version.fields
                    if f.sensitive and environment.secret_inputs
                ],
            ),
            "outputs": output_rows(environment.outputs),
            "runs": environment.runs.select_related("created_by")[:20],
            "state_versions": environment.state_versions.select_related("run")[:20],
            "final_state": environment.state_versions.only("serial", "created_at").first()
            if environment.status == EnvironmentStatus.DESTROYED
            else None,
            "lock": StateLock.objects.filter(environment=environment).select_related("run").first(),
            "spend": environment_spend(environment=environment),
        },
    )


@require_POST
@permission_required(can_force_unlock, "Only platform admins may force-unlock a state.")
def environment_force_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    environment = get_object_or_404(Environment, pk=pk)
    if state_force_unlock(environment=environment, actor=request.user, ip=client_ip(request)):
        messages.success(request, f"The state lock of {environment} was removed.")
    else:
        messages.info(request, f"{environment} had no state lock.")
    return redirect("environments:detail", pk=pk)


@require_GET
@permission_required(can_download_state, "Only platform admins may download state versions.")
def state_version_download(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    environment = get_object_or_404(Environment, pk=pk)
    version = get_object_or_404(environment.state_versions, pk=version_pk)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="state.downloaded",
            target=environment,
            ip=client_ip(request),
            summary=f"{request.user} downloaded state serial {version.serial} of {environment}.",
        )
    response = HttpResponse(str(decrypt_json(version.state)), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="{environment.name}-serial-{version.serial}.tfstate"'
    )
    return response
