"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.selectors import AnyUser, user_teams
from portal.runs.models import Run


def run_list(*, user: AnyUser) -> QuerySet[Run]:
    return Run.objects.filter(
        Q(environment__team__in=user_teams(user)) | Q(environment__isnull=True)
    ).select_related("environment__team", "created_by")
