"""Bulk blueprint upgrades for platform admins: pick the environments on older versions of a
blueprint, make one update request per environment, and follow them on the batch's page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal.audit.services import client_ip
from portal.catalog.models import Blueprint, BlueprintVersion
from portal.catalog.selectors import upgrade_notes
from portal.core.permissions import can_upgrade_in_bulk, permission_required
from portal.requests.models import EnvironmentRequest, UpgradeBatch
from portal.requests.upgrades import upgrade_batch_create, upgrade_candidates

bulk_required = permission_required(can_upgrade_in_bulk, "Only platform admins may upgrade in bulk.")


@require_GET
@bulk_required
def upgrade_index(request: HttpRequest) -> HttpResponse:
    """Each blueprint's latest version with how many environments run an older one, and the
    recent batches."""
    rows = []
    blueprints = Blueprint.objects.filter(latest_version__isnull=False).select_related("latest_version")
    for blueprint in blueprints.defer("latest_version__source_files", "latest_version__metadata"):
        count = upgrade_candidates(target=blueprint.latest_version).count()
        rows.append({"blueprint": blueprint, "target": blueprint.latest_version, "count": count})
    batches = UpgradeBatch.objects.select_related("target_version__blueprint", "created_by").annotate(
        request_count=Count("requests")
    )[:20]
    return render(request, "requests/upgrade_index.html", {"rows": rows, "batches": batches})


@require_http_methods(["GET", "POST"])
@bulk_required
def upgrade_batch_new(request: HttpRequest, version_pk: int) -> HttpResponse:
    """The environments that can move to this version, to tick; POST makes the batch."""
    target = get_object_or_404(BlueprintVersion.objects.select_related("blueprint"), pk=version_pk)
    candidates = list(upgrade_candidates(target=target))
    if request.method == "POST":
        chosen = {int(pk) for pk in request.POST.getlist("environment") if pk.isdigit()}
        environments = [env for env in candidates if env.pk in chosen]
        if not environments:
            messages.error(request, "Tick at least one environment to upgrade.")
        else:
            batch = upgrade_batch_create(
                actor=request.user, target=target, environments=environments, ip=client_ip(request)
            )
            messages.success(
                request, f"{batch.requests.count()} upgrade requests submitted; each is planned on its own."
            )
            return redirect("requests:upgrade-batch", pk=batch.pk)
    current_versions = {env.blueprint_version for env in candidates}
    notes = [upgrade_notes(current=version, target=target) for version in current_versions]
    return render(
        request,
        "requests/upgrade_batch_new.html",
        {"target": target, "candidates": candidates, "notes": notes},
    )


@require_GET
@bulk_required
def upgrade_batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch and each of its requests with its state, plan and cost change."""
    requests = EnvironmentRequest.objects.select_related("environment", "team", "plan_run")
    batch = get_object_or_404(
        UpgradeBatch.objects.select_related("target_version__blueprint", "created_by").prefetch_related(
            Prefetch("requests", queryset=requests)
        ),
        pk=pk,
    )
    states: dict[str, int] = {}
    for req in batch.requests.all():
        states[req.get_state_display()] = states.get(req.get_state_display(), 0) + 1
    return render(request, "requests/upgrade_batch_detail.html", {"batch": batch, "states": states})
