"""Read-side queries for requests, scoped to the user's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser, user_team_scope
from portal.requests.models import EnvironmentRequest


def request_list(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    requests = EnvironmentRequest.objects.select_related("team", "requester", "blueprint_version__blueprint")
    teams = user_team_scope(user)
    return requests if teams is None else requests.filter(team__in=teams)


def approval_queue(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    """Requests waiting for a decision this user may give: their team's (as approver or budget
    approver) or any team's (as platform admin), never their own."""
    from django.db.models import Q

    from portal.accounts.models import Membership, Role
    from portal.requests.models import RequestState

    if not user.is_authenticated:
        return EnvironmentRequest.objects.none()
    waiting = EnvironmentRequest.objects.filter(state=RequestState.AWAITING_APPROVAL).exclude(requester=user)
    if Membership.objects.filter(user=user, role=Role.PLATFORM_ADMIN).exists():
        scoped = waiting
    else:
        teams = Membership.objects.filter(user=user).filter(Q(role=Role.APPROVER) | Q(budget_approver=True))
        scoped = waiting.filter(team__in=teams.values("team"))
    return (
        scoped.exclude(approvals__approver=user, approvals__voided_at__isnull=True)
        .select_related("team", "requester", "blueprint_version__blueprint", "plan_run")
        .order_by("awaiting_since", "id")
    )


def approval_queue_counts(queue: QuerySet[EnvironmentRequest]) -> dict[str, int]:
    """How many requests wait in `queue`, and how many of those are over budget, in one query."""
    from django.db.models import Count, Q

    return queue.order_by().aggregate(total=Count("pk"), over_budget=Count("pk", filter=Q(over_budget=True)))
