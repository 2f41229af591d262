"""Read-side queries for requests, scoped to the user's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser, user_teams
from portal.requests.models import EnvironmentRequest


def request_list(*, user: AnyUser) -> QuerySet[EnvironmentRequest]:
    return EnvironmentRequest.objects.filter(team__in=user_teams(user)).select_related(
        "team", "requester", "blueprint_version__blueprint"
    )
