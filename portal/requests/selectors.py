"""Read-side queries for requests, scoped to the user's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser, user_teams
from portal.core.permissions import approvable_requests
from portal.requests.models import EnvironmentRequest, RequestState


def request_list(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    return EnvironmentRequest.objects.filter(team__in=user_teams(user)).select_related(
        "team", "requester", "blueprint_version__blueprint"
    )


def approval_queue(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    """Requests waiting for a decision this user may give (portal.core.permissions.can_approve)
    and has not given yet."""
    if not user.is_authenticated:
        return EnvironmentRequest.objects.none()
    waiting = EnvironmentRequest.objects.filter(state=RequestState.AWAITING_APPROVAL)
    return (
        approvable_requests(user, waiting)
        .exclude(approvals__approver=user, approvals__voided_at__isnull=True)
        .select_related("team", "requester", "blueprint_version__blueprint", "plan_run")
        .order_by("awaiting_since")
    )


def approval_queue_counts(queue: QuerySet[EnvironmentRequest]) -> dict[str, int]:
    """How many requests wait in `queue`, and how many of those are over budget, in one query."""
    from django.db.models import Count, Q

    return queue.order_by().aggregate(total=Count("pk"), over_budget=Count("pk", filter=Q(over_budget=True)))
