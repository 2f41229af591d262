"""Read-side queries for requests, scoped to the user's teams."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from portal.accounts.selectors import AnyUser
from portal.core.permissions import approvable_requests, visible_team_ids
from portal.requests.models import Approval, EnvironmentRequest, RequestState
from portal.runs.models import Run, RunKind


def request_list(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    requests = EnvironmentRequest.objects.select_related("team", "requester", "blueprint_version__blueprint")
    team_ids = visible_team_ids(user)  # None: every team, so no filter at all
    return requests if team_ids is None else requests.filter(team_id__in=team_ids)


def approval_queue(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    """Requests waiting for a decision this user may give (portal.core.permissions.can_approve)
    and has not given yet."""
    if not user.is_authenticated:
        return EnvironmentRequest.objects.none()
    waiting = EnvironmentRequest.objects.filter(state=RequestState.AWAITING_APPROVAL)
    return (
        approvable_requests(user, waiting)
        .exclude(Exists(Approval.objects.filter(request=OuterRef("pk"), approver=user, voided_at=None)))
        .select_related("team", "requester", "blueprint_version__blueprint", "plan_run")
        .order_by("awaiting_since", "id")
    )


def approval_queue_counts(queue: QuerySet[EnvironmentRequest]) -> dict[str, int]:
    """How many requests wait in `queue`, and how many of those are over budget, in one query."""
    from django.db.models import Count, Q

    return queue.order_by().aggregate(total=Count("pk"), over_budget=Count("pk", filter=Q(over_budget=True)))


# What a pending environment (never applied) is waiting on, from its latest request's state.
PENDING_LABELS = {
    RequestState.DRAFT: ("pending", "Draft (not submitted)"),
    RequestState.PLANNING: ("planning", "Planning"),
    RequestState.AWAITING_APPROVAL: ("awaiting_approval", "Awaiting approval"),
    RequestState.APPROVED: ("applying", "Applying"),
    RequestState.APPLYING: ("applying", "Applying"),
    RequestState.REJECTED: ("rejected", "Rejected (not applied)"),
    RequestState.CANCELLED: ("cancelled", "Cancelled (not applied)"),
    RequestState.EXPIRED: ("expired", "Expired (not applied)"),
}


def environment_progress_annotate(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Annotates each environment with its latest request's state and latest run's kind
    (registered with portal.environments.progress)."""
    return queryset.annotate(
        latest_request_state=Subquery(
            EnvironmentRequest.objects.filter(environment=OuterRef("pk"))
            .order_by("-created_at", "-pk")
            .values("state")[:1]
        ),
        latest_run_kind=Subquery(
            Run.objects.filter(environment=OuterRef("pk")).order_by("-created_at", "-pk").values("kind")[:1]
        ),
    )


def environment_progress_label(environment: Any) -> tuple[str, str] | None:
    """(badge class, label) of a pending environment, from `environment_progress_annotate`."""
    state = getattr(environment, "latest_request_state", None)
    if state == RequestState.FAILED:
        kind = getattr(environment, "latest_run_kind", None)
        return "failed", "Apply failed" if kind == RunKind.APPLY else "Plan failed"
    return PENDING_LABELS.get(state) if state else None
